/* The port forwarder of the user-mode network (podman's "rootlesskit" port handler): it
 * listens on the host's ports in the monitor, and for each connection connects to the
 * container's port on the loopback of the container's network namespace, then moves the
 * bytes between the two sockets with splice() through a pipe per direction, without a copy
 * through user space. The container sees the connection come from 127.0.0.1 (the client's
 * address is not kept: port_handler=slirp4netns keeps it, at a lower speed). UDP ports too. */
#ifndef RL_NETSTACK_PORTFWD_H
#define RL_NETSTACK_PORTFWD_H

#include <stddef.h>

#include "container.h"
#include "error.h"
#include "netopts.h"

struct rl_portfwd;

/* Listen on the host side of the maps of MAPS (UDP: a socket that takes every client's
 * datagrams; each client gets a socket of its own in the container, forgotten after a minute
 * of silence). Fails, before
 * anything runs, when a port is taken ("address already in use") or privileged (naming
 * net.ipv4.ip_unprivileged_port_start). A host port 0 is chosen by the kernel and written back
 * to MAPS. */
int rl_portfwd_new(struct rl_port_map *maps, size_t n, struct rl_portfwd **ret, rl_error_t *err);
/* Connections go to the namespace NETNS_FD (a /proc/PID/ns/net fd, taken). */
int rl_portfwd_set_netns(struct rl_portfwd *f, int netns_fd, rl_error_t *err);
void rl_portfwd_free(struct rl_portfwd *f);
void rl_portfwd_fill(struct rl_portfwd *f, struct rl_pollset *set);
/* FDS: what rl_portfwd_fill added, after poll(). */
void rl_portfwd_dispatch(struct rl_portfwd *f, const struct pollfd *fds, size_t n);
/* How many connections are open (for tests and debugging). */
size_t rl_portfwd_connections(const struct rl_portfwd *f);

/* Bind the host side of MAP (TCP: listening; UDP: bound) and return the socket: the error
 * messages of rl_portfwd_new. A port 0 is chosen and written back. */
int rl_port_bind(struct rl_port_map *map, int type, rl_error_t *err);

#endif
