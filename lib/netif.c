/* Network interfaces inside a container's network namespace: see netif.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/route.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "netif.h"

/* <linux/ipv6.h>'s, which does not mix with <netinet/in.h>. */
struct rl_in6_ifreq {
    struct in6_addr addr;
    uint32_t prefixlen;
    int ifindex;
};

static int
set_flags_up(int sock, const char *name, rl_error_t *err)
{
    struct ifreq ifr = { 0 };

    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return rl_make_error(err, errno, "%s: get flags", name);
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
        return rl_make_error(err, errno, "%s: bring up", name);
    return 0;
}

int
rl_netif_loopback_up(rl_error_t *err)
{
    cleanup_close int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (sock < 0)
        return rl_make_error(err, errno, "socket");
    return set_flags_up(sock, "lo", err);
}

static int
set_addr(int sock, const char *name, unsigned long req, struct in_addr a, const char *what,
         rl_error_t *err)
{
    struct ifreq ifr = { 0 };
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = a };

    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
    if (ioctl(sock, req, &ifr) < 0)
        return rl_make_error(err, errno, "%s: set the %s", name, what);
    return 0;
}

/* IPv6: the address without duplicate address detection (nobody else is on the link, and
 * a tentative address cannot be used for a second), the default route via the gateway. */
static int
setup_ipv6(const struct rl_tap_config *c, int ifindex, rl_error_t *err)
{
    cleanup_close int sock = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct rl_in6_ifreq ifr6 = { .addr = c->addr6, .prefixlen = 64, .ifindex = ifindex };
    struct in6_rtmsg rt = { 0 };
    const char *knobs[] = { "accept_dad", "accept_ra" };

    if (sock < 0)
        return rl_make_error(err, errno, "socket");
    for (size_t i = 0; i < RL_ARRAY_SIZE(knobs); i++) {
        cleanup_free char *path = xasprintf("/proc/sys/net/ipv6/conf/%s/%s", c->name, knobs[i]);
        if (rl_write_file(path, "0", 1, err) < 0)
            return -1;
    }
    if (ioctl(sock, SIOCSIFADDR, &ifr6) < 0)
        return rl_make_error(err, errno, "%s: set the IPv6 address", c->name);
    rt.rtmsg_gateway = c->gw6;
    rt.rtmsg_flags = RTF_UP | RTF_GATEWAY;
    rt.rtmsg_metric = 1;
    rt.rtmsg_ifindex = ifindex;
    if (ioctl(sock, SIOCADDRT, &rt) < 0)
        return rl_make_error(err, errno, "%s: add the IPv6 default route", c->name);
    return 0;
}

/* The transmit queue's length: through rtnetlink, as SIOCSIFTXQLEN wants CAP_NET_ADMIN in
 * the host's user namespace. */
static int
set_qlen(const char *name, int qlen, rl_error_t *err)
{
    struct {
        struct nlmsghdr nh;
        struct ifinfomsg ifi;
        struct rtattr rta;
        uint32_t qlen;
    } req = { 0 };
    struct {
        struct nlmsghdr nh;
        struct nlmsgerr e;
    } ack;
    cleanup_close int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    ssize_t n;

    if (fd < 0)
        return rl_make_error(err, errno, "netlink socket");
    req.nh.nlmsg_len = sizeof(req);
    req.nh.nlmsg_type = RTM_NEWLINK;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req.ifi.ifi_family = AF_UNSPEC;
    req.ifi.ifi_index = (int)if_nametoindex(name);
    req.rta.rta_type = IFLA_TXQLEN;
    req.rta.rta_len = RTA_LENGTH(sizeof(uint32_t));
    req.qlen = (uint32_t)qlen;
    if (send(fd, &req, sizeof(req), 0) < 0)
        return rl_make_error(err, errno, "%s: set the queue length", name);
    n = recv(fd, &ack, sizeof(ack), 0);
    if (n < (ssize_t)sizeof(ack) || ack.nh.nlmsg_type != NLMSG_ERROR)
        return rl_make_error(err, EPROTO, "%s: set the queue length: no answer", name);
    if (ack.e.error != 0)
        return rl_make_error(err, -ack.e.error, "%s: set the queue length to %d", name, qlen);
    return 0;
}

int
rl_netif_tap(const struct rl_tap_config *c, int *ret_fd, rl_error_t *err)
{
    cleanup_close int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    cleanup_close int sock = -1;
    struct ifreq ifr = { 0 };
    struct rtentry rt = { 0 };
    struct sockaddr_in any = { .sin_family = AF_INET };
    struct sockaddr_in gw = { .sin_family = AF_INET, .sin_addr = c->gw };
    int ifindex;

    if (fd < 0) {
        int e = errno;
        if (e == EACCES || e == EPERM)
            return rl_make_error(err, e,
                                 "open /dev/net/tun (the user-mode network needs it readable "
                                 "and writable by users, as distributions ship it: chmod 0666 "
                                 "/dev/net/tun; or use --network none or host)");
        if (e == ENOENT || e == ENODEV || e == ENXIO)
            return rl_make_error(err, e,
                                 "open /dev/net/tun (load the tun module: modprobe tun; or use "
                                 "--network none or host)");
        return rl_make_error(err, e, "open /dev/net/tun");
    }
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0)
        return rl_make_error(err, errno, "create the tap device %s", c->name);
    /* Persistent: closing the last fd of a tap device unregisters it there and then, which
     * waits for RCU grace periods (20 to 40 ms here, at every container's exit). A persistent
     * one goes with its network namespace, which the kernel tears down in the background. */
    if (ioctl(fd, TUNSETPERSIST, 1) < 0)
        return rl_make_error(err, errno, "make the tap device %s persistent", c->name);
    sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return rl_make_error(err, errno, "socket");
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->name);
    ifr.ifr_mtu = c->mtu;
    if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
        return rl_make_error(err, errno, "%s: set the MTU to %d", c->name, c->mtu);
    if (c->qlen > 0 && set_qlen(c->name, c->qlen, err) < 0)
        return -1;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->name);
    ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
    memcpy(ifr.ifr_hwaddr.sa_data, c->mac, 6);
    if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0)
        return rl_make_error(err, errno, "%s: set the MAC address", c->name);
    if (set_addr(sock, c->name, SIOCSIFADDR, c->addr, "address", err) < 0
        || set_addr(sock, c->name, SIOCSIFNETMASK, c->mask, "netmask", err) < 0
        || set_flags_up(sock, c->name, err) < 0)
        return -1;
    memcpy(&rt.rt_dst, &any, sizeof(any));
    memcpy(&rt.rt_genmask, &any, sizeof(any));
    memcpy(&rt.rt_gateway, &gw, sizeof(gw));
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    rt.rt_dev = (char *)c->name;
    if (ioctl(sock, SIOCADDRT, &rt) < 0)
        return rl_make_error(err, errno, "%s: add the default route via %s", c->name,
                             inet_ntoa(c->gw));
    ifindex = (int)if_nametoindex(c->name);
    if (c->ipv6) {
        cleanup_error rl_error_t e6 = NULL;
        /* A host without IPv6 (ipv6.disable=1) still gets IPv4. */
        if (setup_ipv6(c, ifindex, &e6) < 0)
            rl_debug("no IPv6 in the container: %s", e6->msg);
    }
    *ret_fd = fd;
    fd = -1;
    return 0;
}
