#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "fs.h"
#include "tap.h"

/* A fake cgroup tree of plain files: nothing here touches the host's /sys/fs/cgroup. */
static char tmp[] = "/tmp/rl-test-cgroup.XXXXXX";

#define SCOPE "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/rl.scope"
#define SLICE "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice"

static const char unified_mountinfo[] =
    "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "24 1 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

static const char hybrid_mountinfo[] =
    "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "31 22 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n";

static const char v1_mountinfo[] =
    "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "31 1 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n";

static const char none_mountinfo[] = "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n";

static const char scope_cgroup[] =
    "0::/user.slice/user-1000.slice/user@1000.service/app.slice/rl.scope\n";
static const char hybrid_cgroup[] =
    "12:pids:/user.slice/user-1000.slice/user@1000.service\n"
    "4:memory:/user.slice/user-1000.slice/user@1000.service\n"
    "1:name=systemd:/user.slice/user-1000.slice/user@1000.service/app.slice/rl.scope\n"
    "0::/user.slice/user-1000.slice/user@1000.service/app.slice/rl.scope\n";

static char *
at(const char *rel)
{
    return xasprintf("%s%s", tmp, rel);
}

static void
put(const char *rel, const char *text)
{
    cleanup_free char *p = at(rel);
    cleanup_error rl_error_t err = NULL;
    cleanup_close int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0 || rl_write_all(fd, text, strlen(text), &err) < 0)
        printf("# cannot write %s\n", p);
}

/* The text of REL, or "(missing)". */
static const char *
get(const char *rel)
{
    static char buf[8192];
    cleanup_free char *p = at(rel);
    cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return "(missing)";
    n = read(fd, buf, sizeof(buf) - 1);
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}

static bool
exists(const char *rel)
{
    cleanup_free char *p = at(rel);
    struct stat st;
    return lstat(p, &st) == 0;
}

/* A fake cgroup at REL with its interface files. */
static void
mkcg(const char *rel, const char *controllers, const char *subtree, const char *procs)
{
    cleanup_free char *p = at(rel);
    cleanup_free char *f1 = xasprintf("%s/cgroup.controllers", rel);
    cleanup_free char *f2 = xasprintf("%s/cgroup.subtree_control", rel);
    cleanup_free char *f3 = xasprintf("%s/cgroup.procs", rel);
    cleanup_error rl_error_t err = NULL;

    if (rl_mkdir_p(p, 0755, &err) < 0)
        printf("# cannot mkdir %s\n", p);
    put(f1, controllers);
    put(f2, subtree);
    put(f3, procs);
}

static void
chown_tree(const char *rel, uid_t uid)
{
    cleanup_free char *p = at(rel);
    cleanup_free char *procs = xasprintf("%s/cgroup.procs", p);
    cleanup_free char *sub = xasprintf("%s/cgroup.subtree_control", p);

    if (chown(p, uid, (gid_t)-1) < 0 || chown(procs, uid, (gid_t)-1) < 0
        || chown(sub, uid, (gid_t)-1) < 0)
        printf("# cannot chown %s\n", p);
}

static bool
msg_has(rl_error_t err, const char *text)
{
    return err && err->msg && strstr(err->msg, text);
}

static void
test_cpus(void)
{
    static const struct {
        const char *s;
        int64_t quota;
    } good[] = {
        { "1.5", 150000 },
        { "0.5", 50000 },
        { "2", 200000 },
        { "0.01", 1000 },
        { ".25", 25000 },
        { "3.", 300000 },
        { "1024", 102400000 },
        { "0.015", 1500 },
        { "1.000001", 100000 },
        { "007", 700000 },
        { "0.123456789123", 12345 },
    };
    static const char *const bad[] = {
        "",     "0",   "0.0", "0.001", "0.009", "-1",   "-0.5", "1e3",    "abc",
        "1.5x", " 1",  "1 ",  "+1",    ".",     "1..2", "1025", "1024.1", "99999999999999999999",
        "1,5",  "0x10"
    };
    cleanup_error rl_error_t err = NULL;

    for (size_t i = 0; i < RL_ARRAY_SIZE(good); i++) {
        int64_t quota = -7;
        uint64_t period = 7;
        is_int(rl_cgroup_parse_cpus(good[i].s, &quota, &period, &err), 0, "--cpus %s parses",
               good[i].s);
        is_int(quota, good[i].quota, "--cpus %s: quota", good[i].s);
        is_int(period, 100000, "--cpus %s: period 100000", good[i].s);
        rl_error_release(&err);
    }
    for (size_t i = 0; i < RL_ARRAY_SIZE(bad); i++) {
        int64_t quota = -7;
        uint64_t period = 7;
        ok(rl_cgroup_parse_cpus(bad[i], &quota, &period, &err) < 0, "--cpus '%s' is refused",
           bad[i]);
        ok(msg_has(err, "is not a number of CPUs") && msg_has(err, "--cpus: '"), "it says why: %s",
           err ? err->msg : "");
        ok(quota == -7 && period == 7, "--cpus '%s': nothing written on failure", bad[i]);
        rl_error_release(&err);
    }
    {
        int64_t quota;
        uint64_t period;
        ok(rl_cgroup_parse_cpus("0.001", &quota, &period, &err) < 0 && msg_has(err, "0.01"),
           "a too small value names the minimum: %s", err ? err->msg : "");
        rl_error_release(&err);
        ok(rl_cgroup_parse_cpus("\x01", &quota, &period, &err) < 0 && msg_has(err, "\\x01"),
           "control characters are shown escaped: %s", err ? err->msg : "");
        rl_error_release(&err);
        ok(rl_cgroup_parse_cpus(NULL, &quota, &period, &err) < 0, "NULL is refused");
        rl_error_release(&err);
    }
}

static void
test_weights(void)
{
    is_int(rl_cgroup_shares_to_weight(2), 1, "shares 2 -> weight 1");
    is_int(rl_cgroup_shares_to_weight(1024), 39, "shares 1024 -> weight 39");
    is_int(rl_cgroup_shares_to_weight(262144), 10000, "shares 262144 -> weight 10000");
    is_int(rl_cgroup_shares_to_weight(512), 20, "shares 512 -> weight 20");
    is_int(rl_cgroup_shares_to_weight(100), 4, "shares 100 -> weight 4");
    is_int(rl_cgroup_shares_to_weight(0), 1, "shares 0 clamps to 2 -> 1");
    is_int(rl_cgroup_shares_to_weight(1), 1, "shares 1 clamps to 2 -> 1");
    is_int(rl_cgroup_shares_to_weight(1000000), 10000, "shares above 262144 clamp -> 10000");
    is_int(rl_cgroup_shares_to_weight(UINT64_MAX), 10000, "huge shares clamp, no overflow");
    for (uint64_t s = 2; s <= 262144; s += 997)
        if (rl_cgroup_shares_to_weight(s) != 1 + ((s - 2) * 9999) / 262142) {
            ok(0, "shares %llu follow the formula", (unsigned long long)s);
            break;
        }
    ok(1, "shares 2..262144 follow 1 + (s - 2) * 9999 / 262142");

    is_int(rl_cgroup_blkio_to_io_weight(10), 1, "blkio 10 -> io 1");
    is_int(rl_cgroup_blkio_to_io_weight(500), 4950, "blkio 500 -> io 4950");
    is_int(rl_cgroup_blkio_to_io_weight(1000), 10000, "blkio 1000 -> io 10000");
    is_int(rl_cgroup_blkio_to_io_weight(100), 910, "blkio 100 -> io 910");
    is_int(rl_cgroup_blkio_to_io_weight(0), 1, "blkio 0 clamps -> 1");
    is_int(rl_cgroup_blkio_to_io_weight(5000), 10000, "blkio 5000 clamps -> 10000");
    is_int(rl_cgroup_blkio_to_io_weight(UINT64_MAX), 10000, "huge blkio clamps");
}

static void
test_cpuset(void)
{
    static const char *const good[] = { "0",    "0-2,4", "0-0",       "1,2,3",
                                        "0-63", "7",     "0-2,4-6,8", "65535" };
    static const char *const bad[] = { "",    "-1", "1-", "2-1",   "1,,2",
                                       ",1",  "1,", "a",  "1 2",   "1-2-3",
                                       "0x1", " 0", "0 ", "65536", "1-99999999999",
                                       "1;2" };
    cleanup_error rl_error_t err = NULL;

    for (size_t i = 0; i < RL_ARRAY_SIZE(good); i++)
        is_int(rl_cgroup_check_cpuset(good[i], &err), 0, "cpuset '%s' is fine", good[i]);
    for (size_t i = 0; i < RL_ARRAY_SIZE(bad); i++) {
        ok(rl_cgroup_check_cpuset(bad[i], &err) < 0, "cpuset '%s' is refused", bad[i]);
        ok(msg_has(err, "such as 0-2,4"), "with an example: %s", err ? err->msg : "");
        rl_error_release(&err);
    }
}

/* Validate L; expect an error containing WANT, or success when WANT is NULL. */
static void
validate(const struct rl_cgroup_limits *l, const char *want, const char *what)
{
    cleanup_error rl_error_t err = NULL;
    int r = rl_cgroup_limits_validate(l, &err);

    if (want == NULL) {
        is_int(r, 0, "valid: %s", what);
        if (err)
            printf("#   %s\n", err->msg);
    } else {
        ok(r < 0 && msg_has(err, want), "refused: %s: %s", what, err ? err->msg : "(accepted)");
    }
}

static void
test_validate(void)
{
    struct rl_cgroup_limits l;
    const int64_t M = 1024 * 1024;

    rl_cgroup_limits_init(&l);
    ok(!rl_cgroup_limits_any(&l), "init: nothing set");
    validate(&l, NULL, "nothing set");
    l.memory = 6 * M;
    ok(rl_cgroup_limits_any(&l), "memory is a limit");
    validate(&l, NULL, "memory 6 MB");
    l.memory = 6 * M - 1;
    validate(&l, "minimum memory limit allowed is 6MB", "memory below 6 MB");
    l.memory = 0;
    validate(&l, "minimum memory limit allowed is 6MB", "memory 0");
    l.memory = -5;
    validate(&l, "is not a limit", "memory -5");
    l.memory = 100 * M;
    l.memory_swap = 50 * M;
    validate(&l, "--memory-swap must be larger than --memory", "swap below memory");
    l.memory_swap = 100 * M;
    validate(&l, NULL, "swap equal to memory (no swap)");
    l.memory_swap = 300 * M;
    validate(&l, NULL, "swap above memory");
    l.memory_swap = RL_CGROUP_SWAP_UNLIMITED;
    validate(&l, NULL, "unlimited swap");
    l.memory_swap = -3;
    validate(&l, "is not a limit", "swap -3");
    l.memory = -1;
    l.memory_swap = 300 * M;
    validate(&l, "--memory-swap needs --memory", "swap without memory");
    l.memory_swap = RL_CGROUP_SWAP_UNLIMITED;
    validate(&l, NULL, "unlimited swap without memory");
    l.memory_swap = -1;
    l.memory_reservation = 10 * M;
    validate(&l, NULL, "a reservation alone");
    l.memory = 8 * M;
    validate(&l, "memory reservation limit", "a reservation above the limit");
    l.memory = 10 * M;
    validate(&l, NULL, "a reservation equal to the limit");
    l.memory_reservation = -2;
    validate(&l, "is not a limit", "reservation -2");
    rl_cgroup_limits_init(&l);

    l.cpu_quota = 999;
    validate(&l, "minimum of 1000", "a quota below 1 ms");
    l.cpu_quota = 1000;
    validate(&l, NULL, "a quota of 1 ms");
    l.cpu_quota = -4;
    validate(&l, "is not a quota", "quota -4");
    l.cpu_quota = -1;
    l.cpu_period = 999;
    validate(&l, "range 1000 to 1000000", "a period below 1 ms");
    l.cpu_period = 1000001;
    validate(&l, "range 1000 to 1000000", "a period above 1 s");
    l.cpu_period = 50000;
    validate(&l, NULL, "a period alone");
    l.cpu_period = 0;
    l.cpu_weight = 10001;
    validate(&l, "CPU weight 10001", "cpu weight 10001");
    l.cpu_weight = 10000;
    validate(&l, NULL, "cpu weight 10000");
    l.cpu_weight = 0;
    l.io_weight = 10001;
    validate(&l, "I/O weight 10001", "io weight 10001");
    l.io_weight = 1;
    validate(&l, NULL, "io weight 1");
    l.io_weight = 0;
    l.pids = -2;
    validate(&l, "--pids-limit", "pids -2");
    l.pids = 0;
    validate(&l, NULL, "pids 0 (unlimited)");
    l.cpuset_cpus = xstrdup("0-2,x");
    validate(&l, "--cpuset-cpus: '0-2,x'", "a bad cpuset");
    free(l.cpuset_cpus);
    l.cpuset_cpus = xstrdup("0-2,4");
    validate(&l, NULL, "a good cpuset");
    l.cpuset_mems = xstrdup("");
    validate(&l, "--cpuset-mems", "an empty cpuset.mems");
    rl_cgroup_limits_release(&l);
    ok(l.cpuset_cpus == NULL && l.cpuset_mems == NULL && l.memory == -1 && l.pids == -1,
       "release frees the strings and unsets all");
    rl_cgroup_limits_release(&l);
    ok(1, "release twice is fine");
}

/* The controllers of L, joined by spaces. */
static char *
controllers(const struct rl_cgroup_limits *l)
{
    cleanup_strv char **v = rl_cgroup_limits_controllers(l);
    return rl_strv_join(v, " ");
}

static void
test_controllers(void)
{
    struct rl_cgroup_limits l;
    cleanup_free char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *f = NULL;

    rl_cgroup_limits_init(&l);
    a = controllers(&l);
    is_str(a, "", "no limits need no controllers");
    l.memory_reservation = 1 << 30;
    b = controllers(&l);
    is_str(b, "memory", "a reservation needs memory");
    l.memory_reservation = -1;
    l.memory_swap = RL_CGROUP_SWAP_UNLIMITED;
    c = controllers(&l);
    is_str(c, "memory", "swap needs memory");
    l.cpu_weight = 39;
    l.pids = 0;
    d = controllers(&l);
    is_str(d, "memory cpu pids", "cpu weight needs cpu, pids 0 needs pids");
    rl_cgroup_limits_init(&l);
    l.cpu_period = 50000;
    l.cpuset_mems = xstrdup("0");
    e = controllers(&l);
    is_str(e, "cpu cpuset", "a period needs cpu, cpuset.mems cpuset");
    free(l.cpuset_mems);
    rl_cgroup_limits_init(&l);
    l.memory = 1 << 30;
    l.cpu_quota = 150000;
    l.cpuset_cpus = xstrdup("0");
    l.pids = 10;
    l.io_weight = 100;
    f = controllers(&l);
    is_str(f, "memory cpu cpuset pids io", "all five, in order");
    rl_cgroup_limits_release(&l);
}

/* The files of L as "name=value;" pairs. */
static char *
files(const struct rl_cgroup_limits *l, int *ret_n)
{
    cleanup_strv char **names = NULL, **values = NULL;
    char *out = xstrdup("");
    int n = rl_cgroup_limits_files(l, &names, &values);

    *ret_n = n;
    for (int i = 0; i < n; i++) {
        char *next = xasprintf("%s%s=%s;", out, names[i], values[i]);
        free(out);
        out = next;
    }
    if (names[n] != NULL || values[n] != NULL)
        printf("# the vectors are not NULL-terminated\n");
    return out;
}

static void
test_files(void)
{
    struct rl_cgroup_limits l;
    const int64_t M = 1024 * 1024;
    int n;

    rl_cgroup_limits_init(&l);
    {
        cleanup_free char *s = files(&l, &n);
        is_int(n, 0, "no limits, no files");
        is_str(s, "", "empty");
    }
    l.memory = 64 * M;
    {
        cleanup_free char *s = files(&l, &n);
        is_int(n, 2, "--memory alone: two files");
        is_str(s, "memory.max=67108864;memory.swap.max=67108864;",
               "podman's default: as much swap as memory (memory-swap = 2x)");
    }
    l.memory_swap = RL_CGROUP_SWAP_UNLIMITED;
    {
        cleanup_free char *s = files(&l, &n);
        is_str(s, "memory.max=67108864;memory.swap.max=max;", "--memory-swap -1: swap max");
    }
    l.memory_swap = 64 * M;
    {
        cleanup_free char *s = files(&l, &n);
        is_str(s, "memory.max=67108864;memory.swap.max=0;", "--memory-swap = --memory: no swap");
    }
    l.memory_swap = 200 * M;
    {
        cleanup_free char *s = files(&l, &n);
        is_str(s, "memory.max=67108864;memory.swap.max=142606336;",
               "--memory-swap 200m --memory 64m: swap 136m");
    }
    rl_cgroup_limits_init(&l);
    l.memory_swap = RL_CGROUP_SWAP_UNLIMITED;
    {
        cleanup_free char *s = files(&l, &n);
        is_str(s, "memory.swap.max=max;", "unlimited swap alone");
    }
    rl_cgroup_limits_init(&l);
    l.memory_reservation = 32 * M;
    {
        cleanup_free char *s = files(&l, &n);
        is_str(s, "memory.low=33554432;", "a reservation is memory.low, no swap file");
    }
    rl_cgroup_limits_init(&l);
    l.cpu_quota = 150000;
    l.cpu_period = 100000;
    {
        cleanup_free char *s = files(&l, &n);
        is_str(s, "cpu.max=150000 100000;", "--cpus 1.5: cpu.max");
    }
    l.cpu_period = 0;
    l.cpu_quota = 50000;
    {
        cleanup_free char *s = files(&l, &n);
        is_str(s, "cpu.max=50000 100000;", "a quota alone gets the default period");
    }
    l.cpu_quota = -1;
    l.cpu_period = 20000;
    {
        cleanup_free char *s = files(&l, &n);
        is_str(s, "cpu.max=max 20000;", "a period alone: max PERIOD");
    }
    rl_cgroup_limits_init(&l);
    l.cpu_weight = 39;
    l.pids = 0;
    l.io_weight = 100;
    l.cpuset_cpus = xstrdup("0-2,4");
    l.cpuset_mems = xstrdup("0");
    {
        cleanup_free char *s = files(&l, &n);
        is_int(n, 5, "five files");
        is_str(s,
               "cpu.weight=39;cpuset.cpus=0-2,4;cpuset.mems=0;pids.max=max;io.weight=default 100;",
               "weight, cpusets, pids 0 is max, io.weight default N");
    }
    l.pids = 42;
    {
        cleanup_free char *s = files(&l, &n);
        ok(strstr(s, "pids.max=42;") != NULL, "pids 42: %s", s);
    }
    rl_cgroup_limits_release(&l);
}

static void
find(const char *mountinfo, const char *cgroup, uid_t uid, struct rl_cgroup_base *b,
     rl_error_t *err, int *ret)
{
    memset(b, 0, sizeof(*b));
    *ret = rl_cgroup_base_find(mountinfo, cgroup, tmp, uid, b, err);
}

static void
test_base(void)
{
    uid_t uid = getuid();
    struct rl_cgroup_base b;
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *mount = at("/sys/fs/cgroup");
    cleanup_free char *self = at(SCOPE);
    cleanup_free char *slice = at(SLICE);
    int r;

    mkcg("/sys/fs/cgroup", "cpuset cpu io memory hugetlb pids rdma misc", "cpu memory pids", "");
    mkcg("/sys/fs/cgroup/user.slice", "cpuset cpu io memory pids", "memory pids", "");
    mkcg("/sys/fs/cgroup/user.slice/user-1000.slice", "cpuset cpu io memory pids", "memory pids",
         "");
    mkcg("/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service", "cpuset cpu io memory pids",
         "memory pids", "");
    mkcg(SLICE, "memory pids", "memory pids", "");
    mkcg(SCOPE, "memory pids", "", "4242\n");

    /* Our scope holds a process and app.slice is ours too: containers go beside the scope. */
    find(unified_mountinfo, scope_cgroup, uid, &b, &err, &r);
    is_int(r, 0, "unified: found%s%s", err ? ": " : "", err ? err->msg : "");
    is_str(b.mount, mount, "mount: the prefix + /sys/fs/cgroup");
    is_str(b.self, self, "self: mount + /proc/self/cgroup path");
    is_str(b.dir, slice, "dir: the parent, as the scope holds processes");
    ok(rl_strv_len(b.available) == 2 && strcmp(b.available[0], "memory") == 0
           && strcmp(b.available[1], "pids") == 0,
       "available: cgroup.controllers of dir");
    {
        char *need[] = { "memory", "pids", NULL };
        is_int(rl_cgroup_check(&b, need, &err), 0, "check: memory and pids are delegated");
        is_int(rl_cgroup_check(&b, NULL, &err), 0, "check: nothing needed");
    }
    {
        char *need[] = { "memory", "cpu", NULL };
        ok(rl_cgroup_check(&b, need, &err) < 0 && err->status == ENOTSUP, "check: cpu is missing");
        ok(msg_has(err, "the cpu controller is not delegated to you"), "names it: %s",
           err ? err->msg : "");
        ok(msg_has(err, "has: memory pids"), "says what there is");
        ok(msg_has(err, "Delegate=yes gives cpu cpuset io memory pids"), "names the systemd fix");
        {
            cleanup_free char *echo = xasprintf(
                "echo '+cpu' > %s/user.slice/user-1000.slice/user@1000.service/cgroup.subtree_control",
                mount);
            ok(msg_has(err, echo), "and the administrator's, in dir's parent");
        }
        rl_error_release(&err);
    }
    {
        char *need[] = { "cpu", "memory", "io", "cpuset", NULL };
        ok(rl_cgroup_check(&b, need, &err) < 0, "check: three missing");
        ok(msg_has(err, "the cpu, io and cpuset controllers are not delegated"), "names them: %s",
           err ? err->msg : "");
        ok(msg_has(err, "echo '+cpu +io +cpuset' >"), "one echo for all");
        rl_error_release(&err);
    }
    rl_cgroup_base_release(&b);
    ok(b.dir == NULL && b.available == NULL, "release clears");

    /* No process in our cgroup: it is the place. */
    put(SCOPE "/cgroup.procs", "");
    find(unified_mountinfo, scope_cgroup, uid, &b, &err, &r);
    is_int(r, 0, "an empty scope: found");
    is_str(b.dir, self, "dir: our own cgroup when it holds no process");
    rl_cgroup_base_release(&b);
    put(SCOPE "/cgroup.procs", " \n");
    find(unified_mountinfo, scope_cgroup, uid, &b, &err, &r);
    is_str(b.dir, self, "white space is no process");
    rl_cgroup_base_release(&b);
    put(SCOPE "/cgroup.procs", "4242\n");

    /* The cgroup at the mount's root: no parent. */
    mkcg("/sys/fs/cgroup", "cpuset cpu io memory hugetlb pids rdma misc", "cpu memory pids", "1\n");
    find(unified_mountinfo, "0::/\n", uid, &b, &err, &r);
    is_int(r, 0, "the root cgroup: found");
    is_str(b.dir, mount, "dir: the root itself (no parent above the mount)");
    is_int(rl_strv_len(b.available), 8, "all its controllers");
    {
        char *need[] = { "blkio", NULL };
        ok(rl_cgroup_check(&b, need, &err) < 0 && msg_has(err, "echo '+blkio' > "),
           "a missing controller at the root: %s", err ? err->msg : "");
        rl_error_release(&err);
    }
    rl_cgroup_base_release(&b);

    /* A cgroup namespace: the mount's root is the namespace's. */
    {
        static const char ns_mountinfo[] =
            "30 24 0:26 /user.slice/user-1000.slice/user@1000.service /sys/fs/cgroup rw - cgroup2 "
            "cgroup2 rw\n";
        cleanup_free char *svc = at("/sys/fs/cgroup/app.slice/rl.scope");
        mkcg("/sys/fs/cgroup/app.slice/rl.scope", "memory", "", "");
        find(ns_mountinfo, scope_cgroup, uid, &b, &err, &r);
        is_int(r, 0, "a cgroup namespace's mount root: found%s%s", err ? ": " : "",
               err ? err->msg : "");
        is_str(b.self, svc, "self: the path below the mount's root");
        rl_cgroup_base_release(&b);
        find(ns_mountinfo, "0::/system.slice/other.service\n", uid, &b, &err, &r);
        ok(r < 0 && msg_has(err, "is outside the cgroup2 mount"),
           "a cgroup outside the mount's root: %s", err ? err->msg : "");
        rl_error_release(&err);
        {
            cleanup_free char *p = at("/sys/fs/cgroup/app.slice");
            rl_rm_rf(p, &err);
        }
    }

    /* Hosts without a usable cgroup v2. */
    find(v1_mountinfo, "4:memory:/user.slice\n", uid, &b, &err, &r);
    ok(r < 0 && err->status == ENOTSUP, "cgroup v1 only: refused");
    ok(msg_has(err, "cgroup v2 is not mounted"), "says so: %s", err ? err->msg : "");
    ok(msg_has(err, "systemd.unified_cgroup_hierarchy=1"), "with the boot option");
    rl_error_release(&err);
    find(none_mountinfo, "", uid, &b, &err, &r);
    ok(r < 0 && msg_has(err, "no cgroup filesystem is mounted") && msg_has(err, "mount -t cgroup2"),
       "no cgroup at all: %s", err ? err->msg : "");
    rl_error_release(&err);
    find(unified_mountinfo, "1:name=systemd:/\n", uid, &b, &err, &r);
    ok(r < 0 && msg_has(err, "not in the cgroup v2 hierarchy"), "no 0:: line: %s",
       err ? err->msg : "");
    rl_error_release(&err);
    find("garbage\n", scope_cgroup, uid, &b, &err, &r);
    ok(r < 0 && msg_has(err, "mountinfo"), "bad mountinfo: %s", err ? err->msg : "");
    rl_error_release(&err);

    /* Hybrid: the v2 tree at /sys/fs/cgroup/unified has no controllers. */
    mkcg("/sys/fs/cgroup/unified", "", "", "");
    mkcg("/sys/fs/cgroup/unified/user.slice/user-1000.slice/user@1000.service/app.slice/rl.scope",
         "", "", "4242\n");
    find(hybrid_mountinfo, hybrid_cgroup, uid, &b, &err, &r);
    ok(r < 0 && err->status == ENOTSUP, "hybrid without v2 controllers: refused");
    ok(msg_has(err, "has none of the controllers rl uses (it has: none): this hybrid host keeps "
                    "them on cgroup v1 (cpu cpuacct memory pids)"),
       "names v1's controllers: %s", err ? err->msg : "");
    ok(msg_has(err, "systemd.unified_cgroup_hierarchy=1"), "with the boot option");
    rl_error_release(&err);
    put("/sys/fs/cgroup/unified/user.slice/user-1000.slice/user@1000.service/app.slice/rl.scope/"
        "cgroup.controllers",
        "hugetlb misc\n");
    find(hybrid_mountinfo, hybrid_cgroup, uid, &b, &err, &r);
    ok(r < 0 && msg_has(err, "(it has: hugetlb misc)"),
       "hybrid with only hugetlb and misc on v2: refused: %s", err ? err->msg : "");
    rl_error_release(&err);
    /* Hybrid with controllers left to v2 works. */
    put("/sys/fs/cgroup/unified/user.slice/user-1000.slice/user@1000.service/app.slice/rl.scope/"
        "cgroup.controllers",
        "io\n");
    find(hybrid_mountinfo, hybrid_cgroup, uid, &b, &err, &r);
    is_int(r, 0, "hybrid with an io controller on v2: found%s%s", err ? ": " : "",
           err ? err->msg : "");
    {
        cleanup_free char *u = at("/sys/fs/cgroup/unified");
        is_str(b.mount, u, "the v2 mount of a hybrid host");
    }
    rl_cgroup_base_release(&b);
    rl_error_release(&err);

    /* Missing cgroup directory. */
    find(unified_mountinfo, "0::/nosuch.slice\n", uid, &b, &err, &r);
    ok(r < 0 && err->status == ENOENT && msg_has(err, "nosuch.slice/cgroup.controllers"),
       "a missing cgroup dir: %s", err ? err->msg : "");
    rl_error_release(&err);

    /* Not delegated: someone else owns our cgroup. */
    if (uid == 0) {
        chown_tree(SCOPE, 12345);
        find(unified_mountinfo, scope_cgroup, uid, &b, &err, &r);
        ok(r < 0 && err->status == EACCES, "not delegated: EACCES");
        ok(msg_has(err, "is not delegated to you (not writable"), "says so: %s",
           err ? err->msg : "");
        ok(msg_has(err, "uid 12345, not 0"), "names the owner");
        ok(msg_has(err, "systemd-run --user --scope -p Delegate=yes rl run"), "gives the fix");
        rl_error_release(&err);
        chown_tree(SCOPE, 0);
        {
            cleanup_free char *sub = at(SCOPE "/cgroup.subtree_control");
            if (chown(sub, 12345, (gid_t)-1) < 0)
                printf("# chown failed\n");
            find(unified_mountinfo, scope_cgroup, uid, &b, &err, &r);
            ok(r < 0 && msg_has(err, "cgroup.subtree_control' belongs to uid 12345"),
               "cgroup.subtree_control owned by another: %s", err ? err->msg : "");
            rl_error_release(&err);
            if (chown(sub, 0, (gid_t)-1) < 0)
                printf("# chown failed\n");
        }
        find(unified_mountinfo, scope_cgroup, 1000, &b, &err, &r);
        ok(r < 0 && msg_has(err, "not 1000"), "root's tree is not delegated to uid 1000");
        rl_error_release(&err);
        /* The parent belongs to another: stay in our own cgroup. */
        chown_tree(SLICE, 12345);
        find(unified_mountinfo, scope_cgroup, uid, &b, &err, &r);
        is_int(r, 0, "a parent owned by another: found");
        is_str(b.dir, self, "dir: our own cgroup, as the parent is not ours");
        rl_cgroup_base_release(&b);
        chown_tree(SLICE, 0);
    } else {
        skip("not delegated: chown needs root");
    }
    {
        cleanup_free char *p = at("/sys/fs/cgroup/unified");
        rl_rm_rf(p, &err);
    }
}

/* The real host, read only: whatever it is, an answer or an error that explains. */
static void
test_base_self(void)
{
    struct rl_cgroup_base b = { 0 };
    cleanup_error rl_error_t err = NULL;

    if (rl_cgroup_base_find_self(&b, &err) == 0)
        ok(b.dir && rl_str_has_prefix(b.dir, b.mount), "this host: containers would go in %s",
           b.dir);
    else
        ok(err && err->msg[0], "this host: %s", err ? err->msg : "(no error)");
    rl_cgroup_base_release(&b);
}

/* A base on the fake tree at SLICE: dir has CTL. */
static void
fake_base(struct rl_cgroup_base *b, const char *ctl, const char *subtree)
{
    cleanup_error rl_error_t err = NULL;
    int r;

    mkcg(SLICE, ctl, subtree, "");
    put(SCOPE "/cgroup.procs", "4242\n");
    find(unified_mountinfo, scope_cgroup, getuid(), b, &err, &r);
    if (r < 0)
        printf("# fake base: %s\n", err->msg);
}

static void
test_create(void)
{
    struct rl_cgroup_base b;
    struct rl_cgroup_limits l;
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *path = NULL, *want = at(SLICE "/c1");
    cleanup_close int fd = -1;
    char **ctl;
    struct stat st, st2;
    const int64_t M = 1024 * 1024;

    fake_base(&b, "cpuset cpu io memory pids", "memory");
    rl_cgroup_limits_init(&l);
    l.memory = 64 * M;
    l.memory_reservation = 32 * M;
    ok(rl_cgroup_parse_cpus("1.5", &l.cpu_quota, &l.cpu_period, &err) == 0, "--cpus 1.5");
    l.cpu_weight = rl_cgroup_shares_to_weight(1024);
    l.pids = 0;
    l.cpuset_cpus = xstrdup("0-1");
    l.io_weight = 100;
    ctl = rl_cgroup_limits_controllers(&l);

    is_int(rl_cgroup_create(&b, "c1", ctl, &l, &path, &fd, &err), 0, "create c1%s%s",
           err ? ": " : "", err ? err->msg : "");
    is_str(path, want, "the path is dir/name");
    is_str(get(SLICE "/cgroup.subtree_control"), "memory+cpu+cpuset+pids+io",
           "one write for each controller not yet enabled");
    ok(stat(want, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755,
       "the cgroup is a 0755 directory");
    ok(fd >= 0 && fstat(fd, &st2) == 0 && st2.st_ino == st.st_ino && st2.st_dev == st.st_dev,
       "the fd is that directory");
    ok(fd >= 0 && (fcntl(fd, F_GETFL) & (O_ACCMODE | O_PATH)) == O_RDONLY,
       "opened O_RDONLY (not O_PATH), for CLONE_INTO_CGROUP");
    ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "close-on-exec");
    is_str(get(SLICE "/c1/memory.max"), "67108864", "memory.max");
    is_str(get(SLICE "/c1/memory.swap.max"), "67108864", "memory.swap.max: podman's default");
    is_str(get(SLICE "/c1/memory.low"), "33554432", "memory.low");
    is_str(get(SLICE "/c1/cpu.max"), "150000 100000", "cpu.max");
    is_str(get(SLICE "/c1/cpu.weight"), "39", "cpu.weight");
    is_str(get(SLICE "/c1/cpuset.cpus"), "0-1", "cpuset.cpus");
    is_str(get(SLICE "/c1/pids.max"), "max", "pids.max");
    is_str(get(SLICE "/c1/io.weight"), "default 100", "io.weight");
    ok(!exists(SLICE "/c1/cpuset.mems"), "no file for an unset limit");

    put(SLICE "/cgroup.subtree_control",
        "memory cpu cpuset pids io\n"); /* as the kernel shows it */
    ok(rl_cgroup_create(&b, "c1", ctl, &l, NULL, NULL, &err) < 0 && err->status == EEXIST,
       "the same name again: EEXIST");
    ok(msg_has(err, "c1 exists"), "says so: %s", err ? err->msg : "");
    rl_error_release(&err);
    is_str(get(SLICE "/cgroup.subtree_control"), "memory cpu cpuset pids io\n",
           "enabled controllers are not written again");

    /* rl update */
    l.memory = 128 * M;
    l.memory_swap = RL_CGROUP_SWAP_UNLIMITED;
    l.pids = 100;
    is_int(rl_cgroup_update(path, &l, &err), 0, "update");
    is_str(get(SLICE "/c1/memory.max"), "134217728", "update: memory.max rewritten");
    is_str(get(SLICE "/c1/memory.swap.max"), "max", "update: swap unlimited");
    is_str(get(SLICE "/c1/pids.max"), "100", "update: pids.max");
    l.memory = 1;
    ok(rl_cgroup_update(path, &l, &err) < 0 && msg_has(err, "6MB"), "update validates");
    rl_error_release(&err);
    is_str(get(SLICE "/c1/memory.max"), "134217728", "nothing written by a refused update");
    l.memory = 128 * M;
    {
        cleanup_free char *gone = at(SLICE "/nosuch");
        ok(rl_cgroup_update(gone, &l, &err) < 0 && err->status == ENOENT,
           "update of a missing cgroup: %s", err ? err->msg : "");
        rl_error_release(&err);
    }

    /* rl exec */
    is_int(rl_cgroup_enter(path, 4711, &err), 0, "enter");
    is_str(get(SLICE "/c1/cgroup.procs"), "4711", "the pid is written to cgroup.procs");
    {
        cleanup_free char *gone = at(SLICE "/nosuch");
        ok(rl_cgroup_enter(gone, 4711, &err) < 0 && msg_has(err, "nosuch"),
           "enter a missing cgroup: %s", err ? err->msg : "");
        rl_error_release(&err);
    }

    /* Names. */
    {
        static const char *const bad[] = { "", ".", "..", "a/b", "/x" };
        for (size_t i = 0; i < RL_ARRAY_SIZE(bad); i++) {
            ok(rl_cgroup_create(&b, bad[i], ctl, &l, NULL, NULL, &err) < 0
                   && msg_has(err, "is not a cgroup name"),
               "name '%s' is refused", bad[i]);
            rl_error_release(&err);
        }
        ok(rl_cgroup_create(&b, NULL, ctl, &l, NULL, NULL, &err) < 0, "a NULL name is refused");
        rl_error_release(&err);
    }

    /* Refused before anything is made. */
    l.memory = 1 * M;
    ok(rl_cgroup_create(&b, "c2", ctl, &l, NULL, NULL, &err) < 0 && msg_has(err, "6MB"),
       "invalid limits are refused");
    rl_error_release(&err);
    ok(!exists(SLICE "/c2"), "and nothing is made");
    l.memory = 64 * M;
    rl_strv_free(ctl);
    rl_cgroup_base_release(&b);

    fake_base(&b, "memory pids", "");
    ctl = rl_cgroup_limits_controllers(&l);
    ok(rl_cgroup_create(&b, "c2", ctl, &l, NULL, NULL, &err) < 0
           && msg_has(err, "the cpu, cpuset and io controllers are not delegated"),
       "undelegated controllers are refused: %s", err ? err->msg : "");
    rl_error_release(&err);
    ok(!exists(SLICE "/c2"), "no cgroup is made");
    is_str(get(SLICE "/cgroup.subtree_control"), "", "no controller is enabled");
    rl_strv_free(ctl);

    /* No limits and no controllers: a bare cgroup (for stats and kill). */
    {
        struct rl_cgroup_limits none;
        char *empty[] = { NULL };
        rl_cgroup_limits_init(&none);
        is_int(rl_cgroup_create(&b, "bare", empty, &none, NULL, NULL, &err), 0, "a bare cgroup");
        ok(exists(SLICE "/bare") && !exists(SLICE "/bare/memory.max"), "with no limit file");
        is_str(get(SLICE "/cgroup.subtree_control"), "", "and no controller enabled");
        rl_cgroup_base_release(&b);
    }

    /* A write that fails after the mkdir: the cgroup is removed again. */
    fake_base(&b, "cpuset cpu io memory pids", "memory cpu cpuset pids io");
    {
        struct rl_cgroup_limits big;
        char *need[] = { "cpuset", "memory", NULL };
        cleanup_free char *list = xstrdup("0");
        pid_t pid;
        int status = -1;

        for (int i = 1; i < 80; i++) {
            char *next = xasprintf("%s,%d", list, i);
            free(list);
            list = next;
        }
        rl_cgroup_limits_init(&big);
        big.memory = 64 * M;
        big.cpuset_cpus = steal_pointer(&list);
        pid = fork();
        if (pid == 0) {
            /* A file size limit makes the long cpuset.cpus fail (EFBIG) after the short
             * memory files were written. */
            struct rlimit rl = { 100, 100 };
            rl_error_t e = NULL;
            signal(SIGXFSZ, SIG_IGN);
            setrlimit(RLIMIT_FSIZE, &rl);
            if (rl_cgroup_create(&b, "c3", need, &big, NULL, NULL, &e) == 0)
                _exit(1);
            _exit(e->status == EFBIG && strstr(e->msg, "c3/cpuset.cpus") ? 0 : 2);
        }
        waitpid(pid, &status, 0);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "a failing limit write is an error naming the file (status %d)", status);
        ok(!exists(SLICE "/c3"), "the half-made cgroup is removed");
        ok(exists(SLICE "/c1"), "others stay");
        rl_cgroup_limits_release(&big);
    }
    rl_cgroup_base_release(&b);

    /* rl rm */
    mkcg(SLICE "/c1/sub", "", "", "");
    mkcg(SLICE "/c1/sub/deeper", "", "", "");
    is_int(rl_cgroup_remove(path, &err), 0, "remove a cgroup with child cgroups%s%s",
           err ? ": " : "", err ? err->msg : "");
    ok(!exists(SLICE "/c1"), "it is gone");
    is_int(rl_cgroup_remove(path, &err), 0, "removing it again is fine");
    {
        cleanup_free char *gone = at("/nosuch/dir/c1");
        is_int(rl_cgroup_remove(gone, &err), 0, "a missing parent is fine");
        ok(rl_cgroup_remove("c1", &err) < 0 && msg_has(err, "not a cgroup path"),
           "a relative name is refused");
        rl_error_release(&err);
        free(gone);
        gone = at(SLICE "/..");
        ok(rl_cgroup_remove(gone, &err) < 0, "'..' is refused");
        rl_error_release(&err);
    }
    {
        cleanup_free char *bare = at(SLICE "/bare");
        is_int(rl_cgroup_remove(bare, &err), 0, "remove the bare cgroup");
    }
    rl_cgroup_limits_release(&l);
}

static void
test_oom(void)
{
    cleanup_free char *p = at("/oom");
    cleanup_free char *gone = at("/nosuch");
    cleanup_error rl_error_t err = NULL;
    bool killed = true;

    rl_mkdir_p(p, 0755, &err);
    ok(rl_cgroup_oom_killed(p, &killed) == 0 && !killed, "no memory.events: not killed");
    put("/oom/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\noom_group_kill 3\n");
    killed = true;
    ok(rl_cgroup_oom_killed(p, &killed) == 0 && !killed, "oom_kill 0: not killed");
    put("/oom/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 2\n");
    ok(rl_cgroup_oom_killed(p, &killed) == 0 && killed, "oom_kill 2: killed");
    put("/oom/memory.events", "oom_kill 1");
    killed = false;
    ok(rl_cgroup_oom_killed(p, &killed) == 0 && killed, "oom_kill 1 without a newline");
    put("/oom/memory.events", "oom_group_kill 1\n");
    killed = true;
    ok(rl_cgroup_oom_killed(p, &killed) == 0 && !killed, "oom_group_kill is not oom_kill");
    ok(rl_cgroup_oom_killed(gone, &killed) < 0 && errno == ENOENT, "a missing cgroup: -1 ENOENT");
}

static void
test_stats(void)
{
    cleanup_free char *p = at("/stats");
    cleanup_free char *gone = at("/nosuch");
    cleanup_error rl_error_t err = NULL;
    struct rl_cgroup_stats s;

    rl_mkdir_p(p, 0755, &err);
    memset(&s, 0xff, sizeof(s));
    is_int(rl_cgroup_stats(p, &s, &err), 0, "no files: fine");
    ok(s.cpu_usage_usec == 0 && s.memory_current == 0 && s.memory_max == 0 && s.pids_current == 0
           && s.pids_max == 0 && s.io_read_bytes == 0 && s.io_write_bytes == 0
           && s.nr_throttled == 0 && s.throttled_usec == 0,
       "all zero");

    put("/stats/cpu.stat", "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n"
                           "nr_periods 10\nnr_throttled 3\nthrottled_usec 4567\n"
                           "nr_bursts 0\nburst_usec 0\n");
    put("/stats/memory.current", "1048576\n");
    put("/stats/memory.max", "max\n");
    put("/stats/pids.current", "7\n");
    put("/stats/pids.max", "100\n");
    put("/stats/io.stat", "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n"
                          "8:16 rbytes=1000 wbytes=2000 rios=5 wios=6 dbytes=0 dios=0\n");
    is_int(rl_cgroup_stats(p, &s, &err), 0, "stats");
    is_int(s.cpu_usage_usec, 123456, "cpu usage_usec");
    is_int(s.nr_throttled, 3, "nr_throttled");
    is_int(s.throttled_usec, 4567, "throttled_usec");
    is_int(s.memory_current, 1048576, "memory.current");
    ok(s.memory_max == UINT64_MAX, "memory.max 'max' is UINT64_MAX");
    is_int(s.pids_current, 7, "pids.current");
    is_int(s.pids_max, 100, "pids.max");
    is_int(s.io_read_bytes, 1001, "rbytes summed over devices");
    is_int(s.io_write_bytes, 2002, "wbytes summed over devices");

    put("/stats/memory.max", "67108864\n");
    put("/stats/pids.max", "max\n");
    put("/stats/io.stat", "");
    is_int(rl_cgroup_stats(p, &s, &err), 0, "stats again");
    is_int(s.memory_max, 67108864, "a numeric memory.max");
    ok(s.pids_max == UINT64_MAX, "pids.max 'max'");
    is_int(s.io_read_bytes, 0, "an empty io.stat");

    put("/stats/memory.current", "lots\n");
    ok(rl_cgroup_stats(p, &s, &err) < 0 && msg_has(err, "memory.current"),
       "a malformed memory.current: %s", err ? err->msg : "");
    rl_error_release(&err);
    put("/stats/memory.current", "max\n");
    ok(rl_cgroup_stats(p, &s, &err) < 0, "memory.current cannot be 'max'");
    rl_error_release(&err);
    ok(rl_cgroup_stats(gone, &s, &err) < 0 && err->status == ENOENT, "a missing cgroup");
    rl_error_release(&err);
}

/* linux.resources of TEXT (JSON) into *O; the error, if any, in *ERR. */
static int
from_oci(const char *text, struct rl_cgroup_oci *o, rl_error_t *err)
{
    json_error_t jerr;
    json_t *j = text ? json_loads(text, 0, &jerr) : NULL;
    int r;

    if (text && j == NULL)
        printf("# bad JSON in the test: %s\n", jerr.text);
    memset(o, 0, sizeof(*o));
    r = rl_cgroup_limits_from_oci(j, o, err);
    json_decref(j);
    return r;
}

/* TEXT is refused with an error that holds WANT. */
static void
oci_refused(const char *text, const char *want)
{
    struct rl_cgroup_oci o;
    cleanup_error rl_error_t err = NULL;

    ok(from_oci(text, &o, &err) < 0 && msg_has(err, want), "%s: refused: %s", text,
       err ? err->msg : "(accepted)");
}

static void
test_oci_limits(void)
{
    struct rl_cgroup_oci o;
    cleanup_error rl_error_t err = NULL;
    const int64_t M = 1024 * 1024;
    char **ctl;

    /* Nothing asked for: no cgroup needed. */
    is_int(from_oci(NULL, &o, &err), 0, "no linux.resources");
    ok(!rl_cgroup_oci_any(&o), "no limits");
    rl_cgroup_oci_release(&o);
    is_int(from_oci("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, "
                    "\"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"}]}",
                    &o, &err),
           0, "devices rules are accepted");
    ok(!rl_cgroup_oci_any(&o), "and ignored: no limits");
    rl_cgroup_oci_release(&o);
    is_int(from_oci("{\"memory\": {}, \"cpu\": null, \"pids\": {\"limit\": null}, "
                    "\"hugepageLimits\": [], \"rdma\": {}, \"network\": null, \"unified\": {}, "
                    "\"blockIO\": {\"weightDevice\": []}, \"memory\": {\"limit\": 0, "
                    "\"reservation\": -1, \"disableOOMKiller\": false, \"useHierarchy\": true}}",
                    &o, &err),
           0, "empty and null entries, zero and -1 limits, false flags: accepted%s%s",
           err ? ": " : "", err ? err->msg : "");
    ok(!rl_cgroup_oci_any(&o), "and they ask for nothing");
    rl_cgroup_oci_release(&o);

    /* Each limit. */
    is_int(from_oci("{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, \"swap\": "
                    "134217728}, \"cpu\": {\"shares\": 1024, \"quota\": 150000, \"period\": "
                    "100000, \"cpus\": \"0-1\", \"mems\": \"0\"}, \"pids\": {\"limit\": 100}, "
                    "\"blockIO\": {\"weight\": 500}}",
                    &o, &err),
           0, "every limit%s%s", err ? ": " : "", err ? err->msg : "");
    is_int(o.limits.memory, 64 * M, "memory.limit -> memory");
    is_int(o.limits.memory_reservation, 32 * M, "memory.reservation -> memory_reservation");
    is_int(o.limits.memory_swap, 128 * M, "memory.swap (memory plus swap) -> memory_swap");
    is_int(o.limits.cpu_weight, rl_cgroup_shares_to_weight(1024), "cpu.shares -> weight 39");
    is_int(o.limits.cpu_quota, 150000, "cpu.quota");
    is_int(o.limits.cpu_period, 100000, "cpu.period");
    is_str(o.limits.cpuset_cpus, "0-1", "cpu.cpus");
    is_str(o.limits.cpuset_mems, "0", "cpu.mems");
    is_int(o.limits.pids, 100, "pids.limit");
    is_int(o.limits.io_weight, rl_cgroup_blkio_to_io_weight(500), "blockIO.weight -> io weight");
    ok(rl_cgroup_oci_any(&o), "limits: a cgroup is needed");
    ctl = rl_cgroup_oci_controllers(&o);
    {
        cleanup_free char *joined = rl_strv_join(ctl, " ");
        is_str(joined, "memory cpu cpuset pids io", "the controllers they need");
    }
    rl_strv_free(ctl);
    {
        cleanup_free char *f1 = rl_cgroup_oci_field(&o, "memory");
        cleanup_free char *f2 = rl_cgroup_oci_field(&o, "cpuset");
        cleanup_free char *f3 = rl_cgroup_oci_field(&o, "io");
        cleanup_free char *f4 = rl_cgroup_oci_field(&o, "hugetlb");
        is_str(f1, "memory.limit", "field of memory");
        is_str(f2, "cpu.cpus", "field of cpuset");
        is_str(f3, "blockIO.weight", "field of io");
        is_str(f4, NULL, "no field needs hugetlb");
    }
    {
        cleanup_strv char **names = NULL, **values = NULL;
        int n = rl_cgroup_limits_files(&o.limits, &names, &values);
        ok(n > 0 && strcmp(names[1], "memory.swap.max") == 0 && strcmp(values[1], "67108864") == 0,
           "swap.max is memory.swap minus memory.limit");
    }
    rl_cgroup_oci_release(&o);
    ok(o.unified_names == NULL && o.limits.cpuset_cpus == NULL, "release clears");

    is_int(from_oci("{\"memory\": {\"limit\": 67108864, \"swap\": -1}}", &o, &err), 0,
           "memory.swap -1");
    is_int(o.limits.memory_swap, RL_CGROUP_SWAP_UNLIMITED, "is unlimited swap");
    rl_cgroup_oci_release(&o);
    is_int(from_oci("{\"memory\": {\"limit\": 67108864}}", &o, &err), 0, "memory.limit alone");
    is_int(o.limits.memory_swap, -1, "swap unset: rl's default (as much swap as memory)");
    rl_cgroup_oci_release(&o);
    is_int(from_oci("{\"pids\": {\"limit\": -1}}", &o, &err), 0, "pids.limit -1");
    is_int(o.limits.pids, 0, "is unlimited (pids.max max)");
    rl_cgroup_oci_release(&o);
    is_int(from_oci("{\"pids\": {\"limit\": 0}}", &o, &err), 0, "pids.limit 0");
    is_int(o.limits.pids, 0, "is unlimited too");
    rl_cgroup_oci_release(&o);
    is_int(from_oci("{\"cpu\": {\"quota\": -1, \"period\": 50000}}", &o, &err), 0,
           "cpu.quota -1 with a period");
    ok(o.limits.cpu_quota == -1 && o.limits.cpu_period == 50000, "no quota, the period");
    rl_cgroup_oci_release(&o);
    is_int(from_oci("{\"cpu\": {\"shares\": 2}}", &o, &err), 0, "cpu.shares 2");
    is_int(o.limits.cpu_weight, 1, "is weight 1");
    rl_cgroup_oci_release(&o);

    /* unified */
    is_int(from_oci("{\"memory\": {\"limit\": 67108864}, \"unified\": {\"memory.high\": "
                    "\"50000000\", \"hugetlb.2MB.max\": \"0\", \"cgroup.max.depth\": \"3\", "
                    "\"memory.oom.group\": \"1\"}}",
                    &o, &err),
           0, "unified%s%s", err ? ": " : "", err ? err->msg : "");
    ok(rl_strv_len(o.unified_names) == 4 && strcmp(o.unified_names[0], "memory.high") == 0
           && strcmp(o.unified_values[0], "50000000") == 0
           && strcmp(o.unified_names[3], "memory.oom.group") == 0,
       "unified: kept in the config's order");
    ctl = rl_cgroup_oci_controllers(&o);
    {
        cleanup_free char *joined = rl_strv_join(ctl, " ");
        is_str(joined, "memory hugetlb", "unified adds its controllers, not 'cgroup'");
    }
    rl_strv_free(ctl);
    {
        cleanup_free char *f = rl_cgroup_oci_field(&o, "hugetlb");
        is_str(f, "unified.hugetlb.2MB.max", "field of a unified file");
    }
    rl_cgroup_oci_release(&o);
    is_int(from_oci("{\"unified\": {\"cgroup.max.depth\": \"3\"}}", &o, &err), 0,
           "unified of the core only");
    ok(rl_cgroup_oci_any(&o), "still needs a cgroup");
    ctl = rl_cgroup_oci_controllers(&o);
    ok(ctl && ctl[0] == NULL, "but no controller");
    rl_strv_free(ctl);
    rl_cgroup_oci_release(&o);

    /* Refused, naming the field. */
    oci_refused("[]", "linux.resources: must be an object");
    oci_refused("{\"memory\": 5}", "linux.resources.memory: must be an object");
    oci_refused("{\"memory\": {\"limit\": \"1g\"}}", "linux.resources.memory.limit: must be an "
                                                     "integer");
    oci_refused("{\"memory\": {\"limit\": 1000}}", "linux.resources.memory.limit: 1000 bytes is "
                                                   "below the minimum");
    oci_refused("{\"memory\": {\"limit\": -5}}", "linux.resources.memory.limit: -5 is not a limit");
    oci_refused("{\"memory\": {\"swap\": 134217728}}",
                "linux.resources.memory.swap: needs memory.limit");
    oci_refused("{\"memory\": {\"limit\": 134217728, \"swap\": 67108864}}",
                "linux.resources.memory.swap: 67108864 is below memory.limit");
    oci_refused("{\"memory\": {\"limit\": 67108864, \"reservation\": 134217728}}",
                "linux.resources.memory.reservation: 134217728 is above memory.limit");
    oci_refused("{\"memory\": {\"kernel\": 67108864}}", "linux.resources.memory.kernel: cgroup v2");
    oci_refused("{\"memory\": {\"kernelTCP\": 67108864}}", "linux.resources.memory.kernelTCP");
    oci_refused("{\"memory\": {\"swappiness\": 0}}", "linux.resources.memory.swappiness");
    oci_refused("{\"memory\": {\"disableOOMKiller\": true}}",
                "linux.resources.memory.disableOOMKiller");
    oci_refused("{\"memory\": {\"useHierarchy\": false}}", "linux.resources.memory.useHierarchy");
    oci_refused("{\"memory\": {\"bogus\": 1}}", "linux.resources.memory.bogus: rl cannot apply it");
    oci_refused("{\"cpu\": {\"realtimeRuntime\": 950000}}",
                "linux.resources.cpu.realtimeRuntime: cgroup v2 has no real-time");
    oci_refused("{\"cpu\": {\"realtimePeriod\": 1000000}}", "linux.resources.cpu.realtimePeriod");
    oci_refused("{\"cpu\": {\"idle\": 1}}", "linux.resources.cpu.idle: rl does not set it");
    oci_refused("{\"cpu\": {\"quota\": 500}}", "linux.resources.cpu.quota: 500 microseconds is "
                                               "below the kernel's minimum");
    oci_refused("{\"cpu\": {\"period\": 10}}", "linux.resources.cpu.period: 10 microseconds");
    oci_refused("{\"cpu\": {\"shares\": -2}}", "linux.resources.cpu.shares: -2 is not a share");
    oci_refused("{\"cpu\": {\"cpus\": \"3-1\"}}", "linux.resources.cpu.cpus: '3-1' is not a list");
    oci_refused("{\"cpu\": {\"mems\": 0}}", "linux.resources.cpu.mems: must be a string");
    oci_refused("{\"pids\": {\"limit\": 1.5}}", "linux.resources.pids.limit: must be an integer");
    oci_refused("{\"blockIO\": {\"weight\": 5}}", "linux.resources.blockIO.weight: 5 is out of "
                                                  "range 10 to 1000");
    oci_refused("{\"blockIO\": {\"leafWeight\": 500}}", "linux.resources.blockIO.leafWeight");
    oci_refused("{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, "
                "\"rate\": 1048576}]}}",
                "linux.resources.blockIO.throttleReadBpsDevice: rl does not set it");
    oci_refused("{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 209715200}]}",
                "linux.resources.hugepageLimits: rl does not set it");
    oci_refused("{\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3}}}", "linux.resources.rdma");
    oci_refused("{\"network\": {\"classID\": 1048577}}", "linux.resources.network: cgroup v2 has "
                                                         "no net_cls");
    oci_refused("{\"bogus\": {\"x\": 1}}", "linux.resources.bogus: rl cannot apply it");
    oci_refused("{\"unified\": {\"../memory.max\": \"1\"}}", "'../memory.max' is not the name");
    oci_refused("{\"unified\": {\"memory/max\": \"1\"}}", "'memory/max' is not the name");
    oci_refused("{\"unified\": {\"memory..max\": \"1\"}}", "'memory..max' is not the name");
    oci_refused("{\"unified\": {\"nodot\": \"1\"}}", "'nodot' is not the name");
    oci_refused("{\"unified\": {\"memory.max\": 1}}",
                "linux.resources.unified.memory.max: must be a string");
    oci_refused("{\"unified\": {\"cgroup.procs\": \"1\"}}",
                "linux.resources.unified.cgroup.procs: rl manages this file itself");
    oci_refused("{\"unified\": \"memory.max=1\"}", "linux.resources.unified: must be an object");
}

static void
test_oci_paths(void)
{
    struct rl_cgroup_base b = { .mount = "/sys/fs/cgroup", .dir = SLICE };
    cleanup_error rl_error_t err = NULL;
    char *p = NULL;

    is_int(rl_cgroup_oci_path_check(NULL, &err), 0, "no cgroupsPath");
    is_int(rl_cgroup_oci_path_check("", &err), 0, "an empty cgroupsPath");
    is_int(rl_cgroup_oci_path_check("/a/b", &err), 0, "an absolute cgroupsPath");
    is_int(rl_cgroup_oci_path_check("a/b", &err), 0, "a relative cgroupsPath");
    is_int(rl_cgroup_oci_path_check("name", &err), 0, "a name");
    ok(rl_cgroup_oci_path_check("system.slice:rl:abc", &err) < 0 && err->status == ENOTSUP
           && msg_has(err, "is a systemd cgroup path (slice:prefix:name): rl has no systemd "
                           "cgroup driver"),
       "a systemd path: %s", err ? err->msg : "");
    rl_error_release(&err);
    ok(rl_cgroup_oci_path_check("a/../b", &err) < 0 && msg_has(err, "'..' is not allowed"), "'..'");
    rl_error_release(&err);
    ok(rl_cgroup_oci_path_check("/a/./b", &err) < 0 && msg_has(err, "'.' is not allowed"), "'.'");
    rl_error_release(&err);
    ok(rl_cgroup_oci_path_check("//", &err) < 0 && msg_has(err, "names the root"), "the root");
    rl_error_release(&err);

    is_int(rl_cgroup_oci_path(&b, NULL, "c1", &p, &err), 0, "default path");
    is_str(p, SLICE "/rl-c1", "is dir/rl-ID");
    free(p);
    p = NULL;
    is_int(rl_cgroup_oci_path(&b, "a/b", "c1", &p, &err), 0, "relative path");
    is_str(p, SLICE "/a/b", "is under dir");
    free(p);
    p = NULL;
    is_int(rl_cgroup_oci_path(&b, "/x//y/", "c1", &p, &err), 0, "absolute path");
    is_str(p, "/sys/fs/cgroup/x/y", "is under the mount, empty components dropped");
    free(p);
    p = NULL;
    ok(rl_cgroup_oci_path(&b, "s.slice:p:n", "c1", &p, &err) < 0 && p == NULL,
       "a systemd path has none");
    rl_error_release(&err);
}

/* rl oci's cgroups on the fake tree: a cgroupsPath with parents to make, a delegated
 * ancestor, unified files, and removal up to what was made. */
static void
test_oci_create(void)
{
    uid_t uid = getuid();
    struct rl_cgroup_base b, p = { 0 };
    struct rl_cgroup_oci o;
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *path = NULL, *top = NULL, *want_top = at(SLICE "/a");
    cleanup_free char *mount = at("/sys/fs/cgroup");
    char **ctl;
    int fd = -1;

    fake_base(&b, "cpuset cpu io memory pids hugetlb", "");
    ok(from_oci("{\"memory\": {\"limit\": 67108864}, \"pids\": {\"limit\": 10}, \"unified\": "
                "{\"memory.high\": \"50000000\"}}",
                &o, &err)
           == 0,
       "limits");
    ctl = rl_cgroup_oci_controllers(&o);
    is_int(rl_cgroup_oci_path(&b, "a/b/c", "c1", &path, &err), 0, "a relative path");
    is_int(rl_cgroup_base_for(&b, path, uid, &p, &err), 0, "where it goes%s%s", err ? ": " : "",
           err ? err->msg : "");
    is_str(p.dir, b.dir, "the nearest existing ancestor: dir");
    ok(rl_strv_contains(p.available, "hugetlb"), "with its controllers");
    is_int(rl_cgroup_create_path(&p, path, ctl, &o.limits, &top, &fd, &err), 0,
           "made with its parents%s%s", err ? ": " : "", err ? err->msg : "");
    is_str(top, want_top, "top: the first directory made");
    is_str(get(SLICE "/cgroup.subtree_control"), "+memory+pids", "controllers enabled in dir");
    is_str(get(SLICE "/a/cgroup.subtree_control"), "+memory+pids", "and in each parent made");
    is_str(get(SLICE "/a/b/cgroup.subtree_control"), "+memory+pids", "down to the last");
    is_str(get(SLICE "/a/b/c/memory.max"), "67108864", "memory.max written");
    is_str(get(SLICE "/a/b/c/pids.max"), "10", "pids.max written");
    is_int(rl_cgroup_write(fd, path, "memory.high", "50000000", &err), 0, "a unified file");
    is_str(get(SLICE "/a/b/c/memory.high"), "50000000", "written as given");
    ok(rl_cgroup_write(fd, path, "../x", "1", &err) < 0, "a file outside is refused");
    rl_error_release(&err);
    if (fd >= 0)
        close(fd);
    rl_cgroup_base_release(&p);

    ok(rl_cgroup_base_for(&b, path, uid, &p, &err) < 0 && err->status == EEXIST
           && msg_has(err, "exists"),
       "an existing cgroup is refused: %s", err ? err->msg : "");
    rl_error_release(&err);

    /* A sibling shares a/b: removing one keeps what the other still uses. */
    {
        cleanup_free char *p2 = at(SLICE "/a/b/d"), *top2 = NULL;
        is_int(rl_cgroup_base_for(&b, p2, uid, &p, &err), 0, "a sibling");
        cleanup_free char *ab = at(SLICE "/a/b");
        is_str(p.dir, ab, "its nearest ancestor is a/b");
        is_int(rl_cgroup_create_path(&p, p2, ctl, &o.limits, &top2, NULL, &err), 0,
               "the sibling is made");
        is_str(top2, p2, "its top is itself");
        rl_cgroup_base_release(&p);
        is_int(rl_cgroup_remove_upto(path, top, &err), 0, "remove the first");
        ok(!exists(SLICE "/a/b/c") && exists(SLICE "/a/b/d"), "the sibling stays");
        ok(exists(SLICE "/a/b"), "and so do the parents it is in");
        is_int(rl_cgroup_remove_upto(p2, top2, &err), 0, "remove the sibling");
        ok(exists(SLICE "/a/b"), "the parents were not its own");
        is_int(rl_cgroup_remove_upto(p2, top2, &err), 0, "removing again is fine");
    }
    {
        cleanup_free char *p3 = at(SLICE "/a/b/e"), *top3 = NULL;
        ok(rl_cgroup_base_for(&b, p3, uid, &p, &err) == 0
               && rl_cgroup_create_path(&p, p3, ctl, &o.limits, &top3, NULL, &err) == 0,
           "another one");
        rl_cgroup_base_release(&p);
        /* As delete of the first would have done, with its top. */
        is_int(rl_cgroup_remove_upto(p3, want_top, &err), 0, "removed up to a");
        ok(!exists(SLICE "/a"), "the emptied parents go, up to top");
        ok(exists(SLICE), "not beyond");
    }

    /* Absolute paths: only inside a delegated cgroup. */
    free(path);
    path = NULL;
    mkcg("/sys/fs/cgroup/system.slice", "memory pids", "", "");
    is_int(rl_cgroup_oci_path(&b, "/system.slice/x", "c1", &path, &err), 0, "an absolute path");
    ok(rl_cgroup_base_for(&b, path, uid + 1, &p, &err) < 0 && err->status == EACCES
           && msg_has(err, "system.slice is not delegated to you"),
       "not delegated: %s", err ? err->msg : "");
    rl_error_release(&err);
    ok(!exists("/sys/fs/cgroup/system.slice/x"), "nothing is made");
    is_int(rl_cgroup_base_for(&b, path, uid, &p, &err), 0, "delegated (owned by the uid)");
    {
        cleanup_free char *want = at("/sys/fs/cgroup/system.slice");
        is_str(p.dir, want, "the nearest ancestor");
    }
    {
        char *hug[] = { "hugetlb", NULL };
        ok(rl_cgroup_check(&p, hug, &err) < 0
               && msg_has(err, "hugetlb controller is not "
                               "delegated"),
           "its controllers are checked");
        rl_error_release(&err);
    }
    rl_cgroup_base_release(&p);
    free(path);
    path = xasprintf("%s/other/x", tmp);
    ok(rl_cgroup_base_for(&b, path, uid, &p, &err) < 0
           && msg_has(err, "is not below the cgroup2 "
                           "mount"),
       "a path outside the mount: %s", err ? err->msg : "");
    rl_error_release(&err);
    ok(rl_cgroup_base_for(&b, mount, uid, &p, &err) < 0, "the mount itself");
    rl_error_release(&err);

    /* Refused before anything is made. */
    free(path);
    path = at(SLICE "/f/g");
    ok(rl_cgroup_base_for(&b, path, uid, &p, &err) == 0, "f/g");
    {
        struct rl_cgroup_limits bad;
        rl_cgroup_limits_init(&bad);
        bad.memory = 1;
        ok(rl_cgroup_create_path(&p, path, ctl, &bad, &top, NULL, &err) < 0 && msg_has(err, "6MB"),
           "invalid limits");
        rl_error_release(&err);
        ok(!exists(SLICE "/f"), "nothing made");
    }
    /* A write that fails after the mkdirs: what was made goes. */
    {
        struct rl_cgroup_limits big;
        char *need[] = { "cpuset", NULL };
        cleanup_free char *list = xstrdup("0");
        pid_t pid;
        int status = -1;

        for (int i = 1; i < 80; i++) {
            char *next = xasprintf("%s,%d", list, i);
            free(list);
            list = next;
        }
        rl_cgroup_limits_init(&big);
        big.cpuset_cpus = steal_pointer(&list);
        pid = fork();
        if (pid == 0) {
            struct rlimit rl = { 100, 100 };
            rl_error_t e = NULL;
            signal(SIGXFSZ, SIG_IGN);
            setrlimit(RLIMIT_FSIZE, &rl);
            if (rl_cgroup_create_path(&p, path, need, &big, NULL, NULL, &e) == 0)
                _exit(1);
            _exit(e->status == EFBIG && strstr(e->msg, "f/g/cpuset.cpus") ? 0 : 2);
        }
        waitpid(pid, &status, 0);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "a failing write is an error naming the file (status %d)", status);
        ok(!exists(SLICE "/f"), "the parents made for it are removed too");
        rl_cgroup_limits_release(&big);
    }
    rl_cgroup_base_release(&p);
    /* An existing parent is used, not made. */
    mkcg(SLICE "/f", "memory pids", "", "");
    ok(rl_cgroup_base_for(&b, path, uid, &p, &err) == 0, "f exists now");
    {
        cleanup_free char *f = at(SLICE "/f"), *t = NULL;
        is_str(p.dir, f, "f is the nearest ancestor");
        is_int(rl_cgroup_create_path(&p, path, ctl, &o.limits, &t, NULL, &err), 0, "f/g made");
        is_str(t, path, "its top is itself");
        is_int(rl_cgroup_remove_upto(path, t, &err), 0, "removed");
        ok(!exists(SLICE "/f/g") && exists(SLICE "/f"), "f, not made for it, stays");
    }
    rl_cgroup_base_release(&p);
    rl_strv_free(ctl);
    rl_cgroup_oci_release(&o);
    rl_cgroup_base_release(&b);
}

/* rl alone in a delegated cgroup moves into a leaf of it; not alone, it stays. */
static void
test_move_to_leaf(void)
{
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *dir = at("/leaf");
    cleanup_free char *leaf = at("/leaf/rl-monitor");
    cleanup_free char *missing = at("/no-such");
    char mine[32], other[64];

    snprintf(mine, sizeof(mine), "%d\n", (int)getpid());
    snprintf(other, sizeof(other), "%d\n%d\n", (int)getpid(), (int)getpid() + 1);
    is_int(mkdir(dir, 0755), 0, "a fake cgroup");
    put("/leaf/cgroup.procs", other);
    is_int(rl_cgroup_move_to_leaf(dir, "rl-monitor", getpid(), &err), 0,
           "not alone: nothing is done");
    ok(access(leaf, F_OK) != 0, "no leaf made");
    put("/leaf/cgroup.procs", mine);
    /* The kernel makes a new cgroup's files; on the fake tree, the test does. */
    is_int(mkdir(leaf, 0755), 0, "the leaf, as mkdir on cgroupfs makes it");
    put("/leaf/rl-monitor/cgroup.procs", "");
    is_int(rl_cgroup_move_to_leaf(dir, "rl-monitor", getpid(), &err), 1, "alone: moved");
    {
        char want[32];
        snprintf(want, sizeof(want), "%d", (int)getpid());
        is_str(get("/leaf/rl-monitor/cgroup.procs"), want, "with our pid");
    }
    is_int(rl_cgroup_move_to_leaf(dir, "rl-monitor", getpid(), &err), 1,
           "again (the leaf exists): fine");
    ok(rl_cgroup_move_to_leaf(missing, "x", getpid(), &err) < 0 && err,
       "a missing cgroup is an error");
}

int
main(void)
{
    cleanup_error rl_error_t err = NULL;

    umask(022);
    if (mkdtemp(tmp) == NULL)
        return 1;
    test_cpus();
    test_weights();
    test_cpuset();
    test_validate();
    test_controllers();
    test_files();
    test_base();
    test_base_self();
    test_create();
    test_oom();
    test_stats();
    test_oci_limits();
    test_oci_paths();
    test_oci_create();
    test_move_to_leaf();
    rl_rm_rf(tmp, &err);
    done_testing();
}
