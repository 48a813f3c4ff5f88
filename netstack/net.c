/* The user-mode network in the monitor: see net.h. libslirp is driven by the monitor's poll
 * loop (rl_monitor_source): its sockets, its timers, the tap device's frames. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <slirp/libslirp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "log.h"
#include "net.h"
#include "portfwd.h"

#define FRAMES_A_ROUND 64
#define ETH_HLEN       14

struct timer {
    struct timer *next;
    SlirpTimerId id;
    SlirpTimerCb cb; /* timer_new's, else id's */
    void *cb_opaque;
    int64_t expire_ms; /* -1: not armed */
};

struct rl_net {
    const struct rl_net_opts *opts;
    struct rl_port_map *ports;
    size_t n_ports;
    struct rl_net_addrs addrs;
    struct rl_tap_config tap_cfg;
    Slirp *slirp;
    int tap;
    uint8_t *frame;
    size_t frame_size;
    struct timer *timers;
    struct rl_dns_fwd *dns;
    struct rl_portfwd *fwd;
    struct rl_monitor_source source;
    /* Between fill and dispatch: */
    struct rl_pollset *set;
    size_t base;
    const struct pollfd *fds;
    size_t idx_tap, idx_dns, n_dns, idx_fwd, idx_slirp;
};

int
rl_net_addrs(const struct rl_net_opts *opts, struct rl_net_addrs *ret, rl_error_t *err)
{
    char addr[32];
    const char *slash = strchr(opts->cidr, '/');
    uint32_t net, mask;
    int prefix;

    if (!slash || (size_t)(slash - opts->cidr) >= sizeof(addr))
        return rl_make_error(err, EINVAL, "cidr '%s': not ADDRESS/PREFIX", opts->cidr);
    snprintf(addr, sizeof(addr), "%.*s", (int)(slash - opts->cidr), opts->cidr);
    prefix = atoi(slash + 1);
    if (inet_pton(AF_INET, addr, &ret->net) != 1 || prefix < 1 || prefix > 25)
        return rl_make_error(err, EINVAL,
                             "cidr '%s': an IPv4 network with a prefix of at most 25 bits (the "
                             "container's address is the 100th)",
                             opts->cidr);
    mask = prefix == 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
    net = ntohl(ret->net.s_addr) & mask;
    ret->net.s_addr = htonl(net);
    ret->mask.s_addr = htonl(mask);
    ret->gw.s_addr = htonl(net + 2);
    ret->dns.s_addr = htonl(net + 3);
    ret->ctr.s_addr = htonl(net + 100);
    ret->prefix = prefix;
    return 0;
}

/* libslirp's callbacks. */

static ssize_t
send_packet(const void *buf, size_t len, void *opaque)
{
    struct rl_net *n = opaque;
    ssize_t w = write(n->tap, buf, len);
    /* A full queue drops the frame, as a wire would: TCP sends it again. */
    return w < 0 ? (ssize_t)len : w;
}

static void
guest_error(const char *msg, void *opaque)
{
    rl_debug("slirp: %s", msg);
}

static int64_t
clock_get_ns(void *opaque)
{
    return rl_now_ns();
}

static struct timer *
timer_add(struct rl_net *n)
{
    struct timer *t = xzalloc(sizeof(*t));
    t->expire_ms = -1;
    t->next = n->timers;
    n->timers = t;
    return t;
}

static void *
timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    struct timer *t = timer_add(opaque);
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    return t;
}

static void *
timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    struct timer *t = timer_add(opaque);
    t->id = id;
    t->cb_opaque = cb_opaque;
    return t;
}

static void
timer_free(void *timer, void *opaque)
{
    struct rl_net *n = opaque;
    for (struct timer **p = &n->timers; *p; p = &(*p)->next) {
        if (*p == timer) {
            *p = ((struct timer *)timer)->next;
            free(timer);
            return;
        }
    }
}

static void
timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    ((struct timer *)timer)->expire_ms = expire_ms;
}

static void
register_poll_fd(int fd, void *opaque)
{
}

static void
unregister_poll_fd(int fd, void *opaque)
{
}

static void
notify(void *opaque)
{
}

static const SlirpCb callbacks = {
    .send_packet = send_packet,
    .guest_error = guest_error,
    .clock_get_ns = clock_get_ns,
    .timer_new = timer_new,
    .timer_free = timer_free,
    .timer_mod = timer_mod,
    .register_poll_fd = register_poll_fd,
    .unregister_poll_fd = unregister_poll_fd,
    .notify = notify,
    .timer_new_opaque = timer_new_opaque,
};

static void
dns_write(void *data, const uint8_t *frame, size_t len)
{
    struct rl_net *n = data;
    (void)send_packet(frame, len, n);
}

/* The host's name servers for the DNS forwarder: dns_forward=, else resolv.conf's. */
static void
setup_dns(struct rl_net *n)
{
    struct sockaddr_storage servers[8];
    size_t n_servers = 0;
    cleanup_error rl_error_t tmp = NULL;

    if (n->opts->dns_forward) {
        if (rl_dns_server_parse(n->opts->dns_forward, &servers[0], &tmp) == 0)
            n_servers = 1;
    } else if (rl_dns_servers_from_resolv("/etc/resolv.conf", servers, RL_ARRAY_SIZE(servers),
                                          &n_servers, &tmp)
               < 0) {
        n_servers = 0;
    }
    if (tmp)
        rl_warning("the container's DNS: %s", tmp->msg);
    /* Without servers of our own, libslirp's answers (it knows no more). */
    if (n_servers > 0)
        n->dns = rl_dns_fwd_new(n->addrs.dns, servers, n_servers, dns_write, n);
}

/* Published ports that libslirp forwards: UDP, and TCP with port_handler=slirp4netns. The
 * port is bound once here first, for the error (and a port 0 for its number). */
static int
slirp_forward(struct rl_net *n, struct rl_port_map *m, rl_error_t *err)
{
    struct in_addr host = { .s_addr = htonl(INADDR_ANY) };
    bool udp = strcmp(m->proto, "udp") == 0;
    int fd;

    if (m->host_ip[0] && inet_pton(AF_INET, m->host_ip, &host) != 1)
        return rl_make_plain_error(err, EINVAL,
                                   "publish [%s]:%u/%s: libslirp forwards IPv4 host addresses "
                                   "only; an IPv6 one needs the port forwarder ("
                                   "port_handler=rootlesskit)",
                                   m->host_ip, m->host_port, m->proto);
    {
        /* Checked on IPv4 alone, as libslirp binds. */
        struct rl_port_map probe = *m;
        if (!probe.host_ip[0])
            snprintf(probe.host_ip, sizeof(probe.host_ip), "0.0.0.0");
        fd = rl_port_bind(&probe, udp ? SOCK_DGRAM : SOCK_STREAM, err);
        if (fd < 0)
            return -1;
        m->host_port = probe.host_port;
        close(fd);
    }
    if (slirp_add_hostfwd(n->slirp, udp, host, m->host_port, n->addrs.ctr, m->ctr_port) < 0)
        return rl_make_error(err, errno, "publish %s:%u/%s", m->host_ip[0] ? m->host_ip : "0.0.0.0",
                             m->host_port, m->proto);
    return 0;
}

/* The tap's queue holds what the monitor has not read yet: about 4 MB whatever the MTU
 * (the kernel's 1000 frames would be 64 MB of 64 kB frames), and never fewer than 64 frames.
 * RL_TAP_QLEN overrides (for measurements). */
static int
tap_qlen(int mtu)
{
    const char *env = getenv("RL_TAP_QLEN");
    int q = (4 << 20) / (mtu > 0 ? mtu : 1500);

    if (env && atoi(env) >= 0)
        return atoi(env); /* 0: the kernel's */
    return q < 64 ? 64 : q;
}

int
rl_net_new(const struct rl_net_opts *opts, struct rl_port_map *ports, size_t n_ports,
           struct rl_net **ret, rl_error_t *err)
{
    struct rl_net *n = xzalloc(sizeof(*n));
    SlirpConfig cfg = { 0 };

    /* libslirp and the port forwarder write to sockets whose peers may be gone: EPIPE, not
     * the end of the monitor (the container's process gets the default action back). */
    (void)signal(SIGPIPE, SIG_IGN);
    n->opts = opts;
    n->ports = ports;
    n->n_ports = n_ports;
    n->tap = -1;
    if (rl_net_addrs(opts, &n->addrs, err) < 0)
        goto fail;
    n->tap_cfg = (struct rl_tap_config){
        .name = "tap0",
        .mtu = opts->mtu,
        .qlen = tap_qlen(opts->mtu),
        .addr = n->addrs.ctr,
        .mask = n->addrs.mask,
        .gw = n->addrs.gw,
        .ipv6 = opts->enable_ipv6,
        .mac = RL_NET_MAC,
    };
    inet_pton(AF_INET6, "fd00::100", &n->tap_cfg.addr6);
    inet_pton(AF_INET6, "fd00::2", &n->tap_cfg.gw6);
    cfg.version = 4;
    cfg.in_enabled = true;
    cfg.vnetwork = n->addrs.net;
    cfg.vnetmask = n->addrs.mask;
    cfg.vhost = n->addrs.gw;
    cfg.in6_enabled = opts->enable_ipv6;
    inet_pton(AF_INET6, "fd00::", &cfg.vprefix_addr6);
    cfg.vprefix_len = 64;
    inet_pton(AF_INET6, "fd00::2", &cfg.vhost6);
    inet_pton(AF_INET6, "fd00::3", &cfg.vnameserver6);
    cfg.vnameserver = n->addrs.dns;
    cfg.vdhcp_start.s_addr = htonl(ntohl(n->addrs.net.s_addr) + 15);
    cfg.if_mtu = (size_t)opts->mtu;
    cfg.if_mru = (size_t)opts->mtu;
    cfg.disable_host_loopback = !opts->allow_host_loopback;
    n->slirp = slirp_new(&cfg, &callbacks, n);
    if (!n->slirp) {
        rl_make_error(err, 0, "the user-mode network: libslirp could not start");
        goto fail;
    }
    if (opts->port_handler == RL_PORT_FORWARDER && n_ports > 0
        && rl_portfwd_new(ports, n_ports, &n->fwd, err) < 0)
        goto fail;
    for (size_t i = 0; i < n_ports; i++) {
        if (opts->port_handler == RL_PORT_FORWARDER)
            continue;
        if (slirp_forward(n, &ports[i], err) < 0)
            goto fail;
    }
    setup_dns(n);
    n->frame_size = (size_t)opts->mtu + ETH_HLEN + 4;
    n->frame = xmalloc(n->frame_size);
    n->source.data = n;
    *ret = n;
    return 0;
fail:
    rl_net_free(n);
    return -1;
}

const struct rl_tap_config *
rl_net_tap_config(const struct rl_net *n)
{
    return &n->tap_cfg;
}

void
rl_net_free(struct rl_net *n)
{
    if (!n)
        return;
    if (n->slirp)
        slirp_cleanup(n->slirp);
    while (n->timers) {
        struct timer *t = n->timers;
        n->timers = t->next;
        free(t);
    }
    rl_dns_fwd_free(n->dns);
    rl_portfwd_free(n->fwd);
    if (n->tap >= 0)
        close(n->tap);
    free(n->frame);
    free(n);
}

/* The monitor's loop. */

static int
add_poll(int fd, int events, void *opaque)
{
    struct rl_net *n = opaque;
    short ev = 0;

    if (events & SLIRP_POLL_IN)
        ev |= POLLIN;
    if (events & SLIRP_POLL_OUT)
        ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI)
        ev |= POLLPRI;
    return (int)(rl_pollset_add(n->set, fd, ev) - n->base - n->idx_slirp);
}

static int
get_revents(int idx, void *opaque)
{
    struct rl_net *n = opaque;
    short r = n->fds[n->idx_slirp + (size_t)idx].revents;
    int ev = 0;

    if (r & POLLIN)
        ev |= SLIRP_POLL_IN;
    if (r & POLLOUT)
        ev |= SLIRP_POLL_OUT;
    if (r & POLLPRI)
        ev |= SLIRP_POLL_PRI;
    if (r & POLLERR)
        ev |= SLIRP_POLL_ERR;
    if (r & POLLHUP)
        ev |= SLIRP_POLL_HUP;
    return ev;
}

static void
fill(void *data, struct rl_pollset *set, int *timeout)
{
    struct rl_net *n = data;
    int64_t now_ms = rl_now_ms();
    uint32_t t = *timeout < 0 ? UINT32_MAX : (uint32_t)*timeout;

    n->set = set;
    n->base = set->n;
    n->idx_tap = rl_pollset_add(set, n->tap, POLLIN) - n->base;
    n->idx_dns = set->n - n->base;
    if (n->dns) {
        struct pollfd fds[4];
        int dt = -1;
        size_t k = rl_dns_fwd_pollfds(n->dns, fds, RL_ARRAY_SIZE(fds), &dt);
        for (size_t i = 0; i < k; i++)
            rl_pollset_add(set, fds[i].fd, fds[i].events);
        n->n_dns = k;
        if (dt >= 0 && (uint32_t)dt < t)
            t = (uint32_t)dt;
    }
    n->idx_fwd = set->n - n->base;
    if (n->fwd)
        rl_portfwd_fill(n->fwd, set);
    n->idx_slirp = set->n - n->base;
    for (struct timer *tm = n->timers; tm; tm = tm->next) {
        if (tm->expire_ms < 0)
            continue;
        if (tm->expire_ms <= now_ms)
            t = 0;
        else if ((uint64_t)(tm->expire_ms - now_ms) < t)
            t = (uint32_t)(tm->expire_ms - now_ms);
    }
    slirp_pollfds_fill(n->slirp, &t, add_poll, n);
    *timeout = t == UINT32_MAX ? -1 : (int)t;
}

static void
read_frames(struct rl_net *n)
{
    for (int i = 0; i < FRAMES_A_ROUND; i++) {
        ssize_t len = read(n->tap, n->frame, n->frame_size);
        if (len <= 0)
            return;
        if (n->dns && rl_dns_fwd_input(n->dns, n->frame, (size_t)len))
            continue;
        slirp_input(n->slirp, n->frame, (int)len);
    }
}

static void
run_timers(struct rl_net *n)
{
    int64_t now_ms = rl_now_ms();
    bool again = true;

    /* A callback may free or arm timers: start over after each. */
    while (again) {
        again = false;
        for (struct timer *t = n->timers; t; t = t->next) {
            if (t->expire_ms < 0 || t->expire_ms > now_ms)
                continue;
            t->expire_ms = -1;
            if (t->cb)
                t->cb(t->cb_opaque);
            else
                slirp_handle_timer(n->slirp, t->id, t->cb_opaque);
            again = true;
            break;
        }
    }
}

static void
dispatch(void *data, const struct pollfd *fds, size_t nfds)
{
    struct rl_net *n = data;

    n->fds = fds;
    if (n->idx_tap < nfds && (fds[n->idx_tap].revents & POLLIN))
        read_frames(n);
    if (n->dns)
        rl_dns_fwd_dispatch(n->dns, fds + n->idx_dns, n->n_dns);
    if (n->fwd)
        rl_portfwd_dispatch(n->fwd, fds + n->idx_fwd, n->idx_slirp - n->idx_fwd);
    slirp_pollfds_poll(n->slirp, 0, get_revents, n);
    run_timers(n);
}

int
rl_net_attach(struct rl_net *n, int tap_fd, pid_t pid, rl_error_t *err)
{
    n->tap = tap_fd;
    if (n->fwd) {
        cleanup_free char *path = xasprintf("/proc/%d/ns/net", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
            goto done; /* it has exited already: nothing to forward to */
        if (fd < 0)
            return rl_make_error(err, errno, "open %s", path);
        if (rl_portfwd_set_netns(n->fwd, fd, err) < 0)
            return -1;
    }
done:
    n->source.fill = fill;
    n->source.dispatch = dispatch;
    return 0;
}

const char *
rl_net_libslirp_version(void)
{
    return slirp_version_string();
}

const struct rl_monitor_source *
rl_net_source(struct rl_net *n)
{
    return &n->source;
}
