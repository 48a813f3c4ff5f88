/* rl_error_t: one error with its context chain ("ctx: ctx: cause"), carried up to main().
 * A function that can fail takes `rl_error_t *err` last, returns < 0 (or NULL) and sets
 * *err exactly once. */
#ifndef RL_ERROR_H
#define RL_ERROR_H

#include "util.h"

struct rl_error {
    int status; /* errno, or 0 when there is no system cause */
    char *msg;
    bool plain; /* the message says it all: status is for callers, not for the reader */
};
typedef struct rl_error *rl_error_t;

int rl_make_error(rl_error_t *err, int status, const char *fmt, ...) RL_PRINTF(3, 4);
int rl_error_wrap(rl_error_t *err, const char *fmt, ...) RL_PRINTF(2, 3);
/* An error whose STATUS tells callers what happened ("not found": ENOENT) while its message
 * is printed without strerror(STATUS). */
int rl_make_plain_error(rl_error_t *err, int status, const char *fmt, ...) RL_PRINTF(3, 4);
void rl_error_release(rl_error_t *err);
void rl_error_warn_and_release(rl_error_t *err);
/* The whole message, "msg: strerror(status)" when status is set. Caller frees. */
char *rl_error_format(const rl_error_t err);

/* Carry an error from a forked child to its parent over a SOCK_SEQPACKET socket. */
int rl_error_send(int fd, rl_error_t *err);
int rl_error_recv(int fd, rl_error_t *err);

#define cleanup_error __attribute__((cleanup(rl_error_release)))

#endif
