#include "config.h"

#include <stdint.h>
#include <string.h>
#include <linux/capability.h>
#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "defaults.h"
#include "util.h"

const int rl_default_caps[] = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FOWNER,  CAP_FSETID, CAP_KILL,       CAP_NET_BIND_SERVICE,
    CAP_SETFCAP, CAP_SETGID,       CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT,
};
const size_t rl_default_caps_n = RL_ARRAY_SIZE(rl_default_caps);

/* podman 4.3's list (pkg/specgen/generate/config_linux.go), then what containers/common's
 * DefaultMaskedPaths added since: the RAPL energy counters of powercap (the PLATYPUS side
 * channel, CVE-2020-8694) and /proc/interrupts. Its host-dependent glob,
 * /sys/devices/system/cpu/cpu*\/thermal_throttle, is left out. */
const char *const rl_default_masked_paths[] = {
    "/proc/acpi",        "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats",
    "/proc/timer_list",  "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware",     "/sys/fs/selinux",
    "/sys/dev/block",    "/sys/devices/virtual/powercap",
    "/proc/interrupts",  NULL,
};

const char *const rl_default_readonly_paths[] = {
    "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

#ifdef HAVE_SECCOMP

/* The two long lists of podman's profile, names separated by spaces. */
static const char eperm_names[] =
    "bdflush cachestat futex_requeue futex_wait futex_waitv futex_wake io_pgetevents "
    "io_pgetevents_time64 kexec_file_load kexec_load map_shadow_stack migrate_pages "
    "move_pages nfsservctl nice oldfstat oldlstat oldolduname oldstat olduname "
    "pciconfig_iobase pciconfig_read pciconfig_write sgetmask ssetmask swapoff swapon "
    "syscall sysfs uselib userfaultfd ustat vm86 vm86old vmsplice";

static const char allowed_names[] =
    "_llseek _newselect accept accept4 access adjtimex alarm bind brk capget capset chdir "
    "chmod chown chown32 clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 "
    "clock_gettime clock_gettime64 clock_nanosleep clock_nanosleep_time64 clone clone3 close "
    "close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 "
    "epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd "
    "eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 "
    "fallocate fanotify_init fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 "
    "fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsconfig "
    "fsetxattr fsmount fsopen fspick fstat fstat64 fstatat64 fstatfs fstatfs64 fsync "
    "ftruncate ftruncate64 futex futex_time64 futimesat get_mempolicy get_robust_list "
    "get_thread_area getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 "
    "getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid "
    "getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit "
    "getrusage getsid getsockname getsockopt gettid gettimeofday getuid getuid32 getxattr "
    "inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel io_destroy "
    "io_getevents io_setup io_submit ioctl ioprio_get ioprio_set ipc keyctl kill "
    "landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32 "
    "lgetxattr link linkat listen listxattr llistxattr lremovexattr lseek lsetxattr lstat "
    "lstat64 madvise mbind membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod "
    "mknodat mlock mlock2 mlockall mmap mmap2 mount mount_setattr move_mount mprotect "
    "mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend "
    "mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock "
    "munlockall munmap name_to_handle_at nanosleep newfstatat open open_tree openat openat2 "
    "pause pidfd_getfd pidfd_open pidfd_send_signal pipe pipe2 pivot_root pkey_alloc "
    "pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 "
    "process_mrelease process_vm_readv process_vm_writev pselect6 pselect6_time64 ptrace "
    "pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv reboot recv recvfrom "
    "recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2 "
    "restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo "
    "rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo "
    "sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr "
    "sched_getparam sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 "
    "sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp "
    "select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 "
    "sendmmsg sendmsg sendto set_mempolicy set_robust_list set_thread_area set_tid_address "
    "setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer "
    "setns setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid "
    "setresuid32 setreuid setreuid32 setrlimit setsid setsockopt setuid setuid32 setxattr "
    "shmat shmctl shmdt shmget shutdown sigaltstack signal signalfd signalfd4 sigprocmask "
    "sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statx symlink "
    "symlinkat sync sync_file_range syncfs sysinfo syslog tee tgkill time timer_create "
    "timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime "
    "timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime "
    "timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask umount umount2 uname "
    "unlink unlinkat unshare utime utimensat utimensat_time64 utimes vfork wait4 waitid "
    "waitpid write writev";

/* The same values as in <linux/capability.h> 5.8 and later, for older headers. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define CAP(c) (UINT64_C(1) << (c))

struct arg {
    unsigned int index;
    uint64_t value;
    const char *op;
};

#define ARGS(...)                                \
    .args = (const struct arg[]){ __VA_ARGS__ }, \
    .n_args = sizeof((const struct arg[]){ __VA_ARGS__ }) / sizeof(struct arg)

/* One entry of podman's profile; NAMES and ARCHES are words separated by spaces. CAPS_ALL is
 * its "includes.caps": the rule is kept only when every one of them is in the bounding set;
 * CAPS_NONE its "excludes.caps": the rule is dropped when any of them is there
 * (containers/common pkg/seccomp/seccomp_linux.go, setupSeccomp). */
struct rule {
    const char *names;
    int errno_ret; /* 0: SCMP_ACT_ALLOW */
    const struct arg *args;
    size_t n_args;
    const char *arches; /* Go's names of the architectures the rule is for; NULL: all */
    uint64_t caps_all;
    uint64_t caps_none;
};

/* containers/common pkg/seccomp/default_linux.go as of f437c58 (2025-08), in its order: when two
 * rules name one syscall without arguments, libseccomp keeps the first, so the order is part of
 * the profile (setns stays allowed without CAP_SYS_ADMIN, as with podman and crun). */
static const struct rule rules[] = {
    { .names = eperm_names, .errno_ret = EPERM },
    { .names = allowed_names },
    { .names = "personality", ARGS({ 0, 0x0, "SCMP_CMP_EQ" }) },
    { .names = "personality", ARGS({ 0, 0x0008, "SCMP_CMP_EQ" }) },
    { .names = "personality", ARGS({ 0, 0x20000, "SCMP_CMP_EQ" }) },
    { .names = "personality", ARGS({ 0, 0x20008, "SCMP_CMP_EQ" }) },
    { .names = "personality", ARGS({ 0, 0xffffffff, "SCMP_CMP_EQ" }) },
    { .names = "sync_file_range2 swapcontext", .arches = "ppc64le" },
    { .names = "arm_fadvise64_64 arm_sync_file_range breakpoint cacheflush set_tls "
               "sync_file_range2",
      .arches = "arm arm64" },
    { .names = "arch_prctl", .arches = "amd64 x32" },
    { .names = "modify_ldt", .arches = "amd64 x32 x86" },
    { .names = "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr",
      .arches = "s390 s390x" },
    { .names = "riscv_flush_icache", .arches = "riscv64" },
    { .names = "open_by_handle_at", .caps_all = CAP(CAP_DAC_READ_SEARCH) },
    { .names = "open_by_handle_at", .errno_ret = EPERM, .caps_none = CAP(CAP_DAC_READ_SEARCH) },
    { .names = "bpf lookup_dcookie quotactl quotactl_fd setdomainname sethostname setns",
      .caps_all = CAP(CAP_SYS_ADMIN) },
    { .names = "lookup_dcookie perf_event_open quotactl quotactl_fd setdomainname sethostname "
               "setns",
      .errno_ret = EPERM,
      .caps_none = CAP(CAP_SYS_ADMIN) },
    { .names = "chroot", .caps_all = CAP(CAP_SYS_CHROOT) },
    { .names = "chroot", .errno_ret = EPERM, .caps_none = CAP(CAP_SYS_CHROOT) },
    { .names = "delete_module finit_module init_module query_module",
      .caps_all = CAP(CAP_SYS_MODULE) },
    { .names = "delete_module finit_module init_module query_module",
      .errno_ret = EPERM,
      .caps_none = CAP(CAP_SYS_MODULE) },
    { .names = "acct", .caps_all = CAP(CAP_SYS_PACCT) },
    { .names = "acct", .errno_ret = EPERM, .caps_none = CAP(CAP_SYS_PACCT) },
    { .names = "kcmp process_madvise", .caps_all = CAP(CAP_SYS_PTRACE) },
    { .names = "kcmp process_madvise", .errno_ret = EPERM, .caps_none = CAP(CAP_SYS_PTRACE) },
    { .names = "ioperm iopl", .caps_all = CAP(CAP_SYS_RAWIO) },
    { .names = "ioperm iopl", .errno_ret = EPERM, .caps_none = CAP(CAP_SYS_RAWIO) },
    { .names = "clock_settime clock_settime64 settimeofday stime", .caps_all = CAP(CAP_SYS_TIME) },
    { .names = "clock_settime clock_settime64 settimeofday stime",
      .errno_ret = EPERM,
      .caps_none = CAP(CAP_SYS_TIME) },
    { .names = "vhangup", .caps_all = CAP(CAP_SYS_TTY_CONFIG) },
    { .names = "vhangup", .errno_ret = EPERM, .caps_none = CAP(CAP_SYS_TTY_CONFIG) },
    /* Without CAP_AUDIT_WRITE, AF_NETLINK (16) sockets of protocol NETLINK_AUDIT (9) fail with
     * EINVAL; every other socket is allowed. */
    { .names = "socket",
      .errno_ret = EINVAL,
      ARGS({ 0, 16, "SCMP_CMP_EQ" }, { 2, 9, "SCMP_CMP_EQ" }),
      .caps_none = CAP(CAP_AUDIT_WRITE) },
    { .names = "socket", ARGS({ 2, 9, "SCMP_CMP_NE" }), .caps_none = CAP(CAP_AUDIT_WRITE) },
    { .names = "socket", ARGS({ 0, 16, "SCMP_CMP_NE" }), .caps_none = CAP(CAP_AUDIT_WRITE) },
    { .names = "socket", ARGS({ 2, 9, "SCMP_CMP_NE" }), .caps_none = CAP(CAP_AUDIT_WRITE) },
    { .names = "socket", .caps_all = CAP(CAP_AUDIT_WRITE) },
    { .names = "bpf", .errno_ret = EPERM, .caps_none = CAP(CAP_SYS_ADMIN) | CAP(CAP_BPF) },
    { .names = "bpf", .caps_all = CAP(CAP_BPF) },
    /* Upstream excludes CAP_BPF rather than CAP_PERFMON here: with CAP_PERFMON alone the refusal
     * comes first and wins, and with CAP_SYS_ADMIN or CAP_BPF but without CAP_PERFMON,
     * perf_event_open(2) fails with the default ENOSYS. */
    { .names = "perf_event_open",
      .errno_ret = EPERM,
      .caps_none = CAP(CAP_SYS_ADMIN) | CAP(CAP_BPF) },
    { .names = "perf_event_open", .caps_all = CAP(CAP_PERFMON) },
};

/* The native architecture under Go's name (libseccomp-golang's ScmpArch.String(), which the
 * rules' "arches" use) and podman's archMap entry for it: the architectures of the filter, or
 * NULL when podman lists none and leaves the filter to the native one. */
static const struct {
    uint32_t arch;
    const char *go_name;
    const char *spec_arches;
} arch_map[] = {
    { SCMP_ARCH_X86_64, "amd64", "SCMP_ARCH_X86_64 SCMP_ARCH_X86 SCMP_ARCH_X32" },
    { SCMP_ARCH_X86, "x86", NULL },
    { SCMP_ARCH_X32, "x32", NULL },
    { SCMP_ARCH_AARCH64, "arm64", "SCMP_ARCH_AARCH64 SCMP_ARCH_ARM" },
    { SCMP_ARCH_ARM, "arm", NULL },
    { SCMP_ARCH_MIPS64, "mips64", "SCMP_ARCH_MIPS64 SCMP_ARCH_MIPS SCMP_ARCH_MIPS64N32" },
    { SCMP_ARCH_MIPS64N32, "mips64n32", "SCMP_ARCH_MIPS64N32 SCMP_ARCH_MIPS SCMP_ARCH_MIPS64" },
    { SCMP_ARCH_MIPSEL64, "mipsel64", "SCMP_ARCH_MIPSEL64 SCMP_ARCH_MIPSEL SCMP_ARCH_MIPSEL64N32" },
    { SCMP_ARCH_MIPSEL64N32, "mipsel64n32",
      "SCMP_ARCH_MIPSEL64N32 SCMP_ARCH_MIPSEL SCMP_ARCH_MIPSEL64" },
    { SCMP_ARCH_MIPS, "mips", NULL },
    { SCMP_ARCH_MIPSEL, "mipsel", NULL },
    { SCMP_ARCH_PPC, "ppc", NULL },
    { SCMP_ARCH_PPC64, "ppc64", NULL },
    { SCMP_ARCH_PPC64LE, "ppc64le", NULL },
    { SCMP_ARCH_S390X, "s390x", "SCMP_ARCH_S390X SCMP_ARCH_S390" },
    { SCMP_ARCH_S390, "s390", NULL },
    { SCMP_ARCH_PARISC, "parisc", NULL },
    { SCMP_ARCH_PARISC64, "parisc64", NULL },
#ifdef SCMP_ARCH_RISCV64
    { SCMP_ARCH_RISCV64, "riscv64", NULL },
#endif
};

/* The next word of *P (words separated by single spaces) into BUF; false at the end. */
static bool
next_word(const char **p, char *buf, size_t size)
{
    size_t len;

    if (*p == NULL || **p == '\0')
        return false;
    len = strcspn(*p, " ");
    if (len >= size)
        len = size - 1; /* the words are this file's own: never longer than BUF */
    memcpy(buf, *p, len);
    buf[len] = '\0';
    *p += len;
    if (**p == ' ')
        (*p)++;
    return true;
}

static bool
words_contain(const char *words, const char *word)
{
    char buf[64];

    while (next_word(&words, buf, sizeof(buf)))
        if (strcmp(buf, word) == 0)
            return true;
    return false;
}

/* Whether podman keeps RULE for a container with the bounding set CAPS on ARCH. */
static bool
rule_applies(const struct rule *rule, uint64_t caps, const char *arch)
{
    if (rule->caps_none & caps)
        return false;
    if (rule->arches && (arch == NULL || !words_contain(rule->arches, arch)))
        return false;
    return (rule->caps_all & caps) == rule->caps_all;
}

/* RULE as an entry of linux.seccomp.syscalls; NULL when libseccomp knows none of its names. */
static json_t *
rule_json(const struct rule *rule)
{
    json_t *names = json_array();
    const char *p = rule->names;
    char name[64];
    json_t *obj;

    while (next_word(&p, name, sizeof(name))) {
        /* crun skips what libseccomp cannot resolve; rl_seccomp_check() would refuse it. */
        if (seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR)
            json_array_append_new(names, json_string(name));
    }
    if (json_array_size(names) == 0) {
        json_decref(names);
        return NULL;
    }
    obj = json_pack("{s:o, s:s}", "names", names, "action",
                    rule->errno_ret ? "SCMP_ACT_ERRNO" : "SCMP_ACT_ALLOW");
    if (obj == NULL)
        rl_oom();
    if (rule->errno_ret)
        json_object_set_new(obj, "errnoRet", json_integer(rule->errno_ret));
    if (rule->n_args > 0) {
        json_t *args = json_array();

        for (size_t i = 0; i < rule->n_args; i++) {
            json_t *a = json_pack("{s:I, s:I, s:s}", "index", (json_int_t)rule->args[i].index,
                                  "value", (json_int_t)rule->args[i].value, "op", rule->args[i].op);
            if (a == NULL)
                rl_oom();
            json_array_append_new(args, a);
        }
        json_object_set_new(obj, "args", args);
    }
    return obj;
}

json_t *
rl_seccomp_default_profile(const int *caps, size_t n_caps)
{
    uint32_t native = seccomp_arch_native();
    const char *arch = NULL, *spec_arches = NULL;
    uint64_t cap_mask = 0;
    json_t *profile, *arches, *syscalls;
    char word[64];

    for (size_t i = 0; i < n_caps; i++)
        if (caps[i] >= 0 && caps[i] < 64)
            cap_mask |= CAP(caps[i]);
    for (size_t i = 0; i < RL_ARRAY_SIZE(arch_map); i++) {
        if (arch_map[i].arch == native) {
            arch = arch_map[i].go_name;
            spec_arches = arch_map[i].spec_arches;
            break;
        }
    }
    arches = json_array();
    while (next_word(&spec_arches, word, sizeof(word)))
        json_array_append_new(arches, json_string(word));
    syscalls = json_array();
    for (size_t i = 0; i < RL_ARRAY_SIZE(rules); i++) {
        json_t *obj;

        if (!rule_applies(&rules[i], cap_mask, arch))
            continue;
        obj = rule_json(&rules[i]);
        if (obj)
            json_array_append_new(syscalls, obj);
    }
    profile = json_pack("{s:s, s:i, s:o, s:o}", "defaultAction", "SCMP_ACT_ERRNO",
                        "defaultErrnoRet", ENOSYS, "architectures", arches, "syscalls", syscalls);
    if (profile == NULL)
        rl_oom();
    return profile;
}

#else /* !HAVE_SECCOMP */

json_t *
rl_seccomp_default_profile(const int *caps RL_UNUSED, size_t n_caps RL_UNUSED)
{
    return NULL;
}

#endif
