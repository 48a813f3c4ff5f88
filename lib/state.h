/* On-disk state of `rl oci` containers: <root>/<id>/{state.json,config.json,exec.fifo}. */
#ifndef RL_STATE_H
#define RL_STATE_H

#include <sys/types.h>

#include <jansson.h>

#include "error.h"

enum rl_status {
    RL_STATUS_CREATING = 0,
    RL_STATUS_CREATED,
    RL_STATUS_RUNNING,
    RL_STATUS_STOPPED,
};

struct rl_state {
    char *id;
    pid_t pid;
    unsigned long long start_time; /* field 22 of /proc/PID/stat: tells a reused pid apart */
    char *bundle;
    char *created; /* RFC 3339 */
    char *owner;
    json_t *annotations;
    char *cgroup;     /* the container's cgroup (rl oci made it), or NULL */
    char *cgroup_top; /* the first directory made for it: removed up to there */
};

/* The state root: DIR when given, else $XDG_RUNTIME_DIR/rl/oci when XDG_RUNTIME_DIR is usable
 * (exists, owned by the user, not group/world writable), else /run/rl/oci for root, else a
 * private /tmp/rl-UID/oci checked for owner and mode. Created on demand. */
int rl_state_root(const char *dir, char **ret, rl_error_t *err);
/* The same choice of directory for another LEAF: "containers" holds the runtime state of
 * rl's own containers. */
int rl_runtime_dir(const char *dir, const char *leaf, char **ret, rl_error_t *err);
/* A container id: 1-128 characters of [A-Za-z0-9_.-], not starting with '.' or '-'. */
int rl_state_check_id(const char *id, rl_error_t *err);
char *rl_state_dir(const char *root, const char *id);

int rl_state_write(const char *root, const struct rl_state *st, rl_error_t *err);
/* Read the state of ID; a missing container is ENOENT "container 'x' does not exist". */
int rl_state_read(const char *root, const char *id, struct rl_state **ret, rl_error_t *err);
void rl_state_free(struct rl_state *st);
void rl_state_freep(struct rl_state **st);
#define cleanup_state __attribute__((cleanup(rl_state_freep)))

/* created (exec.fifo still there), running, or stopped (gone, zombie, or pid reused). */
enum rl_status rl_state_status(const char *root, const struct rl_state *st);
const char *rl_status_name(enum rl_status s);
/* The spec's state JSON: ociVersion, id, status, pid, bundle, annotations (+ created, owner). */
json_t *rl_state_to_json(const char *root, const struct rl_state *st);
/* The fields of /proc/PID/stat after the command name (state, ppid, ...), read into BUF;
 * NULL when the process is gone. */
const char *rl_proc_stat_fields(pid_t pid, char *buf, size_t size);
/* Field 22 of /proc/PID/stat, 0 when the process is gone. */
unsigned long long rl_proc_start_time(pid_t pid);
/* An open pidfd for ST's process, refusing a pid that now names another process. */
int rl_state_pidfd(const struct rl_state *st, rl_error_t *err);
/* Sorted ids under ROOT. */
int rl_state_list(const char *root, char ***ret, rl_error_t *err);
/* flock the container directory: exclusive for changes. Returns the fd. */
int rl_state_lock(const char *root, const char *id, rl_error_t *err);

#endif
