/* A container's user-mode network, run by its monitor: libslirp on the tap device that the
 * container's namespace got (lib/netif.c), the DNS forwarder for the virtual name server, and
 * the published ports (TCP through the port forwarder, UDP and port_handler=slirp4netns
 * through libslirp's own forwarding). No other process. */
#ifndef RL_NETSTACK_NET_H
#define RL_NETSTACK_NET_H

#include <sys/types.h>

#include "container.h"
#include "error.h"
#include "netif.h"
#include "netopts.h"

struct rl_net;

/* The container's MAC address on the user-mode network. */
#define RL_NET_MAC                         \
    {                                      \
        0x02, 0x52, 0x4c, 0x00, 0x02, 0x64 \
    }
#define RL_NET_MAC_TEXT "02:52:4c:00:02:64"

/* The addresses of the network of OPTS (its cidr): the container's, the gateway's (the
 * host), the name server's; as text for /etc/resolv.conf and inspect. */
struct rl_net_addrs {
    struct in_addr net, mask, ctr, gw, dns;
    int prefix;
};
int rl_net_addrs(const struct rl_net_opts *opts, struct rl_net_addrs *ret, rl_error_t *err);

/* Before the container starts: libslirp set up and every port of PORTS bound on the host
 * (errors name the port); host ports 0 get theirs, written back to PORTS. OPTS and PORTS must
 * outlive the network. */
int rl_net_new(const struct rl_net_opts *opts, struct rl_port_map *ports, size_t n_ports,
               struct rl_net **ret, rl_error_t *err);
/* What the container's namespace needs: its tap device. */
const struct rl_tap_config *rl_net_tap_config(const struct rl_net *n);
/* The container runs (PID, whose namespace has TAP_FD's device): the network works from now
 * on, through the monitor's loop running rl_net_source(). TAP_FD is taken. */
int rl_net_attach(struct rl_net *n, int tap_fd, pid_t pid, rl_error_t *err);
const struct rl_monitor_source *rl_net_source(struct rl_net *n);
void rl_net_free(struct rl_net *n);
/* "4.7.0" */
const char *rl_net_libslirp_version(void);

#endif
