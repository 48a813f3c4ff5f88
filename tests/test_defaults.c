#include "config.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "caps.h"
#include "defaults.h"
#include "seccomp.h"
#include "tap.h"

static void
test_caps(void)
{
    cleanup_free char *names = xstrdup("");

    for (size_t i = 0; i < rl_default_caps_n; i++) {
        char *s = xasprintf("%s%s%s", names, i ? " " : "", rl_cap_name(rl_default_caps[i]));

        free(names);
        names = s;
    }
    is_str(names,
           "CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL CAP_NET_BIND_SERVICE "
           "CAP_SETFCAP CAP_SETGID CAP_SETPCAP CAP_SETUID CAP_SYS_CHROOT",
           "podman's default capabilities");
}

static bool
strv_has(const char *const *v, const char *s)
{
    for (; *v; v++)
        if (strcmp(*v, s) == 0)
            return true;
    return false;
}

static void
test_paths(void)
{
    static const char *const masked[] = {
        "/proc/acpi",       "/proc/kcore",       "/proc/keys",        "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware",    "/sys/fs/selinux",   "/sys/dev/block",
    };
    static const char *const readonly[] = {
        "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    };
    size_t missing = 0, relative = 0;

    for (size_t i = 0; i < RL_ARRAY_SIZE(masked); i++)
        if (!strv_has(rl_default_masked_paths, masked[i])) {
            printf("#   not masked: %s\n", masked[i]);
            missing++;
        }
    is_int(missing, 0, "podman 4.3's masked paths are all there");
    is_int(rl_strv_len((char *const *)rl_default_readonly_paths), RL_ARRAY_SIZE(readonly),
           "six read-only paths");
    for (size_t i = 0; i < RL_ARRAY_SIZE(readonly); i++)
        if (!strv_has(rl_default_readonly_paths, readonly[i]))
            missing++;
    is_int(missing, 0, "podman's read-only paths are all there");
    for (const char *const *p = rl_default_masked_paths; *p; p++)
        relative += (*p)[0] != '/';
    for (const char *const *p = rl_default_readonly_paths; *p; p++)
        relative += (*p)[0] != '/';
    is_int(relative, 0, "every path is absolute");
}

#ifdef HAVE_SECCOMP

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif

/* The default capabilities plus EXTRA (-1: none), in BUF; returns the count. */
static size_t
caps_plus(int extra, int buf[static 64])
{
    size_t n = 0;

    for (size_t i = 0; i < rl_default_caps_n; i++)
        buf[n++] = rl_default_caps[i];
    if (extra >= 0)
        buf[n++] = extra;
    return n;
}

/* Whether the profile has a rule naming NAME with ACTION. */
static bool
profile_has(json_t *profile, const char *name, const char *action)
{
    json_t *sc;
    size_t i;

    json_array_foreach (json_object_get(profile, "syscalls"), i, sc) {
        json_t *n;
        size_t j;

        if (strcmp(json_string_value(json_object_get(sc, "action")), action) != 0)
            continue;
        json_array_foreach (json_object_get(sc, "names"), j, n)
            if (strcmp(json_string_value(n), name) == 0)
                return true;
    }
    return false;
}

static void
test_profile_shape(void)
{
    int caps[64];
    size_t n = caps_plus(-1, caps);
    json_t *p = rl_seccomp_default_profile(caps, n);
    json_t *arches = json_object_get(p, "architectures");

    ok(json_is_object(p), "the profile is an object");
    is_str(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ERRNO",
           "defaultAction SCMP_ACT_ERRNO");
    is_int(json_integer_value(json_object_get(p, "defaultErrnoRet")), ENOSYS,
           "defaultErrnoRet ENOSYS");
#if defined(__x86_64__)
    is_str(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_X86_64",
           "x86_64 first among the architectures");
    is_int(json_array_size(arches), 3, "with x86 and x32");
#else
    ok(json_is_array(arches), "architectures is an array");
    skip("architecture list checked on x86_64 only");
#endif
    ok(profile_has(p, "openat", "SCMP_ACT_ALLOW"), "openat allowed");
    ok(profile_has(p, "mount", "SCMP_ACT_ALLOW"), "mount left to the capabilities, as podman");
    ok(profile_has(p, "kexec_load", "SCMP_ACT_ERRNO"), "kexec_load refused");
    ok(!profile_has(p, "add_key", "SCMP_ACT_ALLOW") && !profile_has(p, "add_key", "SCMP_ACT_ERRNO"),
       "add_key not named: the default ENOSYS");
    ok(profile_has(p, "chroot", "SCMP_ACT_ALLOW"), "chroot allowed with CAP_SYS_CHROOT");
    ok(!profile_has(p, "chroot", "SCMP_ACT_ERRNO"), "and not refused as well");
    ok(profile_has(p, "sethostname", "SCMP_ACT_ERRNO"), "sethostname refused without SYS_ADMIN");
    json_decref(p);

    n = caps_plus(CAP_SYS_ADMIN, caps);
    p = rl_seccomp_default_profile(caps, n);
    ok(profile_has(p, "sethostname", "SCMP_ACT_ALLOW"), "sethostname allowed with SYS_ADMIN");
    ok(!profile_has(p, "sethostname", "SCMP_ACT_ERRNO"), "and not refused as well");
    json_decref(p);

    p = rl_seccomp_default_profile(NULL, 0);
    ok(profile_has(p, "chroot", "SCMP_ACT_ERRNO"), "chroot refused without CAP_SYS_CHROOT");
    json_decref(p);
}

/* rl_seccomp_check() and rl_seccomp_build() accept the profile for CAPS. */
static void
accepts(const int *caps, size_t n, const char *what)
{
    json_t *p = rl_seccomp_default_profile(caps, n);
    struct rl_seccomp *filter = NULL;
    rl_error_t err = NULL;

    is_int(rl_seccomp_check(p, &err), 0, "check accepts the profile %s", what);
    if (err)
        printf("#   %s\n", err->msg);
    rl_error_release(&err);
    is_int(rl_seccomp_build(p, &filter, &err), 0, "build accepts the profile %s", what);
    if (err)
        printf("#   %s\n", err->msg);
    rl_error_release(&err);
    ok(filter != NULL, "a filter %s", what);
    rl_seccomp_free(filter);
    json_decref(p);
}

static void
test_profile_builds(void)
{
    int caps[64];
    size_t n;

    accepts(NULL, 0, "without capabilities");
    n = caps_plus(-1, caps);
    accepts(caps, n, "with the default capabilities");
    for (n = 0; n <= CAP_LAST_CAP; n++)
        caps[n] = (int)n;
    accepts(caps, n, "with every capability");
}

/* ------------------------------------------------------------ behaviour */

/* The filter's own answer is an errno; PASS means the call reaches the kernel, which answers
 * as it does without the filter; WORKS means it succeeds. */
enum { PASS = -1, WORKS = 0 };

struct probe {
    const char *what;
    long (*call)(void);
    int want;
};

static long
p_getpid(void)
{
    return syscall(SYS_getpid);
}

static long
p_dev_null(void)
{
    char c;
    int fd = openat(AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC);
    long r;

    if (fd < 0)
        return -1;
    r = write(fd, "x", 1) == 1 && read(fd, &c, 1) == 0 ? 0 : -1;
    close(fd);
    return r;
}

/* fork(), execve() and a shell with ls(1) under the filter, as a container's userland. */
static long
p_fork_exec(void)
{
    pid_t pid = fork();
    int status;

    if (pid < 0)
        return -1;
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", "ls / >/dev/null && exit 7", (char *)NULL);
        _exit(99);
    }
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : (errno = EPROTO, -1);
}

static void *
thread_main(void *arg)
{
    return arg;
}

static long
p_thread(void)
{
    static int token;
    pthread_t t;
    void *res = NULL;
    int r = pthread_create(&t, NULL, thread_main, &token);

    if (r != 0)
        return errno = r, -1;
    if (pthread_join(t, &res) != 0 || res != &token)
        return errno = EPROTO, -1;
    return 0;
}

static long
p_personality_query(void)
{
    return personality(0xffffffff) < 0 ? -1 : 0;
}

static long
p_personality_linux(void)
{
    return personality(PER_LINUX) < 0 ? -1 : 0;
}

static long
p_personality_norandom(void)
{
    return personality(ADDR_NO_RANDOMIZE) < 0 ? -1 : 0;
}

static long
p_unknown(void)
{
    return syscall(1000);
}

static long
p_keyctl(void)
{
    return syscall(SYS_keyctl, 9999, 0, 0, 0, 0);
}

static long
p_add_key(void)
{
    return syscall(SYS_add_key, "user", "rl-test", "x", 1, 0);
}

static long
p_request_key(void)
{
    return syscall(SYS_request_key, "user", "rl-test-none", NULL, 0);
}

static long
p_bpf(void)
{
    return syscall(SYS_bpf, 9999, NULL, 0);
}

static long
p_perf_event_open(void)
{
    return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
}

static long
p_io_uring_setup(void)
{
    return syscall(SYS_io_uring_setup, 0, NULL);
}

static long
p_kexec_load(void)
{
    return syscall(SYS_kexec_load, 0, 0, NULL, 0x8000);
}

static long
p_init_module(void)
{
    return syscall(SYS_init_module, NULL, 0, "");
}

static long
p_finit_module(void)
{
    return syscall(SYS_finit_module, -1, "", 0);
}

static long
p_delete_module(void)
{
    return syscall(SYS_delete_module, "rl_no_such_module", O_NONBLOCK);
}

static long
p_swapon(void)
{
    return syscall(SYS_swapon, "/nonexistent/rl", 0);
}

static long
p_swapoff(void)
{
    return syscall(SYS_swapoff, "/nonexistent/rl");
}

static long
p_acct(void)
{
    return syscall(SYS_acct, "/nonexistent/rl");
}

/* An invalid time: refused before anything is set, filter or not. */
static long
p_clock_settime(void)
{
    struct timespec ts = { 0, 2000000000 };

    return syscall(SYS_clock_settime, CLOCK_REALTIME, &ts);
}

static long
p_sethostname(void)
{
    static const char name[1000];

    return syscall(SYS_sethostname, name, sizeof(name));
}

static long
p_setdomainname(void)
{
    static const char name[1000];

    return syscall(SYS_setdomainname, name, sizeof(name));
}

static long
p_quotactl(void)
{
    return syscall(SYS_quotactl, 0x7fffffff, NULL, 0, NULL);
}

static long
p_userfaultfd(void)
{
    return syscall(SYS_userfaultfd, 0xffff);
}

static long
p_kcmp(void)
{
    return syscall(SYS_kcmp, getpid(), getpid(), 99, 0, 0);
}

static long
p_open_by_handle_at(void)
{
    return syscall(SYS_open_by_handle_at, -1, NULL, 0);
}

static long
p_vmsplice(void)
{
    return syscall(SYS_vmsplice, -1, NULL, 0, 0);
}

#ifdef SYS_nfsservctl
static long
p_nfsservctl(void)
{
    return syscall(SYS_nfsservctl, 0, NULL, NULL);
}
#endif

static long
p_audit_socket(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);

    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static long
p_inet_socket(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static long
p_mount(void)
{
    return syscall(SYS_mount, "none", "/nonexistent/rl", "tmpfs", 0, NULL);
}

static long
p_umount2(void)
{
    return syscall(SYS_umount2, "/", 0x80000000);
}

/* CLONE_NEWUSER with a CSIGNAL bit, which unshare(2) refuses: no namespace is made. */
static long
p_unshare(void)
{
    return syscall(SYS_unshare, CLONE_NEWUSER | 0x1);
}

static long
p_setns(void)
{
    return syscall(SYS_setns, -1, CLONE_NEWNET);
}

/* CLONE_NEWNS with CLONE_FS, which clone(2) refuses: no child is made. */
static long
p_clone_newns(void)
{
    return syscall(SYS_clone, CLONE_NEWNS | CLONE_FS | SIGCHLD, NULL, NULL, NULL, 0);
}

static long
p_clone3(void)
{
    return syscall(SYS_clone3, NULL, 0);
}

/* Without the magic numbers reboot(2) does nothing. */
static long
p_reboot(void)
{
    return syscall(SYS_reboot, 0, 0, 0, NULL);
}

static long
p_pivot_root(void)
{
    return syscall(SYS_pivot_root, "/nonexistent/rl", "/nonexistent/rl");
}

static long
p_ptrace(void)
{
    return syscall(SYS_ptrace, 9999, 0, NULL, NULL);
}

static long
p_chroot(void)
{
    return syscall(SYS_chroot, "/nonexistent/rl");
}

static long
p_fsopen(void)
{
    return syscall(SYS_fsopen, "rl-no-such-fs", 0);
}

#define PROBE(fn, want)   \
    {                     \
#fn, p_##fn, want \
    }

static const struct probe default_probes[] = {
    PROBE(getpid, WORKS),
    PROBE(dev_null, WORKS),
    PROBE(fork_exec, WORKS),
    PROBE(thread, WORKS),
    PROBE(inet_socket, WORKS),
    PROBE(personality_query, WORKS),
    PROBE(personality_linux, WORKS),
    PROBE(personality_norandom, ENOSYS),
    PROBE(unknown, ENOSYS),
    PROBE(add_key, ENOSYS),
    PROBE(request_key, ENOSYS),
    PROBE(io_uring_setup, ENOSYS),
    PROBE(bpf, EPERM),
    PROBE(perf_event_open, EPERM),
    PROBE(kexec_load, EPERM),
    PROBE(init_module, EPERM),
    PROBE(finit_module, EPERM),
    PROBE(delete_module, EPERM),
    PROBE(swapon, EPERM),
    PROBE(swapoff, EPERM),
    PROBE(acct, EPERM),
    PROBE(clock_settime, EPERM),
    PROBE(sethostname, EPERM),
    PROBE(setdomainname, EPERM),
    PROBE(quotactl, EPERM),
    PROBE(userfaultfd, EPERM),
    PROBE(kcmp, EPERM),
    PROBE(open_by_handle_at, EPERM),
    PROBE(vmsplice, EPERM),
#ifdef SYS_nfsservctl
    PROBE(nfsservctl, EPERM),
#endif
    PROBE(audit_socket, EINVAL),
    /* podman leaves these to the capabilities (and the user namespace) */
    PROBE(keyctl, PASS),
    PROBE(mount, PASS),
    PROBE(umount2, PASS),
    PROBE(unshare, PASS),
    PROBE(setns, PASS),
    PROBE(clone_newns, PASS),
    PROBE(clone3, PASS),
    PROBE(reboot, PASS),
    PROBE(pivot_root, PASS),
    PROBE(ptrace, PASS),
    PROBE(chroot, PASS),
    PROBE(fsopen, PASS),
};

static const struct probe sys_admin_probes[] = {
    PROBE(sethostname, PASS),
    PROBE(setdomainname, PASS),
    PROBE(quotactl, PASS),
    PROBE(bpf, PASS),
    PROBE(setns, PASS),
    /* upstream's exclusion names CAP_BPF, not CAP_PERFMON: the default ENOSYS */
    PROBE(perf_event_open, ENOSYS),
};

static const struct probe no_caps_probes[] = {
    PROBE(chroot, EPERM),
    PROBE(audit_socket, EINVAL),
    PROBE(getpid, WORKS),
};

static const struct probe extra_caps_probes[] = {
    PROBE(audit_socket, PASS),
    PROBE(clock_settime, PASS),
    PROBE(kexec_load, EPERM),
    PROBE(init_module, PASS),
    PROBE(kcmp, PASS),
    PROBE(open_by_handle_at, PASS),
    /* CAP_PERFMON alone: upstream's refusal comes first and wins */
    PROBE(perf_event_open, EPERM),
};

static const struct probe perfmon_probes[] = {
    PROBE(perf_event_open, PASS),
};

/* What the child reports for one probe. */
struct result {
    bool ok;
    char text[240];
};

static void
send_result(int fd, bool good, const char *fmt, ...)
{
    struct result r = { .ok = good };
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r.text, sizeof(r.text), fmt, ap);
    va_end(ap);
    (void)!write(fd, &r, sizeof(r));
}

static const char *
show(long r, int e, char buf[static 64])
{
    if (r == -1)
        snprintf(buf, 64, "-1 (%s)", strerror(e));
    else
        snprintf(buf, 64, "%ld", r);
    return buf;
}

/* In a child: load the profile for CAPS and run the probes, each result sent over FD. PASS
 * probes run once before the filter too, for the kernel's own answer. */
static void RL_NORETURN
probe_child(int fd, const int *caps, size_t n_caps, const struct probe *probes, size_t n)
{
    json_t *profile = rl_seccomp_default_profile(caps, n_caps);
    struct rl_seccomp *filter = NULL;
    long before[64];
    int before_errno[64];
    rl_error_t err = NULL;

    if (n > RL_ARRAY_SIZE(before) || rl_seccomp_build(profile, &filter, &err) < 0) {
        send_result(fd, false, "build the filter: %s", err ? err->msg : "too many probes");
        _exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        if (probes[i].want != PASS)
            continue;
        errno = 0;
        before[i] = probes[i].call();
        before_errno[i] = errno;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || rl_seccomp_load(filter, &err) < 0) {
        send_result(fd, false, "load the filter: %s", err ? err->msg : strerror(errno));
        _exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        char got[64], want[64];
        long r;
        int e;

        errno = 0;
        r = probes[i].call();
        e = errno;
        if (probes[i].want == PASS)
            send_result(fd, r == before[i] && (r != -1 || e == before_errno[i]),
                        "%s reaches the kernel (got %s, without the filter %s)", probes[i].what,
                        show(r, e, got), show(before[i], before_errno[i], want));
        else if (probes[i].want == WORKS)
            send_result(fd, r != -1, "%s works (got %s)", probes[i].what, show(r, e, got));
        else
            send_result(fd, r == -1 && e == probes[i].want, "%s fails with '%s' (got %s)",
                        probes[i].what, strerror(probes[i].want), show(r, e, got));
    }
    _exit(0);
}

static void
run_probes(const int *caps, size_t n_caps, const struct probe *probes, size_t n, const char *what)
{
    struct result r;
    int fds[2];
    pid_t pid;
    int status = -1;
    size_t got = 0;

    printf("# %s\n", what);
    fflush(stdout);
    if (pipe2(fds, O_CLOEXEC) < 0) {
        ok(false, "pipe: %s", strerror(errno));
        return;
    }
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        probe_child(fds[1], caps, n_caps, probes, n);
    }
    close(fds[1]);
    while (read(fds[0], &r, sizeof(r)) == (ssize_t)sizeof(r)) {
        ok(r.ok, "%s", r.text);
        got++;
    }
    close(fds[0]);
    if (pid > 0)
        (void)waitpid(pid, &status, 0);
    ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == n,
       "the probe child ran all %zu probes (%zu)", n, got);
}

static void
test_behaviour(void)
{
    int caps[64];
    size_t n;

    n = caps_plus(-1, caps);
    run_probes(caps, n, default_probes, RL_ARRAY_SIZE(default_probes), "default capabilities");
    n = caps_plus(CAP_SYS_ADMIN, caps);
    run_probes(caps, n, sys_admin_probes, RL_ARRAY_SIZE(sys_admin_probes),
               "default capabilities and CAP_SYS_ADMIN");
    run_probes(NULL, 0, no_caps_probes, RL_ARRAY_SIZE(no_caps_probes), "no capabilities");
    n = 0;
    caps[n++] = CAP_AUDIT_WRITE;
    caps[n++] = CAP_SYS_TIME;
    caps[n++] = CAP_PERFMON;
    caps[n++] = CAP_SYS_MODULE;
    caps[n++] = CAP_SYS_PTRACE;
    caps[n++] = CAP_DAC_READ_SEARCH;
    run_probes(caps, n, extra_caps_probes, RL_ARRAY_SIZE(extra_caps_probes),
               "AUDIT_WRITE SYS_TIME PERFMON SYS_MODULE SYS_PTRACE DAC_READ_SEARCH");
    caps[n++] = CAP_SYS_ADMIN;
    run_probes(caps, n, perfmon_probes, RL_ARRAY_SIZE(perfmon_probes), "PERFMON and SYS_ADMIN");
}

int
main(void)
{
    test_caps();
    test_paths();
    test_profile_shape();
    test_profile_builds();
    test_behaviour();
    done_testing();
}

#else /* !HAVE_SECCOMP */

int
main(void)
{
    test_caps();
    test_paths();
    ok(rl_seccomp_default_profile(rl_default_caps, rl_default_caps_n) == NULL,
       "no profile without seccomp support");
    done_testing();
}

#endif
