/* Network interfaces of a container's network namespace, set up from inside it: loopback up,
 * and the tap device of the user-mode network (its fd goes to the monitor, which runs
 * libslirp on it). ioctl()s only: a handful of settings needs no netlink. */
#ifndef RL_NETIF_H
#define RL_NETIF_H

#include <netinet/in.h>
#include <stdbool.h>

#include "error.h"

struct rl_tap_config {
    const char *name; /* "tap0" */
    int mtu;
    int qlen;              /* the transmit queue, in frames (0: the kernel's) */
    struct in_addr addr;   /* 10.0.2.100 */
    struct in_addr mask;   /* 255.255.255.0 */
    struct in_addr gw;     /* 10.0.2.2: the default route */
    bool ipv6;             /* also ADDR6/64 with the default route via GW6, no DAD */
    struct in6_addr addr6; /* fd00::100 */
    struct in6_addr gw6;   /* fd00::2 */
    unsigned char mac[6];  /* the tap's address (locally administered) */
};

/* Bring up "lo" in the current network namespace. */
int rl_netif_loopback_up(rl_error_t *err);
/* Create the tap device C->name in the current network namespace (needs CAP_NET_ADMIN in its
 * owner and access to /dev/net/tun), configure it and bring it up; *RET_FD is its queue
 * (non-blocking, close-on-exec). */
int rl_netif_tap(const struct rl_tap_config *c, int *ret_fd, rl_error_t *err);

#endif
