/* Capabilities by name (libcap) and the five sets of a container process. */
#ifndef RL_CAPS_H
#define RL_CAPS_H

#include "spec.h"

/* "CAP_SYS_ADMIN" (case-insensitive, the CAP_ prefix optional) -> 21. Unknown names fail with
 * "unknown capability 'X'". */
int rl_cap_from_name(const char *name, rl_error_t *err);
/* "CAP_SYS_ADMIN" for 21; a static string, NULL when unknown. */
const char *rl_cap_name(int cap);
/* The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap). */
int rl_cap_last_cap(void);

/* Drop every capability outside caps->sets[RL_CAP_BOUNDING] from the bounding set.
 * Runs while the process still has CAP_SETPCAP, before the uid changes. When caps->present is
 * false (no process.capabilities) all five sets count as empty: everything is dropped, here and
 * in rl_caps_apply(). */
int rl_caps_drop_bounding(const struct rl_caps *caps, rl_error_t *err);
/* Set the effective, permitted and inheritable sets, then raise the ambient ones. Runs after
 * the uid change (with PR_SET_KEEPCAPS set before it). Capabilities above the running
 * kernel's last one are skipped with a debug line. */
int rl_caps_apply(const struct rl_caps *caps, rl_error_t *err);

/* A JSON array of capability names -> numbers, duplicates dropped; errors name FIELD[i]
 * ("process.capabilities.bounding[2]: unknown capability 'CAP_FOO'"). *ret is malloc'd, also
 * when empty. */
int rl_caps_parse_set(json_t *arr, const char *field, int **ret, size_t *ret_n, rl_error_t *err);

#endif
