/* The container lifecycle of the OCI runtime: create, start, run, kill, delete, exec. This
 * is the only caller of the namespace, mount, capability and seccomp modules. */
#ifndef RL_CONTAINER_H
#define RL_CONTAINER_H

#include <poll.h>
#include <signal.h>

#include "netif.h"
#include "spec.h"
#include "state.h"

struct rl_container_opts {
    const char *root; /* state root, resolved by rl_state_root() */
    const char *id;
    const char *bundle;         /* absolute path */
    const char *pid_file;       /* write the container's pid here */
    const char *console_socket; /* send the pty master here (process.terminal) */
    bool detach;                /* run/exec: return once the process has started */
    int preserve_fds;           /* pass fds 3 .. 3+N-1 to the process */
    int exec_status;            /* out: 126 or 127 when the exec itself failed */
    /* rl's own containers (rl run): */
    char *const *overlay;    /* mount an overlay with these options on root.path first */
    bool fuse;               /* with fuse-overlayfs instead of the kernel's overlay */
    const char *fuse_uidmap; /* and, when set, ids shown through these maps */
    const char *fuse_gidmap;
    const char *user; /* resolve "name[:group]" in the rootfs' /etc/passwd, /etc/group */
    /* Write PASSWD_FILE (bound on /etc/passwd by the config) as the rootfs' /etc/passwd plus
     * PASSWD_ENTRY, unless its uid is there already. */
    const char *passwd_entry;
    const char *passwd_file;
    char *const *group_add; /* extra groups (names or gids) for USER, NULL-terminated */
    bool init;              /* a built-in init is pid 1: it reaps and forwards signals */
    bool create_cwd;        /* a missing process.cwd is created (the image's WORKDIR) */
    /* Volumes that start with the image's content: pairs of a path in the rootfs and a
     * host directory, copied when the directory is empty; NULL-terminated. */
    char *const *copy_up;
    const int *stdio;                /* fds that become the process's 0, 1 and 2 (NULL: ours) */
    const char *seccomp_cache;       /* compiled seccomp filters are kept here (NULL: none) */
    const sigset_t *sigmask;         /* launch: the mask the process starts with (the caller's) */
    const struct rl_tap_config *tap; /* create this tap device in the new network namespace */
    int cgroup_fd;            /* start the process in this cgroup (a directory fd); 0: none */
    const char *cgroup_procs; /* its cgroup.procs, for kernels without CLONE_INTO_CGROUP */
};

/* A container that rl_container_launch() started; its process is our child. */
struct rl_launched {
    pid_t pid;
    int pidfd;
    int master; /* the pty master (process.terminal), else -1 */
    int tap;    /* the tap device's queue (opts.tap), else -1 */
};
void rl_launched_release(struct rl_launched *l);

/* rl's own containers: create and start in one step, returning once the process has exec'd
 * (or the error: exec failures set o->exec_status). The state directory is left for the
 * caller, who records the exit and calls rl_container_forget(). */
int rl_container_launch(struct rl_spec *spec, struct rl_container_opts *o, struct rl_launched *ret,
                        rl_error_t *err);
void rl_container_forget(const char *root, const char *id);

/* A growing array of pollfds. */
struct rl_pollset {
    struct pollfd *fds;
    size_t n, cap;
};
/* Append FD; returns its index. */
size_t rl_pollset_add(struct rl_pollset *s, int fd, short events);

/* More to do in the monitor's loop (the network): FILL appends its fds to SET and may lower
 * *TIMEOUT_MS (-1: none); after poll(), DISPATCH gets them back (FDS[0] is the first it
 * added). */
struct rl_monitor_source {
    void (*fill)(void *data, struct rl_pollset *set, int *timeout_ms);
    void (*dispatch)(void *data, const struct pollfd *fds, size_t n);
    void *data;
};

/* What the monitor does with the container's output and the caller's terminal. */
struct rl_monitor_io {
    int sigfd;         /* signals to forward (SIGWINCH resizes), -1 for none */
    bool relay_stdin;  /* copy our stdin to the pty master */
    bool relay_stdout; /* copy the pty master to our stdout */
    int out_fd;        /* pipes of the container's stdout and stderr to drain into SINK, or -1 */
    int err_fd;
    /* Output that is not relayed: STREAM 1 or 2. */
    void (*sink)(void *data, int stream, const char *buf, size_t len);
    void *data;
    const struct rl_monitor_source *source; /* or NULL */
};
/* Wait for the container's exit while handling IO; *RET_STATUS is the exit status, 128+N for
 * a signal. */
int rl_container_monitor(struct rl_launched *l, const struct rl_monitor_io *io, int *ret_status,
                         rl_error_t *err);

/* `create`: the container exists and waits for `start`. */
int rl_container_create(struct rl_spec *spec, struct rl_container_opts *o, rl_error_t *err);
/* `start`: let a created container exec its process. */
int rl_container_start(const char *root, const char *id, rl_error_t *err);
/* `run`: create, start and, unless detached, relay the terminal, forward signals, wait and
 * delete. *RET_STATUS is the exit status, 128+N for a signal. */
int rl_container_run(struct rl_spec *spec, struct rl_container_opts *o, int *ret_status,
                     rl_error_t *err);
int rl_container_kill(const char *root, const char *id, int sig, bool all, rl_error_t *err);
int rl_container_delete(const char *root, const char *id, bool force, rl_error_t *err);
/* `exec`: run PROCESS in the namespaces of a running container. */
int rl_container_exec(const char *root, const char *id, struct rl_process *process,
                      struct rl_container_opts *o, int *ret_status, rl_error_t *err);
/* The processes of a running container (for `ps` and `kill --all`). */
int rl_container_pids(const struct rl_state *st, pid_t **ret, size_t *ret_n, rl_error_t *err);
/* The container's config (a copy kept in its state directory). */
int rl_container_load_spec(const char *root, const char *id, struct rl_spec **ret, rl_error_t *err);

/* "TERM", "SIGTERM", "15" -> 15. */
int rl_signal_parse(const char *s, rl_error_t *err);

/* Find FILE in PATH (from ENV, else the default PATH) below the current root. Absolute or
 * relative names with a '/' are taken as they are. */
int rl_find_executable(const char *file, char *const *env, char **ret, rl_error_t *err);

#endif
