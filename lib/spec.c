#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "caps.h"
#include "fs.h"
#include "hooks.h"
#include "seccomp.h"
#include "spec.h"

/* A config.json larger than this is not a config. */
#define SPEC_MAX_BYTES (4u << 20)
#define SPEC_MAX_ITEMS 4096

static const struct {
    const char *name;
    int flag;
    const char *proc;
} ns_table[] = {
    { "user", CLONE_NEWUSER, "user" },       { "pid", CLONE_NEWPID, "pid" },
    { "mount", CLONE_NEWNS, "mnt" },         { "uts", CLONE_NEWUTS, "uts" },
    { "ipc", CLONE_NEWIPC, "ipc" },          { "network", CLONE_NEWNET, "net" },
    { "cgroup", CLONE_NEWCGROUP, "cgroup" }, { "time", CLONE_NEWTIME, "time" },
};

static const struct {
    const char *name;
    int resource;
} rlimits[] = {
    { "RLIMIT_AS", RLIMIT_AS },
    { "RLIMIT_CORE", RLIMIT_CORE },
    { "RLIMIT_CPU", RLIMIT_CPU },
    { "RLIMIT_DATA", RLIMIT_DATA },
    { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
    { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_NPROC", RLIMIT_NPROC },
    { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
    { "RLIMIT_RTTIME", RLIMIT_RTTIME },
    { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_STACK", RLIMIT_STACK },
};

int
rl_namespace_from_name(const char *name)
{
    for (size_t i = 0; i < RL_ARRAY_SIZE(ns_table); i++)
        if (strcmp(ns_table[i].name, name) == 0)
            return ns_table[i].flag;
    return -1;
}

const char *
rl_namespace_name(int type)
{
    for (size_t i = 0; i < RL_ARRAY_SIZE(ns_table); i++)
        if (ns_table[i].flag == type)
            return ns_table[i].name;
    return NULL;
}

const char *
rl_namespace_proc_name(int type)
{
    for (size_t i = 0; i < RL_ARRAY_SIZE(ns_table); i++)
        if (ns_table[i].flag == type)
            return ns_table[i].proc;
    return NULL;
}

const struct rl_namespace *
rl_spec_namespace(const struct rl_spec *spec, int type)
{
    for (size_t i = 0; i < spec->n_namespaces; i++)
        if (spec->namespaces[i].type == type)
            return &spec->namespaces[i];
    return NULL;
}

static int
field_error(rl_error_t *err, const char *field, const char *what)
{
    return rl_make_error(err, 0, "config.json: %s: %s", field, what);
}

/* Typed getters: absent (or null) optional fields leave *ret alone and return 0. */
static int
get_string(json_t *obj, const char *key, const char *field, bool required, char **ret,
           rl_error_t *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return required ? field_error(err, field, "missing") : 0;
    if (!json_is_string(v))
        return field_error(err, field, "must be a string");
    *ret = xstrdup(json_string_value(v));
    return 0;
}

static int
get_bool(json_t *obj, const char *key, const char *field, bool *ret, rl_error_t *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return field_error(err, field, "must be true or false");
    *ret = json_is_true(v);
    return 0;
}

static int
get_uint(json_t *obj, const char *key, const char *field, bool required, uint64_t max,
         uint64_t *ret, rl_error_t *err)
{
    json_t *v = json_object_get(obj, key);
    json_int_t n;

    if (v == NULL || json_is_null(v))
        return required ? field_error(err, field, "missing") : 0;
    if (!json_is_integer(v))
        return field_error(err, field, "must be a non-negative integer");
    n = json_integer_value(v);
    if (n < 0 || (uint64_t)n > max)
        return rl_make_error(err, 0, "config.json: %s: %lld is out of range (0 to %llu)", field,
                             (long long)n, (unsigned long long)max);
    *ret = (uint64_t)n;
    return 0;
}

static int
get_strv(json_t *obj, const char *key, const char *field, bool required, bool nonempty, char ***ret,
         rl_error_t *err)
{
    json_t *v = json_object_get(obj, key), *item;
    cleanup_strv char **out = NULL;
    size_t i;

    if (v == NULL || json_is_null(v)) {
        if (required)
            return field_error(err, field, "missing");
        return 0;
    }
    if (!json_is_array(v))
        return field_error(err, field, "must be an array of strings");
    if (nonempty && json_array_size(v) == 0)
        return field_error(err, field, "must not be empty");
    if (json_array_size(v) > SPEC_MAX_ITEMS)
        return field_error(err, field, "too many entries");
    out = xzalloc((json_array_size(v) + 1) * sizeof(char *));
    json_array_foreach (v, i, item) {
        if (!json_is_string(item))
            return rl_make_error(err, 0, "config.json: %s[%zu]: must be a string", field, i);
        out[i] = xstrdup(json_string_value(item));
    }
    *ret = steal_pointer(&out);
    return 0;
}

static json_t *
get_object(json_t *obj, const char *key, const char *field, rl_error_t *err, int *ret)
{
    json_t *v = json_object_get(obj, key);
    *ret = 0;
    if (v == NULL || json_is_null(v))
        return NULL;
    if (!json_is_object(v)) {
        *ret = field_error(err, field, "must be an object");
        return NULL;
    }
    return v;
}

static int
parse_idmaps(json_t *lx, const char *key, struct rl_idmap_range **ret, size_t *ret_n,
             rl_error_t *err)
{
    json_t *v = json_object_get(lx, key), *item;
    cleanup_free struct rl_idmap_range *maps = NULL;
    size_t i;

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return rl_make_error(err, 0, "config.json: linux.%s: must be an array", key);
    if (json_array_size(v) > 340)
        return rl_make_error(err, 0, "config.json: linux.%s: too many ranges (at most 340)", key);
    maps = xzalloc((json_array_size(v) + 1) * sizeof(*maps));
    json_array_foreach (v, i, item) {
        char field[64];
        uint64_t c = 0, h = 0, s = 0;
        snprintf(field, sizeof(field), "linux.%s[%zu]", key, i);
        if (!json_is_object(item))
            return field_error(err, field, "must be an object");
        {
            char f1[96], f2[96], f3[96];
            snprintf(f1, sizeof(f1), "%s.containerID", field);
            snprintf(f2, sizeof(f2), "%s.hostID", field);
            snprintf(f3, sizeof(f3), "%s.size", field);
            if (get_uint(item, "containerID", f1, true, UINT32_MAX, &c, err) < 0
                || get_uint(item, "hostID", f2, true, UINT32_MAX, &h, err) < 0
                || get_uint(item, "size", f3, true, UINT32_MAX, &s, err) < 0)
                return -1;
        }
        if (s == 0)
            return field_error(err, field, "size must be at least 1");
        if (c + s - 1 > UINT32_MAX || h + s - 1 > UINT32_MAX)
            return field_error(err, field, "range wraps past 4294967295");
        maps[i].container_id = (uint32_t)c;
        maps[i].host_id = (uint32_t)h;
        maps[i].size = (uint32_t)s;
    }
    *ret_n = json_array_size(v);
    *ret = steal_pointer(&maps);
    return 0;
}

static int
parse_namespaces(json_t *lx, struct rl_spec *spec, rl_error_t *err)
{
    json_t *v = json_object_get(lx, "namespaces"), *item;
    size_t i;

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return field_error(err, "linux.namespaces", "must be an array");
    spec->namespaces = xzalloc((json_array_size(v) + 1) * sizeof(*spec->namespaces));
    json_array_foreach (v, i, item) {
        char field[64];
        cleanup_free char *type = NULL;
        char *path = NULL;
        int flag;

        snprintf(field, sizeof(field), "linux.namespaces[%zu]", i);
        if (!json_is_object(item))
            return field_error(err, field, "must be an object");
        {
            char ft[80], fp[80];
            snprintf(ft, sizeof(ft), "%s.type", field);
            snprintf(fp, sizeof(fp), "%s.path", field);
            if (get_string(item, "type", ft, true, &type, err) < 0
                || get_string(item, "path", fp, false, &path, err) < 0)
                return -1;
        }
        flag = rl_namespace_from_name(type);
        if (flag < 0) {
            free(path);
            return rl_make_error(err, 0,
                                 "config.json: %s.type: unknown namespace '%s' (use pid, network, "
                                 "mount, ipc, uts, user, cgroup or time)",
                                 field, type);
        }
        if (rl_spec_namespace(spec, flag)) {
            free(path);
            return rl_make_error(err, 0, "config.json: %s.type: namespace '%s' given twice", field,
                                 type);
        }
        if (path && path[0] == '\0') {
            free(path);
            path = NULL;
        }
        if (path && path[0] != '/') {
            free(path);
            return field_error(err, field, "path must be absolute");
        }
        spec->namespaces[spec->n_namespaces].type = flag;
        spec->namespaces[spec->n_namespaces].path = path;
        spec->n_namespaces++;
    }
    return 0;
}

static int
parse_mounts(json_t *root, struct rl_spec *spec, rl_error_t *err)
{
    json_t *v = json_object_get(root, "mounts"), *item;
    size_t i;

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return field_error(err, "mounts", "must be an array");
    if (json_array_size(v) > SPEC_MAX_ITEMS)
        return field_error(err, "mounts", "too many entries");
    spec->mounts = xzalloc((json_array_size(v) + 1) * sizeof(*spec->mounts));
    json_array_foreach (v, i, item) {
        struct rl_mount *m = &spec->mounts[i];
        char fd[64], ft[64], fs[64], fo[64];

        snprintf(fd, sizeof(fd), "mounts[%zu].destination", i);
        snprintf(ft, sizeof(ft), "mounts[%zu].type", i);
        snprintf(fs, sizeof(fs), "mounts[%zu].source", i);
        snprintf(fo, sizeof(fo), "mounts[%zu].options", i);
        spec->n_mounts = i + 1;
        if (!json_is_object(item))
            return rl_make_error(err, 0, "config.json: mounts[%zu]: must be an object", i);
        if (get_string(item, "destination", fd, true, &m->destination, err) < 0
            || get_string(item, "type", ft, false, &m->type, err) < 0
            || get_string(item, "source", fs, false, &m->source, err) < 0
            || get_strv(item, "options", fo, false, false, &m->options, err) < 0)
            return -1;
        if (m->destination[0] != '/')
            return rl_make_error(err, 0, "config.json: %s: '%s' must be an absolute path", fd,
                                 m->destination);
    }
    return 0;
}

/* An rlimit value: RLIM_INFINITY is 2^64-1, which jansson cannot hold; rl_spec_parse() turns
 * that literal into -1 before parsing. */
static int
get_rlim(json_t *obj, const char *key, const char *field, uint64_t *ret, rl_error_t *err)
{
    json_t *v = json_object_get(obj, key);

    if (json_is_integer(v) && json_integer_value(v) == -1) {
        *ret = UINT64_MAX;
        return 0;
    }
    return get_uint(obj, key, field, true, UINT64_MAX, ret, err);
}

static int
parse_rlimits(json_t *process, struct rl_process *p, rl_error_t *err)
{
    json_t *v = json_object_get(process, "rlimits"), *item;
    size_t i;

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return field_error(err, "process.rlimits", "must be an array");
    p->rlimits = xzalloc((json_array_size(v) + 1) * sizeof(*p->rlimits));
    json_array_foreach (v, i, item) {
        cleanup_free char *type = NULL;
        char ft[64], fs[64], fh[64];
        uint64_t soft = 0, hard = 0;
        size_t k;

        snprintf(ft, sizeof(ft), "process.rlimits[%zu].type", i);
        snprintf(fs, sizeof(fs), "process.rlimits[%zu].soft", i);
        snprintf(fh, sizeof(fh), "process.rlimits[%zu].hard", i);
        if (!json_is_object(item))
            return rl_make_error(err, 0, "config.json: process.rlimits[%zu]: must be an object", i);
        if (get_string(item, "type", ft, true, &type, err) < 0
            || get_rlim(item, "soft", fs, &soft, err) < 0
            || get_rlim(item, "hard", fh, &hard, err) < 0)
            return -1;
        for (k = 0; k < RL_ARRAY_SIZE(rlimits); k++)
            if (strcmp(rlimits[k].name, type) == 0)
                break;
        if (k == RL_ARRAY_SIZE(rlimits))
            return rl_make_error(err, 0, "config.json: %s: unknown rlimit '%s'", ft, type);
        if (soft > hard)
            return rl_make_error(err, 0, "config.json: %s: soft limit %llu above hard limit %llu",
                                 ft, (unsigned long long)soft, (unsigned long long)hard);
        p->rlimits[p->n_rlimits].resource = rlimits[k].resource;
        p->rlimits[p->n_rlimits].soft = soft;
        p->rlimits[p->n_rlimits].hard = hard;
        p->n_rlimits++;
    }
    return 0;
}

static int
parse_caps(json_t *process, struct rl_process *p, rl_error_t *err)
{
    static const char *const names[] = { "bounding", "effective", "inheritable", "permitted",
                                         "ambient" };
    int ret;
    json_t *caps = get_object(process, "capabilities", "process.capabilities", err, &ret);

    if (ret < 0)
        return ret;
    if (caps == NULL)
        return 0;
    p->caps.present = true;
    for (size_t i = 0; i < RL_ARRAY_SIZE(names); i++) {
        json_t *set = json_object_get(caps, names[i]);
        char field[64];
        snprintf(field, sizeof(field), "process.capabilities.%s", names[i]);
        if (set == NULL || json_is_null(set))
            continue;
        if (!json_is_array(set))
            return field_error(err, field, "must be an array of strings");
        if (rl_caps_parse_set(set, field, &p->caps.sets[i], &p->caps.n[i], err) < 0)
            return rl_error_wrap(err, "config.json");
    }
    return 0;
}

int
rl_spec_parse_process(json_t *process, bool need_args, struct rl_process *p, rl_error_t *err)
{
    json_t *user, *console;
    uint64_t n = 0;
    int ret;

    if (get_bool(process, "terminal", "process.terminal", &p->terminal, err) < 0)
        return -1;
    console = get_object(process, "consoleSize", "process.consoleSize", err, &ret);
    if (ret < 0)
        return ret;
    if (console) {
        if (get_uint(console, "height", "process.consoleSize.height", true, 65535, &n, err) < 0)
            return -1;
        p->console_height = (unsigned int)n;
        if (get_uint(console, "width", "process.consoleSize.width", true, 65535, &n, err) < 0)
            return -1;
        p->console_width = (unsigned int)n;
    }
    user = get_object(process, "user", "process.user", err, &ret);
    if (ret < 0)
        return ret;
    if (user) {
        json_t *gids, *g;
        size_t i;

        n = 0;
        if (get_uint(user, "uid", "process.user.uid", true, UINT32_MAX - 1, &n, err) < 0)
            return -1;
        p->uid = (uid_t)n;
        n = 0;
        if (get_uint(user, "gid", "process.user.gid", true, UINT32_MAX - 1, &n, err) < 0)
            return -1;
        p->gid = (gid_t)n;
        if (json_object_get(user, "umask") && !json_is_null(json_object_get(user, "umask"))) {
            if (get_uint(user, "umask", "process.user.umask", true, 0777, &n, err) < 0)
                return -1;
            p->has_umask = true;
            p->umask = (mode_t)n;
        }
        gids = json_object_get(user, "additionalGids");
        if (gids && !json_is_null(gids)) {
            if (!json_is_array(gids) || json_array_size(gids) > 65536)
                return field_error(err, "process.user.additionalGids",
                                   "must be an array of at most 65536 integers");
            p->additional_gids = xzalloc((json_array_size(gids) + 1) * sizeof(gid_t));
            json_array_foreach (gids, i, g) {
                if (!json_is_integer(g) || json_integer_value(g) < 0
                    || json_integer_value(g) >= UINT32_MAX)
                    return rl_make_error(
                        err, 0, "config.json: process.user.additionalGids[%zu]: must be a gid", i);
                p->additional_gids[i] = (gid_t)json_integer_value(g);
            }
            p->n_additional_gids = json_array_size(gids);
        }
    }
    if (get_strv(process, "args", "process.args", need_args, need_args, &p->args, err) < 0)
        return -1;
    if (get_strv(process, "env", "process.env", false, false, &p->env, err) < 0)
        return -1;
    if (get_string(process, "cwd", "process.cwd", false, &p->cwd, err) < 0)
        return -1;
    if (p->cwd == NULL)
        p->cwd = xstrdup("/");
    if (p->cwd[0] != '/')
        return rl_make_error(err, 0, "config.json: process.cwd: '%s' must be an absolute path",
                             p->cwd);
    if (parse_caps(process, p, err) < 0 || parse_rlimits(process, p, err) < 0)
        return -1;
    if (get_bool(process, "noNewPrivileges", "process.noNewPrivileges", &p->no_new_privileges, err)
        < 0)
        return -1;
    if (json_object_get(process, "oomScoreAdj")
        && !json_is_null(json_object_get(process, "oomScoreAdj"))) {
        json_t *o = json_object_get(process, "oomScoreAdj");
        if (!json_is_integer(o) || json_integer_value(o) < -1000 || json_integer_value(o) > 1000)
            return field_error(err, "process.oomScoreAdj", "must be an integer from -1000 to 1000");
        p->has_oom_score_adj = true;
        p->oom_score_adj = (int)json_integer_value(o);
    }
    if (get_string(process, "apparmorProfile", "process.apparmorProfile", false,
                   &p->apparmor_profile, err)
            < 0
        || get_string(process, "selinuxLabel", "process.selinuxLabel", false, &p->selinux_label,
                      err)
               < 0)
        return -1;
    return 0;
}

static int
parse_linux(json_t *root, struct rl_spec *spec, rl_error_t *err)
{
    int ret;
    json_t *lx = get_object(root, "linux", "linux", err, &ret), *v;

    if (ret < 0)
        return ret;
    if (lx == NULL)
        return 0;
    if (parse_namespaces(lx, spec, err) < 0
        || parse_idmaps(lx, "uidMappings", &spec->uid_mappings, &spec->n_uid_mappings, err) < 0
        || parse_idmaps(lx, "gidMappings", &spec->gid_mappings, &spec->n_gid_mappings, err) < 0
        || get_strv(lx, "maskedPaths", "linux.maskedPaths", false, false, &spec->masked_paths, err)
               < 0
        || get_strv(lx, "readonlyPaths", "linux.readonlyPaths", false, false, &spec->readonly_paths,
                    err)
               < 0
        || get_string(lx, "rootfsPropagation", "linux.rootfsPropagation", false,
                      &spec->rootfs_propagation, err)
               < 0
        || get_string(lx, "cgroupsPath", "linux.cgroupsPath", false, &spec->cgroups_path, err) < 0)
        return -1;
    if (spec->rootfs_propagation) {
        static const char *const ok[] = { "private", "rprivate", "slave",      "rslave",
                                          "shared",  "rshared",  "unbindable", "runbindable" };
        size_t i;
        for (i = 0; i < RL_ARRAY_SIZE(ok); i++)
            if (strcmp(ok[i], spec->rootfs_propagation) == 0)
                break;
        if (i == RL_ARRAY_SIZE(ok))
            return rl_make_error(err, 0, "config.json: linux.rootfsPropagation: unknown mode '%s'",
                                 spec->rootfs_propagation);
    }
    v = get_object(lx, "seccomp", "linux.seccomp", err, &ret);
    if (ret < 0)
        return ret;
    if (v) {
        if (rl_seccomp_check(v, err) < 0)
            return rl_error_wrap(err, "config.json");
        spec->seccomp = json_incref(v);
    }
    v = get_object(lx, "resources", "linux.resources", err, &ret);
    if (ret < 0)
        return ret;
    spec->resources = json_incref(v);
    v = get_object(lx, "sysctl", "linux.sysctl", err, &ret);
    if (ret < 0)
        return ret;
    if (v) {
        const char *key;
        json_t *val;
        json_object_foreach (v, key, val) {
            if (!json_is_string(val))
                return rl_make_error(err, 0, "config.json: linux.sysctl.%s: must be a string", key);
            if (strstr(key, "..") || strchr(key, '/'))
                return rl_make_error(err, 0, "config.json: linux.sysctl: bad name '%s'", key);
        }
        spec->sysctl = json_incref(v);
    }
    return 0;
}

/* A copy of TEXT where each number 18446744073709551615 (2^64-1, RLIM_INFINITY in configs
 * written by Go runtimes) reads -1, padded with spaces so that error columns stay right.
 * Inside a string it is left alone. */
static char *
unlimited_to_minus_one(const char *text, size_t len)
{
    static const char big[] = "18446744073709551615";
    const size_t n = sizeof(big) - 1;
    char *copy = xmalloc(len + 1);
    bool in_string = false;

    memcpy(copy, text, len);
    copy[len] = '\0';
    for (size_t i = 0; i < len; i++) {
        if (in_string) {
            if (copy[i] == '\\')
                i++;
            else if (copy[i] == '"')
                in_string = false;
            continue;
        }
        if (copy[i] == '"') {
            in_string = true;
            continue;
        }
        if (i + n <= len && memcmp(copy + i, big, n) == 0
            && (i == 0 || !isdigit((unsigned char)copy[i - 1]))
            && (i + n == len || !isdigit((unsigned char)copy[i + n]))) {
            memcpy(copy + i, "-1", 2);
            memset(copy + i + 2, ' ', n - 2);
            i += n - 1;
        }
    }
    return copy;
}

int
rl_spec_parse(const char *text, size_t len, const char *bundle, struct rl_spec **ret_spec,
              rl_error_t *err)
{
    cleanup_spec struct rl_spec *spec = xzalloc(sizeof(*spec));
    cleanup_free char *copy = NULL;
    json_error_t jerr;
    json_t *root, *rootobj, *process, *v;
    int ret;

    copy = unlimited_to_minus_one(text, len);
    root = json_loadb(copy, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return rl_make_error(err, 0, "config.json: line %d column %d: %s", jerr.line, jerr.column,
                             jerr.text);
    spec->root = root;
    if (!json_is_object(root))
        return rl_make_error(err, 0, "config.json: must be a JSON object");
    if (get_string(root, "ociVersion", "ociVersion", true, &spec->oci_version, err) < 0)
        return -1;
    if (!rl_str_has_prefix(spec->oci_version, "1."))
        return rl_make_error(err, 0,
                             "config.json: ociVersion: unsupported version '%s' (rl supports 1.x)",
                             spec->oci_version);
    rootobj = get_object(root, "root", "root", err, &ret);
    if (ret < 0)
        return ret;
    if (rootobj == NULL)
        return field_error(err, "root", "missing");
    if (get_string(rootobj, "path", "root.path", true, &spec->root_path, err) < 0
        || get_bool(rootobj, "readonly", "root.readonly", &spec->root_readonly, err) < 0)
        return -1;
    if (spec->root_path[0] != '/' && bundle) {
        char *abs = xasprintf("%s/%s", bundle, spec->root_path);
        free(spec->root_path);
        spec->root_path = abs;
    }
    process = get_object(root, "process", "process", err, &ret);
    if (ret < 0)
        return ret;
    if (process == NULL)
        return field_error(err, "process", "missing");
    if (rl_spec_parse_process(process, true, &spec->process, err) < 0)
        return -1;
    if (get_string(root, "hostname", "hostname", false, &spec->hostname, err) < 0
        || get_string(root, "domainname", "domainname", false, &spec->domainname, err) < 0)
        return -1;
    if (spec->hostname && strlen(spec->hostname) > 64)
        return field_error(err, "hostname", "longer than 64 characters");
    if (parse_mounts(root, spec, err) < 0 || parse_linux(root, spec, err) < 0)
        return -1;
    v = get_object(root, "annotations", "annotations", err, &ret);
    if (ret < 0)
        return ret;
    spec->annotations = json_incref(v);
    v = get_object(root, "hooks", "hooks", err, &ret);
    if (ret < 0)
        return ret;
    if (v && rl_hooks_check(v, err) < 0)
        return -1;
    spec->hooks = json_incref(v);
    *ret_spec = steal_pointer(&spec);
    return 0;
}

int
rl_spec_load(const char *bundle, struct rl_spec **ret_spec, rl_error_t *err)
{
    cleanup_free char *path = xasprintf("%s/config.json", bundle);
    cleanup_free char *text = NULL;
    size_t len = 0;

    if (rl_read_file(path, SPEC_MAX_BYTES, &text, &len, err) < 0)
        return -1;
    return rl_spec_parse(text, len, bundle, ret_spec, err);
}

void
rl_process_release(struct rl_process *p)
{
    free(p->additional_gids);
    rl_strv_free(p->args);
    rl_strv_free(p->env);
    free(p->cwd);
    for (size_t i = 0; i < RL_ARRAY_SIZE(p->caps.sets); i++)
        free(p->caps.sets[i]);
    free(p->rlimits);
    free(p->apparmor_profile);
    free(p->selinux_label);
}

void
rl_spec_free(struct rl_spec *spec)
{
    if (spec == NULL)
        return;
    free(spec->oci_version);
    free(spec->root_path);
    free(spec->hostname);
    free(spec->domainname);
    rl_process_release(&spec->process);
    for (size_t i = 0; i < spec->n_mounts; i++) {
        free(spec->mounts[i].destination);
        free(spec->mounts[i].type);
        free(spec->mounts[i].source);
        rl_strv_free(spec->mounts[i].options);
    }
    free(spec->mounts);
    for (size_t i = 0; i < spec->n_namespaces; i++)
        free(spec->namespaces[i].path);
    free(spec->namespaces);
    free(spec->uid_mappings);
    free(spec->gid_mappings);
    rl_strv_free(spec->masked_paths);
    rl_strv_free(spec->readonly_paths);
    free(spec->rootfs_propagation);
    free(spec->cgroups_path);
    json_decref(spec->seccomp);
    json_decref(spec->resources);
    json_decref(spec->sysctl);
    json_decref(spec->annotations);
    json_decref(spec->hooks);
    json_decref(spec->root);
    free(spec);
}

void
rl_spec_freep(struct rl_spec **spec)
{
    rl_spec_free(*spec);
}

static json_t *
maps_json(const struct rl_idmap_range *m, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:I, s:I, s:I}", "containerID", (json_int_t)m[i].container_id, "hostID",
                         (json_int_t)m[i].host_id, "size", (json_int_t)m[i].size));
    return a;
}

json_t *
rl_spec_default(bool rootless, const struct rl_idmap_range *uids, size_t n_uids,
                const struct rl_idmap_range *gids, size_t n_gids)
{
    json_t *caps = json_pack("[s, s, s]", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
    json_t *spec, *mounts, *namespaces, *lx;

    mounts = json_pack("[{s:s, s:s, s:s}, "
                       "{s:s, s:s, s:s, s:[s, s, s, s]}, "
                       "{s:s, s:s, s:s, s:[s, s, s, s, s]}, "
                       "{s:s, s:s, s:s, s:[s, s, s, s, s]}, "
                       "{s:s, s:s, s:s, s:[s, s, s]}]",
                       "destination", "/proc", "type", "proc", "source", "proc", "destination",
                       "/dev", "type", "tmpfs", "source", "tmpfs", "options", "nosuid",
                       "strictatime", "mode=755", "size=65536k", "destination", "/dev/pts", "type",
                       "devpts", "source", "devpts", "options", "nosuid", "noexec", "newinstance",
                       "ptmxmode=0666", "mode=0620", "destination", "/dev/shm", "type", "tmpfs",
                       "source", "shm", "options", "nosuid", "noexec", "nodev", "mode=1777",
                       "size=65536k", "destination", "/dev/mqueue", "type", "mqueue", "source",
                       "mqueue", "options", "nosuid", "noexec", "nodev");
    /* gid 5 (tty) exists only when the map covers it: not in a rootless single-id map. */
    if (!rootless)
        json_array_append_new(json_object_get(json_array_get(mounts, 2), "options"),
                              json_string("gid=5"));
    if (rootless)
        json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s, s, s, s, s]}", "destination",
                                                "/sys", "type", "none", "source", "/sys", "options",
                                                "rbind", "nosuid", "noexec", "nodev", "ro"));
    else
        json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s, s, s, s]}", "destination",
                                                "/sys", "type", "sysfs", "source", "sysfs",
                                                "options", "nosuid", "noexec", "nodev", "ro"));
    json_array_append_new(mounts,
                          json_pack("{s:s, s:s, s:s, s:[s, s, s, s, s]}", "destination",
                                    "/sys/fs/cgroup", "type", "cgroup", "source", "cgroup",
                                    "options", "nosuid", "noexec", "nodev", "relatime", "ro"));
    namespaces =
        json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "type", "pid", "type", "network",
                  "type", "ipc", "type", "uts", "type", "mount", "type", "cgroup");
    if (rootless)
        json_array_append_new(namespaces, json_pack("{s:s}", "type", "user"));
    lx = json_pack("{s:o, s:[s, s, s, s, s, s, s, s, s, s, s], s:[s, s, s, s, s, s]}", "namespaces",
                   namespaces, "maskedPaths", "/proc/acpi", "/proc/asound", "/proc/kcore",
                   "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                   "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
                   "/sys/devices/virtual/powercap", "readonlyPaths", "/proc/bus", "/proc/fs",
                   "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", "/sys/kernel/security");
    if (rootless) {
        json_object_set_new(lx, "uidMappings", maps_json(uids, n_uids));
        json_object_set_new(lx, "gidMappings", maps_json(gids, n_gids));
    }
    spec = json_pack(
        "{s:s, s:{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:{s:O, s:O, s:O}, "
        "s:[{s:s, s:i, s:i}], s:b}, s:{s:s, s:b}, s:s, s:o, s:o}",
        "ociVersion", "1.1.0", "process", "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh",
        "env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
        "cwd", "/", "capabilities", "bounding", caps, "effective", caps, "permitted", caps,
        "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1,
        "root", "path", "rootfs", "readonly", 1, "hostname", "rl", "mounts", mounts, "linux", lx);
    json_decref(caps);
    return spec;
}
