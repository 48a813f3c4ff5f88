/* The port forwarder: see portfwd.h. One poll loop (the monitor's), non-blocking sockets,
 * a pipe per direction of each connection for splice(). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "portfwd.h"

#define PIPE_SIZE      (1 << 20) /* fs.pipe-max-size's default: what a user may ask for */
#define MAX_CONNS      4096
#define ACCEPT_A_ROUND 64
#define MAX_FLOWS      1024
#define FLOW_IDLE_MS   60000 /* a UDP client silent this long is forgotten */
#define DGRAMS_A_ROUND 64

struct dir {
    int pipe[2];
    size_t in_pipe; /* bytes in the pipe */
    size_t cap;     /* the pipe's size */
    bool eof;       /* the source said EOF */
    bool shut;      /* EOF passed on (shutdown of the destination's writing side) */
};

struct conn {
    int a; /* the client's socket, on the host */
    int b; /* ours in the container's namespace */
    bool connecting;
    bool dead;
    struct dir ab, ba;
    size_t idx_a, idx_b; /* in the last fill */
};

struct listener {
    int fd;
    bool udp;
    struct rl_port_map map;
    size_t idx;
};

/* A UDP client of a published port: its datagrams go out of a socket of ours in the
 * container's namespace, connected to the container's port; what comes back goes to the
 * client from the listener's socket. */
struct flow {
    struct listener *l;
    struct sockaddr_storage client;
    socklen_t client_len;
    int fd;
    int64_t last_ms;
    size_t idx;
};

struct rl_portfwd {
    struct listener *ls;
    size_t n_ls;
    struct conn **conns;
    size_t n_conns, cap_conns;
    struct flow **flows;
    size_t n_flows;
    uint8_t *dgram; /* 64 kB */
    /* Sockets in the container's namespace come from a thread that lives there: a process
     * in a user namespace below the host's can enter the container's network namespace but
     * never return to the host's. */
    pthread_t factory;
    bool has_factory;
    int req[2]; /* requests (a byte) to the factory; replies (an int fd or -errno) */
    int rep[2];
    size_t base;
};

static int
unprivileged_port_start(void)
{
    cleanup_free char *text = NULL;
    cleanup_error rl_error_t tmp = NULL;

    if (rl_read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start", 64, &text, NULL, &tmp) < 0)
        return 1024;
    return atoi(text);
}

int
rl_port_bind(struct rl_port_map *map, int type, rl_error_t *err)
{
    struct sockaddr_storage ss = { 0 };
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    const char *proto = type == SOCK_STREAM ? "tcp" : "udp";
    const char *shown = map->host_ip[0] ? map->host_ip : "0.0.0.0";
    socklen_t len;
    int fd = -1, one = 1, zero = 0;

    if (map->host_ip[0] == '\0') {
        /* Every address, IPv6 and IPv4 alike where the host has IPv6. */
        fd = socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
            sin6->sin6_family = AF_INET6;
            sin6->sin6_addr = in6addr_any;
            sin6->sin6_port = htons(map->host_port);
            len = sizeof(*sin6);
        } else {
            sin->sin_family = AF_INET;
            sin->sin_addr.s_addr = htonl(INADDR_ANY);
            sin->sin_port = htons(map->host_port);
            len = sizeof(*sin);
        }
    } else if (inet_pton(AF_INET, map->host_ip, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(map->host_port);
        len = sizeof(*sin);
    } else if (inet_pton(AF_INET6, map->host_ip, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(map->host_port);
        len = sizeof(*sin6);
    } else {
        return rl_make_plain_error(err, EINVAL, "publish %s: not an IP address", map->host_ip);
    }
    if (fd < 0)
        fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return rl_make_error(err, errno, "publish %s:%u/%s: socket", shown, map->host_port, proto);
    if (ss.ss_family == AF_INET6 && map->host_ip[0])
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (type == SOCK_STREAM)
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        int e = errno;
        close(fd);
        if (e == EACCES && map->host_port > 0 && map->host_port < 1024)
            return rl_make_error(err, e,
                                 "publish %s:%u/%s: ports below %d need privileges: allow them "
                                 "with sysctl net.ipv4.ip_unprivileged_port_start=%u",
                                 shown, map->host_port, proto, unprivileged_port_start(),
                                 map->host_port);
        if (e == EADDRINUSE)
            return rl_make_plain_error(err, e,
                                       "publish %s:%u/%s: the host port %u is already in use "
                                       "(by another container or program)",
                                       shown, map->host_port, proto, map->host_port);
        if (e == EADDRNOTAVAIL)
            return rl_make_plain_error(err, e,
                                       "publish %s:%u/%s: %s is not an address of this host", shown,
                                       map->host_port, proto, map->host_ip);
        return rl_make_error(err, e, "publish %s:%u/%s: bind", shown, map->host_port, proto);
    }
    if (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0) {
        int e = errno;
        close(fd);
        return rl_make_error(err, e, "publish %s:%u/%s: listen", shown, map->host_port, proto);
    }
    if (map->host_port == 0) {
        len = sizeof(ss);
        if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
            map->host_port = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
    }
    return fd;
}

int
rl_portfwd_new(struct rl_port_map *maps, size_t n, struct rl_portfwd **ret, rl_error_t *err)
{
    struct rl_portfwd *f = xzalloc(sizeof(*f));

    f->req[0] = f->req[1] = f->rep[0] = f->rep[1] = -1;
    for (size_t i = 0; i < n; i++) {
        bool udp = strcmp(maps[i].proto, "udp") == 0;
        int fd = rl_port_bind(&maps[i], udp ? SOCK_DGRAM : SOCK_STREAM, err);
        if (fd < 0) {
            rl_portfwd_free(f);
            return -1;
        }
        f->ls = xrealloc(f->ls, (f->n_ls + 1) * sizeof(*f->ls));
        f->ls[f->n_ls++] = (struct listener){ .fd = fd, .udp = udp, .map = maps[i] };
    }
    f->dgram = xmalloc(65536);
    *ret = f;
    return 0;
}

struct factory_args {
    int netns;
    int req, rep;
};

static void *
factory_main(void *data)
{
    struct factory_args a = *(struct factory_args *)data;
    int ready;
    char c;

    free(data);
    ready = setns(a.netns, CLONE_NEWNET) < 0 ? -errno : 0;
    close(a.netns);
    (void)TEMP_FAILURE_RETRY(write(a.rep, &ready, sizeof(ready)));
    if (ready < 0)
        return NULL;
    while (TEMP_FAILURE_RETRY(read(a.req, &c, 1)) == 1) {
        int fd = socket(AF_INET,
                        (c == 'u' ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            fd = -errno;
        if (TEMP_FAILURE_RETRY(write(a.rep, &fd, sizeof(fd))) != sizeof(fd) && fd >= 0)
            close(fd);
    }
    return NULL;
}

int
rl_portfwd_set_netns(struct rl_portfwd *f, int netns_fd, rl_error_t *err)
{
    struct factory_args *a;
    pthread_attr_t attr;
    int ready = 0, e;

    if (pipe2(f->req, O_CLOEXEC) < 0 || pipe2(f->rep, O_CLOEXEC) < 0) {
        close(netns_fd);
        return rl_make_error(err, errno, "pipe");
    }
    a = xzalloc(sizeof(*a));
    *a = (struct factory_args){ .netns = netns_fd, .req = f->req[0], .rep = f->rep[1] };
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN + 16384);
    e = pthread_create(&f->factory, &attr, factory_main, a);
    pthread_attr_destroy(&attr);
    if (e != 0) {
        close(netns_fd);
        free(a);
        return rl_make_error(err, e, "port forwarder: thread");
    }
    f->has_factory = true;
    if (TEMP_FAILURE_RETRY(read(f->rep[0], &ready, sizeof(ready))) != sizeof(ready) || ready < 0)
        return rl_make_error(err, ready < 0 ? -ready : EPIPE,
                             "port forwarder: enter the container's network namespace");
    return 0;
}

static void
dir_release(struct dir *d)
{
    for (int i = 0; i < 2; i++)
        if (d->pipe[i] >= 0)
            close(d->pipe[i]);
    d->pipe[0] = d->pipe[1] = -1;
}

static void
conn_free(struct conn *c)
{
    if (c->a >= 0)
        close(c->a);
    if (c->b >= 0)
        close(c->b);
    dir_release(&c->ab);
    dir_release(&c->ba);
    free(c);
}

void
rl_portfwd_free(struct rl_portfwd *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_ls; i++)
        close(f->ls[i].fd);
    for (size_t i = 0; i < f->n_conns; i++)
        conn_free(f->conns[i]);
    for (size_t i = 0; i < f->n_flows; i++) {
        close(f->flows[i]->fd);
        free(f->flows[i]);
    }
    free(f->flows);
    free(f->dgram);
    if (f->req[1] >= 0)
        close(f->req[1]); /* the factory's read() ends */
    if (f->has_factory)
        pthread_join(f->factory, NULL);
    for (int i = 0; i < 2; i++) {
        if (f->req[i] >= 0 && i == 0)
            close(f->req[i]);
        if (f->rep[i] >= 0)
            close(f->rep[i]);
    }
    free(f->ls);
    free(f->conns);
    free(f);
}

size_t
rl_portfwd_connections(const struct rl_portfwd *f)
{
    return f->n_conns;
}

static int
dir_init(struct dir *d)
{
    int r;

    if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
        return -1;
    r = fcntl(d->pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
    if (r < 0)
        r = fcntl(d->pipe[1], F_GETPIPE_SZ);
    d->cap = r > 0 ? (size_t)r : 65536;
    return 0;
}

/* A socket in the container's namespace, connecting to its loopback on PORT: TCP, or UDP
 * when UDP. */
static int
connect_inside(struct rl_portfwd *f, uint16_t port, bool udp)
{
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = -1, one = 1;

    if (!f->has_factory || TEMP_FAILURE_RETRY(write(f->req[1], udp ? "u" : "t", 1)) != 1
        || TEMP_FAILURE_RETRY(read(f->rep[0], &fd, sizeof(fd))) != sizeof(fd))
        return -1;
    if (fd < 0) {
        errno = -fd;
        return -1;
    }
    if (!udp)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static void
accept_new(struct rl_portfwd *f, struct listener *l)
{
    for (int i = 0; i < ACCEPT_A_ROUND; i++) {
        int one = 1;
        struct conn *c;
        int a = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (a < 0)
            return;
        if (f->n_conns >= MAX_CONNS) {
            close(a);
            continue;
        }
        (void)setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c = xzalloc(sizeof(*c));
        c->ab.pipe[0] = c->ab.pipe[1] = c->ba.pipe[0] = c->ba.pipe[1] = -1;
        c->a = a;
        c->b = connect_inside(f, l->map.ctr_port, false);
        c->connecting = true;
        if (c->b < 0 || dir_init(&c->ab) < 0 || dir_init(&c->ba) < 0) {
            rl_debug("port forwarder: to port %u in the container: %s", l->map.ctr_port,
                     strerror(errno));
            conn_free(c);
            continue;
        }
        if (f->n_conns == f->cap_conns) {
            f->cap_conns = f->cap_conns ? 2 * f->cap_conns : 16;
            f->conns = xrealloc(f->conns, f->cap_conns * sizeof(*f->conns));
        }
        f->conns[f->n_conns++] = c;
    }
}

/* Move what can move from SRC to DST through D's pipe; false when the connection is over
 * (an error on either side). */
static bool
pump(int src, int dst, struct dir *d)
{
    bool progress = true;

    while (progress) {
        progress = false;
        if (!d->eof && d->in_pipe < d->cap) {
            ssize_t n = splice(src, NULL, d->pipe[1], NULL, d->cap - d->in_pipe,
                               SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
            if (n > 0) {
                d->in_pipe += (size_t)n;
                progress = true;
            } else if (n == 0) {
                d->eof = true;
            } else if (errno != EAGAIN && errno != EINTR) {
                return false;
            }
        }
        if (d->in_pipe > 0) {
            ssize_t n =
                splice(d->pipe[0], NULL, dst, NULL, d->in_pipe, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
            if (n > 0) {
                d->in_pipe -= (size_t)n;
                progress = true;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                return false;
            }
        }
    }
    if (d->eof && d->in_pipe == 0 && !d->shut) {
        (void)shutdown(dst, SHUT_WR);
        d->shut = true;
    }
    return true;
}

/* Datagrams from clients to the container: each client its own flow. */
static void
udp_in(struct rl_portfwd *f, struct listener *l)
{
    for (int i = 0; i < DGRAMS_A_ROUND; i++) {
        struct sockaddr_storage from;
        socklen_t len = sizeof(from);
        struct flow *fl = NULL;
        ssize_t n = recvfrom(l->fd, f->dgram, 65536, 0, (struct sockaddr *)&from, &len);

        if (n < 0)
            return;
        for (size_t k = 0; k < f->n_flows; k++) {
            struct flow *c = f->flows[k];
            if (c->l == l && c->client_len == len && memcmp(&c->client, &from, len) == 0) {
                fl = c;
                break;
            }
        }
        if (!fl) {
            int fd;
            if (f->n_flows >= MAX_FLOWS)
                continue;
            fd = connect_inside(f, l->map.ctr_port, true);
            if (fd < 0)
                continue;
            fl = xzalloc(sizeof(*fl));
            fl->l = l;
            fl->client = from;
            fl->client_len = len;
            fl->fd = fd;
            f->flows = xrealloc(f->flows, (f->n_flows + 1) * sizeof(*f->flows));
            f->flows[f->n_flows++] = fl;
        }
        fl->last_ms = rl_now_ms();
        (void)send(fl->fd, f->dgram, (size_t)n, 0);
    }
}

/* The container's answers, back to the client. */
static void
udp_out(struct rl_portfwd *f, struct flow *fl)
{
    for (int i = 0; i < DGRAMS_A_ROUND; i++) {
        ssize_t n = recv(fl->fd, f->dgram, 65536, 0);
        if (n < 0)
            return;
        fl->last_ms = rl_now_ms();
        (void)sendto(fl->l->fd, f->dgram, (size_t)n, 0, (struct sockaddr *)&fl->client,
                     fl->client_len);
    }
}

void
rl_portfwd_fill(struct rl_portfwd *f, struct rl_pollset *set)
{
    f->base = set->n;
    for (size_t i = 0; i < f->n_ls; i++)
        f->ls[i].idx = rl_pollset_add(set, f->ls[i].fd, POLLIN) - f->base;
    for (size_t i = 0; i < f->n_conns; i++) {
        struct conn *c = f->conns[i];
        short ea = 0, eb = 0;
        if (c->connecting) {
            eb = POLLOUT;
        } else {
            /* Reading is asked for only into an empty pipe: a pipe can be full (of small
             * buffers) long before CAP bytes, and a readable source that cannot be spliced
             * would wake the loop forever. pump() reads on as long as it can. */
            if (!c->ab.eof && c->ab.in_pipe == 0)
                ea |= POLLIN;
            if (c->ba.in_pipe > 0)
                ea |= POLLOUT;
            if (!c->ba.eof && c->ba.in_pipe == 0)
                eb |= POLLIN;
            if (c->ab.in_pipe > 0)
                eb |= POLLOUT;
        }
        c->idx_a = rl_pollset_add(set, c->a, ea) - f->base;
        c->idx_b = rl_pollset_add(set, c->b, eb) - f->base;
    }
    for (size_t i = 0; i < f->n_flows; i++)
        f->flows[i]->idx = rl_pollset_add(set, f->flows[i]->fd, POLLIN) - f->base;
}

void
rl_portfwd_dispatch(struct rl_portfwd *f, const struct pollfd *fds, size_t n)
{
    size_t n_before = f->n_conns, kept = 0;

    for (size_t i = 0; i < n_before; i++) {
        struct conn *c = f->conns[i];
        short ra = c->idx_a < n ? fds[c->idx_a].revents : 0;
        short rb = c->idx_b < n ? fds[c->idx_b].revents : 0;

        if (!ra && !rb)
            continue;
        if (c->connecting) {
            int e = 0;
            socklen_t len = sizeof(e);
            if (!rb)
                continue;
            if (getsockopt(c->b, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e != 0) {
                /* Nothing listens in the container: the client sees a reset, as it would. */
                struct linger lg = { .l_onoff = 1, .l_linger = 0 };
                (void)setsockopt(c->a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
                c->dead = true;
                continue;
            }
            c->connecting = false;
        }
        if (!pump(c->a, c->b, &c->ab) || !pump(c->b, c->a, &c->ba)) {
            c->dead = true;
            continue;
        }
        /* An error (a reset), or a side closed both ways once what it sent has gone on: poll
         * reports these whatever was asked, so they end the connection. */
        if (((ra | rb) & POLLERR) || (c->ab.shut && c->ba.shut)
            || ((ra & POLLHUP) && c->ab.eof && c->ab.in_pipe == 0)
            || ((rb & POLLHUP) && c->ba.eof && c->ba.in_pipe == 0))
            c->dead = true;
    }
    {
        int64_t now = rl_now_ms();
        size_t keep = 0;
        for (size_t i = 0; i < f->n_flows; i++) {
            struct flow *fl = f->flows[i];
            if (fl->idx < n && (fds[fl->idx].revents & POLLIN))
                udp_out(f, fl);
            if (now - fl->last_ms > FLOW_IDLE_MS) {
                close(fl->fd);
                free(fl);
            } else {
                f->flows[keep++] = fl;
            }
        }
        f->n_flows = keep;
    }
    for (size_t i = 0; i < f->n_ls; i++) {
        if (f->ls[i].idx >= n || !(fds[f->ls[i].idx].revents & POLLIN))
            continue;
        if (f->ls[i].udp)
            udp_in(f, &f->ls[i]);
        else
            accept_new(f, &f->ls[i]);
    }
    for (size_t i = 0; i < f->n_conns; i++) {
        if (f->conns[i]->dead)
            conn_free(f->conns[i]);
        else
            f->conns[kept++] = f->conns[i];
    }
    f->n_conns = kept;
}
