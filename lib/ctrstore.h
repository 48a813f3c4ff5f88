/* rl's containers on disk, beside the image store:
 *   STORE/containers/containers.lock     flock: exclusive while names change (create, rename)
 *   STORE/containers/ID/container.json   the record: podman-inspect-shaped, plus "rl" fields
 *   STORE/containers/ID/lock             flock: exclusive while the container changes
 *   STORE/containers/ID/config.json      the OCI runtime config it runs with
 *   STORE/containers/ID/{upper,work,rootfs,userdata}/, ctr.log
 * The record's "State" says what the last writer knew; rl_ctr_refresh() corrects a "running"
 * container whose process is gone (a killed monitor, a reboot), so none shows as a ghost. */
#ifndef RL_CTRSTORE_H
#define RL_CTRSTORE_H

#include <stdbool.h>

#include <jansson.h>

#include "error.h"

/* STORE/containers, created on demand. */
char *rl_ctr_root(const char *store);
char *rl_ctr_dir(const char *store, const char *id);

/* Create the record of a new container: a fresh id, NAME (NULL: a generated one) checked
 * unique under the names lock, the directory with REC (gets "Id" and "Name") written. */
int rl_ctr_create(const char *store, const char *name, json_t *rec, char **ret_id, rl_error_t *err);
/* A name or an id (or a unique prefix of an id) -> the id. ENOENT with podman's words. */
int rl_ctr_lookup(const char *store, const char *name_or_id, char **ret_id, rl_error_t *err);
int rl_ctr_load(const char *store, const char *id, json_t **ret, rl_error_t *err);
int rl_ctr_save(const char *store, const char *id, json_t *rec, rl_error_t *err);
/* flock the container (LOCK_EX or LOCK_SH); returns the fd. */
int rl_ctr_lock(const char *store, const char *id, int how, rl_error_t *err);
/* Ids of every container, oldest first. */
int rl_ctr_list(const char *store, char ***ret, rl_error_t *err);
/* Rename under the names lock. */
int rl_ctr_rename(const char *store, const char *id, const char *name, rl_error_t *err);
/* Remove the directory (the caller holds the container's lock and has unmounted nothing:
 * rl mounts only inside namespaces). */
int rl_ctr_remove(const char *store, const char *id, rl_error_t *err);

/* podman's container names: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
int rl_ctr_check_name(const char *name, rl_error_t *err);

/* If REC says "running" but its process is gone, mark it exited; true when REC changed. */
bool rl_ctr_refresh(json_t *rec);
/* Convenience accessors of REC. */
const char *rl_ctr_status(json_t *rec);
bool rl_ctr_is_running(json_t *rec);

#endif
