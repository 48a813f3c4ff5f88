/* The runtime-spec's hooks: programs run at fixed points of the lifecycle with the container's
 * state JSON on their stdin. */
#ifndef RL_HOOKS_H
#define RL_HOOKS_H

#include <jansson.h>

#include "error.h"

/* Validate config.json's "hooks": known stages; each hook has an absolute path, string
 * arrays args and env, and a positive timeout. Errors name the field. */
int rl_hooks_check(json_t *hooks, rl_error_t *err);
bool rl_hooks_has(json_t *hooks, const char *stage);
/* Run every hook of STAGE in order, STATE on stdin; stop at the first that fails or times
 * out. */
int rl_hooks_run(json_t *hooks, const char *stage, const char *state, rl_error_t *err);

#endif
