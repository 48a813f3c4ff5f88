#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "fs.h"
#include "hostcheck.h"
#include "log.h"

#define CGROUP2_MAGIC     0x63677270 /* CGROUP2_SUPER_MAGIC, <linux/magic.h> */
#define SMALL_FILE_MAX    (64u << 10)
#define MOUNTINFO_MAX     (16u << 20)
#define MIN_MEMORY        (6 * 1024 * 1024) /* podman's (and Docker's) linuxMinMemory */
#define MAX_CPUS          1024
#define MIN_CPU_QUOTA     1000    /* microseconds: the kernel's minimum (1 ms) */
#define MAX_CPU_PERIOD    1000000 /* microseconds: the kernel's maximum (1 s) */
#define MAX_WEIGHT        10000
#define MAX_CPUSET_NUMBER 65535
#define REMOVE_DEPTH_MAX  32
#define REMOVE_TRIES      100 /* 10 ms apart: about a second */

#define FIX_UNIFIED                                                                               \
    "boot with systemd.unified_cgroup_hierarchy=1 (Debian, Ubuntu: add it to GRUB_CMDLINE_LINUX " \
    "in /etc/default/grub, run update-grub and reboot)"

void
rl_cgroup_limits_init(struct rl_cgroup_limits *l)
{
    memset(l, 0, sizeof(*l));
    l->memory = -1;
    l->memory_swap = -1;
    l->memory_reservation = -1;
    l->cpu_quota = -1;
    l->pids = -1;
}

void
rl_cgroup_limits_release(struct rl_cgroup_limits *l)
{
    free(l->cpuset_cpus);
    free(l->cpuset_mems);
    rl_cgroup_limits_init(l);
}

bool
rl_cgroup_limits_any(const struct rl_cgroup_limits *l)
{
    return l->memory != -1 || l->memory_swap != -1 || l->memory_reservation != -1
           || l->cpu_quota != -1 || l->cpu_period != 0 || l->cpu_weight != 0 || l->cpuset_cpus
           || l->cpuset_mems || l->pids != -1 || l->io_weight != 0;
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int
rl_cgroup_parse_cpus(const char *s, int64_t *ret_quota, uint64_t *ret_period, rl_error_t *err)
{
    cleanup_free char *shown = rl_str_shown(s ? s : "", 64);
    uint64_t whole = 0, frac = 0, nanos;
    unsigned digits = 0, frac_digits = 0;
    const char *p = s;

    for (; p && is_digit(*p); p++, digits++)
        if (whole <= MAX_CPUS)
            whole = whole * 10 + (uint64_t)(*p - '0');
    if (p && *p == '.')
        for (p++; is_digit(*p); p++, digits++)
            if (frac_digits < 9) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_digits++;
            }
    if (p == NULL || *p != '\0' || digits == 0)
        return rl_make_plain_error(err, EINVAL, "--cpus: '%s' is not a number of CPUs", shown);
    for (; frac_digits < 9; frac_digits++)
        frac *= 10;
    nanos = whole > MAX_CPUS ? UINT64_MAX : whole * 1000000000u + frac;
    /* quota = CPUs * period, with the period in microseconds: nanos * 100000 / 10^9. */
    if (nanos > (uint64_t)MAX_CPUS * 1000000000u || nanos / 10000 < MIN_CPU_QUOTA)
        return rl_make_plain_error(
            err, ERANGE, "--cpus: '%s' is not a number of CPUs from 0.01 to %d", shown, MAX_CPUS);
    *ret_quota = (int64_t)(nanos / 10000);
    *ret_period = RL_CGROUP_CPU_PERIOD;
    return 0;
}

uint64_t
rl_cgroup_shares_to_weight(uint64_t shares)
{
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
rl_cgroup_blkio_to_io_weight(uint64_t weight)
{
    if (weight < 10)
        weight = 10;
    if (weight > 1000)
        weight = 1000;
    return 1 + ((weight - 10) * 9999) / 990;
}

/* A decimal number of at most MAX_CPUSET_NUMBER at *P, which moves past it. */
static bool
cpuset_number(const char **p, unsigned *ret)
{
    unsigned v = 0;

    if (!is_digit(**p))
        return false;
    for (; is_digit(**p); (*p)++) {
        v = v * 10 + (unsigned)(**p - '0');
        if (v > MAX_CPUSET_NUMBER)
            return false;
    }
    *ret = v;
    return true;
}

int
rl_cgroup_check_cpuset(const char *list, rl_error_t *err)
{
    const char *p = list;

    for (;;) {
        unsigned a, b;

        if (!cpuset_number(&p, &a))
            break;
        if (*p == '-') {
            p++;
            if (!cpuset_number(&p, &b) || b < a)
                break;
        }
        if (*p == '\0')
            return 0;
        if (*p != ',')
            break;
        p++;
    }
    {
        cleanup_free char *shown = rl_str_shown(list, 64);
        return rl_make_plain_error(err, EINVAL,
                                   "'%s' is not a list of numbers and ranges such as 0-2,4", shown);
    }
}

int
rl_cgroup_limits_validate(const struct rl_cgroup_limits *l, rl_error_t *err)
{
    if (l->memory < -1)
        return rl_make_plain_error(err, EINVAL, "--memory: %" PRId64 " is not a limit", l->memory);
    if (l->memory >= 0 && l->memory < MIN_MEMORY)
        return rl_make_plain_error(err, EINVAL, "minimum memory limit allowed is 6MB");
    if (l->memory_swap < RL_CGROUP_SWAP_UNLIMITED)
        return rl_make_plain_error(err, EINVAL, "--memory-swap: %" PRId64 " is not a limit",
                                   l->memory_swap);
    if (l->memory_swap >= 0 && l->memory == -1)
        return rl_make_plain_error(err, EINVAL,
                                   "--memory-swap needs --memory: it limits memory plus swap");
    if (l->memory_swap >= 0 && l->memory_swap < l->memory)
        return rl_make_plain_error(err, EINVAL, "--memory-swap must be larger than --memory");
    if (l->memory_reservation < -1)
        return rl_make_plain_error(err, EINVAL, "--memory-reservation: %" PRId64 " is not a limit",
                                   l->memory_reservation);
    if (l->memory >= 0 && l->memory_reservation > l->memory)
        return rl_make_plain_error(
            err, EINVAL,
            "minimum memory limit can not be less than memory reservation limit, see usage");
    if (l->cpu_quota < -1)
        return rl_make_plain_error(err, EINVAL, "--cpu-quota: %" PRId64 " is not a quota",
                                   l->cpu_quota);
    if (l->cpu_quota >= 0 && l->cpu_quota < MIN_CPU_QUOTA)
        return rl_make_plain_error(err, EINVAL,
                                   "CPU quota of %" PRId64 " microseconds is below the kernel's "
                                   "minimum of %d (--cpus 0.01)",
                                   l->cpu_quota, MIN_CPU_QUOTA);
    if (l->cpu_period != 0 && (l->cpu_period < MIN_CPU_QUOTA || l->cpu_period > MAX_CPU_PERIOD))
        return rl_make_plain_error(err, EINVAL,
                                   "CPU period of %" PRIu64 " microseconds is out of the kernel's "
                                   "range %d to %d",
                                   l->cpu_period, MIN_CPU_QUOTA, MAX_CPU_PERIOD);
    if (l->cpu_weight > MAX_WEIGHT)
        return rl_make_plain_error(err, EINVAL, "CPU weight %" PRIu64 " is out of range 1 to %d",
                                   l->cpu_weight, MAX_WEIGHT);
    if (l->cpuset_cpus && rl_cgroup_check_cpuset(l->cpuset_cpus, err) < 0)
        return rl_error_wrap(err, "--cpuset-cpus");
    if (l->cpuset_mems && rl_cgroup_check_cpuset(l->cpuset_mems, err) < 0)
        return rl_error_wrap(err, "--cpuset-mems");
    if (l->pids < -1)
        return rl_make_plain_error(err, EINVAL, "--pids-limit: %" PRId64 " is not a limit",
                                   l->pids);
    if (l->io_weight > MAX_WEIGHT)
        return rl_make_plain_error(err, EINVAL, "I/O weight %" PRIu64 " is out of range 1 to %d",
                                   l->io_weight, MAX_WEIGHT);
    return 0;
}

char **
rl_cgroup_limits_controllers(const struct rl_cgroup_limits *l)
{
    char **v = xzalloc(sizeof(char *));

    if (l->memory != -1 || l->memory_swap != -1 || l->memory_reservation != -1)
        rl_strv_push(&v, "memory");
    if (l->cpu_quota != -1 || l->cpu_period != 0 || l->cpu_weight != 0)
        rl_strv_push(&v, "cpu");
    if (l->cpuset_cpus || l->cpuset_mems)
        rl_strv_push(&v, "cpuset");
    if (l->pids != -1)
        rl_strv_push(&v, "pids");
    if (l->io_weight != 0)
        rl_strv_push(&v, "io");
    return v;
}

static void
add_file(char ***names, char ***values, const char *name, char *value)
{
    rl_strv_push(names, name);
    rl_strv_push(values, value);
    free(value);
}

int
rl_cgroup_limits_files(const struct rl_cgroup_limits *l, char ***ret_names, char ***ret_values)
{
    char **names = xzalloc(sizeof(char *)), **values = xzalloc(sizeof(char *));

    if (l->memory >= 0)
        add_file(&names, &values, "memory.max", xasprintf("%" PRId64, l->memory));
    if (l->memory_swap == RL_CGROUP_SWAP_UNLIMITED)
        add_file(&names, &values, "memory.swap.max", xstrdup("max"));
    else if (l->memory >= 0 && l->memory_swap >= l->memory)
        add_file(&names, &values, "memory.swap.max",
                 xasprintf("%" PRId64, l->memory_swap - l->memory));
    else if (l->memory >= 0 && l->memory_swap == -1)
        /* podman sets --memory-swap to twice --memory: as much swap as memory. */
        add_file(&names, &values, "memory.swap.max", xasprintf("%" PRId64, l->memory));
    if (l->memory_reservation >= 0)
        add_file(&names, &values, "memory.low", xasprintf("%" PRId64, l->memory_reservation));
    if (l->cpu_quota >= 0 || l->cpu_period != 0) {
        uint64_t period = l->cpu_period ? l->cpu_period : RL_CGROUP_CPU_PERIOD;
        if (l->cpu_quota >= 0)
            add_file(&names, &values, "cpu.max",
                     xasprintf("%" PRId64 " %" PRIu64, l->cpu_quota, period));
        else
            add_file(&names, &values, "cpu.max", xasprintf("max %" PRIu64, period));
    }
    if (l->cpu_weight != 0)
        add_file(&names, &values, "cpu.weight", xasprintf("%" PRIu64, l->cpu_weight));
    if (l->cpuset_cpus)
        add_file(&names, &values, "cpuset.cpus", xstrdup(l->cpuset_cpus));
    if (l->cpuset_mems)
        add_file(&names, &values, "cpuset.mems", xstrdup(l->cpuset_mems));
    if (l->pids == 0)
        add_file(&names, &values, "pids.max", xstrdup("max"));
    else if (l->pids > 0)
        add_file(&names, &values, "pids.max", xasprintf("%" PRId64, l->pids));
    if (l->io_weight != 0)
        add_file(&names, &values, "io.weight", xasprintf("default %" PRIu64, l->io_weight));
    *ret_names = names;
    *ret_values = values;
    return (int)rl_strv_len(names);
}

/* Files in a cgroup directory. */

static bool
is_cgroupfs(int dirfd)
{
    struct statfs sfs;
    return fstatfs(dirfd, &sfs) == 0 && sfs.f_type == CGROUP2_MAGIC;
}

/* NAME in DIRFD, whole; -errno on failure. */
static int
read_at(int dirfd, const char *name, char **ret)
{
    cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    return rl_read_all_fd(fd, SMALL_FILE_MAX, ret, NULL, NULL);
}

/* Write VALUE to NAME in DIRFD in one write(2), as cgroupfs wants; -errno on failure. On a
 * fake tree (not CGROUPFS) the file is created as the kernel would have made it. FLAGS adds
 * O_TRUNC or O_APPEND, which cgroupfs ignores but which let a fake tree show the value or
 * every write. */
static int
write_at(int dirfd, bool cgroupfs, const char *name, const char *value, int flags)
{
    cleanup_close int fd = -1;

    flags |= O_WRONLY | O_NOFOLLOW | O_CLOEXEC;
    if (!cgroupfs)
        flags |= O_CREAT;
    fd = openat(dirfd, name, flags, 0644);
    if (fd < 0)
        return -errno;
    return rl_write_all(fd, value, strlen(value), NULL) < 0 ? -errno : 0;
}

static bool
has_word(const char *text, const char *word)
{
    size_t n = strlen(word);

    for (const char *s = text; s && (s = strstr(s, word)) != NULL; s += n)
        if ((s == text || strchr(" \t\n", s[-1])) && (s[n] == '\0' || strchr(" \t\n", s[n])))
            return true;
    return false;
}

static char **
split_words(const char *text)
{
    cleanup_free char *copy = xstrdup(text);
    char **v = xzalloc(sizeof(char *));
    char *save = NULL;

    for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
        rl_strv_push(&v, w);
    return v;
}

/* A whole unsigned number, with trailing white space; "max" is UINT64_MAX when MAX_OK. */
static bool
parse_u64(const char *s, bool max_ok, uint64_t *ret)
{
    char *end = NULL;
    unsigned long long v;

    if (max_ok && strncmp(s, "max", 3) == 0 && (s[3] == '\0' || strchr(" \t\n", s[3]))) {
        *ret = UINT64_MAX;
        return true;
    }
    if (!is_digit(*s))
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return false;
    while (*end == ' ' || *end == '\t' || *end == '\n')
        end++;
    if (*end != '\0')
        return false;
    *ret = v;
    return true;
}

/* The value of KEY in the "key value" lines of TEXT (cpu.stat, memory.events). */
static bool
keyed_value(const char *text, const char *key, uint64_t *ret)
{
    size_t n = strlen(key);

    for (const char *l = text; l && *l;) {
        const char *end = strchrnul(l, '\n');
        if (strncmp(l, key, n) == 0 && l[n] == ' ') {
            cleanup_free char *v = xstrndup(l + n + 1, (size_t)(end - l - n - 1));
            return parse_u64(v, false, ret);
        }
        l = *end ? end + 1 : end;
    }
    return false;
}

/* Finding the delegated subtree. */

/* PATH under the tree at PREFIX ("/" or "" for the real one). */
static char *
prefixed(const char *prefix, const char *path)
{
    size_t n = prefix ? strlen(prefix) : 0;

    while (n > 0 && prefix[n - 1] == '/')
        n--;
    if (n == 0)
        return xstrdup(path);
    return xasprintf("%.*s%s", (int)n, prefix, path);
}

/* The controllers that cgroup v1 mounts of MOUNTINFO hold, space-separated. */
static char *
v1_controllers(const char *mountinfo)
{
    static const char *const known[] = { "cpu",     "cpuacct", "cpuset", "memory",     "devices",
                                         "freezer", "net_cls", "blkio",  "perf_event", "net_prio",
                                         "hugetlb", "pids",    "rdma",   "misc" };
    cleanup_free char *copy = xstrdup(mountinfo);
    cleanup_strv char **found = xzalloc(sizeof(char *));
    char *save = NULL;

    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        struct rl_mountinfo m = { 0 };
        char *osave = NULL;

        if (rl_mountinfo_parse_line(l, &m, NULL) < 0)
            continue;
        if (strcmp(m.fstype, "cgroup") == 0)
            for (char *o = strtok_r(m.super_options, ",", &osave); o;
                 o = strtok_r(NULL, ",", &osave))
                for (size_t i = 0; i < RL_ARRAY_SIZE(known); i++)
                    if (strcmp(o, known[i]) == 0) {
                        bool dup = false;
                        for (char **f = found; *f; f++)
                            dup = dup || strcmp(*f, o) == 0;
                        if (!dup)
                            rl_strv_push(&found, o);
                    }
        rl_mountinfo_release(&m);
    }
    return rl_strv_join(found, " ");
}

/* Whether the cgroup.controllers text CTL has one of the controllers that limits use. */
static bool
has_useful_controller(const char *ctl)
{
    static const char *const useful[] = { "cpu", "cpuset", "io", "memory", "pids" };

    for (size_t i = 0; i < RL_ARRAY_SIZE(useful); i++)
        if (has_word(ctl, useful[i]))
            return true;
    return false;
}

/* Whether UID owns DIR, DIR/cgroup.procs and DIR/cgroup.subtree_control: 1 if so, 0 if not
 * (with the first path that is not in *RET_BAD and its owner), or -errno. */
static int
owned_by(const char *dir, uid_t uid, char **ret_bad, uid_t *ret_owner)
{
    static const char *const files[] = { ".", "cgroup.procs", "cgroup.subtree_control" };
    cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    for (size_t i = 0; i < RL_ARRAY_SIZE(files); i++) {
        struct stat st;
        if (fstatat(fd, files[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
            return -errno;
        if (st.st_uid != uid) {
            if (ret_bad)
                *ret_bad = i == 0 ? xstrdup(dir) : xasprintf("%s/%s", dir, files[i]);
            if (ret_owner)
                *ret_owner = st.st_uid;
            return 0;
        }
    }
    return 1;
}

/* DIR's cgroup.controllers, or -errno. */
static int
read_controllers(const char *dir, char **ret)
{
    cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    return read_at(fd, "cgroup.controllers", ret);
}

/* Whether the cgroup at DIR holds processes. */
static bool
holds_processes(const char *dir)
{
    cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_free char *procs = NULL;

    if (fd < 0 || read_at(fd, "cgroup.procs", &procs) < 0)
        return false;
    return procs[strspn(procs, " \t\n")] != '\0';
}

/* The parent of cgroup DIR, or NULL when DIR is the MOUNT itself. */
static char *
parent_of(const char *mount, const char *dir)
{
    const char *slash = strrchr(dir, '/');

    if (strcmp(dir, mount) == 0 || slash == NULL || (size_t)(slash - dir) < strlen(mount))
        return NULL;
    return xstrndup(dir, (size_t)(slash - dir));
}

static int
base_find(const char *mountinfo_text, const char *proc_cgroup_text, const char *fs_prefix,
          uid_t uid, struct rl_cgroup_mounts *m, struct rl_cgroup_base *ret, rl_error_t *err)
{
    cleanup_free char *path = NULL, *mount = NULL, *self = NULL, *ctl = NULL, *bad = NULL;
    cleanup_free char *parent = NULL, *dir = NULL;
    uid_t owner = 0;
    int r;

    if (rl_hostcheck_parse_cgroup_mounts(mountinfo_text, m, err) < 0)
        return rl_error_wrap(err, "/proc/self/mountinfo");
    if (m->v2_mount_point == NULL && m->v1)
        return rl_make_plain_error(err, ENOTSUP,
                                   "cgroup v2 is not mounted (this host has cgroup v1 only): "
                                   "rl's limits need the unified hierarchy: " FIX_UNIFIED);
    if (m->v2_mount_point == NULL)
        return rl_make_plain_error(err, ENOTSUP,
                                   "no cgroup filesystem is mounted: rl's limits need cgroup v2: "
                                   "mount it with 'mount -t cgroup2 none /sys/fs/cgroup'");
    if (rl_hostcheck_parse_proc_cgroup(proc_cgroup_text, &path) != 1)
        return rl_make_plain_error(err, ENOTSUP,
                                   "this process is not in the cgroup v2 hierarchy (no '0::' "
                                   "line in /proc/self/cgroup): " FIX_UNIFIED);
    mount = prefixed(fs_prefix, m->v2_mount_point);
    self = rl_hostcheck_cgroup_dir(mount, m->v2_root, path);
    if (self == NULL)
        return rl_make_plain_error(err, ENOTSUP,
                                   "the cgroup '%s' of this process is outside the cgroup2 mount "
                                   "at '%s' (whose root is '%s'): mount the cgroup tree of this "
                                   "cgroup namespace there",
                                   path, mount, m->v2_root);
    r = read_controllers(self, &ctl);
    if (r < 0)
        return rl_make_error(err, -r, "read '%s/cgroup.controllers'", self);
    if (m->v1 && !has_useful_controller(ctl)) {
        cleanup_free char *v1 = v1_controllers(mountinfo_text);
        cleanup_strv char **words = split_words(ctl);
        cleanup_free char *has = rl_strv_join(words, " ");
        return rl_make_plain_error(err, ENOTSUP,
                                   "cgroup v2 at '%s' has none of the controllers rl uses (it has: "
                                   "%s): this hybrid host keeps them on cgroup v1 (%s): rl's "
                                   "limits need the unified hierarchy: " FIX_UNIFIED,
                                   mount, has[0] ? has : "none", v1[0] ? v1 : "none");
    }
    r = owned_by(self, uid, &bad, &owner);
    if (r < 0)
        return rl_make_error(err, -r, "check the delegation of cgroup '%s'", self);
    if (r == 0)
        return rl_make_plain_error(err, EACCES,
                                   "the cgroup %s is not delegated to you (not writable: '%s' "
                                   "belongs to uid %u, not %u): run rl in a systemd scope with "
                                   "Delegate=yes, e.g. systemd-run --user --scope -p "
                                   "Delegate=yes rl run ...",
                                   self, bad, (unsigned)owner, (unsigned)uid);
    parent = parent_of(mount, self);
    if (parent && holds_processes(self) && owned_by(parent, uid, NULL, NULL) == 1)
        dir = steal_pointer(&parent);
    else
        dir = xstrdup(self);
    if (strcmp(dir, self) != 0) {
        free(ctl);
        ctl = NULL;
        r = read_controllers(dir, &ctl);
        if (r < 0)
            return rl_make_error(err, -r, "read '%s/cgroup.controllers'", dir);
    }
    ret->available = split_words(ctl);
    ret->mount = steal_pointer(&mount);
    ret->self = steal_pointer(&self);
    ret->dir = steal_pointer(&dir);
    return 0;
}

int
rl_cgroup_base_find(const char *mountinfo_text, const char *proc_cgroup_text, const char *fs_prefix,
                    uid_t uid, struct rl_cgroup_base *ret, rl_error_t *err)
{
    struct rl_cgroup_mounts m = { 0 };
    int r = base_find(mountinfo_text, proc_cgroup_text, fs_prefix, uid, &m, ret, err);

    rl_cgroup_mounts_release(&m);
    return r;
}

int
rl_cgroup_base_find_self(struct rl_cgroup_base *ret, rl_error_t *err)
{
    cleanup_free char *mountinfo = NULL, *self = NULL;

    if (rl_read_file("/proc/self/mountinfo", MOUNTINFO_MAX, &mountinfo, NULL, err) < 0
        || rl_read_file("/proc/self/cgroup", SMALL_FILE_MAX, &self, NULL, err) < 0)
        return -1;
    return rl_cgroup_base_find(mountinfo, self, "/", getuid(), ret, err);
}

void
rl_cgroup_base_release(struct rl_cgroup_base *b)
{
    free(b->mount);
    free(b->self);
    free(b->dir);
    rl_strv_free(b->available);
    memset(b, 0, sizeof(*b));
}

int
rl_cgroup_check(const struct rl_cgroup_base *b, char *const *needed, rl_error_t *err)
{
    cleanup_strv char **missing = xzalloc(sizeof(char *));
    cleanup_strv char **plus = xzalloc(sizeof(char *));
    cleanup_free char *has = NULL, *names = NULL, *echo = NULL, *parent = NULL;
    size_t n;

    for (char *const *c = needed; c && *c; c++) {
        bool found = false;
        for (char **a = b->available; a && *a && !found; a++)
            found = strcmp(*a, *c) == 0;
        if (!found) {
            cleanup_free char *p = xasprintf("+%s", *c);
            rl_strv_push(&missing, *c);
            rl_strv_push(&plus, p);
        }
    }
    n = rl_strv_len(missing);
    if (n == 0)
        return 0;
    has = rl_strv_join(b->available, " ");
    if (n == 1) {
        names = xstrdup(missing[0]);
    } else {
        cleanup_free char *head = NULL;
        char *last = missing[n - 1];
        missing[n - 1] = NULL;
        head = rl_strv_join(missing, ", ");
        missing[n - 1] = last;
        names = xasprintf("%s and %s", head, last);
    }
    echo = rl_strv_join(plus, " ");
    parent = parent_of(b->mount, b->dir);
    return rl_make_plain_error(
        err, ENOTSUP,
        "the %s controller%s not delegated to you (cgroup.controllers of %s has: %s): fix: "
        "systemd's Delegate=yes gives cpu cpuset io memory pids (for user@.service: a drop-in "
        "with Delegate=cpu cpuset io memory pids), or ask the administrator: echo '%s' > "
        "%s/cgroup.subtree_control",
        names, n == 1 ? " is" : "s are", b->dir, has[0] ? has : "none", echo,
        parent ? parent : b->dir);
}

/* A container's cgroup. */

static int
check_name(const char *name, rl_error_t *err)
{
    if (name == NULL || name[0] == '\0' || strchr(name, '/') || strcmp(name, ".") == 0
        || strcmp(name, "..") == 0 || strlen(name) > 255) {
        cleanup_free char *shown = rl_str_shown(name ? name : "", 64);
        return rl_make_plain_error(err, EINVAL, "'%s' is not a cgroup name", shown);
    }
    return 0;
}

/* Enable CONTROLLERS for the children of DIRFD (at DIR), each not yet enabled in a write of
 * its own, so that an error names the controller. */
static int
enable_controllers(int dirfd, bool cgroupfs, const char *dir, char *const *controllers,
                   rl_error_t *err)
{
    cleanup_free char *enabled = NULL;
    int r;

    if (controllers == NULL || controllers[0] == NULL)
        return 0;
    r = read_at(dirfd, "cgroup.subtree_control", &enabled);
    if (r < 0)
        return rl_make_error(err, -r, "read '%s/cgroup.subtree_control'", dir);
    for (char *const *c = controllers; *c; c++) {
        cleanup_free char *value = NULL;
        if (has_word(enabled, *c))
            continue;
        value = xasprintf("+%s", *c);
        r = write_at(dirfd, cgroupfs, "cgroup.subtree_control", value, O_APPEND);
        if (r == -EBUSY)
            return rl_make_error(err, EBUSY,
                                 "enable the %s controller: write '%s' to "
                                 "'%s/cgroup.subtree_control' (cgroup v2 gives controllers only "
                                 "to the children of a cgroup without processes)",
                                 *c, value, dir);
        if (r < 0)
            return rl_make_error(err, -r,
                                 "enable the %s controller: write '%s' to "
                                 "'%s/cgroup.subtree_control'",
                                 *c, value, dir);
    }
    return 0;
}

/* Write the limit files of L in FD (the cgroup at PATH). */
static int
write_limits(int fd, bool cgroupfs, const char *path, const struct rl_cgroup_limits *l,
             rl_error_t *err)
{
    cleanup_strv char **names = NULL, **values = NULL;
    int n = rl_cgroup_limits_files(l, &names, &values);

    for (int i = 0; i < n; i++) {
        int r = write_at(fd, cgroupfs, names[i], values[i], O_TRUNC);
        if (r == -ENOENT && strcmp(names[i], "memory.swap.max") == 0 && l->memory_swap == -1) {
            /* No swap accounting on this host: only podman's default swap is lost. */
            rl_debug("no '%s/%s': swap is not limited", path, names[i]);
            continue;
        }
        if (r < 0)
            return rl_make_error(err, -r, "write '%s' to '%s/%s'", values[i], path, names[i]);
    }
    return 0;
}

/* rmdir NAME in PARENTFD and the cgroups below it; on a fake tree (not CGROUPFS) its files
 * are deleted first, like the interface files that go with a real cgroup. -errno on
 * failure. */
static int
remove_at(int parentfd, const char *name, bool cgroupfs, int depth)
{
    cleanup_close int fd = -1;
    cleanup_dir DIR *d = NULL;
    struct dirent *de;
    int first = 0;

    if (depth > REMOVE_DEPTH_MAX)
        return -ELOOP;
    fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    d = fdopendir(fd);
    if (d == NULL)
        return -errno;
    fd = -1; /* D has it now */
    while ((de = readdir(d)) != NULL) {
        int r = 0;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (de->d_type == DT_DIR)
            r = remove_at(dirfd(d), de->d_name, cgroupfs, depth + 1);
        else if (!cgroupfs && unlinkat(dirfd(d), de->d_name, 0) < 0)
            r = -errno;
        if (r < 0 && r != -ENOENT && first == 0)
            first = r;
    }
    if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0)
        return first ? first : -errno;
    return 0;
}

/* remove_at(), retried while processes are still leaving (EBUSY). */
static int
remove_retry(int parentfd, const char *name, bool cgroupfs)
{
    for (int i = 0;; i++) {
        int r = remove_at(parentfd, name, cgroupfs, 0);
        if (r == -ENOENT)
            return 0;
        if (r != -EBUSY || i + 1 >= REMOVE_TRIES)
            return r;
        (void)nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    }
}

int
rl_cgroup_create(const struct rl_cgroup_base *b, const char *name, char *const *controllers,
                 const struct rl_cgroup_limits *l, char **ret_path, int *ret_dirfd, rl_error_t *err)
{
    cleanup_close int dirfd = -1, fd = -1;
    cleanup_free char *path = NULL;
    bool cgroupfs;
    int r;

    if (check_name(name, err) < 0 || rl_cgroup_limits_validate(l, err) < 0
        || rl_cgroup_check(b, controllers, err) < 0)
        return -1;
    dirfd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return rl_make_error(err, errno, "open '%s'", b->dir);
    cgroupfs = is_cgroupfs(dirfd);
    if (enable_controllers(dirfd, cgroupfs, b->dir, controllers, err) < 0)
        return -1;
    path = xasprintf("%s/%s", b->dir, name);
    if (mkdirat(dirfd, name, 0755) < 0) {
        if (errno == EEXIST)
            return rl_make_plain_error(err, EEXIST, "cgroup %s exists", path);
        return rl_make_error(err, errno, "mkdir '%s'", path);
    }
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        rl_make_error(err, errno, "open '%s'", path);
        goto out_rmdir;
    }
    if (write_limits(fd, cgroupfs, path, l, err) < 0)
        goto out_rmdir;
    if (ret_path)
        *ret_path = steal_pointer(&path);
    if (ret_dirfd)
        *ret_dirfd = steal_fd(&fd);
    return 0;

out_rmdir:
    r = remove_retry(dirfd, name, cgroupfs);
    if (r < 0)
        rl_warning("remove the cgroup %s: %s", path, strerror(-r));
    return -1;
}

int
rl_cgroup_update(const char *path, const struct rl_cgroup_limits *l, rl_error_t *err)
{
    cleanup_close int fd = -1;

    if (rl_cgroup_limits_validate(l, err) < 0)
        return -1;
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", path);
    return write_limits(fd, is_cgroupfs(fd), path, l, err);
}

int
rl_cgroup_remove(const char *path, rl_error_t *err)
{
    const char *slash = strrchr(path, '/');
    cleanup_free char *parent = NULL;
    cleanup_close int fd = -1;
    const char *name;
    int r;

    if (slash == NULL || check_name(slash + 1, NULL) < 0)
        return rl_make_plain_error(err, EINVAL, "'%s' is not a cgroup path", path);
    name = slash + 1;
    parent = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
    fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return rl_make_error(err, errno, "open '%s'", parent);
    }
    r = remove_retry(fd, name, is_cgroupfs(fd));
    if (r < 0)
        return rl_make_error(err, -r, "remove the cgroup %s", path);
    return 0;
}

int
rl_cgroup_enter(const char *path, pid_t pid, rl_error_t *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char num[32];
    int r;

    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", path);
    snprintf(num, sizeof(num), "%d", (int)pid);
    r = write_at(fd, is_cgroupfs(fd), "cgroup.procs", num, O_TRUNC);
    if (r < 0)
        return rl_make_error(err, -r, "move process %d into the cgroup %s", (int)pid, path);
    return 0;
}

int
rl_cgroup_oom_killed(const char *path, bool *ret)
{
    cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_free char *events = NULL;
    uint64_t n = 0;
    int r;

    if (fd < 0)
        return -1;
    r = read_at(fd, "memory.events", &events);
    if (r == -ENOENT) {
        *ret = false;
        return 0;
    }
    if (r < 0) {
        errno = -r;
        return -1;
    }
    *ret = keyed_value(events, "oom_kill", &n) && n > 0;
    return 0;
}

/* The text of NAME in FD (the cgroup at PATH), or NULL in *RET when it is missing. */
static int
read_stat_file(int fd, const char *path, const char *name, char **ret, rl_error_t *err)
{
    int r = read_at(fd, name, ret);

    if (r == -ENOENT) {
        *ret = NULL;
        return 0;
    }
    if (r < 0)
        return rl_make_error(err, -r, "read '%s/%s'", path, name);
    return 0;
}

/* A file of one number (or "max" when MAX_OK); 0 when it is missing. */
static int
read_number(int fd, const char *path, const char *name, bool max_ok, uint64_t *ret, rl_error_t *err)
{
    cleanup_free char *text = NULL;

    if (read_stat_file(fd, path, name, &text, err) < 0)
        return -1;
    *ret = 0;
    if (text && !parse_u64(text, max_ok, ret)) {
        cleanup_free char *shown = rl_str_shown(text, 64);
        return rl_make_plain_error(err, EINVAL, "'%s/%s': '%s' is not a number", path, name, shown);
    }
    return 0;
}

/* Sum the rbytes= and wbytes= of every device line of io.stat. */
static void
sum_io_stat(const char *text, uint64_t *ret_read, uint64_t *ret_write)
{
    cleanup_free char *copy = xstrdup(text);
    char *save = NULL;

    *ret_read = *ret_write = 0;
    for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        uint64_t v;
        if (rl_str_has_prefix(w, "rbytes=") && parse_u64(w + 7, false, &v))
            *ret_read += v;
        else if (rl_str_has_prefix(w, "wbytes=") && parse_u64(w + 7, false, &v))
            *ret_write += v;
    }
}

int
rl_cgroup_stats(const char *path, struct rl_cgroup_stats *ret, rl_error_t *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_free char *cpu = NULL, *io = NULL;
    struct rl_cgroup_stats s = { 0 };

    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", path);
    if (read_stat_file(fd, path, "cpu.stat", &cpu, err) < 0
        || read_stat_file(fd, path, "io.stat", &io, err) < 0
        || read_number(fd, path, "memory.current", false, &s.memory_current, err) < 0
        || read_number(fd, path, "memory.max", true, &s.memory_max, err) < 0
        || read_number(fd, path, "pids.current", false, &s.pids_current, err) < 0
        || read_number(fd, path, "pids.max", true, &s.pids_max, err) < 0)
        return -1;
    if (cpu) {
        (void)keyed_value(cpu, "usage_usec", &s.cpu_usage_usec);
        (void)keyed_value(cpu, "nr_throttled", &s.nr_throttled);
        (void)keyed_value(cpu, "throttled_usec", &s.throttled_usec);
    }
    if (io)
        sum_io_stat(io, &s.io_read_bytes, &s.io_write_bytes);
    *ret = s;
    return 0;
}

/* The OCI runtime spec's linux.resources and linux.cgroupsPath. */

#define OCI_RES             "linux.resources."
#define OCI_UNIFIED_MAX     64
#define OCI_VALUE_MAX       4096
#define OCI_PATH_DEPTH_MAX  REMOVE_DEPTH_MAX
#define OCI_PATH_LENGTH_MAX 4000

void
rl_cgroup_oci_release(struct rl_cgroup_oci *o)
{
    rl_cgroup_limits_release(&o->limits);
    rl_strv_free(o->unified_names);
    rl_strv_free(o->unified_values);
    o->unified_names = o->unified_values = NULL;
}

/* Null, {} and []: an entry that asks for nothing. */
static bool
oci_unset(json_t *v)
{
    return v == NULL || json_is_null(v) || (json_is_object(v) && json_object_size(v) == 0)
           || (json_is_array(v) && json_array_size(v) == 0);
}

/* The integer at KEY of OBJ (the object at FIELD) in *RET. */
static int
oci_int(json_t *obj, const char *field, const char *key, json_int_t *ret, rl_error_t *err)
{
    json_t *v = json_object_get(obj, key);

    if (!json_is_integer(v))
        return rl_make_plain_error(err, EINVAL, OCI_RES "%s.%s: must be an integer", field, key);
    *ret = json_integer_value(v);
    return 0;
}

/* The error for KEY of OBJECT (FIELD) that rl cannot apply: WHY says why. */
static int
oci_refuse(const char *field, const char *key, const char *why, rl_error_t *err)
{
    return rl_make_plain_error(err, ENOTSUP, OCI_RES "%s%s%s: %s; remove it", field, key ? "." : "",
                               key ? key : "", why);
}

static int
oci_memory(json_t *m, struct rl_cgroup_limits *l, rl_error_t *err)
{
    const char *key;
    json_t *v;

    json_object_foreach (m, key, v) {
        json_int_t n = 0;

        if (oci_unset(v))
            continue;
        if (strcmp(key, "limit") == 0 || strcmp(key, "reservation") == 0
            || strcmp(key, "swap") == 0) {
            if (oci_int(m, "memory", key, &n, err) < 0)
                return -1;
            if (n < -1)
                return rl_make_plain_error(err, EINVAL,
                                           OCI_RES "memory.%s: %" JSON_INTEGER_FORMAT
                                                   " is not a limit "
                                                   "(-1: unlimited)",
                                           key, n);
            if (n == 0 || (n == -1 && key[0] != 's'))
                continue; /* unset, or no limit: a new cgroup has none */
            if (key[0] == 'l' && n < MIN_MEMORY)
                return rl_make_plain_error(err, EINVAL,
                                           OCI_RES "memory.limit: %" JSON_INTEGER_FORMAT
                                                   " bytes is "
                                                   "below the minimum of %d (6 MB)",
                                           n, MIN_MEMORY);
            if (key[0] == 'l')
                l->memory = n;
            else if (key[0] == 'r')
                l->memory_reservation = n;
            else
                l->memory_swap = n == -1 ? RL_CGROUP_SWAP_UNLIMITED : n;
        } else if (strcmp(key, "disableOOMKiller") == 0 && json_is_false(v)) {
            continue;
        } else if (strcmp(key, "useHierarchy") == 0 && json_is_boolean(v)) {
            if (json_is_false(v))
                return oci_refuse("memory", key, "cgroup v2 is always hierarchical", err);
        } else if (strcmp(key, "checkBeforeUpdate") == 0 && json_is_boolean(v)) {
            continue; /* a rule for updates only */
        } else if (strcmp(key, "kernel") == 0 || strcmp(key, "kernelTCP") == 0) {
            return oci_refuse("memory", key, "cgroup v2 has no separate kernel memory limit", err);
        } else if (strcmp(key, "swappiness") == 0) {
            return oci_refuse("memory", key, "cgroup v2 has no swappiness of its own", err);
        } else if (strcmp(key, "disableOOMKiller") == 0) {
            return oci_refuse("memory", key, "cgroup v2 cannot turn the OOM killer off", err);
        } else {
            return oci_refuse("memory", key, "rl cannot apply it", err);
        }
    }
    if (l->memory_swap >= 0 && l->memory < 0)
        return rl_make_plain_error(
            err, EINVAL, OCI_RES "memory.swap: needs memory.limit: it limits memory plus swap");
    if (l->memory_swap >= 0 && l->memory_swap < l->memory)
        return rl_make_plain_error(err, EINVAL,
                                   OCI_RES "memory.swap: %" PRId64
                                           " is below memory.limit (%" PRId64
                                           "): it limits memory plus swap",
                                   l->memory_swap, l->memory);
    if (l->memory >= 0 && l->memory_reservation > l->memory)
        return rl_make_plain_error(err, EINVAL,
                                   OCI_RES "memory.reservation: %" PRId64
                                           " is above memory.limit (%" PRId64 ")",
                                   l->memory_reservation, l->memory);
    return 0;
}

/* cpu.cpus or cpu.mems at KEY of C into *RET. */
static int
oci_cpuset(json_t *c, const char *key, char **ret, rl_error_t *err)
{
    json_t *v = json_object_get(c, key);

    if (!json_is_string(v))
        return rl_make_plain_error(err, EINVAL, OCI_RES "cpu.%s: must be a string", key);
    if (json_string_value(v)[0] == '\0')
        return 0;
    if (rl_cgroup_check_cpuset(json_string_value(v), err) < 0)
        return rl_error_wrap(err, OCI_RES "cpu.%s", key);
    free(*ret);
    *ret = xstrdup(json_string_value(v));
    return 0;
}

static int
oci_cpu(json_t *c, struct rl_cgroup_limits *l, rl_error_t *err)
{
    const char *key;
    json_t *v;

    json_object_foreach (c, key, v) {
        json_int_t n = 0;

        if (oci_unset(v))
            continue;
        if (strcmp(key, "cpus") == 0 || strcmp(key, "mems") == 0) {
            if (oci_cpuset(c, key, key[0] == 'c' ? &l->cpuset_cpus : &l->cpuset_mems, err) < 0)
                return -1;
            continue;
        }
        if (strcmp(key, "shares") != 0 && strcmp(key, "quota") != 0 && strcmp(key, "period") != 0) {
            if (rl_str_has_prefix(key, "realtime"))
                return oci_refuse("cpu", key, "cgroup v2 has no real-time CPU time per cgroup",
                                  err);
            if (strcmp(key, "idle") == 0 || strcmp(key, "burst") == 0)
                return oci_refuse("cpu", key,
                                  "rl does not set it (linux.resources.unified can: cpu.idle, "
                                  "cpu.max.burst)",
                                  err);
            return oci_refuse("cpu", key, "rl cannot apply it", err);
        }
        if (oci_int(c, "cpu", key, &n, err) < 0)
            return -1;
        if (key[0] == 's') {
            if (n < 0)
                return rl_make_plain_error(
                    err, EINVAL, OCI_RES "cpu.shares: %" JSON_INTEGER_FORMAT " is not a share", n);
            if (n > 0)
                l->cpu_weight = rl_cgroup_shares_to_weight((uint64_t)n);
        } else if (key[0] == 'q') {
            if (n < -1)
                return rl_make_plain_error(err, EINVAL,
                                           OCI_RES "cpu.quota: %" JSON_INTEGER_FORMAT
                                                   " is not a quota "
                                                   "(-1: unlimited)",
                                           n);
            if (n > 0 && n < MIN_CPU_QUOTA)
                return rl_make_plain_error(err, EINVAL,
                                           OCI_RES "cpu.quota: %" JSON_INTEGER_FORMAT
                                                   " microseconds is "
                                                   "below the kernel's minimum of %d",
                                           n, MIN_CPU_QUOTA);
            if (n > 0)
                l->cpu_quota = n;
        } else {
            if (n != 0 && (n < MIN_CPU_QUOTA || n > MAX_CPU_PERIOD))
                return rl_make_plain_error(err, EINVAL,
                                           OCI_RES "cpu.period: %" JSON_INTEGER_FORMAT
                                                   " microseconds is "
                                                   "out of the kernel's range %d to %d",
                                           n, MIN_CPU_QUOTA, MAX_CPU_PERIOD);
            l->cpu_period = (uint64_t)n;
        }
    }
    return 0;
}

static int
oci_pids(json_t *p, struct rl_cgroup_limits *l, rl_error_t *err)
{
    const char *key;
    json_t *v;

    json_object_foreach (p, key, v) {
        json_int_t n = 0;

        if (oci_unset(v))
            continue;
        if (strcmp(key, "limit") != 0)
            return oci_refuse("pids", key, "rl cannot apply it", err);
        if (oci_int(p, "pids", key, &n, err) < 0)
            return -1;
        l->pids = n <= 0 ? 0 : n;
    }
    return 0;
}

static int
oci_block_io(json_t *b, struct rl_cgroup_limits *l, rl_error_t *err)
{
    const char *key;
    json_t *v;

    json_object_foreach (b, key, v) {
        json_int_t n = 0;

        if (oci_unset(v))
            continue;
        if (strcmp(key, "weight") != 0) {
            if (strcmp(key, "leafWeight") == 0)
                return oci_refuse("blockIO", key, "cgroup v2 has no leaf weight", err);
            return oci_refuse("blockIO", key,
                              "rl does not set it (linux.resources.unified can: io.max, "
                              "io.weight)",
                              err);
        }
        if (oci_int(b, "blockIO", key, &n, err) < 0)
            return -1;
        if (n != 0 && (n < 10 || n > 1000))
            return rl_make_plain_error(err, EINVAL,
                                       OCI_RES "blockIO.weight: %" JSON_INTEGER_FORMAT " is out of "
                                               "range 10 to 1000",
                                       n);
        if (n != 0)
            l->io_weight = rl_cgroup_blkio_to_io_weight((uint64_t)n);
    }
    return 0;
}

/* Interface files of the cgroup's structure and membership, which rl itself manages. */
static bool
oci_managed_file(const char *name)
{
    static const char *const managed[] = { "cgroup.procs",           "cgroup.threads",
                                           "cgroup.subtree_control", "cgroup.type",
                                           "cgroup.controllers",     "cgroup.events" };

    for (size_t i = 0; i < RL_ARRAY_SIZE(managed); i++)
        if (strcmp(name, managed[i]) == 0)
            return true;
    return false;
}

static int
oci_unified(json_t *u, struct rl_cgroup_oci *o, rl_error_t *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(u))
        return rl_make_plain_error(err, EINVAL, OCI_RES "unified: must be an object");
    if (json_object_size(u) > OCI_UNIFIED_MAX)
        return rl_make_plain_error(err, E2BIG, OCI_RES "unified: more than %d files",
                                   OCI_UNIFIED_MAX);
    json_object_foreach (u, key, v) {
        cleanup_free char *shown = rl_str_shown(key, 64);
        const char *dot = strchr(key, '.');

        if (strchr(key, '/') || strstr(key, "..") || strlen(key) > 255)
            return rl_make_plain_error(err, EINVAL,
                                       OCI_RES
                                       "unified: '%s' is not the name of a cgroup interface "
                                       "file ('/' and '..' are not allowed)",
                                       shown);
        if (dot == NULL || dot == key || dot[1] == '\0')
            return rl_make_plain_error(err, EINVAL,
                                       OCI_RES
                                       "unified: '%s' is not the name of a cgroup interface "
                                       "file (controller.file, such as memory.high)",
                                       shown);
        if (oci_managed_file(key))
            return rl_make_plain_error(err, EINVAL,
                                       OCI_RES "unified.%s: rl manages this file itself", shown);
        if (!json_is_string(v))
            return rl_make_plain_error(err, EINVAL, OCI_RES "unified.%s: must be a string", shown);
        if (strlen(json_string_value(v)) > OCI_VALUE_MAX)
            return rl_make_plain_error(err, E2BIG, OCI_RES "unified.%s: longer than %d bytes",
                                       shown, OCI_VALUE_MAX);
        if (o->unified_names == NULL) {
            o->unified_names = xzalloc(sizeof(char *));
            o->unified_values = xzalloc(sizeof(char *));
        }
        rl_strv_push(&o->unified_names, key);
        rl_strv_push(&o->unified_values, json_string_value(v));
    }
    return 0;
}

int
rl_cgroup_limits_from_oci(json_t *resources, struct rl_cgroup_oci *ret, rl_error_t *err)
{
    struct rl_cgroup_oci o = { 0 };
    const char *key;
    json_t *v;

    rl_cgroup_limits_init(&o.limits);
    if (resources && !json_is_null(resources) && !json_is_object(resources))
        return rl_make_plain_error(err, EINVAL, "linux.resources: must be an object");
    json_object_foreach (resources, key, v) {
        int r;

        if (oci_unset(v) || strcmp(key, "devices") == 0)
            continue;
        if (strcmp(key, "unified") == 0) {
            r = oci_unified(v, &o, err);
        } else if (strcmp(key, "memory") == 0 || strcmp(key, "cpu") == 0 || strcmp(key, "pids") == 0
                   || strcmp(key, "blockIO") == 0) {
            if (!json_is_object(v)) {
                r = rl_make_plain_error(err, EINVAL, OCI_RES "%s: must be an object", key);
            } else if (key[0] == 'm') {
                r = oci_memory(v, &o.limits, err);
            } else if (key[0] == 'c') {
                r = oci_cpu(v, &o.limits, err);
            } else if (key[0] == 'p') {
                r = oci_pids(v, &o.limits, err);
            } else {
                r = oci_block_io(v, &o.limits, err);
            }
        } else if (strcmp(key, "hugepageLimits") == 0) {
            r = oci_refuse(key, NULL,
                           "rl does not set it (linux.resources.unified can: hugetlb.<size>.max)",
                           err);
        } else if (strcmp(key, "rdma") == 0) {
            r = oci_refuse(key, NULL, "rl does not set it (linux.resources.unified can: rdma.max)",
                           err);
        } else if (strcmp(key, "network") == 0) {
            r = oci_refuse(key, NULL, "cgroup v2 has no net_cls or net_prio controller", err);
        } else {
            r = oci_refuse(key, NULL, "rl cannot apply it", err);
        }
        if (r < 0) {
            rl_cgroup_oci_release(&o);
            return -1;
        }
    }
    if (rl_cgroup_limits_validate(&o.limits, err) < 0) {
        rl_error_wrap(err, "linux.resources");
        rl_cgroup_oci_release(&o);
        return -1;
    }
    *ret = o;
    return 0;
}

bool
rl_cgroup_oci_any(const struct rl_cgroup_oci *o)
{
    return rl_cgroup_limits_any(&o->limits) || (o->unified_names && o->unified_names[0]);
}

/* The controller of the interface file NAME ("memory" for memory.high), or NULL for the
 * core's "cgroup." files. Caller frees. */
static char *
file_controller(const char *name)
{
    size_t n = strcspn(name, ".");

    if (strncmp(name, "cgroup", n) == 0 && n == 6)
        return NULL;
    return xstrndup(name, n);
}

char **
rl_cgroup_oci_controllers(const struct rl_cgroup_oci *o)
{
    char **v = rl_cgroup_limits_controllers(&o->limits);

    for (char **f = o->unified_names; f && *f; f++) {
        cleanup_free char *c = file_controller(*f);
        if (c && !rl_strv_contains(v, c))
            rl_strv_push(&v, c);
    }
    return v;
}

char *
rl_cgroup_oci_field(const struct rl_cgroup_oci *o, const char *controller)
{
    const struct rl_cgroup_limits *l = &o->limits;

    if (strcmp(controller, "memory") == 0 && l->memory != -1)
        return xstrdup("memory.limit");
    if (strcmp(controller, "memory") == 0 && l->memory_reservation != -1)
        return xstrdup("memory.reservation");
    if (strcmp(controller, "memory") == 0 && l->memory_swap != -1)
        return xstrdup("memory.swap");
    if (strcmp(controller, "cpu") == 0 && l->cpu_weight != 0)
        return xstrdup("cpu.shares");
    if (strcmp(controller, "cpu") == 0 && l->cpu_quota != -1)
        return xstrdup("cpu.quota");
    if (strcmp(controller, "cpu") == 0 && l->cpu_period != 0)
        return xstrdup("cpu.period");
    if (strcmp(controller, "cpuset") == 0 && l->cpuset_cpus)
        return xstrdup("cpu.cpus");
    if (strcmp(controller, "cpuset") == 0 && l->cpuset_mems)
        return xstrdup("cpu.mems");
    if (strcmp(controller, "pids") == 0 && l->pids != -1)
        return xstrdup("pids.limit");
    if (strcmp(controller, "io") == 0 && l->io_weight != 0)
        return xstrdup("blockIO.weight");
    for (char **f = o->unified_names; f && *f; f++) {
        cleanup_free char *c = file_controller(*f);
        if (c && strcmp(c, controller) == 0)
            return xasprintf("unified.%s", *f);
    }
    return NULL;
}

/* The components of the cgroupsPath P, each checked, joined by '/' in *RET (without a
 * leading '/'). */
static int
oci_path_components(const char *p, char **ret, rl_error_t *err)
{
    cleanup_free char *shown = rl_str_shown(p, 64);
    cleanup_free char *copy = xstrdup(p);
    cleanup_strv char **parts = xzalloc(sizeof(char *));
    char *save = NULL;

    if (strlen(p) > OCI_PATH_LENGTH_MAX)
        return rl_make_plain_error(err, ENAMETOOLONG, "'%s' is longer than %d bytes", shown,
                                   OCI_PATH_LENGTH_MAX);
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
            return rl_make_plain_error(err, EINVAL, "'%s': '%s' is not allowed in a cgroup path",
                                       shown, c);
        if (strlen(c) > 255)
            return rl_make_plain_error(err, ENAMETOOLONG,
                                       "'%s': a cgroup name is 255 bytes at most", shown);
        rl_strv_push(&parts, c);
    }
    if (parts[0] == NULL)
        return rl_make_plain_error(err, EINVAL,
                                   "'%s' names the root of the cgroup tree, not a cgroup", shown);
    if (rl_strv_len(parts) > OCI_PATH_DEPTH_MAX)
        return rl_make_plain_error(err, EINVAL, "'%s': more than %d levels", shown,
                                   OCI_PATH_DEPTH_MAX);
    *ret = rl_strv_join(parts, "/");
    return 0;
}

int
rl_cgroup_oci_path_check(const char *cgroups_path, rl_error_t *err)
{
    cleanup_free char *joined = NULL;
    const char *colon;

    if (cgroups_path == NULL || cgroups_path[0] == '\0')
        return 0;
    colon = strchr(cgroups_path, ':');
    if (colon && strchr(colon + 1, ':') && !strchr(strchr(colon + 1, ':') + 1, ':')
        && !strchr(cgroups_path, '/')) {
        cleanup_free char *shown = rl_str_shown(cgroups_path, 64);
        return rl_make_plain_error(err, ENOTSUP,
                                   "'%s' is a systemd cgroup path (slice:prefix:name): rl has no "
                                   "systemd cgroup driver; give a path in the cgroup tree "
                                   "('/a/b') or below rl's delegated cgroup ('a/b')",
                                   shown);
    }
    return oci_path_components(cgroups_path, &joined, err);
}

int
rl_cgroup_oci_path(const struct rl_cgroup_base *b, const char *cgroups_path, const char *id,
                   char **ret, rl_error_t *err)
{
    cleanup_free char *joined = NULL;

    if (cgroups_path == NULL || cgroups_path[0] == '\0') {
        cleanup_free char *name = xasprintf("rl-%s", id);
        if (check_name(name, err) < 0)
            return -1;
        *ret = xasprintf("%s/%s", b->dir, name);
        return 0;
    }
    if (rl_cgroup_oci_path_check(cgroups_path, err) < 0
        || oci_path_components(cgroups_path, &joined, err) < 0)
        return -1;
    *ret = xasprintf("%s/%s", cgroups_path[0] == '/' ? b->mount : b->dir, joined);
    return 0;
}

int
rl_cgroup_base_for(const struct rl_cgroup_base *b, const char *path, uid_t uid,
                   struct rl_cgroup_base *ret, rl_error_t *err)
{
    size_t n = strlen(b->mount);
    cleanup_free char *dir = xstrdup(b->mount), *copy = NULL, *bad = NULL, *ctl = NULL;
    char *save = NULL;
    uid_t owner = 0;
    int r;

    while (n > 1 && b->mount[n - 1] == '/')
        n--;
    if (strncmp(path, b->mount, n) != 0 || path[n] != '/' || path[n + 1] == '\0')
        return rl_make_plain_error(err, EINVAL, "'%s' is not below the cgroup2 mount at '%s'", path,
                                   b->mount);
    dir[n] = '\0';
    copy = xstrdup(path + n);
    /* Down to the first component that does not exist. */
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        cleanup_free char *next = xasprintf("%s/%s", dir, c);
        struct stat st;

        if (check_name(c, err) < 0)
            return -1;
        if (lstat(next, &st) < 0) {
            if (errno == ENOENT)
                break;
            return rl_make_error(err, errno, "stat '%s'", next);
        }
        if (!S_ISDIR(st.st_mode))
            return rl_make_plain_error(err, ENOTDIR, "'%s' is not a cgroup", next);
        if (strcmp(next, path) == 0)
            return rl_make_plain_error(err, EEXIST, "cgroup %s exists", path);
        free(dir);
        dir = steal_pointer(&next);
    }
    r = owned_by(dir, uid, &bad, &owner);
    if (r < 0)
        return rl_make_error(err, -r, "check the delegation of cgroup '%s'", dir);
    if (r == 0)
        return rl_make_plain_error(err, EACCES,
                                   "the cgroup %s is not delegated to you (not writable: '%s' "
                                   "belongs to uid %u, not %u): use a cgroup inside your "
                                   "delegated subtree (%s), or a relative path",
                                   dir, bad, (unsigned)owner, (unsigned)uid, b->dir);
    r = read_controllers(dir, &ctl);
    if (r < 0)
        return rl_make_error(err, -r, "read '%s/cgroup.controllers'", dir);
    ret->mount = xstrdup(b->mount);
    ret->self = xstrdup(b->self ? b->self : dir);
    ret->available = split_words(ctl);
    ret->dir = steal_pointer(&dir);
    return 0;
}

int
rl_cgroup_create_path(const struct rl_cgroup_base *p, const char *path, char *const *controllers,
                      const struct rl_cgroup_limits *l, char **ret_top, int *ret_dirfd,
                      rl_error_t *err)
{
    size_t n = strlen(p->dir);
    cleanup_free char *cur = NULL, *top = NULL, *copy = NULL;
    cleanup_free char *ctl_text = rl_strv_join(controllers, " ");
    cleanup_close int dirfd = -1;
    cleanup_error rl_error_t tmp = NULL;
    char *save = NULL;
    bool cgroupfs;

    if (strncmp(path, p->dir, n) != 0 || path[n] != '/' || path[n + 1] == '\0')
        return rl_make_plain_error(err, EINVAL, "'%s' is not below '%s'", path, p->dir);
    if (rl_cgroup_limits_validate(l, err) < 0 || rl_cgroup_check(p, controllers, err) < 0)
        return -1;
    dirfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return rl_make_error(err, errno, "open '%s'", p->dir);
    cgroupfs = is_cgroupfs(dirfd);
    cur = xstrdup(p->dir);
    copy = xstrdup(path + n + 1);
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        cleanup_free char *next = xasprintf("%s/%s", cur, c);
        int fd, r;

        if (check_name(c, err) < 0
            || enable_controllers(dirfd, cgroupfs, cur, controllers, err) < 0)
            goto out_remove;
        if (mkdirat(dirfd, c, 0755) < 0) {
            if (errno == EEXIST)
                rl_make_plain_error(err, EEXIST, "cgroup %s exists", next);
            else
                rl_make_error(err, errno, "mkdir '%s'", next);
            goto out_remove;
        }
        if (top == NULL)
            top = xstrdup(next);
        fd = openat(dirfd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            rl_make_error(err, errno, "open '%s'", next);
            goto out_remove;
        }
        close(dirfd);
        dirfd = fd;
        /* A fake tree gets the files that the kernel makes with a cgroup (its controllers:
         * those enabled above, as far as rl knows). */
        if (!cgroupfs
            && ((r = write_at(dirfd, false, "cgroup.procs", "", O_TRUNC)) < 0
                || (r = write_at(dirfd, false, "cgroup.subtree_control", "", O_TRUNC)) < 0
                || (r = write_at(dirfd, false, "cgroup.controllers", ctl_text, O_TRUNC)) < 0)) {
            rl_make_error(err, -r, "write the files of '%s'", next);
            goto out_remove;
        }
        free(cur);
        cur = steal_pointer(&next);
    }
    if (write_limits(dirfd, cgroupfs, path, l, err) < 0)
        goto out_remove;
    if (ret_top)
        *ret_top = steal_pointer(&top);
    if (ret_dirfd)
        *ret_dirfd = steal_fd(&dirfd);
    return 0;

out_remove:
    if (top && rl_cgroup_remove(top, &tmp) < 0)
        rl_error_warn_and_release(&tmp);
    return -1;
}

int
rl_cgroup_write(int dirfd, const char *path, const char *name, const char *value, rl_error_t *err)
{
    int r;

    if (check_name(name, err) < 0)
        return -1;
    r = write_at(dirfd, is_cgroupfs(dirfd), name, value, O_TRUNC);
    if (r < 0) {
        cleanup_free char *shown = rl_str_shown(value, 64);
        return rl_make_error(err, -r, "write '%s' to '%s/%s'", shown, path, name);
    }
    return 0;
}

/* rmdir the cgroup DIR if it has no child cgroup; on a fake tree its files go first.
 * -errno on failure. */
static int
remove_if_empty(const char *dir)
{
    const char *slash = strrchr(dir, '/');
    cleanup_free char *parent = NULL;
    cleanup_close int pfd = -1, fd = -1;
    cleanup_dir DIR *d = NULL;
    struct dirent *de;

    if (slash == NULL || slash == dir)
        return -EINVAL;
    parent = xstrndup(dir, (size_t)(slash - dir));
    pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0)
        return -errno;
    if (!is_cgroupfs(pfd)) {
        fd = openat(pfd, slash + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || (d = fdopendir(fd)) == NULL)
            return -errno;
        fd = -1; /* D has it now */
        while ((de = readdir(d)) != NULL)
            if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0
                && strcmp(de->d_name, "..") != 0)
                return -ENOTEMPTY;
        rewinddir(d);
        while ((de = readdir(d)) != NULL)
            if (de->d_type != DT_DIR)
                (void)unlinkat(dirfd(d), de->d_name, 0);
    }
    if (unlinkat(pfd, slash + 1, AT_REMOVEDIR) < 0)
        return -errno;
    return 0;
}

int
rl_cgroup_remove_upto(const char *path, const char *top, rl_error_t *err)
{
    cleanup_free char *cur = NULL;
    size_t n = top ? strlen(top) : 0;

    if (rl_cgroup_remove(path, err) < 0)
        return -1;
    if (top == NULL || strncmp(path, top, n) != 0 || path[n] != '/')
        return 0;
    cur = xstrdup(path);
    for (;;) {
        char *slash = strrchr(cur, '/');
        int r;

        if (slash == NULL || (size_t)(slash - cur) < n)
            break;
        *slash = '\0';
        r = remove_if_empty(cur);
        if (r < 0) {
            if (r != -ENOENT)
                rl_debug("keep the cgroup %s: %s", cur, strerror(-r));
            break;
        }
    }
    return 0;
}

int
rl_cgroup_move_to_leaf(const char *self, const char *leaf, pid_t pid, rl_error_t *err)
{
    cleanup_close int fd = open(self, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_free char *procs = NULL;
    cleanup_free char *mine = xasprintf("%d", (int)pid);
    cleanup_free char *target = NULL;
    size_t n;

    if (fd < 0)
        return rl_make_error(err, errno, "open '%s'", self);
    if (read_at(fd, "cgroup.procs", &procs) < 0)
        return rl_make_error(err, errno, "read '%s/cgroup.procs'", self);
    n = strcspn(procs, " \t\n");
    if (n != strlen(mine) || strncmp(procs, mine, n) != 0 || procs[n + strspn(procs + n, " \t\n")])
        return 0; /* not alone here */
    if (mkdirat(fd, leaf, 0755) < 0 && errno != EEXIST)
        return rl_make_error(err, errno, "mkdir '%s/%s'", self, leaf);
    target = xasprintf("%s/%s/cgroup.procs", self, leaf);
    if (rl_write_file(target, mine, strlen(mine), err) < 0)
        return -1;
    return 1;
}

/* ------------------------------------------------------------------ systemd */

/* sd-bus, from libsystemd when it is installed: loaded when it is needed, so that rl neither
 * depends on it nor pays for it at every start. Only what StartTransientUnit needs. */
struct sd_bus_error_s {
    const char *name;
    const char *message;
    int need_free;
};

struct sdbus {
    void *lib;
    int (*open_user)(void **bus);
    int (*new_method_call)(void *bus, void **m, const char *dest, const char *path,
                           const char *iface, const char *member);
    int (*append)(void *m, const char *types, ...);
    int (*open_container)(void *m, char type, const char *contents);
    int (*close_container)(void *m);
    int (*call)(void *bus, void *m, uint64_t usec, struct sd_bus_error_s *e, void **reply);
    void *(*message_unref)(void *m);
    void *(*flush_close_unref)(void *bus);
    void (*error_free)(struct sd_bus_error_s *e);
};

static int
sdbus_load(struct sdbus *s, rl_error_t *err)
{
    static const char *const names[] = { "sd_bus_open_user",
                                         "sd_bus_message_new_method_call",
                                         "sd_bus_message_append",
                                         "sd_bus_message_open_container",
                                         "sd_bus_message_close_container",
                                         "sd_bus_call",
                                         "sd_bus_message_unref",
                                         "sd_bus_flush_close_unref",
                                         "sd_bus_error_free" };
    void **slots[] = { (void **)&s->open_user,       (void **)&s->new_method_call,
                       (void **)&s->append,          (void **)&s->open_container,
                       (void **)&s->close_container, (void **)&s->call,
                       (void **)&s->message_unref,   (void **)&s->flush_close_unref,
                       (void **)&s->error_free };

    s->lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!s->lib)
        return rl_make_plain_error(err, ENOENT,
                                   "libsystemd is not installed (it talks to the systemd user "
                                   "manager)");
    for (size_t i = 0; i < RL_ARRAY_SIZE(names); i++) {
        *slots[i] = dlsym(s->lib, names[i]);
        if (!*slots[i]) {
            dlclose(s->lib);
            return rl_make_plain_error(err, ENOENT, "libsystemd has no %s", names[i]);
        }
    }
    return 0;
}

/* Whether /proc/self/cgroup ends with "/UNIT". */
static bool
in_unit(const char *unit)
{
    cleanup_free char *text = NULL;
    cleanup_free char *want = xasprintf("/%s\n", unit);
    cleanup_error rl_error_t tmp = NULL;
    size_t n, w = strlen(want);

    if (rl_read_file("/proc/self/cgroup", SMALL_FILE_MAX, &text, NULL, &tmp) < 0)
        return false;
    n = strlen(text);
    return n >= w && strcmp(text + n - w, want) == 0;
}

int
rl_cgroup_systemd_scope(const char *unit, pid_t pid, rl_error_t *err)
{
    struct sdbus s = { 0 };
    struct sd_bus_error_s e = { 0 };
    void *bus = NULL, *m = NULL, *reply = NULL;
    int r;

    if (sdbus_load(&s, err) < 0)
        return -1;
    r = s.open_user(&bus);
    if (r < 0) {
        dlclose(s.lib);
        return rl_make_error(err, -r, "no systemd user manager to ask for a scope (its D-Bus)");
    }
    r = s.new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                          "org.freedesktop.systemd1.Manager", "StartTransientUnit");
    if (r >= 0)
        r = s.append(m, "ss", unit, "fail");
    if (r >= 0)
        r = s.open_container(m, 'a', "(sv)");
    if (r >= 0)
        r = s.append(m, "(sv)", "Delegate", "b", 1);
    if (r >= 0)
        r = s.append(m, "(sv)", "PIDs", "au", 1, (uint32_t)pid);
    if (r >= 0)
        r = s.append(m, "(sv)", "Description", "s", "rl: a container's monitor");
    if (r >= 0)
        r = s.close_container(m);
    if (r >= 0)
        r = s.append(m, "a(sa(sv))", 0);
    if (r >= 0)
        r = s.call(bus, m, 0, &e, &reply);
    if (r < 0)
        rl_make_error(err, -r, "systemd: a scope with Delegate=yes (StartTransientUnit %s)%s%s",
                      unit, e.message ? ": " : "", e.message ? e.message : "");
    s.error_free(&e);
    if (reply)
        s.message_unref(reply);
    if (m)
        s.message_unref(m);
    s.flush_close_unref(bus);
    dlclose(s.lib);
    if (r < 0)
        return -1;
    /* The job moves the process; wait for it (systemd answers before it runs the job). */
    for (int i = 0; i < 300 && pid == getpid() && !in_unit(unit); i++)
        usleep(10000);
    if (pid == getpid() && !in_unit(unit))
        return rl_make_error(err, ETIMEDOUT, "systemd: the scope %s did not take rl in 3 s", unit);
    return 0;
}
