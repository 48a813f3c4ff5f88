#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "fs.h"
#include "opts.h"
#include "tap_error.h"

/* A scratch directory holding "data/", and its real path. */
static char tmpdir[PATH_MAX];

/* V joined with ',', in a static buffer; "(null)" for NULL. */
static const char *
joined(char *const *v)
{
    static char buf[1024];
    size_t n = 0;

    if (v == NULL)
        return "(null)";
    buf[0] = '\0';
    for (size_t i = 0; v[i]; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "," : "", v[i]);
    return buf;
}

/* PATH under tmpdir, in a static buffer (two at a time). */
static const char *
tmp(const char *path)
{
    static char bufs[2][PATH_MAX + 64];
    static int which;
    char *b = bufs[which++ % 2];

    snprintf(b, PATH_MAX + 64, "%s%s", tmpdir, path);
    return b;
}

static void
write_text(const char *path, const char *text)
{
    rl_error_t err = NULL;

    if (rl_write_file_atomic(path, text, strlen(text), 0644, false, &err) < 0) {
        printf("# cannot write %s: %s\n", path, msg(&err));
        exit(1);
    }
}

typedef int (*vol_parser)(const char *, struct rl_vol *, rl_error_t *);

/* Parse ARG with FN, which must fail with a message containing WANT, leaving *ret alone. */
static void
vol_bad(vol_parser fn, const char *opt, const char *arg, const char *want)
{
    rl_error_t err = NULL;
    struct rl_vol v = { .kind = RL_VOL_TMPFS, .dest = (char *)"untouched" };
    int r = fn(arg, &v, &err);

    ok(r < 0 && v.dest && strcmp(v.dest, "untouched") == 0 && v.options == NULL,
       "%s '%s' is refused, its result untouched", opt, arg);
    like(msg(&err), want, "%s '%s': %s", opt, arg, want);
}

static void
test_volume(void)
{
    rl_error_t err = NULL;
    struct rl_vol v = { 0 };
    char arg[PATH_MAX + 64];

    ok(rl_parse_volume("/data", &v, &err) == 0, "-v /data parses");
    ok(v.kind == RL_VOL_ANON && v.source == NULL, "a lone destination is an anonymous volume");
    is_str(v.dest, "/data", "its destination");
    ok(!v.readonly && !v.chown && v.copy && v.options == NULL, "defaults: rw, no U, copy");
    rl_vol_release(&v);

    ok(rl_parse_volume("vol1:/data/", &v, &err) == 0, "-v vol1:/data/ parses");
    ok(v.kind == RL_VOL_NAMED, "a name is a named volume");
    is_str(v.source, "vol1", "named volume source");
    is_str(v.dest, "/data", "trailing '/' dropped from the destination");
    rl_vol_release(&v);

    ok(rl_parse_volume("My_vol.1-x:/d", &v, &err) == 0 && v.kind == RL_VOL_NAMED,
       "volume names take letters, digits, '_', '.', '-'");
    rl_vol_release(&v);
    ok(rl_parse_volume("data:/d", &v, &err) == 0 && v.kind == RL_VOL_NAMED,
       "'data' is a volume name even where ./data exists");
    rl_vol_release(&v);

    snprintf(arg, sizeof(arg), "%s:/a//b/./c/", tmpdir);
    ok(rl_parse_volume(arg, &v, &err) == 0, "-v TMP:/a//b/./c/ parses");
    ok(v.kind == RL_VOL_BIND, "an absolute source is a bind mount");
    is_str(v.source, tmpdir, "bind source");
    is_str(v.dest, "/a/b/c", "destination cleaned of '//', '.' and trailing '/'");
    rl_vol_release(&v);

    ok(rl_parse_volume(".:/", &v, &err) == 0, "-v .:/ parses");
    is_str(v.source, tmpdir, "'.' resolves to the working directory");
    is_str(v.dest, "/", "'/' stays '/'");
    rl_vol_release(&v);

    ok(rl_parse_volume("./data:/x", &v, &err) == 0 && v.kind == RL_VOL_BIND, "-v ./data:/x");
    is_str(v.source, tmp("/data"), "a relative source is made absolute");
    rl_vol_release(&v);

    snprintf(arg, sizeof(arg), "../%s/data/../data:/x", strrchr(tmpdir, '/') + 1);
    ok(rl_parse_volume(arg, &v, &err) == 0, "-v ../DIR/data/../data:/x");
    is_str(v.source, tmp("/data"), "'..' in a host path is resolved");
    rl_vol_release(&v);

    snprintf(arg, sizeof(arg), "%s:/x:ro", tmpdir);
    ok(rl_parse_volume(arg, &v, &err) == 0 && v.readonly, ":ro is read-only");
    ok(v.options == NULL, "ro is not in the mount options");
    rl_vol_release(&v);
    snprintf(arg, sizeof(arg), "%s:/x:rw", tmpdir);
    ok(rl_parse_volume(arg, &v, &err) == 0 && !v.readonly, ":rw is read-write");
    rl_vol_release(&v);

    snprintf(arg, sizeof(arg), "%s:/x:ro,z,U,rshared,nosuid,nodev,noexec", tmpdir);
    ok(rl_parse_volume(arg, &v, &err) == 0, "-v with many options parses");
    ok(v.readonly && v.chown, "ro and U are flags");
    is_str(joined(v.options), "rshared,nosuid,nodev,noexec",
           "mount options kept in order, z dropped");
    rl_vol_release(&v);

    snprintf(arg, sizeof(arg), "%s:/x:Z,rbind,suid,dev,exec,private", tmpdir);
    ok(rl_parse_volume(arg, &v, &err) == 0, "-v with the opposite options parses");
    is_str(joined(v.options), "rbind,suid,dev,exec,private", "Z dropped, the rest kept");
    rl_vol_release(&v);

    snprintf(arg, sizeof(arg), "%s:/x:bind,unbindable", tmpdir);
    ok(rl_parse_volume(arg, &v, &err) == 0, ":bind,unbindable parses");
    is_str(joined(v.options), "bind,unbindable", "non-recursive bind kept");
    rl_vol_release(&v);

    ok(rl_parse_volume("v:/x:nocopy", &v, &err) == 0 && !v.copy, ":nocopy clears copy");
    rl_vol_release(&v);
    ok(rl_parse_volume("v:/x:copy", &v, &err) == 0 && v.copy, ":copy sets copy");
    rl_vol_release(&v);
    ok(rl_parse_volume("v:/x:cached,delegated", &v, &err) == 0 && v.options == NULL,
       "macOS options cached and delegated are dropped");
    rl_vol_release(&v);
    ok(err == NULL, "no error left behind by the good ones");

    vol_bad(rl_parse_volume, "-v", "", "empty container path");
    vol_bad(rl_parse_volume, "-v", ":/x", "empty source");
    vol_bad(rl_parse_volume, "-v", "vol:", "empty container path");
    vol_bad(rl_parse_volume, "-v", "vol:x", "container path 'x' must be absolute");
    vol_bad(rl_parse_volume, "-v", "data", "container path 'data' must be absolute");
    vol_bad(rl_parse_volume, "-v", "vol:/a/../b", "must not contain '..'");
    vol_bad(rl_parse_volume, "-v", "a:/b:ro:d", "too many ':'");
    vol_bad(rl_parse_volume, "-v", "vol:/x:ro,rw",
            "invalid volume 'vol:/x:ro,rw': can only specify 1 'ro' or 'rw' option");
    vol_bad(rl_parse_volume, "-v", "vol:/x:ro,ro", "can only specify 1 'ro' or 'rw' option");
    vol_bad(rl_parse_volume, "-v", "vol:/x:shared,private", "can only specify 1 '[r]shared'");
    vol_bad(rl_parse_volume, "-v", "vol:/x:z,Z", "can only specify 1 'z' or 'Z' option");
    vol_bad(rl_parse_volume, "-v", "vol:/x:U,U", "can only specify 1 'U' option");
    vol_bad(rl_parse_volume, "-v", "vol:/x:copy,nocopy", "'copy' or 'nocopy'");
    vol_bad(rl_parse_volume, "-v", "vol:/x:exec,noexec", "'exec' or 'noexec'");
    vol_bad(rl_parse_volume, "-v", "vol:/x:bind,rbind", "'bind' or 'rbind'");
    vol_bad(rl_parse_volume, "-v", "vol:/x:O", "overlay volumes (O) are not supported");
    vol_bad(rl_parse_volume, "-v", "vol:/x:idmap", "idmapped volumes (idmap) are not supported");
    vol_bad(rl_parse_volume, "-v", "vol:/x:idmap=uids=0-1-10", "idmap");
    vol_bad(rl_parse_volume, "-v", "vol:/x:bogus", "unknown option 'bogus'");
    vol_bad(rl_parse_volume, "-v", "vol:/x:tmpcopyup", "unknown option 'tmpcopyup'");
    vol_bad(rl_parse_volume, "-v", "vol:/x:", "empty option");
    vol_bad(rl_parse_volume, "-v", "vol:/x:ro,,U", "empty option");
    vol_bad(rl_parse_volume, "-v", "-bad:/x",
            "volume name '-bad' must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
    vol_bad(rl_parse_volume, "-v", "bad name:/x", "volume name 'bad name' must match");
    vol_bad(rl_parse_volume, "-v", "./missing:/x",
            "resolve './missing': No such file or directory");

    v.kind = RL_VOL_TMPFS;
    ok(rl_parse_volume("/nonexistent-rl-test:/x", &v, &err) < 0 && err && err->status == ENOENT,
       "a missing host directory fails with ENOENT");
    is_str(
        msg(&err),
        "invalid volume '/nonexistent-rl-test:/x': stat '/nonexistent-rl-test': No such file or directory",
        "the message names the missing path");
}

static void
test_mount(void)
{
    rl_error_t err = NULL;
    struct rl_vol v = { 0 };
    char arg[PATH_MAX + 128];

#define MOUNT_OK(fmt, what)                                         \
    do {                                                            \
        snprintf(arg, sizeof(arg), fmt, tmpdir);                    \
        ok(rl_parse_mount(arg, &v, &err) == 0, "--mount %s", what); \
        if (err)                                                    \
            printf("#   %s\n", msg(&err));                          \
    } while (0)

    MOUNT_OK("type=bind,source=%s,destination=/x", "type=bind,source=,destination=");
    ok(v.kind == RL_VOL_BIND && !v.readonly && v.options == NULL, "a plain bind mount");
    is_str(v.source, tmpdir, "its source");
    is_str(v.dest, "/x", "its destination");
    rl_vol_release(&v);

    MOUNT_OK("dst=/x/,src=%s,type=bind", "with type= last and dst= first");
    ok(v.kind == RL_VOL_BIND, "type= is found anywhere");
    is_str(v.dest, "/x", "dst= cleaned");
    rl_vol_release(&v);

    MOUNT_OK("type=bind,src=%s,target=/x,ro", "ro");
    ok(v.readonly, "ro is read-only");
    rl_vol_release(&v);
    MOUNT_OK("type=bind,src=%s,target=/x,readonly=TRUE", "readonly=TRUE");
    ok(v.readonly, "readonly=TRUE is read-only");
    rl_vol_release(&v);
    MOUNT_OK("type=bind,src=%s,target=/x,ro=false", "ro=false");
    ok(!v.readonly, "ro=false is read-write");
    rl_vol_release(&v);
    MOUNT_OK("type=bind,src=%s,target=/x,rw=false", "rw=false");
    ok(v.readonly, "rw=false is read-only");
    rl_vol_release(&v);

    MOUNT_OK("type=bind,src=%s,dst=/x,bind-propagation=rslave,nosuid", "bind-propagation=rslave");
    is_str(joined(v.options), "rslave,nosuid", "propagation and nosuid kept");
    rl_vol_release(&v);
    MOUNT_OK("type=bind,src=%s,dst=/x,bind-nonrecursive", "bind-nonrecursive");
    is_str(joined(v.options), "bind", "bind-nonrecursive is 'bind'");
    rl_vol_release(&v);
    MOUNT_OK("type=bind,src=%s,dst=/x,z,consistency=cached", "z and consistency=");
    ok(v.options == NULL, "z and consistency are ignored");
    rl_vol_release(&v);
    MOUNT_OK("type=bind,src=%s,dst=/x,relabel=private", "relabel=private");
    ok(v.options == NULL, "relabel is ignored");
    rl_vol_release(&v);
    MOUNT_OK("type=bind,src=%s,dst=/x,U", "U");
    ok(v.chown, "U sets chown");
    rl_vol_release(&v);
    MOUNT_OK("type=bind,src=%s,dst=/x,U=true", "U=true");
    ok(v.chown, "U=true sets chown");
    rl_vol_release(&v);
    MOUNT_OK("type=bind,src=%s,dst=/x,chown=false", "chown=false");
    ok(!v.chown, "chown=false leaves chown off");
    rl_vol_release(&v);

    ok(rl_parse_mount("type=bind,src=./data,dst=/x", &v, &err) == 0, "--mount with src=./data");
    is_str(v.source, tmp("/data"), "relative bind source resolved");
    rl_vol_release(&v);

    ok(rl_parse_mount("type=volume,src=vol1,dst=/v", &v, &err) == 0, "--mount type=volume");
    ok(v.kind == RL_VOL_NAMED && v.copy, "a named volume, copy by default");
    is_str(v.source, "vol1", "volume name");
    rl_vol_release(&v);
    ok(rl_parse_mount("type=volume,dst=/v", &v, &err) == 0, "--mount type=volume without src");
    ok(v.kind == RL_VOL_ANON && v.source == NULL, "is an anonymous volume");
    rl_vol_release(&v);
    ok(rl_parse_mount("type=volume,source=v,target=/v,volume-nocopy", &v, &err) == 0 && !v.copy,
       "volume-nocopy clears copy");
    rl_vol_release(&v);
    ok(rl_parse_mount("type=volume,source=v,target=/v,volume-nocopy=false", &v, &err) == 0
           && v.copy,
       "volume-nocopy=false keeps copy");
    rl_vol_release(&v);

    ok(rl_parse_mount("type=tmpfs,dst=/t", &v, &err) == 0, "--mount type=tmpfs");
    ok(v.kind == RL_VOL_TMPFS && v.source == NULL, "a tmpfs without source");
    is_str(joined(v.options), "rw,noexec,nosuid,nodev", "podman's tmpfs defaults");
    rl_vol_release(&v);
    ok(rl_parse_mount("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1777", &v, &err) == 0,
       "--mount tmpfs-size= tmpfs-mode=");
    is_str(joined(v.options), "size=67108864,mode=1777,rw,noexec,nosuid,nodev",
           "size in bytes, mode in octal, then the defaults");
    rl_vol_release(&v);
    ok(rl_parse_mount("type=tmpfs,dst=/t,ro,exec,tmpcopyup", &v, &err) == 0 && v.readonly,
       "--mount type=tmpfs,ro,exec,tmpcopyup");
    is_str(joined(v.options), "ro,exec,tmpcopyup,nosuid,nodev", "given options replace defaults");
    rl_vol_release(&v);
    ok(err == NULL, "no error left behind by the good ones");

    vol_bad(rl_parse_mount, "--mount", "src=/x,dst=/y", "missing type=");
    vol_bad(rl_parse_mount, "--mount", "type=bind,type=bind,src=/,dst=/y", "type= given twice");
    vol_bad(rl_parse_mount, "--mount", "type=image,src=x,dst=/y",
            "mount type 'image' is not supported");
    vol_bad(rl_parse_mount, "--mount", "type=volume", "missing destination (dst=)");
    vol_bad(rl_parse_mount, "--mount", "type=bind,dst=/x", "type=bind needs a source (src=)");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=rel",
            "container path 'rel' must be absolute");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=", "empty container path");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,bogus=1",
            "unknown option 'bogus=1'");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,nosuid=1",
            "unknown option 'nosuid=1'");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,rbind", "unknown option 'rbind'");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,ro,rw",
            "can only specify 1 'ro' or 'rw' option");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,ro=yes",
            "'ro=yes' must be true or false");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,U=maybe",
            "'U=maybe' must be true or false");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,bind-propagation=bogus",
            "'bind-propagation=bogus'");
    vol_bad(rl_parse_mount, "--mount", "type=volume,dst=/x,bind-propagation=shared",
            "'bind-propagation' is only for type=bind");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,tmpfs-size=1m",
            "'tmpfs-size' is only for type=tmpfs");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,volume-nocopy",
            "'volume-nocopy' is only for type=volume");
    vol_bad(rl_parse_mount, "--mount", "type=volume,dst=/x,tmpcopyup",
            "'tmpcopyup' is only for type=tmpfs");
    vol_bad(rl_parse_mount, "--mount", "type=tmpfs,src=x,dst=/x",
            "'src' is not an option of type=tmpfs");
    vol_bad(rl_parse_mount, "--mount", "type=tmpfs,dst=/x,tmpfs-size=lots",
            "invalid --mount 'type=tmpfs,dst=/x,tmpfs-size=lots': invalid size 'lots'");
    vol_bad(rl_parse_mount, "--mount", "type=tmpfs,dst=/x,tmpfs-mode=999",
            "the mode must be octal");
    vol_bad(rl_parse_mount, "--mount", "type=tmpfs,dst=/x,tmpfs-mode=17777",
            "the mode must be octal");
    vol_bad(rl_parse_mount, "--mount", "type=tmpfs,dst=/x,tmpfs-size=1m,tmpfs-size=2m",
            "can only specify 1 'tmpfs-size' option");
    vol_bad(rl_parse_mount, "--mount", "type=volume,src=bad/name,dst=/x",
            "volume name 'bad/name' must match");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,idmap",
            "idmapped mounts (idmap) are not supported");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,src=/,dst=/x", "source given twice");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,dst=/y", "destination given twice");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=,dst=/x", "empty source");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,relabel=bogus",
            "use relabel=shared or relabel=private");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/,dst=/x,,", "empty option");
    vol_bad(rl_parse_mount, "--mount", "type=bind,src=/nonexistent-rl-test,dst=/x",
            "stat '/nonexistent-rl-test': No such file");
#undef MOUNT_OK
}

static void
test_tmpfs(void)
{
    rl_error_t err = NULL;
    struct rl_vol v = { 0 };

    ok(rl_parse_tmpfs("/run", &v, &err) == 0, "--tmpfs /run");
    ok(v.kind == RL_VOL_TMPFS && v.source == NULL && !v.readonly, "a read-write tmpfs");
    is_str(v.dest, "/run", "its destination");
    is_str(joined(v.options), "rw,noexec,nosuid,nodev", "podman's defaults");
    rl_vol_release(&v);

    ok(rl_parse_tmpfs("/run:size=64m,mode=1777", &v, &err) == 0, "--tmpfs /run:size=64m,mode=1777");
    is_str(joined(v.options), "size=64m,mode=1777,rw,noexec,nosuid,nodev",
           "filesystem options passed as they are, then the defaults");
    rl_vol_release(&v);
    ok(rl_parse_tmpfs("/run/:rw,exec,suid,dev", &v, &err) == 0, "--tmpfs /run/:rw,exec,suid,dev");
    is_str(v.dest, "/run", "destination cleaned");
    is_str(joined(v.options), "rw,exec,suid,dev", "no defaults added when all are given");
    rl_vol_release(&v);
    ok(rl_parse_tmpfs("/run:ro", &v, &err) == 0 && v.readonly, "--tmpfs /run:ro is read-only");
    is_str(joined(v.options), "ro,noexec,nosuid,nodev", "ro in the options");
    rl_vol_release(&v);
    ok(rl_parse_tmpfs("/run:rshared,tmpcopyup,noatime", &v, &err) == 0, "--tmpfs with propagation");
    is_str(joined(v.options), "rshared,tmpcopyup,noatime,rw,noexec,nosuid,nodev",
           "propagation, tmpcopyup and noatime kept");
    rl_vol_release(&v);
    ok(err == NULL, "no error left behind by the good ones");

    vol_bad(rl_parse_tmpfs, "--tmpfs", "run",
            "invalid --tmpfs 'run': container path 'run' must be absolute");
    vol_bad(rl_parse_tmpfs, "--tmpfs", "", "empty container path");
    vol_bad(rl_parse_tmpfs, "--tmpfs", "/a/../b", "must not contain '..'");
    vol_bad(rl_parse_tmpfs, "--tmpfs", "/run:", "empty option");
    vol_bad(rl_parse_tmpfs, "--tmpfs", "/run:ro,rw", "can only specify 1 'ro' or 'rw' option");
    vol_bad(rl_parse_tmpfs, "--tmpfs", "/run:exec,noexec", "'exec' or 'noexec'");
    vol_bad(rl_parse_tmpfs, "--tmpfs", "/run:U", "'U' is not a tmpfs option");
}

static void
ulimit_is(const char *arg, int resource, uint64_t soft, uint64_t hard)
{
    rl_error_t err = NULL;
    struct rl_rlimit r = { 0 };

    ok(rl_parse_ulimit(arg, &r, &err) == 0 && r.resource == resource && r.soft == soft
           && r.hard == hard,
       "--ulimit %s", arg);
    if (err)
        printf("#   %s\n", msg(&err));
}

static void
ulimit_bad(const char *arg, const char *want)
{
    rl_error_t err = NULL;
    struct rl_rlimit r = { .resource = 4242 };

    ok(rl_parse_ulimit(arg, &r, &err) < 0 && r.resource == 4242, "--ulimit '%s' is refused", arg);
    like(msg(&err), want, "--ulimit '%s': %s", arg, want);
}

static void
test_ulimit(void)
{
    static const struct {
        const char *name;
        int resource;
    } names[] = {
        { "core", RLIMIT_CORE },         { "cpu", RLIMIT_CPU },
        { "data", RLIMIT_DATA },         { "fsize", RLIMIT_FSIZE },
        { "locks", RLIMIT_LOCKS },       { "memlock", RLIMIT_MEMLOCK },
        { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
        { "nofile", RLIMIT_NOFILE },     { "nproc", RLIMIT_NPROC },
        { "rss", RLIMIT_RSS },           { "rtprio", RLIMIT_RTPRIO },
        { "rttime", RLIMIT_RTTIME },     { "sigpending", RLIMIT_SIGPENDING },
        { "stack", RLIMIT_STACK },
    };
    char arg[64];

    ulimit_is("nofile=1024", RLIMIT_NOFILE, 1024, 1024);
    ulimit_is("nofile=1024:4096", RLIMIT_NOFILE, 1024, 4096);
    ulimit_is("nproc=unlimited", RLIMIT_NPROC, UINT64_MAX, UINT64_MAX);
    ulimit_is("core=-1", RLIMIT_CORE, UINT64_MAX, UINT64_MAX);
    ulimit_is("core=0:-1", RLIMIT_CORE, 0, UINT64_MAX);
    ulimit_is("memlock=unlimited:-1", RLIMIT_MEMLOCK, UINT64_MAX, UINT64_MAX);
    ulimit_is("stack=9223372036854775807", RLIMIT_STACK, INT64_MAX, INT64_MAX);
    for (size_t i = 0; i < RL_ARRAY_SIZE(names); i++) {
        snprintf(arg, sizeof(arg), "%s=7", names[i].name);
        ulimit_is(arg, names[i].resource, 7, 7);
    }

    ulimit_bad("nofile", "invalid ulimit 'nofile': use TYPE=SOFT[:HARD]");
    ulimit_bad("bogus=1", "unknown type 'bogus'");
    ulimit_bad("NOFILE=1", "unknown type 'NOFILE'");
    ulimit_bad("as=1", "unknown type 'as'");
    ulimit_bad("nofile=x", "invalid ulimit 'nofile=x': 'x' is not a number, -1 or unlimited");
    ulimit_bad("nofile=", "'' is not a number");
    ulimit_bad("nofile=1:", "'' is not a number");
    ulimit_bad("nofile=-2", "'-2' is not a number");
    ulimit_bad("nofile=1.5", "'1.5' is not a number");
    ulimit_bad("nofile=1:2:3", "too many values");
    ulimit_bad("nofile=2048:1024", "the soft limit must be less than or equal to the hard limit");
    ulimit_bad("nofile=-1:1024", "the soft limit must be less than or equal to the hard limit");
    ulimit_bad("host", "copying the host's limits is not supported");
}

static void
test_env(void)
{
    char path[PATH_MAX + 64];
    rl_error_t err = NULL;
    cleanup_strv char **env = NULL;

    is_int(rl_env_set(&env, "A=1"), 0, "env_set on an empty environment");
    is_int(rl_strv_len(env), 1, "one variable");
    is_int(rl_env_set(&env, "AB=2"), 0, "env_set AB");
    is_int(rl_env_set(&env, "A=3"), 0, "env_set A again");
    is_int(rl_strv_len(env), 2, "A replaced, not appended");
    is_str(env[0], "A=3", "A keeps its place with the new value");
    is_str(rl_env_get(env, "AB"), "2", "AB is not confused with A");
    is_int(rl_env_set(&env, "novalue"), -1, "env_set without '=' fails");
    is_int(rl_env_set(&env, "=x"), -1, "env_set with an empty name fails");
    is_int(rl_strv_len(env), 2, "failed sets change nothing");

    is_str(rl_env_get(env, "A"), "3", "env_get A");
    ok(rl_env_get(env, "B") == NULL, "env_get of a missing name is NULL");
    ok(rl_env_get(env, "A=") == NULL, "env_get does not match across '='");
    ok(rl_env_get(NULL, "A") == NULL, "env_get on NULL is NULL");

    setenv("RL_TEST_HOST", "from-host", 1);
    setenv("RL_TEST_PA", "pa", 1);
    setenv("RL_TEST_PB", "pb=b", 1);
    unsetenv("RL_TEST_UNSET");

    ok(rl_env_add_arg(&env, "K=V", &err) == 0, "-e K=V");
    is_str(rl_env_get(env, "K"), "V", "K set");
    ok(rl_env_add_arg(&env, "E=", &err) == 0, "-e E=");
    is_str(rl_env_get(env, "E"), "", "an empty value is kept");
    ok(rl_env_add_arg(&env, "Q=a=b", &err) == 0, "-e Q=a=b");
    is_str(rl_env_get(env, "Q"), "a=b", "the value runs to the end");
    ok(rl_env_add_arg(&env, "RL_TEST_HOST", &err) == 0, "-e RL_TEST_HOST");
    is_str(rl_env_get(env, "RL_TEST_HOST"), "from-host", "a bare name is copied from the host");
    ok(rl_env_add_arg(&env, "RL_TEST_UNSET", &err) == 0, "-e RL_TEST_UNSET");
    ok(rl_env_get(env, "RL_TEST_UNSET") == NULL, "a bare name not set on the host adds nothing");
    ok(rl_env_add_arg(&env, "RL_TEST_P*", &err) == 0, "-e RL_TEST_P*");
    ok(rl_env_get(env, "RL_TEST_PA") && rl_env_get(env, "RL_TEST_PB")
           && strcmp(rl_env_get(env, "RL_TEST_PB"), "pb=b") == 0,
       "every host variable with the prefix is copied");
    is_int(rl_strv_len(env), 8, "nothing else was copied");
    ok(rl_env_add_arg(&env, "", &err) < 0, "-e '' is refused");
    is_str(msg(&err), "invalid environment variable '': empty name", "-e '' message");
    ok(rl_env_add_arg(&env, "=V", &err) < 0, "-e =V is refused");
    is_str(msg(&err), "invalid environment variable '=V': empty name", "-e =V message");

    rl_strv_free(env);
    env = NULL;
    snprintf(path, sizeof(path), "%s/env", tmpdir);
    write_text(path, "# comment\n"
                     "   \n"
                     "\n"
                     "FOO=bar\n"
                     "  SPACED=  keep  spaces  \n"
                     "QUOTED=\"quoted\"\n"
                     "\t#indented comment\n"
                     "EMPTY=\n"
                     "RL_TEST_HOST\n"
                     "RL_TEST_UNSET\n"
                     "RL_TEST_P*\n"
                     "CRLF=yes\r\n"
                     "FOO=again\n"
                     "LAST=no-newline");
    ok(rl_env_file(&env, path, &err) == 0, "--env-file parses");
    if (err)
        printf("#   %s\n", msg(&err));
    is_str(rl_env_get(env, "FOO"), "again", "a later line replaces an earlier one");
    is_str(rl_env_get(env, "SPACED"), "  keep  spaces  ", "the value is kept verbatim");
    is_str(rl_env_get(env, "QUOTED"), "\"quoted\"", "quotes are not processed");
    is_str(rl_env_get(env, "EMPTY"), "", "an empty value");
    is_str(rl_env_get(env, "RL_TEST_HOST"), "from-host", "a bare name comes from the host");
    ok(rl_env_get(env, "RL_TEST_UNSET") == NULL, "an unset bare name adds nothing");
    is_str(rl_env_get(env, "RL_TEST_PA"), "pa", "prefix* copies from the host");
    is_str(rl_env_get(env, "CRLF"), "yes", "a CRLF line end is not part of the value");
    is_str(rl_env_get(env, "LAST"), "no-newline", "a last line without newline");
    is_int(rl_strv_len(env), 9, "nine variables, comments and blank lines skipped");

    write_text(path, "OK=1\nBAD KEY=2\n");
    ok(rl_env_file(&env, path, &err) < 0, "--env-file with white space in a name fails");
    like(msg(&err), ":2: name 'BAD KEY' contains white space", "the error names the line");
    ok(rl_env_get(env, "OK") == NULL, "a failed file changes nothing");
    write_text(path, "OK=1\n\n=x\n");
    ok(rl_env_file(&env, path, &err) < 0, "--env-file with an empty name fails");
    like(msg(&err), "/env:3: no name before '=' in '=x'", "the error names file and line");
    write_text(path, "TRAIL \n");
    ok(rl_env_file(&env, path, &err) < 0, "a bare name with trailing space fails");
    like(msg(&err), ":1: name 'TRAIL ' contains white space", "trailing white space message");
    {
        int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        ok(fd >= 0 && write(fd, "A=1\nB=\0x\n", 9) == 9 && close(fd) == 0, "write a NUL file");
    }
    ok(rl_env_file(&env, path, &err) < 0, "--env-file with a NUL byte fails");
    like(msg(&err), "holds a NUL byte", "NUL byte message");
    ok(rl_env_file(&env, tmp("/no-such-env"), &err) < 0, "a missing --env-file fails");
    like(msg(&err), "no-such-env': No such file or directory", "missing file message");
    ok(err == NULL && rl_env_get(env, "FOO"), "env intact after failures");
}

static void
size_is(const char *s, int64_t want)
{
    rl_error_t err = NULL;
    int64_t got = -42;

    ok(rl_parse_size(s, &got, &err) == 0 && got == want, "size '%s' is %lld", s, (long long)want);
    if (got != want)
        printf("#   got %lld (%s)\n", (long long)got, msg(&err));
}

static void
size_bad(const char *s, const char *want)
{
    rl_error_t err = NULL;
    int64_t got = -42;

    ok(rl_parse_size(s, &got, &err) < 0 && got == -42, "size '%s' is refused", s);
    like(msg(&err), want, "size '%s': %s", s, want);
}

static void
test_size(void)
{
    size_is("0", 0);
    size_is("1024", 1024);
    size_is("10b", 10);
    size_is("10B", 10);
    size_is("64k", 65536);
    size_is("64kb", 65536);
    size_is("64KiB", 65536);
    size_is("64K", 65536);
    size_is("256m", 268435456);
    size_is("256MB", 268435456);
    size_is("100 m", 104857600);
    size_is("1.5g", 1610612736);
    size_is("0.5k", 512);
    size_is("0.1k", 102);
    size_is("1t", 1LL << 40);
    size_is("1p", 1LL << 50);
    size_is("8191p", 8191LL << 50);
    size_is("9223372036854775807", INT64_MAX);
    size_is("1.0000000001g", 1LL << 30);

    size_bad("", "invalid size ''");
    size_bad("-1", "invalid size '-1'");
    size_bad("abc", "invalid size 'abc'");
    size_bad("1x", "invalid size '1x'");
    size_bad("1.", "invalid size '1.'");
    size_bad(".5", "invalid size '.5'");
    size_bad("1kk", "invalid size '1kk'");
    size_bad("1 ", "invalid size '1 '");
    size_bad(" 1", "invalid size ' 1'");
    size_bad("1e3", "invalid size '1e3'");
    size_bad("1.5.5g", "invalid size '1.5.5g'");
    size_bad("1ib", "invalid size '1ib'");
    size_bad("8192p", "invalid size '8192p': too large");
    size_bad("9223372036854775808", "too large");
    size_bad("99999999999999999999999", "too large");
}

static void
duration_is(const char *s, int64_t want)
{
    rl_error_t err = NULL;
    int64_t got = -42;

    ok(rl_parse_duration(s, &got, &err) == 0 && got == want, "duration '%s' is %lld ns", s,
       (long long)want);
    if (got != want)
        printf("#   got %lld (%s)\n", (long long)got, msg(&err));
}

static void
duration_bad(const char *s, const char *want)
{
    rl_error_t err = NULL;
    int64_t got = -42;

    ok(rl_parse_duration(s, &got, &err) < 0 && got == -42, "duration '%s' is refused", s);
    like(msg(&err), want, "duration '%s': %s", s, want);
}

static void
test_duration(void)
{
    const int64_t s = 1000000000LL;

    duration_is("0", 0);
    duration_is("-0", 0);
    duration_is("300ms", 300000000LL);
    duration_is("10s", 10 * s);
    duration_is("2h45m", (2 * 3600 + 45 * 60) * s);
    duration_is("1h30m", 5400 * s);
    duration_is("1.5h", 5400 * s);
    duration_is("-2s", -2 * s);
    duration_is("+5s", 5 * s);
    duration_is("1ns", 1);
    duration_is("1us", 1000);
    duration_is("1\xc2\xb5s", 1000);
    duration_is("1\xce\xbcs", 1000);
    duration_is(".5s", s / 2);
    duration_is("5.s", 5 * s);
    duration_is("1m0.5s", 60 * s + s / 2);
    duration_is("1h1m1s1ms1us1ns", 3661001001001LL);
    duration_is("2562047h", 2562047LL * 3600 * s);
    duration_is("-9223372036854775808ns", INT64_MIN);

    duration_bad("", "invalid duration ''");
    duration_bad("-", "invalid duration '-'");
    duration_bad("1", "invalid duration '1': missing unit");
    duration_bad("1.5", "missing unit");
    duration_bad("s", "invalid duration 's'");
    duration_bad(".s", "invalid duration '.s'");
    duration_bad("1x", "unknown unit 'x'");
    duration_bad("1h-1m", "unknown unit 'h-'");
    duration_bad("1 s", "unknown unit ' s'");
    duration_bad("2562048h", "too large");
    duration_bad("9223372036854775808ns", "too large");
    duration_bad("99999999999999999999s", "too large");
}

static void
test_cap(void)
{
    rl_error_t err = NULL;
    int cap = -42;

    ok(rl_parse_cap("NET_ADMIN", &cap, &err) == 0 && cap == CAP_NET_ADMIN, "NET_ADMIN");
    ok(rl_parse_cap("net_admin", &cap, &err) == 0 && cap == CAP_NET_ADMIN, "net_admin");
    ok(rl_parse_cap("CAP_NET_ADMIN", &cap, &err) == 0 && cap == CAP_NET_ADMIN, "CAP_NET_ADMIN");
    ok(rl_parse_cap("cap_sys_admin", &cap, &err) == 0 && cap == CAP_SYS_ADMIN, "cap_sys_admin");
    ok(rl_parse_cap("chown", &cap, &err) == 0 && cap == CAP_CHOWN, "chown is capability 0");
    ok(rl_parse_cap("all", &cap, &err) == 0 && cap == -1, "all is -1");
    cap = 0;
    ok(rl_parse_cap("ALL", &cap, &err) == 0 && cap == -1, "ALL is -1");
    cap = 0;
    ok(rl_parse_cap("All", &cap, &err) == 0 && cap == -1, "All is -1");
    cap = -42;
    ok(rl_parse_cap("NET_FOO", &cap, &err) < 0 && cap == -42, "NET_FOO is refused");
    is_str(msg(&err), "unknown capability 'NET_FOO'", "unknown capability message");
    ok(rl_parse_cap("", &cap, &err) < 0, "an empty name is refused");
    is_str(msg(&err), "unknown capability ''", "empty capability message");
    ok(rl_parse_cap("CAP_", &cap, &err) < 0 && rl_parse_cap("12", &cap, &err) < 0,
       "'CAP_' and numbers are refused");
    rl_error_release(&err);
}

static void
test_labels(void)
{
    char path[PATH_MAX + 64];
    rl_error_t err = NULL;
    json_t *labels = json_object();

    ok(rl_parse_label(labels, "a=b", &err) == 0, "-l a=b");
    is_str(json_string_value(json_object_get(labels, "a")), "b", "a is b");
    ok(rl_parse_label(labels, "flag", &err) == 0, "-l flag");
    is_str(json_string_value(json_object_get(labels, "flag")), "",
           "a bare name has an empty value");
    ok(rl_parse_label(labels, "k=v=w", &err) == 0, "-l k=v=w");
    is_str(json_string_value(json_object_get(labels, "k")), "v=w", "the value runs to the end");
    ok(rl_parse_label(labels, "a=c", &err) == 0, "-l a=c");
    is_str(json_string_value(json_object_get(labels, "a")), "c", "a later label replaces");
    ok(rl_parse_label(labels, "=x", &err) < 0, "-l =x is refused");
    is_str(msg(&err), "invalid label '=x': empty name", "empty name message");
    ok(rl_parse_label(labels, "", &err) < 0, "-l '' is refused");
    rl_error_release(&err);
    ok(rl_parse_label(labels, "k=\xff", &err) < 0, "a value that is not UTF-8 is refused");
    like(msg(&err), "not UTF-8", "UTF-8 message");
    is_int(json_object_size(labels), 3, "three labels");

    snprintf(path, sizeof(path), "%s/labels", tmpdir);
    write_text(path, "# labels\n\nx=1\n  y=2\r\nz\n");
    ok(rl_label_file(labels, path, &err) == 0, "--label-file parses");
    is_str(json_string_value(json_object_get(labels, "x")), "1", "x=1");
    is_str(json_string_value(json_object_get(labels, "y")), "2", "leading space and CR dropped");
    is_str(json_string_value(json_object_get(labels, "z")), "", "bare z is empty");
    is_int(json_object_size(labels), 6, "six labels");
    write_text(path, "ok=1\nbad key=2\n");
    ok(rl_label_file(labels, path, &err) < 0, "--label-file with a bad name fails");
    like(msg(&err), "labels:2: name 'bad key' contains white space", "the error names the line");
    ok(json_object_get(labels, "ok") == NULL, "a failed file changes nothing");
    json_decref(labels);
}

static void
secopt_bad(struct rl_secopts *s, const char *arg, const char *want)
{
    rl_error_t err = NULL;
    size_t n_mask = rl_strv_len(s->mask), n_unmask = rl_strv_len(s->unmask);

    ok(rl_parse_security_opt(s, arg, &err) < 0 && rl_strv_len(s->mask) == n_mask
           && rl_strv_len(s->unmask) == n_unmask,
       "--security-opt '%s' is refused and changes nothing", arg);
    like(msg(&err), want, "--security-opt '%s': %s", arg, want);
}

static void
test_security_opt(void)
{
    struct rl_secopts s = { .no_new_privs = -1 };
    rl_error_t err = NULL;

    ok(rl_parse_security_opt(&s, "seccomp=unconfined", &err) == 0 && s.seccomp_unconfined
           && s.seccomp_file == NULL,
       "seccomp=unconfined");
    ok(rl_parse_security_opt(&s, "seccomp=/p.json", &err) == 0 && !s.seccomp_unconfined,
       "seccomp=FILE");
    is_str(s.seccomp_file, "/p.json", "the profile path");
    ok(rl_parse_security_opt(&s, "seccomp=unconfined", &err) == 0 && s.seccomp_file == NULL,
       "the last seccomp= wins");
    is_int(s.no_new_privs, -1, "no_new_privs unset so far");
    ok(rl_parse_security_opt(&s, "no-new-privileges", &err) == 0 && s.no_new_privs == 1,
       "no-new-privileges");
    ok(rl_parse_security_opt(&s, "no-new-privileges=false", &err) == 0 && s.no_new_privs == 0,
       "no-new-privileges=false");
    ok(rl_parse_security_opt(&s, "no-new-privileges=true", &err) == 0 && s.no_new_privs == 1,
       "no-new-privileges=true");
    ok(rl_parse_security_opt(&s, "label=disable", &err) == 0, "label=disable is accepted");
    ok(rl_parse_security_opt(&s, "label=type:foo_t", &err) == 0, "label=type: is accepted");
    ok(rl_parse_security_opt(&s, "apparmor=unconfined", &err) == 0, "apparmor=unconfined");
    ok(rl_parse_security_opt(&s, "mask=/a:/b", &err) == 0, "mask=/a:/b");
    is_str(joined(s.mask), "/a,/b", "two masked paths");
    ok(rl_parse_security_opt(&s, "mask=/c", &err) == 0, "mask=/c");
    is_str(joined(s.mask), "/a,/b,/c", "mask= accumulates");
    ok(rl_parse_security_opt(&s, "unmask=/proc/kcore:/proc/keys", &err) == 0 && !s.unmask_all,
       "unmask=/proc/kcore:/proc/keys");
    is_str(joined(s.unmask), "/proc/kcore,/proc/keys", "two unmasked paths");
    ok(rl_parse_security_opt(&s, "unmask=ALL", &err) == 0 && s.unmask_all, "unmask=ALL");
    ok(err == NULL, "no error left behind by the good ones");

    secopt_bad(&s, "no-new-privileges=maybe", "invalid --security-opt 'no-new-privileges=maybe'");
    secopt_bad(&s, "seccomp=", "use seccomp=unconfined or seccomp=PROFILE.json");
    secopt_bad(&s, "seccomp", "invalid --security-opt 'seccomp'");
    secopt_bad(&s, "apparmor=docker-default", "AppArmor profiles are not supported");
    secopt_bad(&s, "mask=rel", "'rel' is not an absolute path");
    secopt_bad(&s, "mask=/a:", "'' is not an absolute path");
    secopt_bad(&s, "mask=ALL", "'ALL' is not an absolute path");
    secopt_bad(&s, "unmask=/x:rel", "'rel' is not an absolute path or ALL");
    secopt_bad(&s, "proc-opts=hidepid=2", "proc-opts is not supported");
    secopt_bad(&s, "bogus=1", "invalid --security-opt 'bogus=1'");
    secopt_bad(&s, "label", "invalid --security-opt 'label'");
    secopt_bad(&s, "", "invalid --security-opt ''");

    rl_secopts_release(&s);
    ok(s.mask == NULL && s.seccomp_file == NULL && s.no_new_privs == -1,
       "release empties the options");
}

/* --memory, --cpus, ... into podman's HostConfig names; the limits together. */
static void
test_resources(void)
{
    static const struct {
        const char *name, *arg, *key;
        long long want; /* the number kept, or -99 for the string ARG itself */
    } good[] = {
        { "memory", "256m", "Memory", 268435456LL },
        { "memory", "1.5g", "Memory", 1610612736LL },
        { "memory-swap", "-1", "MemorySwap", -1 },
        { "memory-swap", "1g", "MemorySwap", 1073741824LL },
        { "memory-reservation", "64m", "MemoryReservation", 67108864LL },
        { "cpus", "1.5", "NanoCpus", 1500000000LL },
        { "cpus", "0.01", "NanoCpus", 10000000LL },
        { "cpu-shares", "512", "CpuShares", 512 },
        { "cpu-weight", "100", "CpuWeight", 100 },
        { "cpu-period", "50000", "CpuPeriod", 50000 },
        { "cpu-quota", "25000", "CpuQuota", 25000 },
        { "cpuset-cpus", "0-2,4", "CpusetCpus", -99 },
        { "cpuset-mems", "0", "CpusetMems", -99 },
        { "pids-limit", "100", "PidsLimit", 100 },
        { "pids-limit", "-1", "PidsLimit", 0 },
        { "pids-limit", "0", "PidsLimit", 0 },
        { "blkio-weight", "300", "BlkioWeight", 300 },
    };
    static const struct {
        const char *name, *arg, *want;
    } bad[] = {
        { "memory", "1m", "minimum memory limit is 6MB" },
        { "memory", "abc", "--memory" },
        { "memory", "0", "positive size" },
        { "memory-swap", "-2", "--memory-swap" },
        { "cpus", "0", "not a number of CPUs" },
        { "cpus", "-1", "not a number of CPUs" },
        { "cpus", "abc", "not a number of CPUs" },
        { "cpus", "2000", "not a number of CPUs" },
        { "cpu-shares", "1", "2 to 262144" },
        { "cpu-weight", "10001", "1 to 10000" },
        { "cpu-period", "999", "1000 to 1000000" },
        { "cpu-quota", "10", "at least 1000" },
        { "cpuset-cpus", "3-1", "--cpuset-cpus" },
        { "cpuset-mems", "a", "--cpuset-mems" },
        { "cpuset-cpus", "", "--cpuset-cpus" },
        { "pids-limit", "-2", "--pids-limit" },
        { "pids-limit", "x", "--pids-limit" },
        { "blkio-weight", "5", "10 to 1000" },
        { "blkio-weight", "1001", "10 to 1000" },
        { "nosuch", "1", "not a resource limit" },
    };
    static const struct {
        const char *json, *want; /* WANT NULL: accepted */
    } together[] = {
        { "{\"Memory\": 67108864, \"MemorySwap\": 134217728}", NULL },
        { "{\"Memory\": 67108864, \"MemorySwap\": -1}", NULL },
        { "{\"MemorySwap\": -1}", NULL },
        { "{\"MemorySwap\": 134217728}", "needs --memory" },
        { "{\"Memory\": 67108864, \"MemorySwap\": 33554432}", "at least --memory" },
        { "{\"Memory\": 67108864, \"MemoryReservation\": 134217728}", "at most --memory" },
        { "{\"NanoCpus\": 1000000000, \"CpuQuota\": 50000}", "cannot be set together" },
        { "{\"NanoCpus\": 1000000000, \"CpuPeriod\": 50000}", "cannot be set together" },
        { "{\"CpuShares\": 512, \"CpuWeight\": 10}", "cannot be set together" },
        { "{\"CpuQuota\": 50000, \"CpuPeriod\": 100000}", NULL },
    };

    for (size_t i = 0; i < RL_ARRAY_SIZE(good); i++) {
        rl_error_t err = NULL;
        json_t *res = json_object();
        json_t *v;
        ok(rl_parse_resource(res, good[i].name, good[i].arg, &err) == 0, "--%s %s: %s",
           good[i].name, good[i].arg, msg(&err));
        v = json_object_get(res, good[i].key);
        if (good[i].want == -99)
            is_str(json_string_value(v), good[i].arg, "--%s %s: %s", good[i].name, good[i].arg,
                   good[i].key);
        else
            is_int(json_integer_value(v), good[i].want, "--%s %s: %s", good[i].name, good[i].arg,
                   good[i].key);
        json_decref(res);
    }
    for (size_t i = 0; i < RL_ARRAY_SIZE(bad); i++) {
        rl_error_t err = NULL;
        json_t *res = json_object();
        ok(rl_parse_resource(res, bad[i].name, bad[i].arg, &err) < 0, "--%s '%s' is refused",
           bad[i].name, bad[i].arg);
        ok(json_object_size(res) == 0, "--%s '%s': nothing kept", bad[i].name, bad[i].arg);
        like(msg(&err), bad[i].want, "--%s '%s': the message", bad[i].name, bad[i].arg);
        json_decref(res);
    }
    for (size_t i = 0; i < RL_ARRAY_SIZE(together); i++) {
        rl_error_t err = NULL;
        json_t *res = json_loads(together[i].json, 0, NULL);
        int r = rl_resources_check(res, &err);
        if (together[i].want) {
            ok(r < 0, "%s is refused", together[i].json);
            like(msg(&err), together[i].want, "%s: the message", together[i].json);
        } else {
            ok(r == 0, "%s is accepted: %s", together[i].json, msg(&err));
        }
        json_decref(res);
    }
}

int
main(void)
{
    char pattern[] = "/tmp/rl-test-opts.XXXXXX";
    rl_error_t err = NULL;

    if (mkdtemp(pattern) == NULL || realpath(pattern, tmpdir) == NULL || chdir(tmpdir) < 0
        || mkdir("data", 0755) < 0) {
        printf("Bail out! cannot make a scratch directory\n");
        return 1;
    }
    test_volume();
    test_mount();
    test_tmpfs();
    test_ulimit();
    test_env();
    test_size();
    test_duration();
    test_cap();
    test_labels();
    test_security_opt();
    test_resources();
    if (chdir("/") < 0 || rl_rm_rf(tmpdir, &err) < 0)
        printf("# cleanup failed: %s\n", msg(&err));
    done_testing();
}
