#include "config.h"

#include <dirent.h>
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
