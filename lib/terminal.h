/* Terminals and fd passing: the container's pty, raw mode for the caller's terminal, and
 * SCM_RIGHTS over unix sockets (--console-socket). */
#ifndef RL_TERMINAL_H
#define RL_TERMINAL_H

#include <termios.h>

#include "error.h"

/* Send FD with an optional payload over a unix socket; receive it back. */
int rl_send_fd(int sock, int fd, const void *data, size_t len, rl_error_t *err);
int rl_recv_fd(int sock, int *ret_fd, void *data, size_t len, rl_error_t *err);

/* In the container, after pivot_root: open a new pty from /dev/ptmx, make its slave the
 * controlling terminal and stdio of the calling process (which has called setsid()), and
 * return the master. */
int rl_terminal_create(unsigned int rows, unsigned int cols, rl_error_t *err);
/* Connect to the unix socket PATH and send the pty master there (runc's --console-socket). */
int rl_terminal_send_to_socket(const char *path, int master, rl_error_t *err);

/* Put FD's terminal in raw mode, saving the old settings in OLD. */
int rl_terminal_raw(int fd, struct termios *old, rl_error_t *err);
void rl_terminal_restore(int fd, const struct termios *old);
/* Copy the window size of FROM to TO. */
void rl_terminal_copy_size(int from, int to);

#endif
