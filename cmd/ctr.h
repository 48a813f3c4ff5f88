/* What the container verbs share: where containers live, starting one (foreground or under a
 * detached monitor), and removing one. */
#ifndef RL_CMD_CTR_H
#define RL_CMD_CTR_H

#include <stdbool.h>

#include <jansson.h>

#include "error.h"
#include "netopts.h"
#include "rl.h"

struct rl_ctx {
    char *store;                /* the image store, which also holds containers/ and volumes/ */
    char *runtime;              /* the runtime state of running containers */
    const char *cgroup_manager; /* --cgroup-manager, or NULL */
};

/* Resolve the directories (before the user namespace changes who we are) and enter the
 * store's user namespace when USERNS. */
int rl_ctx_init(struct rl_globals *g, bool userns, struct rl_ctx *ret, rl_error_t *err);
void rl_ctx_release(struct rl_ctx *c);

enum rl_start_mode {
    RL_START_FOREGROUND, /* this process is the monitor; stdio relayed */
    RL_START_DETACHED,   /* a detached monitor; returns once the container runs */
};

/* The network namespace that a container of NET (ns:PATH or container:NAME) joins: its path
 * in *RET_PATH, and this process enters the user namespace that owns it (instead of one of
 * its own). Other modes: *RET_PATH is NULL and the store's user namespace is entered. */
int rl_ctr_net_enter(struct rl_ctx *c, const struct rl_net_opts *net, char **ret_path,
                     rl_error_t *err);

/* The delegated cgroup v2 subtree for containers' cgroups: 1 and *RET, or when there is
 * none, an error that says why (REQUIRED) or 0. */
struct rl_cgroup_base;
int rl_ctr_cgroup_base(bool required, struct rl_cgroup_base *ret, rl_error_t *err);
/* The limits of a record's rl.Resources (podman's HostConfig names, see rl_parse_resource). */
struct rl_cgroup_limits;
void rl_ctr_limits_of(json_t *res, struct rl_cgroup_limits *l);
/* HostConfig's Memory, NanoCpus, ... from the record's rl.Resources. */
void rl_ctr_resources_hostconfig(json_t *rec);

/* With LIMITS to enforce: this process into a systemd scope with Delegate=yes (before it
 * enters a user namespace) with --cgroup-manager=systemd, or by default when our cgroup is not
 * delegated and a systemd user manager answers. */
int rl_ctr_systemd_scope(struct rl_ctx *c, bool limits, rl_error_t *err);

/* Start container ID. Foreground: *RET_STATUS gets the container's exit status. Errors of
 * the process's exec set rl_exit_status to 126/127. When REMOVE_ON_FAILURE, a container that
 * cannot start is removed (rl run: bad input leaves nothing behind). */
int rl_ctr_start(struct rl_ctx *c, const char *id, enum rl_start_mode mode, bool remove_on_failure,
                 int *ret_status, rl_error_t *err);
/* Remove container ID; FORCE kills it first when running; VOLUMES removes its anonymous
 * volumes. */
int rl_ctr_rm(struct rl_ctx *c, const char *id, bool force, bool volumes, rl_error_t *err);
/* Send SIG to a running container (by pidfd); ESRCH-like errors when it is not running. */
int rl_ctr_signal(struct rl_ctx *c, const char *id, int sig, rl_error_t *err);
/* Wait until the record of ID is no longer running; TIMEOUT_MS < 0 waits forever. Returns 1
 * when it stopped, 0 on timeout. */
int rl_ctr_wait_stopped(struct rl_ctx *c, const char *id, int timeout_ms, rl_error_t *err);
/* Load and refresh (a dead monitor's container becomes exited, saved). */
int rl_ctr_load_fresh(struct rl_ctx *c, const char *id, json_t **ret, rl_error_t *err);
/* The overlay mount options of the container's rootfs (for rl_mount_rootfs_overlay): its
 * image's layers (top first) under its own upper dir. Caller frees with rl_strv_free. */
/* "overlay" or "fuse-overlayfs": how this store's containers get their root filesystem. */
const char *rl_ctr_rootfs_driver(const char *store);
int rl_ctr_overlay_options(struct rl_ctx *c, const char *id, json_t *rec, char ***ret,
                           rl_error_t *err);

#endif
