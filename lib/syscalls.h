/* The only place that calls syscall(2) directly: kernel interfaces that glibc 2.36 does not
 * wrap (clone3, pidfd_*, openat2, mount_setattr, pivot_root, the new mount API). */
#ifndef RL_SYSCALLS_H
#define RL_SYSCALLS_H

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

static inline long
rl_clone3(struct clone_args *args)
{
    return syscall(__NR_clone3, args, sizeof(*args));
}

static inline int
rl_pidfd_open(pid_t pid, unsigned int flags)
{
    return (int)syscall(__NR_pidfd_open, pid, flags);
}

static inline int
rl_pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned int flags)
{
    return (int)syscall(__NR_pidfd_send_signal, pidfd, sig, info, flags);
}

static inline int
rl_openat2(int dirfd, const char *path, struct open_how *how)
{
    return (int)syscall(__NR_openat2, dirfd, path, how, sizeof(*how));
}

static inline int
rl_mount_setattr(int dirfd, const char *path, unsigned int flags, struct mount_attr *attr)
{
    return (int)syscall(__NR_mount_setattr, dirfd, path, flags, attr, sizeof(*attr));
}

static inline int
rl_fsopen(const char *fsname, unsigned int flags)
{
    return (int)syscall(__NR_fsopen, fsname, flags);
}

static inline int
rl_fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
    return (int)syscall(__NR_fsconfig, fd, cmd, key, value, aux);
}

static inline int
rl_fsmount(int fd, unsigned int flags, unsigned int attr_flags)
{
    return (int)syscall(__NR_fsmount, fd, flags, attr_flags);
}

static inline int
rl_move_mount(int from_dirfd, const char *from, int to_dirfd, const char *to, unsigned int flags)
{
    return (int)syscall(__NR_move_mount, from_dirfd, from, to_dirfd, to, flags);
}

static inline int
rl_pivot_root(const char *new_root, const char *put_old)
{
    return (int)syscall(__NR_pivot_root, new_root, put_old);
}

/* seccomp(SECCOMP_SET_MODE_FILTER, FLAGS, PROG): a BPF program compiled earlier. */
static inline int
rl_seccomp_set_filter(unsigned int flags, const void *prog)
{
    return (int)syscall(__NR_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, flags, prog);
}

#endif
