/* tap.h for tests of functions that fail with an rl_error_t: msg(). */
#ifndef RL_TAP_ERROR_H
#define RL_TAP_ERROR_H

#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "tap.h"

/* The whole message of *ERR (strerror included), then released; "(no error)" without one. */
static inline const char *
msg(rl_error_t *err)
{
    static char buf[1024];
    char *m;

    if (*err == NULL)
        return "(no error)";
    m = rl_error_format(*err);
    snprintf(buf, sizeof(buf), "%s", m);
    free(m);
    rl_error_release(err);
    return buf;
}

#endif
