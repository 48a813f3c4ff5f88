#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "caps.h"
#include "cgroup.h"
#include "fs.h"
#include "opts.h"

/* --env-file and --label-file are read whole. */
#define KV_FILE_MAX (4 << 20)
/* Digits of a fraction that count ("1.5g", "1.25h"); further ones are dropped. */
#define FRAC_DIGITS 9

#define cleanup_vol __attribute__((cleanup(rl_vol_release)))

static int invalid(rl_error_t *err, int status, const char *what, const char *arg, const char *fmt,
                   ...) RL_PRINTF(5, 6);

/* "invalid WHAT 'ARG': why", the shape of every error here. */
static int
invalid(rl_error_t *err, int status, const char *what, const char *arg, const char *fmt, ...)
{
    cleanup_free char *why = NULL;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&why, fmt, ap);
    va_end(ap);
    if (r < 0)
        rl_oom();
    return rl_make_error(err, status, "invalid %s '%s': %s", what, arg, why);
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* S cut at each SEP, empty parts kept. */
static char **
split(const char *s, char sep)
{
    char **v = xzalloc(sizeof(char *));

    for (;;) {
        const char *end = strchr(s, sep);
        cleanup_free char *part = end ? xstrndup(s, (size_t)(end - s)) : xstrdup(s);

        rl_strv_push(&v, part);
        if (end == NULL)
            return v;
        s = end + 1;
    }
}

/* A boolean option value: absent means true, as podman. */
static bool
parse_bool(const char *v, bool *ret)
{
    if (v == NULL || strcasecmp(v, "true") == 0)
        *ret = true;
    else if (strcasecmp(v, "false") == 0)
        *ret = false;
    else
        return false;
    return true;
}

void
rl_vol_release(struct rl_vol *v)
{
    free(v->source);
    free(v->dest);
    rl_strv_free(v->options);
    memset(v, 0, sizeof(*v));
}

/* DEST made clean: absolute, without empty or "." components or a trailing '/'. ".." is
 * refused rather than resolved: it is never what the user meant. */
static int
clean_dest(const char *what, const char *arg, const char *dest, char **ret, rl_error_t *err)
{
    cleanup_free char *out = NULL;
    const char *p = dest;
    size_t n = 0;

    if (dest[0] == '\0')
        return invalid(err, 0, what, arg, "empty container path");
    if (dest[0] != '/')
        return invalid(err, 0, what, arg, "container path '%s' must be absolute", dest);
    out = xmalloc(strlen(dest) + 1);
    for (;;) {
        size_t len;

        p += strspn(p, "/");
        len = strcspn(p, "/");
        if (len == 0)
            break;
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return invalid(err, 0, what, arg, "container path '%s' must not contain '..'", dest);
        if (len != 1 || p[0] != '.') {
            out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = '\0';
    *ret = steal_pointer(&out);
    return 0;
}

/* A bind source: an absolute path is kept as given, a relative one is resolved against the
 * working directory. Either must exist, as podman checks before it creates anything. */
static int
host_path(const char *what, const char *arg, const char *src, char **ret, rl_error_t *err)
{
    struct stat st;
    char *abs;

    if (src[0] == '/') {
        if (stat(src, &st) < 0)
            return invalid(err, errno, what, arg, "stat '%s'", src);
        *ret = xstrdup(src);
        return 0;
    }
    abs = realpath(src, NULL);
    if (abs == NULL) {
        if (errno == ENOMEM)
            rl_oom();
        return invalid(err, errno, what, arg, "resolve '%s'", src);
    }
    *ret = abs;
    return 0;
}

/* podman's volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
static bool
valid_volume_name(const char *s)
{
    if (!is_alnum(s[0]))
        return false;
    for (s++; *s; s++)
        if (!is_alnum(*s) && *s != '_' && *s != '.' && *s != '-')
            return false;
    return true;
}

/* Kinds of volume options of which only one may be given. */
enum {
    C_RWRO,
    C_PROP,
    C_BIND,
    C_EXEC,
    C_DEV,
    C_SUID,
    C_LABEL,
    C_CHOWN,
    C_COPY,
    C_TMPCOPYUP,
    C_SIZE,
    C_MODE,
    C_COUNT,
};

static const char *const class_names[C_COUNT] = {
    [C_RWRO] = "'ro' or 'rw'",
    [C_PROP] = "'[r]shared', '[r]private', '[r]slave' or '[r]unbindable'",
    [C_BIND] = "'bind' or 'rbind'",
    [C_EXEC] = "'exec' or 'noexec'",
    [C_DEV] = "'dev' or 'nodev'",
    [C_SUID] = "'suid' or 'nosuid'",
    [C_LABEL] = "'z' or 'Z'",
    [C_CHOWN] = "'U'",
    [C_COPY] = "'copy' or 'nocopy'",
    [C_TMPCOPYUP] = "'tmpcopyup' or 'notmpcopyup'",
    [C_SIZE] = "'tmpfs-size'",
    [C_MODE] = "'tmpfs-mode'",
};

static const struct {
    const char *name;
    int class;
} flag_options[] = {
    { "ro", C_RWRO },
    { "rw", C_RWRO },
    { "shared", C_PROP },
    { "rshared", C_PROP },
    { "private", C_PROP },
    { "rprivate", C_PROP },
    { "slave", C_PROP },
    { "rslave", C_PROP },
    { "unbindable", C_PROP },
    { "runbindable", C_PROP },
    { "bind", C_BIND },
    { "rbind", C_BIND },
    { "exec", C_EXEC },
    { "noexec", C_EXEC },
    { "dev", C_DEV },
    { "nodev", C_DEV },
    { "suid", C_SUID },
    { "nosuid", C_SUID },
    { "z", C_LABEL },
    { "Z", C_LABEL },
    { "U", C_CHOWN },
    { "copy", C_COPY },
    { "nocopy", C_COPY },
    { "tmpcopyup", C_TMPCOPYUP },
    { "notmpcopyup", C_TMPCOPYUP },
};

/* The class of a flag option, -1 for other words. */
static int
flag_class(const char *name)
{
    for (size_t i = 0; i < RL_ARRAY_SIZE(flag_options); i++)
        if (strcmp(flag_options[i].name, name) == 0)
            return flag_options[i].class;
    return -1;
}

/* Apply the flag option NAME of class CLASS to V, once per class. */
static int
vol_flag(struct rl_vol *v, unsigned *seen, int class, const char *name, const char *what,
         const char *arg, rl_error_t *err)
{
    if (*seen & (1u << class))
        return invalid(err, 0, what, arg, "can only specify 1 %s option", class_names[class]);
    *seen |= 1u << class;
    if (class == C_RWRO) {
        v->readonly = strcmp(name, "ro") == 0;
        if (v->kind == RL_VOL_TMPFS)
            rl_strv_push(&v->options, name);
    } else if (class == C_CHOWN) {
        v->chown = true;
    } else if (class == C_COPY) {
        v->copy = strcmp(name, "copy") == 0;
    } else if (class != C_LABEL) {
        rl_strv_push(&v->options, name);
    }
    return 0;
}

/* podman's defaults for a tmpfs, for the options not given. */
static void
tmpfs_defaults(struct rl_vol *v, unsigned seen)
{
    if (!(seen & (1u << C_RWRO)))
        rl_strv_push(&v->options, "rw");
    if (!(seen & (1u << C_EXEC)))
        rl_strv_push(&v->options, "noexec");
    if (!(seen & (1u << C_SUID)))
        rl_strv_push(&v->options, "nosuid");
    if (!(seen & (1u << C_DEV)))
        rl_strv_push(&v->options, "nodev");
}

int
rl_parse_volume(const char *arg, struct rl_vol *ret, rl_error_t *err)
{
    static const char what[] = "volume";
    cleanup_vol struct rl_vol v = { .copy = true };
    cleanup_strv char **parts = split(arg, ':');
    cleanup_strv char **opts = NULL;
    size_t n = rl_strv_len(parts);
    unsigned seen = 0;

    if (n > 3)
        return invalid(err, 0, what, arg, "too many ':' (use [SOURCE:]DEST[:OPTIONS])");
    if (n == 1) {
        v.kind = RL_VOL_ANON;
        if (clean_dest(what, arg, parts[0], &v.dest, err) < 0)
            return -1;
    } else {
        if (parts[0][0] == '\0')
            return invalid(err, 0, what, arg, "empty source");
        v.kind = parts[0][0] == '/' || parts[0][0] == '.' ? RL_VOL_BIND : RL_VOL_NAMED;
        if (clean_dest(what, arg, parts[1], &v.dest, err) < 0)
            return -1;
    }
    if (n == 3)
        opts = split(parts[2], ',');
    for (size_t i = 0; opts && opts[i]; i++) {
        const char *o = opts[i];
        int class = flag_class(o);

        if (strcmp(o, "cached") == 0 || strcmp(o, "delegated") == 0)
            continue; /* macOS options, which docker and podman drop on Linux */
        if (strcmp(o, "O") == 0)
            return invalid(err, 0, what, arg, "overlay volumes (O) are not supported");
        if (strcmp(o, "idmap") == 0 || rl_str_has_prefix(o, "idmap="))
            return invalid(err, 0, what, arg, "idmapped volumes (idmap) are not supported");
        if (o[0] == '\0')
            return invalid(err, 0, what, arg, "empty option");
        if (class < 0 || class == C_TMPCOPYUP)
            return invalid(err, 0, what, arg, "unknown option '%s'", o);
        if (vol_flag(&v, &seen, class, o, what, arg, err) < 0)
            return -1;
    }
    if (v.kind == RL_VOL_BIND && host_path(what, arg, parts[0], &v.source, err) < 0)
        return -1;
    if (v.kind == RL_VOL_NAMED) {
        if (!valid_volume_name(parts[0]))
            return invalid(err, 0, what, arg,
                           "volume name '%s' must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", parts[0]);
        v.source = xstrdup(parts[0]);
    }
    *ret = v;
    memset(&v, 0, sizeof(v));
    return 0;
}

static int
mount_type(const char *arg, char **tokens, enum rl_vol_kind *ret, rl_error_t *err)
{
    const char *type = NULL;

    for (size_t i = 0; tokens[i]; i++) {
        if (!rl_str_has_prefix(tokens[i], "type="))
            continue;
        if (type)
            return invalid(err, 0, "--mount", arg, "type= given twice");
        type = tokens[i] + 5;
    }
    if (type == NULL)
        return invalid(
            err, 0, "--mount", arg,
            "missing type= (use type=bind|volume|tmpfs,[src=SOURCE,]dst=DEST[,OPTIONS])");
    if (strcmp(type, "bind") == 0)
        *ret = RL_VOL_BIND;
    else if (strcmp(type, "volume") == 0)
        *ret = RL_VOL_NAMED;
    else if (strcmp(type, "tmpfs") == 0)
        *ret = RL_VOL_TMPFS;
    else
        return invalid(err, 0, "--mount", arg,
                       "mount type '%s' is not supported: use bind, volume or tmpfs", type);
    return 0;
}

/* One KEY[=VALUE] of --mount, other than type=. */
static int
mount_key(struct rl_vol *v, unsigned *seen, char **src, const char *tok, const char *arg,
          rl_error_t *err)
{
    static const char what[] = "--mount";
    cleanup_free char *key = NULL;
    const char *eq = strchr(tok, '=');
    const char *val = eq ? eq + 1 : NULL;
    bool bind = v->kind == RL_VOL_BIND, tmpfs = v->kind == RL_VOL_TMPFS;
    int class;
    bool b;

    key = eq ? xstrndup(tok, (size_t)(eq - tok)) : xstrdup(tok);
    class = flag_class(key);
    if (key[0] == '\0')
        return invalid(err, 0, what, arg, "empty option");
    if (strcmp(key, "src") == 0 || strcmp(key, "source") == 0) {
        if (tmpfs)
            return invalid(err, 0, what, arg, "'%s' is not an option of type=tmpfs", key);
        if (*src)
            return invalid(err, 0, what, arg, "source given twice");
        if (val == NULL || val[0] == '\0')
            return invalid(err, 0, what, arg, "empty source");
        *src = xstrdup(val);
        return 0;
    }
    if (strcmp(key, "dst") == 0 || strcmp(key, "destination") == 0 || strcmp(key, "target") == 0) {
        if (v->dest)
            return invalid(err, 0, what, arg, "destination given twice");
        return clean_dest(what, arg, val ? val : "", &v->dest, err);
    }
    if (strcmp(key, "ro") == 0 || strcmp(key, "readonly") == 0 || strcmp(key, "rw") == 0) {
        if (!parse_bool(val, &b))
            return invalid(err, 0, what, arg, "'%s' must be true or false", tok);
        b = key[1] == 'w' ? !b : b;
        return vol_flag(v, seen, C_RWRO, b ? "ro" : "rw", what, arg, err);
    }
    if (strcmp(key, "U") == 0 || strcmp(key, "chown") == 0) {
        if (!parse_bool(val && val[0] ? val : NULL, &b))
            return invalid(err, 0, what, arg, "'%s' must be true or false", tok);
        if (vol_flag(v, seen, C_CHOWN, "U", what, arg, err) < 0)
            return -1;
        v->chown = b;
        return 0;
    }
    if (strcmp(key, "bind-propagation") == 0) {
        if (!bind)
            return invalid(err, 0, what, arg, "'%s' is only for type=bind", key);
        if (val == NULL || flag_class(val) != C_PROP)
            return invalid(err, 0, what, arg,
                           "'%s': use [r]shared, [r]private, [r]slave or [r]unbindable", tok);
        return vol_flag(v, seen, C_PROP, val, what, arg, err);
    }
    if (strcmp(key, "bind-nonrecursive") == 0) {
        if (!bind)
            return invalid(err, 0, what, arg, "'%s' is only for type=bind", key);
        if (!parse_bool(val, &b))
            return invalid(err, 0, what, arg, "'%s' must be true or false", tok);
        return vol_flag(v, seen, C_BIND, b ? "bind" : "rbind", what, arg, err);
    }
    if (strcmp(key, "volume-nocopy") == 0) {
        if (v->kind != RL_VOL_NAMED)
            return invalid(err, 0, what, arg, "'%s' is only for type=volume", key);
        if (!parse_bool(val, &b))
            return invalid(err, 0, what, arg, "'%s' must be true or false", tok);
        return vol_flag(v, seen, C_COPY, b ? "nocopy" : "copy", what, arg, err);
    }
    if (strcmp(key, "tmpfs-size") == 0) {
        cleanup_free char *opt = NULL;
        int64_t size;

        if (!tmpfs)
            return invalid(err, 0, what, arg, "'%s' is only for type=tmpfs", key);
        if (rl_parse_size(val ? val : "", &size, err) < 0)
            return rl_error_wrap(err, "invalid --mount '%s'", arg);
        opt = xasprintf("size=%lld", (long long)size);
        return vol_flag(v, seen, C_SIZE, opt, what, arg, err);
    }
    if (strcmp(key, "tmpfs-mode") == 0) {
        cleanup_free char *opt = NULL;
        char *end = NULL;
        unsigned long mode = 0;

        if (!tmpfs)
            return invalid(err, 0, what, arg, "'%s' is only for type=tmpfs", key);
        if (val && val[0] >= '0' && val[0] <= '7')
            mode = strtoul(val, &end, 8);
        if (end == NULL || *end != '\0' || mode > 07777)
            return invalid(err, 0, what, arg, "'%s': the mode must be octal, like 1777", tok);
        opt = xasprintf("mode=%lo", mode);
        return vol_flag(v, seen, C_MODE, opt, what, arg, err);
    }
    if (strcmp(key, "relabel") == 0) {
        if (val == NULL || (strcmp(val, "shared") != 0 && strcmp(val, "private") != 0))
            return invalid(err, 0, what, arg, "'%s': use relabel=shared or relabel=private", tok);
        return vol_flag(v, seen, C_LABEL, "z", what, arg, err);
    }
    if (strcmp(key, "consistency") == 0)
        return 0; /* macOS only: docker and podman ignore it */
    if (strcmp(key, "idmap") == 0)
        return invalid(err, 0, what, arg, "idmapped mounts (idmap) are not supported");
    if (class < 0 || class == C_COPY || class == C_BIND || val)
        return invalid(err, 0, what, arg, "unknown option '%s'", tok);
    if (class == C_TMPCOPYUP && !tmpfs)
        return invalid(err, 0, what, arg, "'%s' is only for type=tmpfs", key);
    return vol_flag(v, seen, class, key, what, arg, err);
}

int
rl_parse_mount(const char *arg, struct rl_vol *ret, rl_error_t *err)
{
    static const char what[] = "--mount";
    cleanup_vol struct rl_vol v = { .copy = true };
    cleanup_strv char **tokens = split(arg, ',');
    cleanup_free char *src = NULL;
    unsigned seen = 0;

    if (mount_type(arg, tokens, &v.kind, err) < 0)
        return -1;
    for (size_t i = 0; tokens[i]; i++) {
        if (rl_str_has_prefix(tokens[i], "type="))
            continue;
        if (mount_key(&v, &seen, &src, tokens[i], arg, err) < 0)
            return -1;
    }
    if (v.dest == NULL)
        return invalid(err, 0, what, arg, "missing destination (dst=)");
    if (v.kind == RL_VOL_BIND) {
        if (src == NULL)
            return invalid(err, 0, what, arg, "type=bind needs a source (src=)");
        if (host_path(what, arg, src, &v.source, err) < 0)
            return -1;
    } else if (v.kind == RL_VOL_NAMED && src == NULL) {
        v.kind = RL_VOL_ANON;
    } else if (v.kind == RL_VOL_NAMED) {
        if (!valid_volume_name(src))
            return invalid(err, 0, what, arg,
                           "volume name '%s' must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", src);
        v.source = steal_pointer(&src);
    } else {
        tmpfs_defaults(&v, seen);
    }
    *ret = v;
    memset(&v, 0, sizeof(v));
    return 0;
}

int
rl_parse_tmpfs(const char *arg, struct rl_vol *ret, rl_error_t *err)
{
    static const char what[] = "--tmpfs";
    cleanup_vol struct rl_vol v = { .kind = RL_VOL_TMPFS, .copy = true };
    const char *colon = strchr(arg, ':');
    cleanup_free char *dest = colon ? xstrndup(arg, (size_t)(colon - arg)) : xstrdup(arg);
    cleanup_strv char **opts = colon ? split(colon + 1, ',') : NULL;
    unsigned seen = 0;

    if (clean_dest(what, arg, dest, &v.dest, err) < 0)
        return -1;
    for (size_t i = 0; opts && opts[i]; i++) {
        int class = flag_class(opts[i]);

        if (opts[i][0] == '\0')
            return invalid(err, 0, what, arg, "empty option");
        if (class == C_LABEL || class == C_CHOWN || class == C_COPY || class == C_BIND)
            return invalid(err, 0, what, arg, "'%s' is not a tmpfs option", opts[i]);
        if (class < 0)
            rl_strv_push(&v.options, opts[i]);
        else if (vol_flag(&v, &seen, class, opts[i], what, arg, err) < 0)
            return -1;
    }
    tmpfs_defaults(&v, seen);
    *ret = v;
    memset(&v, 0, sizeof(v));
    return 0;
}

static const struct {
    const char *name;
    int resource;
} ulimit_names[] = {
    { "core", RLIMIT_CORE },         { "cpu", RLIMIT_CPU },
    { "data", RLIMIT_DATA },         { "fsize", RLIMIT_FSIZE },
    { "locks", RLIMIT_LOCKS },       { "memlock", RLIMIT_MEMLOCK },
    { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
    { "nofile", RLIMIT_NOFILE },     { "nproc", RLIMIT_NPROC },
    { "rss", RLIMIT_RSS },           { "rtprio", RLIMIT_RTPRIO },
    { "rttime", RLIMIT_RTTIME },     { "sigpending", RLIMIT_SIGPENDING },
    { "stack", RLIMIT_STACK },
};

static int
ulimit_value(const char *arg, const char *s, uint64_t *ret, rl_error_t *err)
{
    long long v;

    if (strcmp(s, "-1") == 0 || strcmp(s, "unlimited") == 0) {
        *ret = UINT64_MAX;
        return 0;
    }
    if (!rl_parse_ll(s, 0, LLONG_MAX, &v))
        return invalid(err, 0, "ulimit", arg, "'%s' is not a number, -1 or unlimited", s);
    *ret = (uint64_t)v;
    return 0;
}

int
rl_parse_ulimit(const char *arg, struct rl_rlimit *ret, rl_error_t *err)
{
    const char *eq = strchr(arg, '=');
    cleanup_free char *type = NULL;
    cleanup_strv char **vals = NULL;
    struct rl_rlimit r = { .resource = -1 };

    if (strcmp(arg, "host") == 0)
        return invalid(err, 0, "ulimit", arg, "copying the host's limits is not supported");
    if (eq == NULL)
        return invalid(err, 0, "ulimit", arg, "use TYPE=SOFT[:HARD]");
    type = xstrndup(arg, (size_t)(eq - arg));
    for (size_t i = 0; i < RL_ARRAY_SIZE(ulimit_names); i++)
        if (strcmp(type, ulimit_names[i].name) == 0)
            r.resource = ulimit_names[i].resource;
    if (r.resource < 0)
        return invalid(err, 0, "ulimit", arg, "unknown type '%s'", type);
    vals = split(eq + 1, ':');
    if (rl_strv_len(vals) > 2)
        return invalid(err, 0, "ulimit", arg, "too many values: use TYPE=SOFT[:HARD]");
    if (ulimit_value(arg, vals[0], &r.soft, err) < 0)
        return -1;
    r.hard = r.soft;
    if (vals[1] && ulimit_value(arg, vals[1], &r.hard, err) < 0)
        return -1;
    if (r.soft > r.hard)
        return invalid(err, 0, "ulimit", arg,
                       "the soft limit must be less than or equal to the hard limit");
    *ret = r;
    return 0;
}

/* The length of the name in "NAME=VALUE"; 0 when it has no '='. */
static size_t
env_key_len(const char *kv)
{
    const char *eq = strchr(kv, '=');
    return eq ? (size_t)(eq - kv) : 0;
}

int
rl_env_set(char ***env, const char *kv)
{
    size_t klen = env_key_len(kv);

    if (klen == 0)
        return -1;
    for (size_t i = 0; *env && (*env)[i]; i++) {
        if (strncmp((*env)[i], kv, klen + 1) == 0) {
            free((*env)[i]);
            (*env)[i] = xstrdup(kv);
            return 0;
        }
    }
    rl_strv_push(env, kv);
    return 0;
}

const char *
rl_env_get(char *const *env, const char *key)
{
    size_t klen = strlen(key);

    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], key, klen) == 0 && env[i][klen] == '=')
            return env[i] + klen + 1;
    return NULL;
}

int
rl_env_add_arg(char ***env, const char *arg, rl_error_t *err)
{
    size_t len = strlen(arg);
    const char *v;

    if (arg[0] == '\0' || arg[0] == '=')
        return invalid(err, 0, "environment variable", arg, "empty name");
    if (strchr(arg, '=')) {
        (void)rl_env_set(env, arg);
        return 0;
    }
    if (arg[len - 1] == '*') {
        for (char **e = environ; e && *e; e++)
            if (strncmp(*e, arg, len - 1) == 0 && env_key_len(*e) > 0)
                (void)rl_env_set(env, *e);
        return 0;
    }
    v = getenv(arg);
    if (v) {
        cleanup_free char *kv = xasprintf("%s=%s", arg, v);
        (void)rl_env_set(env, kv);
    }
    return 0;
}

/* Call FN for each line of an --env-file or --label-file: docker's format, where leading white
 * space is dropped, blank lines and '#' comments are skipped, and the name before '=' must be
 * there and free of white space. Errors name PATH:LINE. */
static int
kv_file(const char *path, int (*fn)(void *ctx, const char *line, rl_error_t *err), void *ctx,
        rl_error_t *err)
{
    cleanup_free char *text = NULL;
    size_t len, lineno = 0;
    char *p;

    if (rl_read_file(path, KV_FILE_MAX, &text, &len, err) < 0)
        return -1;
    if (memchr(text, '\0', len))
        return rl_make_error(err, 0, "%s: not a text file: it holds a NUL byte", path);
    for (p = text; p;) {
        char *line = p, *nl = strchr(p, '\n');
        size_t n, klen;

        lineno++;
        if (nl) {
            *nl = '\0';
            p = nl + 1;
        } else {
            p = NULL;
        }
        n = strlen(line);
        if (n > 0 && line[n - 1] == '\r')
            line[n - 1] = '\0';
        line += strspn(line, " \t");
        if (line[0] == '\0' || line[0] == '#')
            continue;
        klen = strcspn(line, "=");
        if (klen == 0)
            return rl_make_error(err, 0, "%s:%zu: no name before '=' in '%s'", path, lineno, line);
        if (strcspn(line, " \t") < klen)
            return rl_make_error(err, 0, "%s:%zu: name '%.*s' contains white space", path, lineno,
                                 (int)klen, line);
        if (fn(ctx, line, err) < 0)
            return rl_error_wrap(err, "%s:%zu", path, lineno);
    }
    return 0;
}

static int
env_line(void *ctx, const char *line, rl_error_t *err)
{
    return rl_env_add_arg(ctx, line, err);
}

int
rl_env_file(char ***env, const char *path, rl_error_t *err)
{
    cleanup_strv char **copy = rl_strv_dup(*env);

    /* Work on a copy so that a bad line leaves ENV as it was. */
    if (kv_file(path, env_line, &copy, err) < 0)
        return -1;
    rl_strv_free(*env);
    *env = steal_pointer(&copy);
    return 0;
}

int
rl_parse_label(json_t *labels, const char *arg, rl_error_t *err)
{
    const char *eq = strchr(arg, '=');
    cleanup_free char *key = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
    json_t *v;

    if (key[0] == '\0')
        return invalid(err, 0, "label", arg, "empty name");
    v = json_string(eq ? eq + 1 : "");
    if (v == NULL)
        return invalid(err, 0, "label", arg, "the value is not UTF-8");
    /* json_object_set_new() takes V also when it fails. */
    if (json_object_set_new(labels, key, v) < 0)
        return invalid(err, 0, "label", arg, "the name is not UTF-8");
    return 0;
}

static int
label_line(void *ctx, const char *line, rl_error_t *err)
{
    return rl_parse_label(ctx, line, err);
}

int
rl_label_file(json_t *labels, const char *path, rl_error_t *err)
{
    json_t *copy = json_copy(labels);
    int r;

    if (copy == NULL)
        rl_oom();
    r = kv_file(path, label_line, copy, err);
    if (r == 0)
        json_object_update(labels, copy);
    json_decref(copy);
    return r;
}

/* Digits of a fraction, at most FRAC_DIGITS of them kept: *FRAC / *SCALE. */
static const char *
parse_fraction(const char *p, uint64_t *frac, uint64_t *scale)
{
    for (int n = 0; is_digit(*p); p++, n++) {
        if (n < FRAC_DIGITS) {
            *frac = *frac * 10 + (uint64_t)(*p - '0');
            *scale *= 10;
        }
    }
    return p;
}

/* FRAC / SCALE * UNIT, exactly, without overflow: FRAC < SCALE <= 10^9. */
static uint64_t
fraction_of(uint64_t frac, uint64_t scale, uint64_t unit)
{
    return frac * (unit / scale) + frac * (unit % scale) / scale;
}

int
rl_parse_size(const char *s, int64_t *ret, rl_error_t *err)
{
    const char *p = s;
    uint64_t whole = 0, frac = 0, scale = 1, mult = 1;
    int shift = 0;

    if (!is_digit(*p))
        return invalid(err, 0, "size", s, "use a number with an optional unit: b, k, m, g, t or p");
    for (; is_digit(*p); p++) {
        uint64_t d = (uint64_t)(*p - '0');

        if (whole > ((uint64_t)INT64_MAX - d) / 10)
            return invalid(err, ERANGE, "size", s, "too large");
        whole = whole * 10 + d;
    }
    if (*p == '.') {
        if (!is_digit(p[1]))
            return invalid(err, 0, "size", s,
                           "use a number with an optional unit: b, k, m, g, t or p");
        p = parse_fraction(p + 1, &frac, &scale);
    }
    if (*p == ' ' && p[1])
        p++;
    switch (*p) {
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    case 't':
    case 'T':
        shift = 40;
        break;
    case 'p':
    case 'P':
        shift = 50;
        break;
    default:
        break;
    }
    if (shift) {
        p++;
        if (*p == 'i' || *p == 'I')
            p++;
    }
    if (*p == 'b' || *p == 'B')
        p++;
    if (*p != '\0')
        return invalid(err, 0, "size", s, "use a number with an optional unit: b, k, m, g, t or p");
    mult = 1ULL << shift;
    if (whole > (uint64_t)INT64_MAX / mult
        || whole * mult > (uint64_t)INT64_MAX - fraction_of(frac, scale, mult))
        return invalid(err, ERANGE, "size", s, "too large");
    *ret = (int64_t)(whole * mult + fraction_of(frac, scale, mult));
    return 0;
}

int
rl_parse_duration(const char *s, int64_t *ret_ns, rl_error_t *err)
{
    static const struct {
        const char *name;
        uint64_t ns;
    } units[] = {
        { "ns", 1ULL },           { "us", 1000ULL },
        { "\xc2\xb5s", 1000ULL }, /* U+00B5 micro sign */
        { "\xce\xbcs", 1000ULL }, /* U+03BC Greek mu */
        { "ms", 1000000ULL },     { "s", 1000000000ULL },
        { "m", 60000000000ULL },  { "h", 3600000000000ULL },
    };
    const uint64_t limit = 1ULL << 63; /* -limit is still an int64_t */
    const char *p = s;
    uint64_t total = 0;
    bool neg = false;

    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (strcmp(p, "0") == 0) {
        *ret_ns = 0;
        return 0;
    }
    if (*p == '\0')
        return invalid(err, 0, "duration", s, "use a number and a unit, like 1h30m or 300ms");
    while (*p) {
        uint64_t v = 0, frac = 0, scale = 1, unit = 0;
        const char *start = p, *u;
        size_t ulen;

        for (; is_digit(*p); p++) {
            if (v > limit / 10)
                return invalid(err, ERANGE, "duration", s, "too large");
            v = v * 10 + (uint64_t)(*p - '0');
        }
        if (*p == '.')
            p = parse_fraction(p + 1, &frac, &scale);
        if (p == start || (p == start + 1 && *start == '.'))
            return invalid(err, 0, "duration", s, "use a number and a unit, like 1h30m or 300ms");
        u = p;
        while (*p && *p != '.' && !is_digit(*p))
            p++;
        ulen = (size_t)(p - u);
        if (ulen == 0)
            return invalid(err, 0, "duration", s, "missing unit: use ns, us, ms, s, m or h");
        for (size_t i = 0; i < RL_ARRAY_SIZE(units); i++)
            if (strlen(units[i].name) == ulen && memcmp(units[i].name, u, ulen) == 0)
                unit = units[i].ns;
        if (unit == 0)
            return invalid(err, 0, "duration", s, "unknown unit '%.*s': use ns, us, ms, s, m or h",
                           (int)ulen, u);
        if (v > limit / unit)
            return invalid(err, ERANGE, "duration", s, "too large");
        v = v * unit + fraction_of(frac, scale, unit);
        if (v > limit - total)
            return invalid(err, ERANGE, "duration", s, "too large");
        total += v;
    }
    if (!neg && total == limit)
        return invalid(err, ERANGE, "duration", s, "too large");
    *ret_ns = neg ? (int64_t)(0 - total) : (int64_t)total;
    return 0;
}

int
rl_parse_cap(const char *s, int *ret, rl_error_t *err)
{
    int cap;

    if (strcasecmp(s, "all") == 0) {
        *ret = -1;
        return 0;
    }
    cap = rl_cap_from_name(s, err);
    if (cap < 0)
        return cap;
    *ret = cap;
    return 0;
}

/* "/a:/b" for mask= and unmask=: absolute paths; ALL_OK lets "ALL" through. */
static int
path_list(const char *arg, const char *list, bool all_ok, char ***ret, rl_error_t *err)
{
    cleanup_strv char **paths = split(list, ':');

    for (size_t i = 0; paths[i]; i++) {
        if (all_ok && strcmp(paths[i], "ALL") == 0)
            continue;
        if (paths[i][0] != '/')
            return invalid(err, 0, "--security-opt", arg, "'%s' is not an absolute path%s",
                           paths[i], all_ok ? " or ALL" : "");
    }
    *ret = steal_pointer(&paths);
    return 0;
}

int
rl_parse_security_opt(struct rl_secopts *s, const char *arg, rl_error_t *err)
{
    static const char what[] = "--security-opt";
    const char *eq = strchr(arg, '=');
    cleanup_free char *key = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
    cleanup_strv char **paths = NULL;
    const char *val = eq ? eq + 1 : NULL;

    if (strcmp(key, "no-new-privileges") == 0) {
        bool b;

        if (!parse_bool(val, &b))
            return invalid(err, 0, what, arg, "use no-new-privileges=true or false");
        s->no_new_privs = b;
        return 0;
    }
    if (val == NULL)
        return invalid(err, 0, what, arg,
                       "use seccomp=, no-new-privileges, mask=, unmask=, label= or apparmor=");
    if (strcmp(key, "seccomp") == 0) {
        if (val[0] == '\0')
            return invalid(err, 0, what, arg, "use seccomp=unconfined or seccomp=PROFILE.json");
        free(s->seccomp_file);
        s->seccomp_file = NULL;
        s->seccomp_unconfined = strcmp(val, "unconfined") == 0;
        if (!s->seccomp_unconfined)
            s->seccomp_file = xstrdup(val);
        return 0;
    }
    if (strcmp(key, "label") == 0)
        return 0; /* SELinux labels: rl does not do SELinux */
    if (strcmp(key, "apparmor") == 0) {
        if (strcmp(val, "unconfined") != 0)
            return invalid(err, 0, what, arg, "AppArmor profiles are not supported");
        return 0;
    }
    if (strcmp(key, "mask") == 0) {
        if (path_list(arg, val, false, &paths, err) < 0)
            return -1;
        for (size_t i = 0; paths[i]; i++)
            rl_strv_push(&s->mask, paths[i]);
        return 0;
    }
    if (strcmp(key, "unmask") == 0) {
        if (path_list(arg, val, true, &paths, err) < 0)
            return -1;
        for (size_t i = 0; paths[i]; i++) {
            if (strcmp(paths[i], "ALL") == 0)
                s->unmask_all = true;
            else
                rl_strv_push(&s->unmask, paths[i]);
        }
        return 0;
    }
    if (strcmp(key, "proc-opts") == 0)
        return invalid(err, 0, what, arg, "proc-opts is not supported");
    return invalid(err, 0, what, arg,
                   "use seccomp=, no-new-privileges, mask=, unmask=, label= or apparmor=");
}

void
rl_secopts_release(struct rl_secopts *s)
{
    free(s->seccomp_file);
    rl_strv_free(s->mask);
    rl_strv_free(s->unmask);
    memset(s, 0, sizeof(*s));
    s->no_new_privs = -1;
}

/* ------------------------------------------------------------------ resource limits */

int
rl_parse_resource(json_t *res, const char *name, const char *arg, rl_error_t *err)
{
    long long v;
    int64_t size;

    if (strcmp(name, "memory") == 0 || strcmp(name, "memory-reservation") == 0
        || strcmp(name, "memory-swap") == 0) {
        const char *key = name[6] == '\0'  ? "Memory"
                          : name[7] == 'r' ? "MemoryReservation"
                                           : "MemorySwap";
        if (strcmp(name, "memory-swap") == 0 && strcmp(arg, "-1") == 0) {
            json_object_set_new(res, key, json_integer(-1));
            return 0;
        }
        if (rl_parse_size(arg, &size, err) < 0)
            return rl_error_wrap(err, "--%s", name);
        if (size <= 0)
            return rl_make_error(err, 0, "--%s: '%s' must be a positive size", name, arg);
        if (strcmp(name, "memory") == 0 && size < 6 * 1024 * 1024)
            return rl_make_error(err, 0, "--memory: '%s': the minimum memory limit is 6MB", arg);
        json_object_set_new(res, key, json_integer(size));
        return 0;
    }
    if (strcmp(name, "cpus") == 0) {
        int64_t quota;
        uint64_t period;
        if (rl_cgroup_parse_cpus(arg, &quota, &period, err) < 0)
            return -1;
        json_object_set_new(res, "NanoCpus",
                            json_integer((json_int_t)(quota * (1000000000 / (int64_t)period))));
        return 0;
    }
    if (strcmp(name, "cpu-shares") == 0) {
        if (!rl_parse_ll(arg, 2, 262144, &v))
            return rl_make_error(err, 0, "--cpu-shares: '%s' is not a number from 2 to 262144",
                                 arg);
        json_object_set_new(res, "CpuShares", json_integer(v));
        return 0;
    }
    if (strcmp(name, "cpu-weight") == 0) {
        if (!rl_parse_ll(arg, 1, 10000, &v))
            return rl_make_error(err, 0, "--cpu-weight: '%s' is not a number from 1 to 10000", arg);
        json_object_set_new(res, "CpuWeight", json_integer(v));
        return 0;
    }
    if (strcmp(name, "cpu-period") == 0) {
        if (!rl_parse_ll(arg, 1000, 1000000, &v))
            return rl_make_error(err, 0,
                                 "--cpu-period: '%s' is not a number of microseconds from 1000 "
                                 "to 1000000",
                                 arg);
        json_object_set_new(res, "CpuPeriod", json_integer(v));
        return 0;
    }
    if (strcmp(name, "cpu-quota") == 0) {
        if (!rl_parse_ll(arg, 1000, INT64_MAX / 1000, &v))
            return rl_make_error(err, 0,
                                 "--cpu-quota: '%s' is not a number of microseconds (at least "
                                 "1000)",
                                 arg);
        json_object_set_new(res, "CpuQuota", json_integer(v));
        return 0;
    }
    if (strcmp(name, "cpuset-cpus") == 0 || strcmp(name, "cpuset-mems") == 0) {
        if (rl_cgroup_check_cpuset(arg, err) < 0)
            return rl_error_wrap(err, "--%s", name);
        json_object_set_new(res, name[7] == 'c' ? "CpusetCpus" : "CpusetMems", json_string(arg));
        return 0;
    }
    if (strcmp(name, "pids-limit") == 0) {
        if (!rl_parse_ll(arg, -1, INT32_MAX, &v))
            return rl_make_error(err, 0,
                                 "--pids-limit: '%s' is not a number (-1 or 0 for no limit)", arg);
        json_object_set_new(res, "PidsLimit", json_integer(v <= 0 ? 0 : v));
        return 0;
    }
    if (strcmp(name, "blkio-weight") == 0) {
        if (!rl_parse_ll(arg, 10, 1000, &v))
            return rl_make_error(err, 0, "--blkio-weight: '%s' is not a number from 10 to 1000",
                                 arg);
        json_object_set_new(res, "BlkioWeight", json_integer(v));
        return 0;
    }
    return rl_make_error(err, 0, "--%s: not a resource limit", name);
}

int
rl_resources_check(json_t *res, rl_error_t *err)
{
    json_t *mem = json_object_get(res, "Memory");
    json_t *swap = json_object_get(res, "MemorySwap");
    json_t *resv = json_object_get(res, "MemoryReservation");

    if (swap && json_integer_value(swap) != -1) {
        if (!mem)
            return rl_make_error(err, 0,
                                 "--memory-swap needs --memory: it is the total of memory and "
                                 "swap");
        if (json_integer_value(swap) < json_integer_value(mem))
            return rl_make_error(err, 0,
                                 "--memory-swap must be at least --memory: it is the total of "
                                 "memory and swap");
    }
    if (mem && resv && json_integer_value(resv) > json_integer_value(mem))
        return rl_make_error(err, 0, "--memory-reservation must be at most --memory");
    if (json_object_get(res, "NanoCpus")
        && (json_object_get(res, "CpuQuota") || json_object_get(res, "CpuPeriod")))
        return rl_make_error(err, 0, "--cpus and --cpu-quota/--cpu-period cannot be set together");
    if (json_object_get(res, "CpuShares") && json_object_get(res, "CpuWeight"))
        return rl_make_error(err, 0, "--cpu-shares and --cpu-weight cannot be set together");
    return 0;
}
