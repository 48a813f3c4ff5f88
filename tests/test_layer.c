#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs.h"
#include "layer.h"
#include "tap.h"

static char base[] = "/tmp/rl-test-layer-XXXXXX";
/* The directory of the last extraction, as an fd and a path. */
static int root = -1;
static char *root_path;
static int n_roots;
static bool user_xattrs;

/* One tar entry. MODE holds the type and permissions (0: a regular file, 0644). */
struct ent {
    const char *name;
    mode_t mode;
    const char *data; /* a file's content, or a symlink's target */
    const char *link; /* a hardlink's target */
    long uid, gid;
    time_t mtime;
    long nsec;
    dev_t rdev;
    const char *xattr, *xvalue;
};

struct tar {
    struct archive *a;
    int fd;
};

enum { TAR_PAX = 0, TAR_GNU = 1, TAR_GZIP = 2 };

static void
tar_begin(struct tar *t, int flags)
{
    t->fd = memfd_create("layer.tar", MFD_CLOEXEC);
    t->a = archive_write_new();
    if (t->fd < 0 || t->a == NULL) {
        printf("Bail out! memfd_create or archive_write_new failed\n");
        exit(1);
    }
    if (flags & TAR_GNU)
        archive_write_set_format_gnutar(t->a);
    else
        archive_write_set_format_pax(t->a);
    if (flags & TAR_GZIP)
        archive_write_add_filter_gzip(t->a);
    if (archive_write_open_fd(t->a, t->fd) != ARCHIVE_OK) {
        printf("Bail out! archive_write_open_fd: %s\n", archive_error_string(t->a));
        exit(1);
    }
}

static void
tar_add(struct tar *t, const struct ent *e)
{
    struct archive_entry *ae = archive_entry_new();
    mode_t mode = e->mode ? e->mode : (S_IFREG | 0644);
    size_t len;

    if ((mode & S_IFMT) == 0)
        mode |= S_IFREG;
    len = e->data && S_ISREG(mode) && !e->link ? strlen(e->data) : 0;
    archive_entry_set_pathname(ae, e->name);
    archive_entry_set_mode(ae, mode);
    archive_entry_set_uid(ae, e->uid);
    archive_entry_set_gid(ae, e->gid);
    archive_entry_set_mtime(ae, e->mtime ? e->mtime : 1000000000, e->nsec);
    if (e->link) {
        archive_entry_set_hardlink(ae, e->link);
        archive_entry_set_size(ae, 0);
    } else if (S_ISLNK(mode)) {
        archive_entry_set_symlink(ae, e->data);
    } else if (S_ISCHR(mode) || S_ISBLK(mode)) {
        archive_entry_set_rdev(ae, e->rdev);
    }
    if (S_ISREG(mode))
        archive_entry_set_size(ae, (la_int64_t)len);
    if (e->xattr)
        archive_entry_xattr_add_entry(ae, e->xattr, e->xvalue, strlen(e->xvalue));
    if (archive_write_header(t->a, ae) < ARCHIVE_WARN) {
        printf("Bail out! archive_write_header '%s': %s\n", e->name, archive_error_string(t->a));
        exit(1);
    }
    if (len && archive_write_data(t->a, e->data, len) != (la_ssize_t)len) {
        printf("Bail out! archive_write_data '%s': %s\n", e->name, archive_error_string(t->a));
        exit(1);
    }
    archive_entry_free(ae);
}

#define ADD(t, n, ...) tar_add(t, &(struct ent){ .name = (n), __VA_ARGS__ })

/* Finish the archive; returns its fd, at offset 0. */
static int
tar_end(struct tar *t)
{
    if (archive_write_close(t->a) != ARCHIVE_OK) {
        printf("Bail out! archive_write_close: %s\n", archive_error_string(t->a));
        exit(1);
    }
    archive_write_free(t->a);
    t->a = NULL;
    (void)lseek(t->fd, 0, SEEK_SET);
    return t->fd;
}

/* Extract the archive FD (closed afterwards) into a fresh directory, which becomes ROOT. */
static int
extract_opts(int fd, const struct rl_layer_opts *opts, struct rl_layer_stats *stats,
             rl_error_t *err)
{
    int r;

    if (root >= 0)
        close(root);
    free(root_path);
    root_path = xasprintf("%s/%d", base, ++n_roots);
    if (mkdir(root_path, 0755) < 0
        || (root = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        printf("Bail out! '%s': %s\n", root_path, strerror(errno));
        exit(1);
    }
    r = rl_layer_extract_fd(root, fd, opts, stats, err);
    close(fd);
    return r;
}

static int
extract(int fd, struct rl_layer_stats *stats, rl_error_t *err)
{
    struct rl_layer_opts opts = { .whiteouts = true };
    return extract_opts(fd, &opts, stats, err);
}

/* Extract FD and report whether it worked. */
static bool
extract_ok(int fd, struct rl_layer_stats *stats, const char *what)
{
    cleanup_error rl_error_t err = NULL;
    int r = extract(fd, stats, &err);

    ok(r == 0, "%s: extracts", what);
    if (err)
        printf("#   %s\n", err->msg);
    return r == 0;
}

/* Extract FD, which must fail with a message containing WANT. */
static void
extract_fails(int fd, const char *want, const char *what)
{
    cleanup_error rl_error_t err = NULL;
    struct rl_layer_stats stats;
    int r = extract(fd, &stats, &err);

    ok(r < 0 && err != NULL, "%s: fails", what);
    ok(err && strstr(err->msg, want), "%s: the error says '%s'", what, want);
    if (err)
        printf("#   %s\n", err->msg);
}

static bool
lst(const char *rel, struct stat *st)
{
    return fstatat(root, rel, st, AT_SYMLINK_NOFOLLOW) == 0;
}

static bool
exists(const char *rel)
{
    struct stat st;
    return lst(rel, &st);
}

static mode_t
type_of(const char *rel)
{
    struct stat st;
    return lst(rel, &st) ? st.st_mode & S_IFMT : 0;
}

static int
perm_of(const char *rel)
{
    struct stat st;
    return lst(rel, &st) ? (int)(st.st_mode & 07777) : -1;
}

static char *
content(const char *rel)
{
    cleanup_error rl_error_t err = NULL;
    cleanup_close int fd = openat(root, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char *buf = NULL;

    if (fd < 0 || rl_read_all_fd(fd, 1 << 24, &buf, NULL, &err) < 0)
        return NULL;
    return buf;
}

static char *
link_of(const char *rel)
{
    char buf[4096];
    ssize_t n = readlinkat(root, rel, buf, sizeof(buf) - 1);

    if (n < 0)
        return NULL;
    buf[n] = '\0';
    return xstrdup(buf);
}

/* The value of xattr NAME of REL (not following symlinks), or NULL. */
static char *
xattr_of(const char *rel, const char *name)
{
    cleanup_free char *path = xasprintf("%s/%s", root_path, rel);
    char buf[256];
    ssize_t n = lgetxattr(path, name, buf, sizeof(buf) - 1);

    if (n < 0)
        return NULL;
    buf[n] = '\0';
    return xstrdup(buf);
}

static void
content_is(const char *rel, const char *want)
{
    cleanup_free char *got = content(rel);
    is_str(got, want, "'%s' has the expected content", rel);
}

static void
link_is(const char *rel, const char *want)
{
    cleanup_free char *got = link_of(rel);
    ok(type_of(rel) == S_IFLNK, "'%s' is a symlink", rel);
    is_str(got, want, "'%s' points to '%s'", rel, want);
}

static void
test_clean_path(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "./a//b/./c", "a/b/c" },
        { "/abs", "abs" },
        { "///abs//x/", "abs/x" },
        { ".", "" },
        { "./", "" },
        { "/", "" },
        { "", "" },
        { "a", "a" },
        { "a/", "a" },
        { ".a/..b/...", ".a/..b/..." },
        { ".wh..wh..opq", ".wh..wh..opq" },
        { "a/../b", NULL },
        { "..", NULL },
        { "a/..", NULL },
        { "../a", NULL },
        { "/../a", NULL },
        { "a/./../b", NULL },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cleanup_free char *got = rl_layer_clean_path(cases[i].in);
        is_str(got, cases[i].out, "rl_layer_clean_path('%s')", cases[i].in);
    }
}

static void
test_basic(void)
{
    struct tar t;
    struct rl_layer_stats stats;
    struct stat st;
    const char *passwd = "root:x:0:0::/root:/bin/sh\n";
    const char *sh = "#!/bin/true\n";

    tar_begin(&t, TAR_PAX);
    ADD(&t, "./", S_IFDIR | 0751, .mtime = 1111111111);
    ADD(&t, "etc/", S_IFDIR | 0755, .mtime = 1500000000);
    ADD(&t, "etc/passwd", 0644, passwd, .mtime = 1600000000, .nsec = 123456789);
    ADD(&t, "etc/shadow", S_IFREG | 0000, "secret");
    ADD(&t, "bin/", S_IFDIR | 0700);
    ADD(&t, "bin/sh", 0755, sh);
    ADD(&t, "bin/su", 04755, "su");
    ADD(&t, "bin/sg", 02711, "sg");
    ADD(&t, "tmp/", S_IFDIR | 01777);
    ADD(&t, "empty", 0600);
    ADD(&t, "lib", S_IFLNK | 0777, "usr/lib", .mtime = 1234567890);
    ADD(&t, "abs", S_IFLNK | 0777, "/etc/passwd");
    ADD(&t, "host", S_IFLNK | 0777, "/");
    ADD(&t, "p", S_IFIFO | 0640, .mtime = 1300000000);
    ADD(&t, "dev/null", S_IFCHR | 0666, .rdev = makedev(1, 3));
    ADD(&t, "dev/sda", S_IFBLK | 0660, .rdev = makedev(8, 0));
    ADD(&t, "deep/er/still/file", 0644, "deep");
    if (!extract_ok(tar_end(&t), &stats, "a basic layer"))
        return;

    is_int(stats.entries, 17, "stats: 17 entries");
    is_int(stats.bytes, strlen(passwd) + strlen("secret") + strlen(sh) + 2 + 2 + 4,
           "stats: bytes of file data");
    is_int(stats.devices_skipped, 2, "stats: two devices skipped");
    is_int(stats.xattrs_skipped, 0, "stats: no xattrs skipped");

    ok(lst(".", &st) && (st.st_mode & 07777) == 0751, "the root entry sets the root's mode");
    is_int(st.st_mtime, 1111111111, "the root entry sets the root's mtime");
    is_int(type_of("etc"), S_IFDIR, "etc is a directory");
    is_int(perm_of("etc"), 0755, "etc is 0755");
    content_is("etc/passwd", passwd);
    is_int(perm_of("etc/passwd"), 0644, "etc/passwd is 0644");
    ok(lst("etc/passwd", &st) && st.st_mtime == 1600000000, "a file keeps its mtime");
    is_int(st.st_mtim.tv_nsec, 123456789, "and its nanoseconds");
    is_int(st.st_nlink, 1, "one link");
    ok(lst("etc", &st) && st.st_mtime == 1500000000,
       "a directory keeps its mtime, though files were written into it later");
    is_int(perm_of("etc/shadow"), 0, "mode 0000 is kept");
    if (geteuid() == 0)
        content_is("etc/shadow", "secret");
    else
        skip("reading a mode 0000 file needs root");
    is_int(perm_of("bin"), 0700, "bin is 0700");
    is_int(perm_of("bin/sh"), 0755, "bin/sh is 0755");
    content_is("bin/sh", sh);
    is_int(perm_of("bin/su"), 04755, "setuid is kept");
    is_int(perm_of("bin/sg"), 02711, "setgid is kept");
    is_int(perm_of("tmp"), 01777, "the sticky bit is kept");
    is_int(type_of("empty"), S_IFREG, "an empty file");
    ok(lst("empty", &st) && st.st_size == 0, "of size 0");
    link_is("lib", "usr/lib");
    ok(!exists("usr"), "a relative symlink's target is not created");
    ok(lst("lib", &st) && st.st_mtime == 1234567890, "a symlink keeps its mtime");
    link_is("abs", "/etc/passwd");
    link_is("host", "/");
    is_int(type_of("p"), S_IFIFO, "a fifo is created");
    is_int(perm_of("p"), 0640, "with its mode");
    ok(lst("p", &st) && st.st_mtime == 1300000000, "and its mtime");
    ok(!exists("dev/null") && !exists("dev/sda"), "device nodes are not created");
    is_int(type_of("dev"), S_IFDIR, "their parent is");
    content_is("deep/er/still/file", "deep");
    is_int(perm_of("deep/er"), 0755, "implicit parents are 0755");
}

static void
test_owners(void)
{
    struct tar t;
    struct rl_layer_stats stats;
    struct rl_layer_opts opts = { .whiteouts = true };
    cleanup_error rl_error_t err = NULL;
    struct stat st;
    int fd;

    if (geteuid() != 0) {
        skip("owners: chown needs root");
        return;
    }
    for (int single = 0; single <= 1; single++) {
        uid_t u1000 = single ? geteuid() : 1000, u65534 = single ? geteuid() : 65534;
        gid_t g1000 = single ? getegid() : 1000, g1001 = single ? getegid() : 1001,
              g65534 = single ? getegid() : 65534;
        const char *how = single ? "single_id" : "all ids";

        tar_begin(&t, TAR_PAX);
        ADD(&t, "root", 0644, "r");
        ADD(&t, "u1000", 0644, "x", .uid = 1000, .gid = 1000);
        ADD(&t, "u65534", 0600, "x", .uid = 65534, .gid = 65534);
        ADD(&t, "d1000/", S_IFDIR | 0750, .uid = 1000, .gid = 1001);
        ADD(&t, "d1000/s", S_IFLNK | 0777, "target", .uid = 1000, .gid = 1000);
        ADD(&t, "su1000", 04755, "su", .uid = 1000, .gid = 1000);
        ADD(&t, "sg65534", 02755, "sg", .uid = 0, .gid = 65534);
        ADD(&t, "fifo", S_IFIFO | 0600, .uid = 65534, .gid = 65534);
        fd = tar_end(&t);
        opts.single_id = single;
        ok(extract_opts(fd, &opts, &stats, &err) == 0, "%s: extracts", how);
        if (err) {
            printf("#   %s\n", err->msg);
            rl_error_release(&err);
            continue;
        }
        is_int(stats.owners_collapsed, single ? 7 : 0, "%s: owners collapsed", how);
        ok(lst("root", &st) && st.st_uid == 0 && st.st_gid == 0, "%s: root's file is 0:0", how);
        ok(lst("u1000", &st) && st.st_uid == u1000 && st.st_gid == g1000, "%s: u1000 is %d:%d", how,
           (int)u1000, (int)g1000);
        ok(lst("u65534", &st) && st.st_uid == u65534 && st.st_gid == g65534, "%s: u65534 is %d:%d",
           how, (int)u65534, (int)g65534);
        ok(lst("d1000", &st) && st.st_uid == u1000 && st.st_gid == g1001,
           "%s: the directory is %d:%d", how, (int)u1000, (int)g1001);
        ok(lst("d1000/s", &st) && S_ISLNK(st.st_mode) && st.st_uid == u1000 && st.st_gid == g1000,
           "%s: the symlink itself is %d:%d", how, (int)u1000, (int)g1000);
        ok(!exists("target"), "%s: the symlink was not followed", how);
        ok(lst("su1000", &st) && st.st_uid == u1000 && (st.st_mode & 07777) == 04755,
           "%s: a setuid file keeps 04755 after the chown", how);
        ok(lst("sg65534", &st) && st.st_gid == g65534 && (st.st_mode & 07777) == 02755,
           "%s: a setgid file keeps 02755 after the chown", how);
        ok(lst("fifo", &st) && S_ISFIFO(st.st_mode) && st.st_uid == u65534, "%s: the fifo's owner",
           how);
    }
}

static void
test_hardlinks(void)
{
    struct tar t;
    struct rl_layer_stats stats;
    struct stat a, b;

    tar_begin(&t, TAR_PAX);
    ADD(&t, "a", 0640, "AAA");
    ADD(&t, "hl", .link = "a");
    ADD(&t, "sub/hl2", .link = "/a");
    ADD(&t, "./hl3", .link = "./a");
    ADD(&t, "s", S_IFLNK | 0777, "/etc/passwd");
    ADD(&t, "hs", .link = "s");
    ADD(&t, "old", 0644, "old");
    ADD(&t, "old", .link = "a"); /* replaces the file */
    if (extract_ok(tar_end(&t), &stats, "hardlinks")) {
        ok(lst("a", &a) && lst("hl", &b) && a.st_ino == b.st_ino, "hl is the same inode as a");
        ok(lst("sub/hl2", &b) && a.st_ino == b.st_ino,
           "a target with a leading '/' resolves inside");
        ok(lst("hl3", &b) && a.st_ino == b.st_ino, "./ in names and targets");
        ok(lst("old", &b) && a.st_ino == b.st_ino, "a hardlink replaces an earlier file");
        is_int(a.st_nlink, 5, "five links");
        content_is("hl", "AAA");
        ok(lst("s", &a) && lst("hs", &b) && S_ISLNK(b.st_mode) && a.st_ino == b.st_ino,
           "a hardlink to a symlink links the symlink, not its target");
        is_int(stats.bytes, 6, "hardlinks add no data");
    }

    tar_begin(&t, TAR_PAX);
    ADD(&t, "h", .link = "missing");
    extract_fails(tar_end(&t), "no such file in this layer", "a hardlink to a missing target");
    ok(!exists("h"), "the hardlink is not created");

    tar_begin(&t, TAR_PAX);
    ADD(&t, "d/", S_IFDIR | 0755);
    ADD(&t, "h", .link = "d");
    extract_fails(tar_end(&t), "directory", "a hardlink to a directory");

    tar_begin(&t, TAR_PAX);
    ADD(&t, "a", 0644, "a");
    ADD(&t, "h", .link = "../a");
    extract_fails(tar_end(&t), "leaves the layer", "a hardlink to '../a'");

    tar_begin(&t, TAR_PAX);
    ADD(&t, "a", 0644, "a");
    ADD(&t, "h", .link = "x/../a");
    extract_fails(tar_end(&t), "leaves the layer", "a hardlink to 'x/../a'");

    tar_begin(&t, TAR_PAX);
    ADD(&t, "h", .link = "/");
    extract_fails(tar_end(&t), "leaves the layer", "a hardlink to the root");

    /* /etc/passwd exists on the host, but not in this layer: no link to it. */
    tar_begin(&t, TAR_PAX);
    ADD(&t, "hostetc", S_IFLNK | 0777, "/etc");
    ADD(&t, "h", .link = "hostetc/passwd");
    extract_fails(tar_end(&t), "no such file in this layer",
                  "a hardlink through a symlink to the host's /etc/passwd");
    ok(!exists("h"), "nothing links to the host's file");

    tar_begin(&t, TAR_PAX);
    ADD(&t, "up", S_IFLNK | 0777, "../../../../../../../../../etc");
    ADD(&t, "h", .link = "up/passwd");
    extract_fails(tar_end(&t), "no such file in this layer",
                  "a hardlink through a climbing symlink");

    tar_begin(&t, TAR_PAX);
    ADD(&t, "etc/passwd", 0644, "layer's");
    ADD(&t, "hostetc", S_IFLNK | 0777, "/etc");
    ADD(&t, "h", .link = "hostetc/passwd");
    if (extract_ok(tar_end(&t), &stats, "a hardlink through a symlink inside the layer")) {
        ok(lst("etc/passwd", &a) && lst("h", &b) && a.st_ino == b.st_ino,
           "it links the layer's etc/passwd");
        content_is("h", "layer's");
    }
}

static void
test_whiteouts(void)
{
    struct tar t;
    struct rl_layer_stats stats;
    struct rl_layer_opts plain = { .whiteouts = false };
    cleanup_error rl_error_t err = NULL;
    struct stat st;
    cleanup_free char *opq = NULL, *opq2 = NULL, *opq3 = NULL, *opq_root = NULL, *no_opq = NULL,
                      *no_opq2 = NULL;
    cleanup_free char *victim = xasprintf("%s/victim", base);
    cleanup_free char *victim_keep = xasprintf("%s/victim/keep", base);
    int fd;

    if (geteuid() != 0) {
        skip("whiteouts: mknod of 0:0 may need root");
        return;
    }
    if (!user_xattrs) {
        skip("whiteouts: %s has no user xattrs", base);
        return;
    }
    if (mkdir(victim, 0755) < 0
        || (fd = open(victim_keep, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        printf("Bail out! '%s': %s\n", victim_keep, strerror(errno));
        exit(1);
    }
    close(fd);
    tar_begin(&t, TAR_PAX);
    ADD(&t, "dir/", S_IFDIR | 0755, .mtime = 1400000000);
    ADD(&t, "dir/old", 0644, "old");
    ADD(&t, "dir/keep", 0644, "keep");
    ADD(&t, "dir/.wh.old");
    ADD(&t, ".wh.never");
    ADD(&t, "tree/a/b/c", 0644, "c");
    ADD(&t, "tree/l", S_IFLNK | 0777, victim);
    ADD(&t, "tree/rel", S_IFLNK | 0777, "../../victim");
    ADD(&t, ".wh.tree");
    ADD(&t, "opq/", S_IFDIR | 0755);
    ADD(&t, "opq/f", 0644, "f");
    ADD(&t, "opq/.wh..wh..opq");
    ADD(&t, "opq2/.wh..wh..opq");
    ADD(&t, "opq3/.wh..wh..opq");
    ADD(&t, "opq3/", S_IFDIR | 0700); /* the directory entry after the marker */
    ADD(&t, ".wh..wh.plnk");
    ADD(&t, "again");
    ADD(&t, ".wh.again");
    ADD(&t, ".wh.back");
    ADD(&t, "back", 0644, "back");
    if (extract_ok(tar_end(&t), &stats, "whiteouts")) {
        ok(lst("dir/old", &st) && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
           ".wh.old replaces dir/old by a char device 0:0");
        ok(!exists("dir/.wh.old"), "no .wh.old is left");
        content_is("dir/keep", "keep");
        ok(lst("dir", &st) && st.st_mtime == 1400000000, "the whiteout's parent keeps its mtime");
        ok(lst("never", &st) && S_ISCHR(st.st_mode) && st.st_rdev == 0,
           "a whiteout for a name not in this layer is a 0:0 device too");
        ok(lst("tree", &st) && S_ISCHR(st.st_mode) && st.st_rdev == 0,
           "a whiteout removes a whole directory tree");
        ok(lstat(victim_keep, &st) == 0, "removing it does not follow its symlinks");
        opq = xattr_of("opq", RL_OVERLAY_OPAQUE_XATTR);
        is_str(opq, "y", "opq/.wh..wh..opq: user.overlay.opaque=y on opq");
        content_is("opq/f", "f");
        ok(!exists("opq/.wh..wh..opq"), "no opaque marker file");
        opq2 = xattr_of("opq2", RL_OVERLAY_OPAQUE_XATTR);
        is_str(opq2, "y", "an opaque marker without a directory entry");
        opq3 = xattr_of("opq3", RL_OVERLAY_OPAQUE_XATTR);
        is_str(opq3, "y", "a directory entry after the marker keeps it opaque");
        is_int(perm_of("opq3"), 0700, "and sets the mode");
        ok(!exists(".wh..wh.plnk") && !exists(".wh.plnk") && !exists("plnk"),
           "aufs metadata (.wh..wh.plnk) is ignored");
        ok(lst("again", &st) && S_ISCHR(st.st_mode), "a file then its whiteout");
        ok(lst("back", &st) && S_ISREG(st.st_mode), "a whiteout then a file");
        content_is("back", "back");
        is_int(stats.entries, 20, "whiteouts are counted as entries");
    }

    tar_begin(&t, TAR_PAX);
    ADD(&t, ".wh..wh..opq");
    ADD(&t, "f", 0644, "f");
    if (extract_ok(tar_end(&t), &stats, "an opaque marker at the root")) {
        opq_root = xattr_of(".", RL_OVERLAY_OPAQUE_XATTR);
        is_str(opq_root, "y", "the root is marked opaque");
    }

    tar_begin(&t, TAR_PAX);
    ADD(&t, "old", 0644, "old");
    ADD(&t, ".wh.old", 0644, "plain");
    ADD(&t, "d/.wh..wh..opq", 0600, "marker");
    fd = tar_end(&t);
    ok(extract_opts(fd, &plain, &stats, &err) == 0, "whiteouts=false: extracts");
    if (err)
        printf("#   %s\n", err->msg);
    content_is("old", "old");
    content_is(".wh.old", "plain");
    content_is("d/.wh..wh..opq", "marker");
    is_int(perm_of("d/.wh..wh..opq"), 0600, "whiteouts=false: an ordinary file with its mode");
    no_opq = xattr_of("d", RL_OVERLAY_OPAQUE_XATTR);
    ok(no_opq == NULL, "whiteouts=false: no opaque xattr");
    no_opq2 = xattr_of(".", RL_OVERLAY_OPAQUE_XATTR);
    ok(no_opq2 == NULL, "whiteouts=false: none on the root");
}

static void
test_escapes(void)
{
    struct tar t;
    struct rl_layer_stats stats;
    const char *uniq = strrchr(base, '-') + 1;
    cleanup_free char *host1 = xasprintf("/tmp/rl-escape1-%s", uniq);
    cleanup_free char *host2 = xasprintf("/tmp/rl-escape2-%s", uniq);
    cleanup_free char *host3 = xasprintf("/tmp/rl-escape3-%s", uniq);
    cleanup_free char *name1 = xasprintf("d/rl-escape1-%s", uniq);
    cleanup_free char *in1 = xasprintf("tmp/rl-escape1-%s", uniq);
    cleanup_free char *name2 = xasprintf("up/rl-escape2-%s", uniq);
    cleanup_free char *in2 = xasprintf("rl-escape2-%s", uniq);
    cleanup_free char *name4 = xasprintf("ln/rl-escape4-%s", uniq);
    cleanup_free char *in4 = xasprintf("tmp/rl-escape4-%s", uniq);
    cleanup_free char *host4 = xasprintf("/tmp/rl-escape4-%s", uniq);
    cleanup_free char *evil = xasprintf("%s/evil", base);
    struct stat st;

    tar_begin(&t, TAR_PAX);
    ADD(&t, "../evil", 0644, "x");
    extract_fails(tar_end(&t), "path leaves the layer", "an entry '../evil'");
    ok(lstat(evil, &st) < 0, "nothing was written next to the layer");

    tar_begin(&t, TAR_PAX);
    ADD(&t, "ok", 0644, "x");
    ADD(&t, "a/../../evil", 0644, "x");
    extract_fails(tar_end(&t), "path leaves the layer", "an entry 'a/../../evil'");
    ok(lstat(evil, &st) < 0, "nothing was written next to the layer");

    tar_begin(&t, TAR_PAX);
    ADD(&t, "a/../b", 0644, "x");
    extract_fails(tar_end(&t), "path leaves the layer", "an entry 'a/../b'");

    tar_begin(&t, TAR_PAX);
    ADD(&t, "..", S_IFDIR | 0755);
    extract_fails(tar_end(&t), "path leaves the layer", "an entry '..'");

    tar_begin(&t, TAR_PAX);
    ADD(&t, "/abs/file", 0644, "abs");
    ADD(&t, "//double//slash", 0644, "ds");
    ADD(&t, "/", S_IFDIR | 0755);
    ADD(&t, "d", S_IFLNK | 0777, "/tmp");
    ADD(&t, name1, 0644, "inside");
    ADD(&t, "up", S_IFLNK | 0777, "../../../../../../../../../..");
    ADD(&t, name2, 0644, "inside2");
    ADD(&t, "f", S_IFLNK | 0777, host3);
    ADD(&t, "f", 0644, "file");
    ADD(&t, "dd", S_IFLNK | 0777, "/tmp");
    ADD(&t, "dd/", S_IFDIR | 0755);
    ADD(&t, "x", 0644, "x");
    ADD(&t, "ln", S_IFLNK | 0777, "/tmp");
    ADD(&t, name4, .link = "x");
    if (extract_ok(tar_end(&t), &stats, "absolute names and symlinked parents")) {
        content_is("abs/file", "abs");
        content_is("double/slash", "ds");
        link_is("d", "/tmp");
        ok(lstat(host1, &st) < 0, "'d -> /tmp' then 'd/NAME': %s is not created", host1);
        content_is(in1, "inside");
        ok(lstat(host2, &st) < 0, "a climbing symlinked parent does not leave the layer");
        content_is(in2, "inside2");
        is_int(type_of("f"), S_IFREG, "a file entry replaces a symlink, not its target");
        content_is("f", "file");
        ok(lstat(host3, &st) < 0, "%s is not created", host3);
        is_int(type_of("dd"), S_IFDIR, "a directory entry replaces a symlink to a directory");
        ok(lstat(host4, &st) < 0, "a hardlink below a symlinked parent stays inside");
        ok(lst(in4, &st) && st.st_nlink == 2, "it lands at %s", in4);
    }
    /* Whatever happened above, the host stays clean. */
    unlink(host1);
    unlink(host2);
    unlink(host3);
    unlink(host4);
}

static void
test_times(void)
{
    struct tar t;
    struct rl_layer_stats stats;
    struct stat st;

    tar_begin(&t, TAR_PAX);
    ADD(&t, "m/", S_IFDIR | 0755, .mtime = 1000000001);
    ADD(&t, "m/sub/", S_IFDIR | 0755, .mtime = 1000000002);
    ADD(&t, "m/sub/f", 0644, "f", .mtime = 1000000003);
    ADD(&t, "m/g", 0644, "g", .mtime = 1000000004);
    ADD(&t, "m/sub/late", 0644, "late", .mtime = 1000000005);
    ADD(&t, "m/sub/fifo", S_IFIFO | 0644, .mtime = 1000000006);
    ADD(&t, "m/sub/link", S_IFLNK | 0777, "f", .mtime = 1000000007);
    ADD(&t, "dup/", S_IFDIR | 0700, .mtime = 1000000010);
    ADD(&t, "dup/f", 0644, "f");
    ADD(&t, "gone/", S_IFDIR | 0755, .mtime = 1000000020);
    ADD(&t, "gone", 0644, "now a file", .mtime = 1000000021);
    if (!extract_ok(tar_end(&t), &stats, "times"))
        return;
    ok(lst("m", &st) && st.st_mtime == 1000000001, "m keeps its mtime");
    ok(lst("m/sub", &st) && st.st_mtime == 1000000002, "m/sub keeps its mtime");
    ok(lst("m/sub/f", &st) && st.st_mtime == 1000000003, "m/sub/f keeps its mtime");
    ok(lst("m/g", &st) && st.st_mtime == 1000000004, "m/g keeps its mtime");
    ok(lst("m/sub/link", &st) && st.st_mtime == 1000000007, "the symlink keeps its mtime");
    ok(lst("dup", &st) && st.st_mtime == 1000000010, "dup keeps its mtime");
    ok(lst("gone", &st) && S_ISREG(st.st_mode) && st.st_mtime == 1000000021,
       "a directory replaced by a file: the file's mtime, no error");

    /* A directory listed twice: the later entry wins, as with tar(1). */
    tar_begin(&t, TAR_PAX);
    ADD(&t, "twice/", S_IFDIR | 0700, .mtime = 1000000030);
    ADD(&t, "twice/f", 0644, "f");
    ADD(&t, "twice/", S_IFDIR | 0755, .mtime = 1000000040);
    if (extract_ok(tar_end(&t), &stats, "a directory listed twice")) {
        is_int(perm_of("twice"), 0755, "the later entry's mode");
        ok(lst("twice", &st) && st.st_mtime == 1000000040, "the later entry's mtime");
    }
}

static void
test_sparse(void)
{
    struct tar t;
    struct rl_layer_stats stats;
    struct archive_entry *ae;
    const size_t size = 1 << 20, chunk = 4096;
    cleanup_free char *data = xzalloc(size);
    cleanup_free char *got = NULL;
    struct stat st;
    bool same;

    memset(data, 'A', chunk);
    memset(data + size / 2, 'B', chunk);
    tar_begin(&t, TAR_PAX);
    ae = archive_entry_new();
    archive_entry_set_pathname(ae, "sparse");
    archive_entry_set_mode(ae, S_IFREG | 0644);
    archive_entry_set_size(ae, (la_int64_t)size);
    archive_entry_sparse_add_entry(ae, 0, (la_int64_t)chunk);
    archive_entry_sparse_add_entry(ae, (la_int64_t)(size / 2), (la_int64_t)chunk);
    if (archive_write_header(t.a, ae) < ARCHIVE_WARN
        || archive_write_data(t.a, data, size) != (la_ssize_t)size) {
        printf("Bail out! sparse entry: %s\n", archive_error_string(t.a));
        exit(1);
    }
    archive_entry_free(ae);
    ADD(&t, "after", 0644, "after");
    if (!extract_ok(tar_end(&t), &stats, "a sparse file"))
        return;
    ok(lst("sparse", &st) && st.st_size == (off_t)size, "the size is kept (a hole at the end)");
    got = content("sparse");
    same = got && memcmp(got, data, size) == 0;
    ok(same, "data and holes read back as written");
    ok((size_t)st.st_blocks * 512 < size / 4, "the holes take no space (%lld bytes used)",
       (long long)st.st_blocks * 512);
    is_int(stats.bytes, 2 * chunk + 5, "stats count the data only");
    content_is("after", "after");
}

static void
test_bounds(void)
{
    struct tar t;
    struct rl_layer_stats stats;
    struct rl_layer_opts opts = { .whiteouts = true, .max_bytes = 15000 };
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *big = xzalloc(10001);
    int fd;

    memset(big, 'z', 10000);
    for (int round = 0; round < 3; round++) {
        tar_begin(&t, TAR_PAX);
        ADD(&t, "one", 0644, big);
        ADD(&t, "two", 0644, big);
        fd = tar_end(&t);
        opts.max_bytes = round == 0 ? 15000 : round == 1 ? 20000 : 0;
        if (round == 0) {
            ok(extract_opts(fd, &opts, &stats, &err) < 0 && err && err->status == EFBIG,
               "max_bytes 15000 with 20000 bytes of files: EFBIG");
            ok(err && strstr(err->msg, "15000"), "the error names the bound");
            if (err)
                printf("#   %s\n", err->msg);
            rl_error_release(&err);
        } else {
            ok(extract_opts(fd, &opts, &stats, &err) == 0 && stats.bytes == 20000,
               "max_bytes %llu: 20000 bytes extract", (unsigned long long)opts.max_bytes);
            if (err)
                printf("#   %s\n", err->msg);
            rl_error_release(&err);
        }
    }
}

/* How many xattr records libarchive reads for the first entry of FD (one xattr written). */
static int
xattr_records(int fd)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    int n = -1;

    archive_read_support_format_tar(a);
    if (archive_read_open_fd(a, fd, 10240) == ARCHIVE_OK
        && archive_read_next_header(a, &e) == ARCHIVE_OK)
        n = archive_entry_xattr_count(e);
    archive_read_free(a);
    (void)lseek(fd, 0, SEEK_SET);
    return n;
}

static void
test_xattrs(void)
{
    struct tar t;
    struct rl_layer_stats stats;
    cleanup_free char *v1 = NULL, *v2 = NULL, *v3 = NULL, *v4 = NULL, *v5 = NULL;
    int fd, per_xattr;

    if (!user_xattrs) {
        skip("xattrs: %s has no user xattrs", base);
        return;
    }
    tar_begin(&t, TAR_PAX);
    ADD(&t, "x", 0644, "x", .xattr = "user.test", .xvalue = "hello");
    ADD(&t, "d/", S_IFDIR | 0755, .xattr = "user.dir", .xvalue = "1");
    ADD(&t, "o/", S_IFDIR | 0755, .xattr = "user.overlay.opaque", .xvalue = "y");
    ADD(&t, "w", 0644, "w", .xattr = "user.overlay.redirect", .xvalue = "/etc");
    ADD(&t, "f", 0644, "f", .xattr = "user.fuseoverlayfs.x", .xvalue = "1");
    ADD(&t, "tr", 0644, "t", .xattr = "trusted.foo", .xvalue = "bar");
    fd = tar_end(&t);
    per_xattr = xattr_records(fd);
    if (!extract_ok(fd, &stats, "xattrs"))
        return;
    v1 = xattr_of("x", "user.test");
    is_str(v1, "hello", "user.test is kept on a file");
    v2 = xattr_of("d", "user.dir");
    is_str(v2, "1", "user.dir is kept on a directory");
    v3 = xattr_of("o", "user.overlay.opaque");
    ok(v3 == NULL, "user.overlay.opaque from the archive is not set");
    v4 = xattr_of("w", "user.overlay.redirect");
    ok(v4 == NULL, "user.overlay.redirect from the archive is not set");
    v5 = xattr_of("f", "user.fuseoverlayfs.x");
    ok(v5 == NULL, "user.fuseoverlayfs.* from the archive is not set");
    /* libarchive's pax writer stores each xattr twice (LIBARCHIVE.xattr and SCHILY.xattr)
     * and its reader may return both. */
    is_int(stats.xattrs_skipped, 4 * per_xattr, "four xattrs skipped (overlay's, trusted.*)");
    content_is("w", "w");
}

static void
test_replace(void)
{
    struct tar t;
    struct rl_layer_stats stats;

    tar_begin(&t, TAR_PAX);
    ADD(&t, "x", 0644, "file");
    ADD(&t, "x/", S_IFDIR | 0750);
    ADD(&t, "x/child", 0644, "child");
    ADD(&t, "y/", S_IFDIR | 0755);
    ADD(&t, "y/sub/deep", 0644, "deep");
    ADD(&t, "y", 0600, "now a file");
    ADD(&t, "z", S_IFLNK | 0777, "target");
    ADD(&t, "z", 0644, "zz");
    ADD(&t, "w", 0644, "1");
    ADD(&t, "w", 0600, "22");
    ADD(&t, "v/", S_IFDIR | 0700);
    ADD(&t, "v/keep", 0644, "keep");
    ADD(&t, "v/", S_IFDIR | 0755);
    ADD(&t, "s", 0644, "s");
    ADD(&t, "s", S_IFLNK | 0777, "elsewhere");
    ADD(&t, "p", 0644, "p");
    ADD(&t, "p", S_IFIFO | 0644);
    if (!extract_ok(tar_end(&t), &stats, "replacements"))
        return;
    is_int(type_of("x"), S_IFDIR, "a file replaced by a directory");
    is_int(perm_of("x"), 0750, "with the directory's mode");
    content_is("x/child", "child");
    is_int(type_of("y"), S_IFREG, "a directory (with a subtree) replaced by a file");
    content_is("y", "now a file");
    is_int(perm_of("y"), 0600, "with the file's mode");
    content_is("z", "zz");
    ok(!exists("target"), "a symlink replaced by a file: its target is untouched");
    content_is("w", "22");
    is_int(perm_of("w"), 0600, "a file replaced by a file");
    is_int(type_of("v"), S_IFDIR, "a directory listed twice stays");
    is_int(perm_of("v"), 0755, "with the later mode");
    content_is("v/keep", "keep");
    link_is("s", "elsewhere");
    is_int(type_of("p"), S_IFIFO, "a file replaced by a fifo");
}

static void
test_long_names(void)
{
    const int formats[] = { TAR_PAX, TAR_GNU };
    cleanup_free char *longname = NULL;
    cleanup_free char *longlink = NULL;
    char comp[61];

    memset(comp, 'n', 60);
    comp[60] = '\0';
    longname = xasprintf("%s/%s/%s/file", comp, comp, comp);
    longlink = xasprintf("/%s/%s/%s/target", comp, comp, comp);
    for (size_t i = 0; i < 2; i++) {
        struct tar t;
        struct rl_layer_stats stats;
        struct stat a, b;
        const char *fmt = formats[i] == TAR_GNU ? "gnutar" : "pax";

        tar_begin(&t, formats[i]);
        ADD(&t, longname, 0644, "long");
        ADD(&t, "sym", S_IFLNK | 0777, longlink);
        ADD(&t, "hard", .link = longname);
        cleanup_free char *what = xasprintf("%s: names over 100 characters", fmt);

        if (!extract_ok(tar_end(&t), &stats, what))
            continue;
        content_is(longname, "long");
        link_is("sym", longlink);
        ok(lst(longname, &a) && lst("hard", &b) && a.st_ino == b.st_ino,
           "%s: a hardlink to a long name", fmt);
    }
}

/* Bytes served from memory, a few at a time, optionally failing at FAIL_AT. */
struct mem_source {
    struct rl_layer_source src;
    const char *buf;
    size_t len, pos, chunk, fail_at;
    bool saw_end;
};

static ssize_t
mem_read(struct rl_layer_source *src, const void **buf)
{
    struct mem_source *m = (struct mem_source *)src;
    size_t n = m->len - m->pos;

    if (m->fail_at && m->pos >= m->fail_at)
        return rl_make_error(&src->err, ECONNRESET, "network went away");
    if (n > m->chunk)
        n = m->chunk;
    if (n == 0)
        m->saw_end = true;
    *buf = m->buf + m->pos;
    m->pos += n;
    return (ssize_t)n;
}

static char *
fd_bytes(int fd, size_t *ret_len)
{
    cleanup_error rl_error_t err = NULL;
    char *buf = NULL;

    if (rl_read_all_fd(fd, 1 << 24, &buf, ret_len, &err) < 0) {
        printf("Bail out! read the archive: %s\n", err->msg);
        exit(1);
    }
    close(fd);
    return buf;
}

static void
test_bad_input(void)
{
    struct tar t;
    struct rl_layer_stats stats;
    struct rl_layer_opts opts = { .whiteouts = true };
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *big = xzalloc(5001);
    cleanup_free char *bytes = NULL;
    size_t len = 0;
    int fd;

    /* Not a tar at all. */
    fd = memfd_create("junk", MFD_CLOEXEC);
    for (int i = 0; i < 200; i++)
        (void)!write(fd, "this is not a tar archive\n", 26);
    (void)lseek(fd, 0, SEEK_SET);
    extract_fails(fd, "tar", "text input");

    fd = memfd_create("zeros", MFD_CLOEXEC);
    (void)!write(fd, "\x1f\x8b\x08\x00garbage after a gzip magic", 30);
    (void)lseek(fd, 0, SEEK_SET);
    {
        int r = extract(fd, &stats, &err);
        ok(r < 0 && err, "a broken gzip stream fails");
        if (err)
            printf("#   %s\n", err->msg);
        rl_error_release(&err);
    }

    /* Truncated in a file's data, and in a header (gnutar: header, data, header, data). */
    memset(big, 'q', 5000);
    for (int cut = 0; cut < 2; cut++) {
        off_t at = cut == 0 ? 3 * 512 + 1000 : 2 * 512 + 300;

        tar_begin(&t, TAR_GNU);
        ADD(&t, "first", 0644, "1");
        ADD(&t, "big", 0644, big);
        fd = tar_end(&t);
        (void)!ftruncate(fd, at);
        (void)lseek(fd, 0, SEEK_SET);
        ok(extract(fd, &stats, &err) < 0 && err, "an archive truncated in %s fails",
           cut == 0 ? "a file's data" : "a header");
        if (err)
            printf("#   %s\n", err->msg);
        rl_error_release(&err);
    }

    /* A corrupt header checksum in the second entry. */
    tar_begin(&t, TAR_GNU);
    ADD(&t, "first", 0644, "1");
    ADD(&t, "second", 0644, "2");
    fd = tar_end(&t);
    (void)!pwrite(fd, "X", 1, 1024 + 148);
    (void)lseek(fd, 0, SEEK_SET);
    ok(extract(fd, &stats, &err) < 0 && err, "a bad header checksum in the second entry fails");
    if (err)
        printf("#   %s\n", err->msg);
    ok(err && strstr(err->msg, "bad tar stream"), "the error says 'bad tar stream'");
    rl_error_release(&err);
    ok(!exists("second"), "the damaged entry is not created");

    /* gzip: the filter is detected. */
    tar_begin(&t, TAR_PAX | TAR_GZIP);
    ADD(&t, "gz/file", 0644, "compressed");
    fd = tar_end(&t);
    {
        unsigned char magic[2] = { 0 };
        (void)!pread(fd, magic, 2, 0);
        ok(magic[0] == 0x1f && magic[1] == 0x8b, "the input is gzip");
    }
    if (extract_ok(fd, &stats, "a gzip-compressed layer"))
        content_is("gz/file", "compressed");

    /* Bytes after the end of the archive are read, not an error. */
    tar_begin(&t, TAR_GNU);
    ADD(&t, "f", 0644, "f");
    bytes = fd_bytes(tar_end(&t), &len);
    {
        char *more = xzalloc(len + 3000);
        struct mem_source m = {
            .src = { .read = mem_read }, .buf = more, .len = len + 3000, .chunk = 777
        };
        memcpy(more, bytes, len);
        memset(more + len, 'J', 3000);
        ok(rl_layer_extract(root, &m.src, &opts, &stats, &err) == 0,
           "trailing bytes after the archive: extracts");
        if (err)
            printf("#   %s\n", err->msg);
        rl_error_release(&err);
        ok(m.saw_end && m.pos == m.len, "the whole stream is read (for the digest)");

        /* A source that fails half-way: its error comes out. */
        m = (struct mem_source){
            .src = { .read = mem_read }, .buf = more, .len = len, .chunk = 100, .fail_at = 600
        };
        ok(rl_layer_extract(root, &m.src, &opts, &stats, &err) < 0 && err,
           "a failing source fails the extraction");
        if (err)
            printf("#   %d %s\n", err->status, err->msg);
        ok(err && err->status == ECONNRESET && strstr(err->msg, "network went away"),
           "with the source's error");
        rl_error_release(&err);
        ok(m.src.err == NULL, "the source's error was taken over");

        /* A source that fails in a file's data. */
        {
            struct tar t2;
            cleanup_free char *bigtar = NULL;
            cleanup_free char *data = xzalloc(100001);
            size_t biglen = 0;

            memset(data, 'D', 100000);
            tar_begin(&t2, TAR_GNU);
            ADD(&t2, "bigfile", 0644, data);
            bigtar = fd_bytes(tar_end(&t2), &biglen);
            m = (struct mem_source){ .src = { .read = mem_read },
                                     .buf = bigtar,
                                     .len = biglen,
                                     .chunk = 4096,
                                     .fail_at = 50000 };
            ok(rl_layer_extract(root, &m.src, &opts, &stats, &err) < 0 && err
                   && strstr(err->msg, "network went away"),
               "a source failing in a file's data fails with its message");
            if (err)
                printf("#   %d %s\n", err->status, err->msg);
            ok(err && err->status == ECONNRESET, "and its status ECONNRESET");
            rl_error_release(&err);
        }

        /* Failing after the end-of-archive blocks (while draining) also fails. */
        m = (struct mem_source){ .src = { .read = mem_read },
                                 .buf = more,
                                 .len = len + 3000,
                                 .chunk = 512,
                                 .fail_at = len + 1024 };
        ok(rl_layer_extract(root, &m.src, &opts, &stats, &err) < 0 && err
               && err->status == ECONNRESET,
           "a source failing in the trailing bytes fails with its error");
        rl_error_release(&err);
        free(more);
    }
}

static bool
probe_user_xattrs(void)
{
    return setxattr(base, "user.rl-probe", "1", 1, 0) == 0;
}

int
main(void)
{
    alarm(120);
    umask(022);
    if (mkdtemp(base) == NULL) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    user_xattrs = probe_user_xattrs();
    test_clean_path();
    test_basic();
    test_owners();
    test_hardlinks();
    test_whiteouts();
    test_escapes();
    test_times();
    test_sparse();
    test_bounds();
    test_xattrs();
    test_replace();
    test_long_names();
    test_bad_input();
    if (root >= 0)
        close(root);
    free(root_path);
    {
        rl_error_t err = NULL;
        struct stat st;
        ok(rl_rm_rf(base, &err) == 0 && lstat(base, &st) < 0, "clean up the test directory");
        rl_error_release(&err);
    }
    done_testing();
}
