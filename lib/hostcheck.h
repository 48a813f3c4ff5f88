/* Facts about the host that decide whether rootless containers can run: the checks behind
 * `rl doctor` and `rl info`. */
#ifndef RL_HOSTCHECK_H
#define RL_HOSTCHECK_H

#include <jansson.h>

#include "error.h"

enum rl_check_status {
    RL_CHECK_OK = 0,
    RL_CHECK_WARNING,
    RL_CHECK_ERROR,
};

struct rl_check {
    char *name;    /* "subuid", "newuidmap", ... */
    enum rl_check_status status;
    char *message; /* what was found */
    char *fix;     /* the exact command that fixes it, or NULL */
};

/* Run every check as the calling user. */
int rl_hostcheck_run(struct rl_check **ret, size_t *ret_n, rl_error_t *err);
void rl_hostcheck_free(struct rl_check *checks, size_t n);
json_t *rl_hostcheck_to_json(const struct rl_check *checks, size_t n);

#endif
