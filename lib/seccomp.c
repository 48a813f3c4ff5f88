#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#ifdef HAVE_SECCOMP
/* Makefile.am puts lib/ on the -I path, so <seccomp.h> would find rl's own lib/seccomp.h.
 * Going through "../include/" skips it and reaches libseccomp's header in any .../include
 * directory of the system path. */
#include <seccomp.h>
#endif

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "seccomp.h"
#include "syscalls.h"

#ifdef HAVE_SECCOMP

/* Limits on what one config.json may ask for (STYLE.md §4). */
#define MAX_SYSCALLS 4096
#define MAX_NAMES    4096
#define MAX_ARGS     64
#define MAX_ARG      5 /* a syscall has at most six arguments */

/* The filter is built in the parent and loaded by the container process just before exec. */
struct rl_seccomp {
    scmp_filter_ctx ctx; /* NULL when BPF holds a program compiled earlier */
    struct sock_filter *bpf;
    size_t n_bpf;
    unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

static void
seccomp_ctx_release(scmp_filter_ctx *ctx)
{
    if (*ctx)
        seccomp_release(*ctx);
}
#define cleanup_seccomp __attribute__((cleanup(seccomp_ctx_release)))

enum action_data {
    DATA_NONE,
    DATA_ERRNO, /* SCMP_ACT_ERRNO(errnoRet), EPERM when absent */
    DATA_TRACE, /* SCMP_ACT_TRACE(errnoRet), EPERM when absent (as runc) */
    DATA_UNSUPPORTED,
};

static const struct {
    const char *name;
    uint32_t action;
    enum action_data data;
} actions[] = {
    { "SCMP_ACT_KILL", SCMP_ACT_KILL, DATA_NONE },
    { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, DATA_NONE },
    { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, DATA_NONE },
    { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, DATA_NONE },
    { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), DATA_ERRNO },
    { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), DATA_TRACE },
    { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, DATA_NONE },
    { "SCMP_ACT_LOG", SCMP_ACT_LOG, DATA_NONE },
    /* Handing the listener fd to listenerPath has to happen outside the container's mount
     * namespace, through the parent; rl does not do that, so refuse rather than hang. */
    { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, DATA_UNSUPPORTED },
};

static const struct {
    const char *name;
    enum scmp_compare op;
} ops[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE },
    { "SCMP_CMP_LT", SCMP_CMP_LT },
    { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ },
    { "SCMP_CMP_GE", SCMP_CMP_GE },
    { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The filter attribute of each flag. WAIT_KILLABLE_RECV (no attribute: _SCMP_FLTATR_MIN) only
 * changes how a notify listener receives, and with SCMP_ACT_NOTIFY refused there is none. */
static const struct {
    const char *name;
    enum scmp_filter_attr attr;
} flags[] = {
    { "SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC },
    { "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG },
    { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB },
    { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", _SCMP_FLTATR_MIN },
};

/* A uint64 field; negative JSON integers are taken as their two's complement, since jansson
 * cannot read integers above INT64_MAX. */
static int
get_u64(json_t *obj, const char *key, const char *field, bool required, uint64_t *ret,
        rl_error_t *err)
{
    json_t *v = json_object_get(obj, key);

    if (v == NULL || json_is_null(v)) {
        if (required)
            return rl_make_error(err, 0, "%s.%s: missing", field, key);
        *ret = 0;
        return 0;
    }
    if (!json_is_integer(v))
        return rl_make_error(err, 0, "%s.%s: must be an integer", field, key);
    *ret = (uint64_t)json_integer_value(v);
    return 0;
}

static json_t *
get_array(json_t *obj, const char *key, const char *field, size_t max, rl_error_t *err)
{
    json_t *v = json_object_get(obj, key);

    if (v == NULL || json_is_null(v))
        return json_array(); /* new reference to an empty array: absent means none */
    if (!json_is_array(v)) {
        rl_make_error(err, 0, "%s.%s: must be an array", field, key);
        return NULL;
    }
    if (json_array_size(v) > max) {
        rl_make_error(err, 0, "%s.%s: too many entries (at most %zu)", field, key, max);
        return NULL;
    }
    return json_incref(v);
}

/* ACTION_KEY ("defaultAction" or "action") and ERRNO_KEY of OBJ -> a libseccomp action. */
static int
parse_action(json_t *obj, const char *action_key, const char *errno_key, const char *field,
             uint32_t *ret, rl_error_t *err)
{
    json_t *v = json_object_get(obj, action_key);
    const char *name;
    json_t *e = json_object_get(obj, errno_key);
    json_int_t ret_code = EPERM;

    if (v == NULL || json_is_null(v))
        return rl_make_error(err, 0, "%s.%s: missing", field, action_key);
    if (!json_is_string(v))
        return rl_make_error(err, 0, "%s.%s: must be a string", field, action_key);
    if (e && !json_is_null(e)) {
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 0xffff)
            return rl_make_error(err, 0, "%s.%s: must be an integer between 0 and 65535", field,
                                 errno_key);
        ret_code = json_integer_value(e);
    }
    name = json_string_value(v);
    for (size_t i = 0; i < RL_ARRAY_SIZE(actions); i++) {
        if (strcmp(actions[i].name, name) != 0)
            continue;
        switch (actions[i].data) {
        case DATA_UNSUPPORTED:
            return rl_make_error(err, 0, "%s.%s: %s is not supported", field, action_key, name);
        case DATA_ERRNO:
            *ret = SCMP_ACT_ERRNO((uint32_t)ret_code);
            return 0;
        case DATA_TRACE:
            *ret = SCMP_ACT_TRACE((uint32_t)ret_code);
            return 0;
        case DATA_NONE:
            *ret = actions[i].action;
            return 0;
        }
    }
    return rl_make_error(err, 0, "%s.%s: unknown action '%s'", field, action_key, name);
}

static int
parse_default_action(json_t *seccomp, uint32_t *ret, rl_error_t *err)
{
    return parse_action(seccomp, "defaultAction", "defaultErrnoRet", "linux.seccomp", ret, err);
}

/* The spec's "SCMP_ARCH_AARCH64" is libseccomp's "aarch64": every architecture the linked
 * libseccomp knows is accepted, without a table to keep up to date. */
static uint32_t
resolve_arch(const char *name)
{
    char buf[32];
    size_t len;

    if (strncmp(name, "SCMP_ARCH_", 10) != 0)
        return 0;
    name += 10;
    len = strlen(name);
    if (len == 0 || len >= sizeof(buf) || strcmp(name, "NATIVE") == 0)
        return 0;
    for (size_t i = 0; i <= len; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    return seccomp_arch_resolve_name(buf);
}

/* CTX is NULL while only checking. */
static int
add_arches(json_t *seccomp, scmp_filter_ctx ctx, rl_error_t *err)
{
    json_auto_t *arr = get_array(seccomp, "architectures", "linux.seccomp", 64, err);
    json_t *v;
    size_t i;

    if (arr == NULL)
        return -1;
    json_array_foreach (arr, i, v) {
        uint32_t arch;
        int r;

        if (!json_is_string(v))
            return rl_make_error(err, 0, "linux.seccomp.architectures[%zu]: must be a string", i);
        arch = resolve_arch(json_string_value(v));
        if (arch == 0)
            return rl_make_error(err, 0,
                                 "linux.seccomp.architectures[%zu]: unknown architecture '%s'", i,
                                 json_string_value(v));
        if (ctx == NULL)
            continue;
        r = seccomp_arch_add(ctx, arch);
        if (r < 0 && r != -EEXIST)
            return rl_make_error(err, -r, "linux.seccomp.architectures[%zu]: add '%s'", i,
                                 json_string_value(v));
    }
    return 0;
}

static int
set_flags(json_t *seccomp, scmp_filter_ctx ctx, rl_error_t *err)
{
    json_auto_t *arr = get_array(seccomp, "flags", "linux.seccomp", 64, err);
    json_t *v;
    size_t i, j;

    if (arr == NULL)
        return -1;
    json_array_foreach (arr, i, v) {
        const char *name = json_string_value(v);
        int r;

        if (name == NULL)
            return rl_make_error(err, 0, "linux.seccomp.flags[%zu]: must be a string", i);
        for (j = 0; j < RL_ARRAY_SIZE(flags) && strcmp(flags[j].name, name) != 0; j++)
            ;
        if (j == RL_ARRAY_SIZE(flags))
            return rl_make_error(err, 0, "linux.seccomp.flags[%zu]: unknown flag '%s'", i, name);
        if (ctx == NULL || flags[j].attr == _SCMP_FLTATR_MIN) {
            if (ctx)
                rl_debug("seccomp flag '%s' has no effect without SCMP_ACT_NOTIFY", name);
            continue;
        }
        r = seccomp_attr_set(ctx, flags[j].attr, 1);
        if (r < 0)
            return rl_make_error(err, -r, "linux.seccomp.flags[%zu]: set '%s' (too old a kernel?)",
                                 i, name);
    }
    return 0;
}

static int
parse_arg(json_t *arg, const char *field, struct scmp_arg_cmp *ret, rl_error_t *err)
{
    json_t *index = json_object_get(arg, "index");
    const char *op;

    if (!json_is_object(arg))
        return rl_make_error(err, 0, "%s: must be an object", field);
    if (index == NULL || json_is_null(index))
        return rl_make_error(err, 0, "%s.index: missing", field);
    if (!json_is_integer(index) || json_integer_value(index) < 0
        || json_integer_value(index) > MAX_ARG)
        return rl_make_error(err, 0, "%s.index: must be an integer between 0 and %d", field,
                             MAX_ARG);
    ret->arg = (unsigned int)json_integer_value(index);
    if (get_u64(arg, "value", field, true, &ret->datum_a, err) < 0
        || get_u64(arg, "valueTwo", field, false, &ret->datum_b, err) < 0)
        return -1;
    if (json_object_get(arg, "op") == NULL)
        return rl_make_error(err, 0, "%s.op: missing", field);
    op = json_string_value(json_object_get(arg, "op"));
    if (op == NULL)
        return rl_make_error(err, 0, "%s.op: must be a string", field);
    for (size_t i = 0; i < RL_ARRAY_SIZE(ops); i++) {
        if (strcmp(ops[i].name, op) == 0) {
            ret->op = ops[i].op;
            return 0;
        }
    }
    return rl_make_error(err, 0, "%s.op: unknown operator '%s'", field, op);
}

/* One entry of linux.seccomp.syscalls[], parsed. */
struct rule {
    char field[64]; /* "linux.seccomp.syscalls[3]" */
    uint32_t action;
    struct scmp_arg_cmp args[MAX_ARGS];
    size_t n_args;
    bool or_args; /* several conditions on one argument: one rule per condition */
};

/* runc and crun give args[] two meanings: when no argument index appears twice, all the
 * conditions must hold together (one rule, AND); when some index appears more than once, a
 * single rule could never match (arg0 == 1 && arg0 == 2), so each condition becomes a rule of
 * its own and any of them matches (OR). rl does the same so that profiles written for them,
 * such as Docker's for personality(2), mean the same here. */
static int
parse_args(json_t *sc, struct rule *rule, rl_error_t *err)
{
    json_auto_t *arr = get_array(sc, "args", rule->field, MAX_ARGS, err);
    unsigned int count[MAX_ARG + 1] = { 0 };
    json_t *v;
    size_t i;

    if (arr == NULL)
        return -1;
    json_array_foreach (arr, i, v) {
        char field[96];

        snprintf(field, sizeof(field), "%s.args[%zu]", rule->field, i);
        if (parse_arg(v, field, &rule->args[i], err) < 0)
            return -1;
        if (++count[rule->args[i].arg] > 1)
            rule->or_args = true;
    }
    rule->n_args = json_array_size(arr);
    return 0;
}

static int
add_rule(scmp_filter_ctx ctx, const struct rule *rule, int nr, const char *name, rl_error_t *err)
{
    size_t n = rule->or_args ? rule->n_args : 1;

    for (size_t i = 0; i < n; i++) {
        int r;

        if (rule->or_args)
            r = seccomp_rule_add_array(ctx, rule->action, nr, 1, &rule->args[i]);
        else
            r = seccomp_rule_add_array(ctx, rule->action, nr, (unsigned int)rule->n_args,
                                       rule->args);
        if (r < 0)
            return rl_make_error(err, -r, "%s: add a rule for '%s'", rule->field, name);
    }
    return 0;
}

/* CTX is NULL while only checking. A rule with the default action is left out: libseccomp
 * refuses it, and it would change nothing. */
static int
translate_syscall(json_t *sc, size_t idx, scmp_filter_ctx ctx, uint32_t default_action,
                  rl_error_t *err)
{
    json_auto_t *names = NULL;
    struct rule rule = { .n_args = 0 };
    json_t *v;
    size_t i;

    snprintf(rule.field, sizeof(rule.field), "linux.seccomp.syscalls[%zu]", idx);
    if (!json_is_object(sc))
        return rl_make_error(err, 0, "%s: must be an object", rule.field);
    if (json_object_get(sc, "names") == NULL)
        return rl_make_error(err, 0, "%s.names: missing", rule.field);
    names = get_array(sc, "names", rule.field, MAX_NAMES, err);
    if (names == NULL || parse_action(sc, "action", "errnoRet", rule.field, &rule.action, err) < 0
        || parse_args(sc, &rule, err) < 0)
        return -1;
    json_array_foreach (names, i, v) {
        const char *name = json_string_value(v);
        int nr;

        if (name == NULL)
            return rl_make_error(err, 0, "%s.names[%zu]: must be a string", rule.field, i);
        nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
            return rl_make_error(err, 0, "%s.names[%zu]: unknown syscall '%s'", rule.field, i,
                                 name);
        if (ctx == NULL || rule.action == default_action)
            continue;
        if (add_rule(ctx, &rule, nr, name, err) < 0)
            return -1;
    }
    return 0;
}

static int
translate(json_t *seccomp, scmp_filter_ctx ctx, rl_error_t *err)
{
    json_auto_t *syscalls = NULL;
    uint32_t default_action;
    json_t *v;
    size_t i;

    if (!json_is_object(seccomp))
        return rl_make_error(err, 0, "linux.seccomp: must be an object");
    if (parse_default_action(seccomp, &default_action, err) < 0)
        return -1;
    v = json_object_get(seccomp, "listenerPath");
    if (v && !json_is_null(v) && !json_is_string(v))
        return rl_make_error(err, 0, "linux.seccomp.listenerPath: must be a string");
    v = json_object_get(seccomp, "listenerMetadata");
    if (v && !json_is_null(v) && !json_is_string(v))
        return rl_make_error(err, 0, "linux.seccomp.listenerMetadata: must be a string");
    if (add_arches(seccomp, ctx, err) < 0 || set_flags(seccomp, ctx, err) < 0)
        return -1;
    syscalls = get_array(seccomp, "syscalls", "linux.seccomp", MAX_SYSCALLS, err);
    if (syscalls == NULL)
        return -1;
    json_array_foreach (syscalls, i, v) {
        if (translate_syscall(v, i, ctx, default_action, err) < 0)
            return -1;
    }
    return 0;
}

int
rl_seccomp_check(json_t *seccomp, rl_error_t *err)
{
    if (seccomp == NULL || json_is_null(seccomp))
        return 0;
    return translate(seccomp, NULL, err);
}

/* libseccomp's defaults that rl overrides: it would set no_new_privs itself on load, but
 * that is process.noNewPrivileges' call (runc does the same); and it would hide the kernel's
 * errno behind ECANCELED. The binary-tree optimisation helps long profiles such as Docker's;
 * libseccomp <= 2.5.4 mishandles it on empty filters, hence the threshold (as runc). */
static int
set_attributes(scmp_filter_ctx ctx, json_t *seccomp, rl_error_t *err)
{
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);

    if (r < 0)
        return rl_make_error(err, -r, "linux.seccomp: clear the no_new_privs attribute");
    (void)seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
    if (json_array_size(json_object_get(seccomp, "syscalls")) > 32)
        (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    return 0;
}

int
rl_seccomp_build(json_t *seccomp, struct rl_seccomp **ret, rl_error_t *err)
{
    cleanup_seccomp scmp_filter_ctx ctx = NULL;
    uint32_t default_action;
    struct rl_seccomp *filter;

    if (seccomp == NULL || json_is_null(seccomp)) {
        *ret = NULL;
        return 0;
    }
    if (rl_seccomp_check(seccomp, err) < 0
        || parse_default_action(seccomp, &default_action, err) < 0)
        return -1;
    ctx = seccomp_init(default_action);
    if (ctx == NULL)
        return rl_make_error(err, 0, "linux.seccomp.defaultAction: libseccomp cannot use it");
    if (set_attributes(ctx, seccomp, err) < 0 || translate(seccomp, ctx, err) < 0)
        return -1;
    filter = xzalloc(sizeof(*filter));
    filter->ctx = steal_pointer(&ctx);
    *ret = filter;
    return 0;
}

/* Runs in the container process: without no_new_privs this needs CAP_SYS_ADMIN in its user
 * namespace, which the caller arranges by loading before the capabilities are dropped. */
int
rl_seccomp_load(struct rl_seccomp *filter, rl_error_t *err)
{
    int r;

    if (filter == NULL)
        return 0;
    if (filter->ctx == NULL) {
        struct sock_fprog prog = { .len = (unsigned short)filter->n_bpf, .filter = filter->bpf };
        if (rl_seccomp_set_filter(filter->flags, &prog) < 0)
            return rl_make_error(err, errno, "load the seccomp filter");
        return 0;
    }
    r = seccomp_load(filter->ctx);
    if (r < 0)
        return rl_make_error(err, -r, "load the seccomp filter");
    return 0;
}

void
rl_seccomp_free(struct rl_seccomp *filter)
{
    if (filter == NULL)
        return;
    if (filter->ctx)
        seccomp_release(filter->ctx);
    free(filter->bpf);
    free(filter);
}

/* The cache file: a header, then the program. */
struct bpf_cache_header {
    char magic[8]; /* "rlbpf02\n" */
    uint32_t flags;
    uint32_t n_bpf;
    uint32_t key_len; /* the key text follows the program */
};

/* The cache file of a profile: named by a 64-bit FNV-1a of its text, libseccomp's version and
 * the machine; the text itself is in the file too, so that a collision is only a miss. */
static char *
cache_path(json_t *seccomp, const char *dir, char **ret_text)
{
    char *text = json_dumps(seccomp, JSON_COMPACT | JSON_SORT_KEYS);
    const struct scmp_version *v = seccomp_version();
    uint64_t h = 14695981039346656037ULL;
    char *keyed;

    if (text == NULL)
        rl_oom();
    keyed = xasprintf("%u.%u.%u/%u/%s", v->major, v->minor, v->micro, seccomp_arch_native(), text);
    for (const unsigned char *c = (const unsigned char *)keyed; *c; c++) {
        h ^= *c;
        h *= 1099511628211ULL;
    }
    *ret_text = keyed;
    free(text);
    return xasprintf("%s/%016llx.bpf", dir, (unsigned long long)h);
}

static struct rl_seccomp *
cache_read(const char *path, const char *key)
{
    cleanup_free char *buf = NULL;
    cleanup_error rl_error_t tmp = NULL;
    struct bpf_cache_header h;
    struct rl_seccomp *f;
    size_t len, prog;

    if (rl_read_file(path, 4 << 20, &buf, &len, &tmp) < 0 || len < sizeof(h))
        return NULL;
    memcpy(&h, buf, sizeof(h));
    prog = (size_t)h.n_bpf * sizeof(struct sock_filter);
    if (memcmp(h.magic, "rlbpf02\n", 8) != 0 || h.n_bpf == 0 || h.n_bpf > 65535
        || len != sizeof(h) + prog + h.key_len || h.key_len != strlen(key)
        || memcmp(buf + sizeof(h) + prog, key, h.key_len) != 0)
        return NULL;
    f = xzalloc(sizeof(*f));
    f->flags = h.flags;
    f->n_bpf = h.n_bpf;
    f->bpf = xmalloc(prog);
    memcpy(f->bpf, buf + sizeof(h), prog);
    return f;
}

/* The flags libseccomp would give seccomp(2) for CTX's attributes. */
static unsigned int
load_flags(scmp_filter_ctx ctx)
{
    uint32_t v = 0;
    unsigned int load = 0;

    if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_TSYNC, &v) == 0 && v)
        load |= SECCOMP_FILTER_FLAG_TSYNC;
    v = 0;
    if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_LOG, &v) == 0 && v)
        load |= SECCOMP_FILTER_FLAG_LOG;
    v = 0;
    if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_SSB, &v) == 0 && v)
        load |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    return load;
}

/* Compile CTX to BPF into F (and the cache file PATH, best effort). */
static int
compile(struct rl_seccomp *f, const char *path, const char *key, rl_error_t *err)
{
    cleanup_close int fd = memfd_create("rl-seccomp", MFD_CLOEXEC);
    cleanup_free char *buf = NULL;
    struct bpf_cache_header h = { .magic = "rlbpf02\n" };
    struct stat st;
    size_t len;
    int r;

    if (fd < 0)
        return rl_make_error(err, errno, "memfd_create");
    r = seccomp_export_bpf(f->ctx, fd);
    if (r < 0)
        return rl_make_error(err, -r, "compile the seccomp filter");
    if (fstat(fd, &st) < 0 || st.st_size <= 0 || (size_t)st.st_size % sizeof(struct sock_filter))
        return rl_make_error(err, EINVAL, "compile the seccomp filter: odd program size");
    if (lseek(fd, 0, SEEK_SET) < 0 || rl_read_all_fd(fd, 1 << 20, &buf, &len, err) < 0)
        return -1;
    f->n_bpf = len / sizeof(struct sock_filter);
    f->bpf = xmalloc(len);
    memcpy(f->bpf, buf, len);
    f->flags = load_flags(f->ctx);
    if (path) {
        size_t klen = strlen(key);
        cleanup_free char *out = xmalloc(sizeof(h) + len + klen);
        cleanup_error rl_error_t tmp = NULL;
        h.flags = f->flags;
        h.n_bpf = (uint32_t)f->n_bpf;
        h.key_len = (uint32_t)klen;
        memcpy(out, &h, sizeof(h));
        memcpy(out + sizeof(h), buf, len);
        memcpy(out + sizeof(h) + len, key, klen);
        if (rl_write_file_atomic(path, out, sizeof(h) + len + klen, 0600, false, &tmp) < 0)
            rl_debug("seccomp cache: %s", tmp->msg);
    }
    return 0;
}

int
rl_seccomp_build_cached(json_t *seccomp, const char *cache_dir, struct rl_seccomp **ret,
                        rl_error_t *err)
{
    cleanup_free char *path = NULL;
    cleanup_free char *key = NULL;
    struct rl_seccomp *f;

    if (cache_dir == NULL || seccomp == NULL || json_is_null(seccomp))
        return rl_seccomp_build(seccomp, ret, err);
    path = cache_path(seccomp, cache_dir, &key);
    f = cache_read(path, key);
    if (f) {
        *ret = f;
        return 0;
    }
    if (rl_seccomp_build(seccomp, &f, err) < 0)
        return -1;
    {
        cleanup_error rl_error_t tmp = NULL;
        if (rl_mkdir_p(cache_dir, 0700, &tmp) < 0)
            rl_error_release(&tmp), path[0] = '\0';
    }
    if (compile(f, path[0] ? path : NULL, key, err) < 0) {
        rl_seccomp_free(f);
        return -1;
    }
    /* The program is what gets loaded: the context is not needed in the child. */
    seccomp_release(f->ctx);
    f->ctx = NULL;
    *ret = f;
    return 0;
}

#else /* !HAVE_SECCOMP */

struct rl_seccomp {
    int unused;
};

int
rl_seccomp_check(json_t *seccomp, rl_error_t *err)
{
    if (seccomp == NULL || json_is_null(seccomp))
        return 0;
    return rl_make_error(err, 0, "linux.seccomp: rl was built without seccomp support");
}

int
rl_seccomp_build(json_t *seccomp, struct rl_seccomp **ret, rl_error_t *err)
{
    if (rl_seccomp_check(seccomp, err) < 0)
        return -1;
    *ret = NULL;
    return 0;
}

int
rl_seccomp_load(struct rl_seccomp *filter, rl_error_t *err)
{
    if (filter == NULL)
        return 0;
    return rl_make_error(err, 0, "rl was built without seccomp support");
}

void
rl_seccomp_free(struct rl_seccomp *filter)
{
    free(filter);
}

int
rl_seccomp_build_cached(json_t *seccomp, const char *cache_dir, struct rl_seccomp **ret,
                        rl_error_t *err)
{
    (void)cache_dir;
    return rl_seccomp_build(seccomp, ret, err);
}

#endif
