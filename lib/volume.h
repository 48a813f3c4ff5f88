/* Named volumes: directories in the store that outlive the containers mounting them.
 *
 *   STORE/volumes/.lock              flock: shared to read, exclusive to change
 *   STORE/volumes/NAME/volume.json   {"Name", "Driver", "Mountpoint", "CreatedAt", "Labels",
 *                                     "Options", "Scope"}
 *   STORE/volumes/NAME/_data/        what a container mounts (0755, the creator's: container root)
 *   STORE/volumes/.tmp-XXXXXX/       a volume being created, renamed to NAME once complete
 *   STORE/volumes/.rm-HEX/           a volume being removed (NAME may be 255 bytes long)
 *
 * Names match [a-zA-Z0-9][a-zA-Z0-9_.-]* (podman's), so no name starts with '.': the lock and
 * work directories cannot collide with a volume. Files a container writes below _data belong
 * to the ids of the user's namespace; removing them needs that namespace (rl_userns_enter).
 */
#ifndef RL_VOLUME_H
#define RL_VOLUME_H

#include <stdbool.h>

#include "json.h"

#include "error.h"

#define RL_VOLUME_NAME_MAX 255

struct rl_volume {
    char *name;
    char *driver;     /* "local", the only driver */
    char *mountpoint; /* STORE/volumes/NAME/_data: podman's Mountpoint, what containers mount */
    char *created;    /* RFC 3339, UTC */
    json_t *labels;   /* {"key": "value"} */
    json_t *options;  /* {"o": "uid=N,gid=N"}, as given to create; {} for none */
    long long uid;    /* owner of _data from o=uid=N, -1 when not given */
    long long gid;    /* group of _data from o=gid=N, -1 when not given */
};

/* True when NAME may name a volume: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most RL_VOLUME_NAME_MAX. */
bool rl_volume_name_valid(const char *name);

/* Check OPTIONS (a JSON object of strings, or NULL) for the local driver, which takes only
 * {"o": "uid=N,gid=N"} (either part, or both); anything else is "volume option 'X' is not
 * supported". *RET_UID and *RET_GID get N, or -1 when not given. */
int rl_volume_options_check(json_t *options, long long *ret_uid, long long *ret_gid,
                            rl_error_t *err);

/* Create volume NAME (NULL or "": 64 random hex digits) in the store at STORE, with LABELS
 * (an object of strings, or NULL) and OPTIONS (see rl_volume_options_check; uid and gid
 * chown _data, which needs the user's namespace). A volume that exists already is an error
 * (EEXIST, "volume with name NAME already exists: volume already exists"), or with
 * IGNORE_EXISTING is returned as it is. RET (may be NULL) gets the volume. */
int rl_volume_create(const char *store, const char *name, json_t *labels, json_t *options,
                     bool ignore_existing, struct rl_volume **ret, rl_error_t *err);

/* Volume NAME: ENOENT "no such volume NAME" when there is none; an error without status
 * ("volume 'NAME' is damaged: ...") when its volume.json cannot be read. */
int rl_volume_get(const char *store, const char *name, struct rl_volume **ret, rl_error_t *err);

/* Every volume, sorted by name. A damaged volume is listed with what its directory tells
 * (name, mountpoint, the directory's time), after a warning, so that it can be removed. */
int rl_volume_list(const char *store, struct rl_volume ***ret, size_t *ret_n, rl_error_t *err);

/* Remove volume NAME and its data (ENOENT "no such volume NAME" when there is none). Whether
 * a container uses it is the caller's business. */
int rl_volume_remove(const char *store, const char *name, rl_error_t *err);

/* Both accept NULL. */
void rl_volume_free(struct rl_volume *v);
void rl_volume_list_free(struct rl_volume **v, size_t n);

/* podman's `volume inspect` object: Name, Driver, Mountpoint, CreatedAt, Labels, Scope,
 * Options, UID and GID (when set), MountCount. */
json_t *rl_volume_to_json(const struct rl_volume *v);

#endif
