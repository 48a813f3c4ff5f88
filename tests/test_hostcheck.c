#include "config.h"

#include <endian.h>

#include "hostcheck.h"
#include "tap.h"

/* /proc/self/mountinfo of a Debian 12 host with hybrid cgroups (trimmed). */
static const char hybrid_mountinfo[] =
    "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "31 22 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n";

static const char unified_mountinfo[] =
    "24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

static const char hybrid_proc_cgroup[] = "9:name=systemd:/\n"
                                         "8:pids:/\n"
                                         "4:memory:/process_api/54e892b4\n"
                                         "1:cpu:/\n"
                                         "0::/\n";

static void
test_mountinfo_line(void)
{
    struct rl_mountinfo m = { 0 };
    rl_error_t err = NULL;

    is_int(rl_mountinfo_parse_line(
               "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw", &m,
               &err),
           0, "mountinfo: cgroup2 line with an optional field");
    is_str(m.root, "/", "mountinfo: root");
    is_str(m.mount_point, "/sys/fs/cgroup/unified", "mountinfo: mount point");
    is_str(m.fstype, "cgroup2", "mountinfo: fstype after the separator");
    is_str(m.source, "cgroup2", "mountinfo: source");
    is_str(m.super_options, "rw", "mountinfo: super options");
    rl_mountinfo_release(&m);

    is_int(rl_mountinfo_parse_line("22 1 0:21 / /sys rw - sysfs sysfs rw\n", &m, &err), 0,
           "mountinfo: no optional fields, trailing newline");
    is_str(m.mount_point, "/sys", "mountinfo: mount point without optional fields");
    is_str(m.fstype, "sysfs", "mountinfo: fstype without optional fields");
    rl_mountinfo_release(&m);

    is_int(rl_mountinfo_parse_line("100 1 8:1 /a\\040b /mnt/with\\040space\\011tab\\134x rw "
                                   "shared:1 master:2 - ext4 /dev/my\\040disk rw",
                                   &m, &err),
           0, "mountinfo: escaped paths");
    is_str(m.root, "/a b", "mountinfo: \\040 in root is a space");
    is_str(m.mount_point, "/mnt/with space\ttab\\x", "mountinfo: \\040 \\011 \\134 unescaped");
    is_str(m.source, "/dev/my disk", "mountinfo: escaped source");
    is_str(m.fstype, "ext4", "mountinfo: fstype after two optional fields");
    rl_mountinfo_release(&m);

    is_int(rl_mountinfo_parse_line("100 1 8:1 /a\\9 /b\\04 rw - ext4 x rw", &m, &err), 0,
           "mountinfo: a backslash not followed by three octal digits is kept");
    is_str(m.root, "/a\\9", "mountinfo: short escape kept in root");
    is_str(m.mount_point, "/b\\04", "mountinfo: truncated escape kept");
    rl_mountinfo_release(&m);

    ok(rl_mountinfo_parse_line("1 2 3", &m, &err) < 0 && err, "mountinfo: too few fields");
    rl_error_release(&err);
    ok(rl_mountinfo_parse_line("22 1 0:21 / /sys rw sysfs sysfs rw", &m, &err) < 0,
       "mountinfo: no separator");
    rl_error_release(&err);
    ok(rl_mountinfo_parse_line("22 1 0:21 / /sys rw - sysfs", &m, &err) < 0,
       "mountinfo: nothing after the fstype");
    rl_error_release(&err);
    ok(rl_mountinfo_parse_line("", &m, &err) < 0, "mountinfo: empty line");
    rl_error_release(&err);
}

static void
test_cgroup_mounts(void)
{
    struct rl_cgroup_mounts m = { 0 };
    rl_error_t err = NULL;

    is_int(rl_hostcheck_parse_cgroup_mounts(hybrid_mountinfo, &m, &err), 0, "hybrid: parsed");
    ok(m.v1, "hybrid: v1 hierarchies seen");
    is_str(m.v2_mount_point, "/sys/fs/cgroup/unified", "hybrid: cgroup2 at .../unified");
    is_str(m.v2_root, "/", "hybrid: cgroup2 root");
    is_str(rl_cgroup_mounts_mode(&m), "hybrid", "hybrid: mode");
    rl_cgroup_mounts_release(&m);

    is_int(rl_hostcheck_parse_cgroup_mounts(unified_mountinfo, &m, &err), 0, "unified: parsed");
    ok(!m.v1, "unified: no v1");
    is_str(m.v2_mount_point, "/sys/fs/cgroup", "unified: cgroup2 at /sys/fs/cgroup");
    is_str(rl_cgroup_mounts_mode(&m), "unified", "unified: mode");
    rl_cgroup_mounts_release(&m);

    is_int(rl_hostcheck_parse_cgroup_mounts(
               "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n", &m, &err),
           0, "legacy: parsed");
    ok(m.v1 && m.v2_mount_point == NULL, "legacy: v1 only");
    is_str(rl_cgroup_mounts_mode(&m), "legacy", "legacy: mode");
    rl_cgroup_mounts_release(&m);

    is_int(rl_hostcheck_parse_cgroup_mounts("", &m, &err), 0, "none: empty mountinfo");
    is_str(rl_cgroup_mounts_mode(&m), "none", "none: mode");
    rl_cgroup_mounts_release(&m);

    is_int(rl_hostcheck_parse_cgroup_mounts(
               "50 40 0:26 /docker/abc /my\\040cgroup rw - cgroup2 cgroup2 rw\n"
               "51 40 0:26 / /second rw - cgroup2 cgroup2 rw\n",
               &m, &err),
           0, "container: parsed");
    is_str(m.v2_mount_point, "/my cgroup", "container: escaped mount point, first cgroup2 kept");
    is_str(m.v2_root, "/docker/abc", "container: root of a bind-mounted subtree");
    rl_cgroup_mounts_release(&m);

    ok(rl_hostcheck_parse_cgroup_mounts("41 31 0:38 / /x rw - cgroup2\n", &m, &err) < 0 && err
           && strstr(err->msg, "line 1"),
       "malformed mountinfo is an error naming the line");
    rl_error_release(&err);
}

static void
test_proc_cgroup(void)
{
    char *path = NULL;

    is_int(rl_hostcheck_parse_proc_cgroup(hybrid_proc_cgroup, &path), 1, "hybrid: 0:: found");
    is_str(path, "/", "hybrid: path of the v2 line, not of v1 lines");
    free(path);
    path = NULL;

    is_int(
        rl_hostcheck_parse_proc_cgroup("0::/user.slice/user-1000.slice/session-2.scope\n", &path),
        1, "unified: found");
    is_str(path, "/user.slice/user-1000.slice/session-2.scope", "unified: path");
    free(path);
    path = NULL;

    is_int(rl_hostcheck_parse_proc_cgroup("1:name=systemd:/\n0::/a:b", &path), 1,
           "last line without a newline");
    is_str(path, "/a:b", "a colon in the path is kept");
    free(path);
    path = NULL;

    is_int(rl_hostcheck_parse_proc_cgroup("2:cpu:/\n1:name=systemd:/\n", &path), 0,
           "v1 only: none");
    ok(path == NULL, "v1 only: ret untouched");
    is_int(rl_hostcheck_parse_proc_cgroup("10::/x\n", &path), 0, "10:: is not 0::");
    is_int(rl_hostcheck_parse_proc_cgroup("", &path), 0, "empty: none");
}

static void
test_cgroup_dir(void)
{
    char *d;

    d = rl_hostcheck_cgroup_dir("/sys/fs/cgroup", "/", "/user.slice/u.service");
    is_str(d, "/sys/fs/cgroup/user.slice/u.service", "dir: below the root");
    free(d);
    d = rl_hostcheck_cgroup_dir("/sys/fs/cgroup/unified", "/", "/");
    is_str(d, "/sys/fs/cgroup/unified", "dir: the root cgroup is the mount point");
    free(d);
    d = rl_hostcheck_cgroup_dir("/sys/fs/cgroup", "/docker/abc", "/docker/abc/sub");
    is_str(d, "/sys/fs/cgroup/sub", "dir: mount root stripped");
    free(d);
    d = rl_hostcheck_cgroup_dir("/sys/fs/cgroup", "/docker/abc/", "/docker/abc");
    is_str(d, "/sys/fs/cgroup", "dir: path equal to the root");
    free(d);
    ok(rl_hostcheck_cgroup_dir("/sys/fs/cgroup", "/docker/abc", "/docker/abcd") == NULL,
       "dir: a sibling with the same prefix is outside");
    ok(rl_hostcheck_cgroup_dir("/sys/fs/cgroup", "/docker/abc", "/other") == NULL,
       "dir: outside the mount");
}

static void
test_ping_range(void)
{
    rl_error_t err = NULL;
    uint32_t lo = 7, hi = 7;

    is_int(rl_hostcheck_parse_ping_range("1\t0\n", &lo, &hi, &err), 0, "ping: kernel default");
    ok(lo == 1 && hi == 0, "ping: 1 0 (nobody)");
    is_int(rl_hostcheck_parse_ping_range("0 2147483647", &lo, &hi, &err), 0, "ping: everyone");
    ok(lo == 0 && hi == 2147483647u, "ping: 0 2147483647");
    is_int(rl_hostcheck_parse_ping_range("  100   200  \n", &lo, &hi, &err), 0,
           "ping: extra blanks");
    ok(lo == 100 && hi == 200, "ping: 100 200");
    ok(rl_hostcheck_parse_ping_range("junk", &lo, &hi, &err) < 0 && err, "ping: junk refused");
    rl_error_release(&err);
    ok(rl_hostcheck_parse_ping_range("1", &lo, &hi, &err) < 0, "ping: one number refused");
    rl_error_release(&err);
    ok(rl_hostcheck_parse_ping_range("1 2 3", &lo, &hi, &err) < 0, "ping: three refused");
    rl_error_release(&err);
    ok(rl_hostcheck_parse_ping_range("-1 5", &lo, &hi, &err) < 0, "ping: negative refused");
    rl_error_release(&err);
    ok(rl_hostcheck_parse_ping_range("0 4294967296", &lo, &hi, &err) < 0, "ping: overflow refused");
    rl_error_release(&err);
    ok(lo == 100 && hi == 200, "ping: failures leave the results alone");
}

static void
test_kernel_version(void)
{
    unsigned major = 0, minor = 0;

    is_int(rl_hostcheck_parse_kernel_version("6.1.0-13-amd64", &major, &minor), 0,
           "kernel: Debian release");
    ok(major == 6 && minor == 1, "kernel: 6.1");
    is_int(rl_hostcheck_parse_kernel_version("5.10", &major, &minor), 0, "kernel: bare");
    ok(major == 5 && minor == 10, "kernel: 5.10");
    is_int(rl_hostcheck_parse_kernel_version("6.18.44-fc-v657", &major, &minor), 0,
           "kernel: custom suffix");
    ok(major == 6 && minor == 18, "kernel: 6.18");
    is_int(rl_hostcheck_parse_kernel_version("abc", &major, &minor), -1, "kernel: junk");
    is_int(rl_hostcheck_parse_kernel_version("6", &major, &minor), -1, "kernel: no minor");
    is_int(rl_hostcheck_parse_kernel_version("6.x", &major, &minor), -1, "kernel: bad minor");
}

static size_t
make_filecap(unsigned char *buf, uint32_t revision, uint32_t perm0, uint32_t perm1)
{
    uint32_t words[6] = { htole32(revision | 1u), htole32(perm0), 0, htole32(perm1), 0, 0 };
    size_t len = revision == 0x01000000u ? 12 : revision == 0x02000000u ? 20 : 24;

    memcpy(buf, words, len);
    return len;
}

static void
test_filecap(void)
{
    unsigned char buf[24];
    size_t len;

    len = make_filecap(buf, 0x02000000u, 1u << 7, 0);
    ok(rl_hostcheck_filecap_has(buf, len, 7), "filecap v2: cap_setuid");
    ok(!rl_hostcheck_filecap_has(buf, len, 6), "filecap v2: no cap_setgid");
    ok(!rl_hostcheck_filecap_has(buf, len - 1, 7), "filecap v2: short value refused");
    len = make_filecap(buf, 0x03000000u, 1u << 6, 1u << 8);
    ok(rl_hostcheck_filecap_has(buf, len, 6), "filecap v3: cap_setgid");
    ok(rl_hostcheck_filecap_has(buf, len, 40), "filecap v3: capability 40 in the second word");
    ok(!rl_hostcheck_filecap_has(buf, len, 7), "filecap v3: no cap_setuid");
    len = make_filecap(buf, 0x01000000u, 1u << 7, 0);
    ok(rl_hostcheck_filecap_has(buf, len, 7), "filecap v1: cap_setuid");
    ok(!rl_hostcheck_filecap_has(buf, len, 40), "filecap v1: one word only");
    len = make_filecap(buf, 0x07000000u, 0xffffffffu, 0);
    ok(!rl_hostcheck_filecap_has(buf, len, 7), "filecap: unknown revision refused");
    ok(!rl_hostcheck_filecap_has(buf, 2, 7), "filecap: too short");
}

static void
subid_case(const char *what, const char *text, const char *name, uid_t id,
           enum rl_check_status want, const char *want_msg, const char *want_fix, const char *desc)
{
    struct rl_check c = { 0 };
    rl_error_t err = NULL;

    is_int(rl_hostcheck_subid(what, text, name, id, &c, &err), 0, "subid %s: judged", desc);
    is_int(c.status, want, "subid %s: status", desc);
    ok(c.message && strstr(c.message, want_msg), "subid %s: message has '%s'", desc, want_msg);
    if (!(c.message && strstr(c.message, want_msg)))
        printf("#   message: %s\n", c.message ? c.message : "(null)");
    if (want_fix) {
        ok(c.fix && strstr(c.fix, want_fix), "subid %s: fix has '%s'", desc, want_fix);
        if (!(c.fix && strstr(c.fix, want_fix)))
            printf("#   fix: %s\n", c.fix ? c.fix : "(null)");
    } else {
        ok(c.fix == NULL, "subid %s: no fix", desc);
    }
    is_str(c.name, what, "subid %s: name", desc);
    free(c.name);
    free(c.message);
    free(c.fix);
}

static void
test_subid(void)
{
    subid_case("subuid", "# comment\nrltest:100000:65536\n", "rltest", 1001, RL_CHECK_OK,
               "100000:65536 for rltest", NULL, "by name");
    subid_case("subuid", "1001:200000:65536\n", "rltest", 1001, RL_CHECK_OK,
               "200000:65536 for rltest", NULL, "by uid");
    subid_case("subuid", "1001:200000:65536\n", NULL, 1001, RL_CHECK_OK, "for 1001", NULL,
               "user without a name");
    subid_case(
        "subuid", "other:100000:65536\n", "rltest", 1001, RL_CHECK_WARNING, "no ranges for rltest",
        "sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 rltest", "none");
    subid_case("subgid", NULL, "rltest", 1001, RL_CHECK_WARNING, "/etc/subgid",
               "--add-subgids 100000-165535 rltest", "missing file");
    subid_case("subuid", "", "root", 0, RL_CHECK_OK, "none for root", NULL, "root without");
    subid_case("subuid", "rltest:100000:1000\n", "rltest", 1001, RL_CHECK_WARNING, "1000 ids",
               "sudo usermod --del-subuids 100000-100999 --add-subuids 100000-165535 rltest",
               "too small");
    subid_case("subgid", "rltest:100000:1\n", "rltest", 1001, RL_CHECK_WARNING, "1 id,",
               "--del-subgids 100000-100000 --add-subgids", "size one");
    subid_case("subuid", "rltest:100000:30000\nrltest:200000:40000\n", "rltest", 1001, RL_CHECK_OK,
               "100000:30000, 200000:40000 for rltest (70000 ids)", NULL, "two ranges");
    subid_case("subuid", "rltest:1000:65536\n", "rltest", 1001, RL_CHECK_WARNING,
               "contains your own uid 1001", "--del-subuids 1000-66535", "own uid inside");
    subid_case("subuid", "rltest:100000:65535\n", "rltest", 1001, RL_CHECK_WARNING,
               "65535 ids, 65536 recommended", "usermod", "one short");
}

static void
test_json(void)
{
    struct rl_check checks[] = {
        { (char *)"subuid", RL_CHECK_OK, (char *)"100000:65536 for rltest", NULL },
        { (char *)"dev-tun", RL_CHECK_WARNING, (char *)"/dev/net/tun: permission denied",
          (char *)"sudo chmod 0666 /dev/net/tun" },
        { (char *)"userns", RL_CHECK_ERROR, (char *)"blocked", NULL },
    };
    json_t *arr = rl_hostcheck_to_json(checks, 3), *o;
    const char *keys[] = { "name", "status", "message", "fix" };

    ok(json_is_array(arr) && json_array_size(arr) == 3, "json: an array of three");
    o = json_array_get(arr, 0);
    is_int(json_object_size(o), 4, "json: four keys");
    for (size_t i = 0; i < RL_ARRAY_SIZE(keys); i++)
        ok(json_object_get(o, keys[i]) != NULL, "json: key '%s'", keys[i]);
    is_str(json_string_value(json_object_get(o, "name")), "subuid", "json: name");
    is_str(json_string_value(json_object_get(o, "status")), "ok", "json: status ok");
    is_str(json_string_value(json_object_get(o, "message")), "100000:65536 for rltest",
           "json: message");
    ok(json_is_null(json_object_get(o, "fix")), "json: no fix is null");
    o = json_array_get(arr, 1);
    is_str(json_string_value(json_object_get(o, "status")), "warning", "json: status warning");
    is_str(json_string_value(json_object_get(o, "fix")), "sudo chmod 0666 /dev/net/tun",
           "json: fix string");
    is_str(json_string_value(json_object_get(json_array_get(arr, 2), "status")), "error",
           "json: status error");
    json_decref(arr);

    arr = rl_hostcheck_to_json(NULL, 0);
    ok(json_is_array(arr) && json_array_size(arr) == 0, "json: no checks, empty array");
    json_decref(arr);

    is_int(rl_hostcheck_worst(checks, 3), RL_CHECK_ERROR, "worst: error");
    is_int(rl_hostcheck_worst(checks, 2), RL_CHECK_WARNING, "worst: warning");
    is_int(rl_hostcheck_worst(checks, 0), RL_CHECK_OK, "worst: none is ok");
}

/* The real checks on this host: the shape, not the verdicts, which depend on the host. */
static void
test_live(void)
{
    static const char *const names[] = {
        "subuid",
        "subgid",
        "newuidmap",
        "newgidmap",
        "userns",
        "overlay",
        "dev-fuse",
        "fuse-overlayfs",
        "dev-tun",
        "runtime-dir",
        "cgroup2",
        "cgroup-delegation",
        "unprivileged-ports",
        "ping",
    };
    struct rl_hostinfo *h = NULL;
    struct rl_check *checks = NULL;
    rl_error_t err = NULL;
    size_t n = 0;
    json_t *o;
    bool shape = true;

    is_int(rl_hostcheck_run(&checks, &n, &err), 0, "live: checks ran");
    is_int(n, RL_ARRAY_SIZE(names), "live: one result per check");
    for (size_t i = 0; i < n && i < RL_ARRAY_SIZE(names); i++) {
        if (strcmp(checks[i].name, names[i]) != 0 || checks[i].message == NULL
            || checks[i].status > RL_CHECK_ERROR) {
            shape = false;
            printf("#   check %zu: %s\n", i, checks[i].name);
        }
    }
    ok(shape, "live: names in order, each with a message");
    rl_hostcheck_free(checks, n);

    is_int(rl_hostinfo_gather(&h, &err), 0, "live: info gathered");
    o = rl_hostinfo_to_json(h);
    ok(json_is_object(json_object_get(o, "kernel")), "live: host.kernel");
    is_str(json_string_value(json_object_get(json_object_get(o, "kernel"), "release")),
           h->kernel_release, "live: host.kernel.release");
    is_int(json_integer_value(json_object_get(json_object_get(o, "user"), "uid")), geteuid(),
           "live: host.user.uid");
    ok(json_array_size(json_object_get(json_object_get(o, "idmap"), "uid_map")) >= 1,
       "live: a uid map");
    ok(json_is_string(json_object_get(o, "overlay")), "live: overlay backend");
    ok(json_is_string(json_object_get(json_object_get(o, "cgroup"), "mode")), "live: cgroup mode");
    ok(h->runtime_dir && h->runtime_dir[0] == '/', "live: runtime dir is absolute");
    json_decref(o);
    h = rl_hostinfo_free(h);
    ok(h == NULL, "live: free returns NULL");
}

int
main(void)
{
    test_mountinfo_line();
    test_cgroup_mounts();
    test_proc_cgroup();
    test_cgroup_dir();
    test_ping_range();
    test_kernel_version();
    test_filecap();
    test_subid();
    test_json();
    test_live();
    done_testing();
}
