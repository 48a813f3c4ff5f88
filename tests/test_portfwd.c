#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "portfwd.h"
#include "tap_error.h"

#define BIG_SIZE       (8 << 20) /* what the download server sends */
#define ROUND_TRIP     (6 << 20) /* random bytes through the echo server */
#define CLOSED_PORT    9         /* nothing listens there in the child's namespace */
#define CONCURRENT     8
#define TIMEOUT_MS     4000
#define SETTLE_MS      2000 /* for the forwarder to drop a connection */
#define MAP_ECHO       0
#define MAP_BIG        1
#define MAP_CLOSED     2
#define MAP_UDP        3
#define MAP_SILENT     4
#define SLOW_STEP      (512 << 10)
#define SPIN_WINDOW_MS 40 /* a forwarder with half of it as CPU time spins */

/* What the child reports once its servers listen: their ports, or why it failed. */
struct child_report {
    int err;       /* errno of the failed step, 0 when ready */
    char step[32]; /* the failed step */
    uint16_t echo, big, udp, silent;
};

/* The forwarder's poll loop, in a thread of its own; LOCK serialises it with the test's
 * calls to rl_portfwd_connections(). */
struct loop {
    struct rl_portfwd *f;
    pthread_t thread;
    pthread_mutex_t lock;
    atomic_bool stop;
};

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Byte I of the download server's payload: not periodic over small distances. */
static uint8_t
pattern(size_t i)
{
    uint32_t x = (uint32_t)i * 2654435761u;

    return (uint8_t)(x >> 24 ^ i >> 16);
}

static int
write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = TEMP_FAILURE_RETRY(write(fd, p, len));
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ---- The child: servers on 127.0.0.1 in a network namespace of its own. ---- */

/* Echo until EOF, then shut the writing side: the client sees every byte, then EOF. */
static void *
echo_conn(void *data)
{
    int fd = (int)(intptr_t)data;
    uint8_t *buf = malloc(65536);
    ssize_t n = -1;

    while (buf && (n = TEMP_FAILURE_RETRY(read(fd, buf, 65536))) > 0)
        if (write_all(fd, buf, (size_t)n) < 0)
            break;
    if (buf && n == 0)
        (void)shutdown(fd, SHUT_WR);
    close(fd);
    free(buf);
    return NULL;
}

/* BIG_SIZE bytes of pattern(), then close. */
static void *
big_conn(void *data)
{
    int fd = (int)(intptr_t)data;
    uint8_t *buf = malloc(BIG_SIZE);

    if (buf) {
        for (size_t i = 0; i < BIG_SIZE; i++)
            buf[i] = pattern(i);
        (void)write_all(fd, buf, BIG_SIZE);
    }
    close(fd);
    free(buf);
    return NULL;
}

/* Hold the connection, never read nor write nor close. */
static void *
silent_conn(void *data)
{
    for (;;)
        pause();
    return data;
}

struct server {
    int fd;
    void *(*conn)(void *);
};

/* Accept forever, a detached thread per connection. */
static void *
accept_loop(void *data)
{
    struct server *s = data;

    for (;;) {
        pthread_t t;
        int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        if (pthread_create(&t, NULL, s->conn, (void *)(intptr_t)fd) != 0)
            close(fd);
        else
            pthread_detach(t);
    }
    return NULL;
}

static void *
udp_echo(void *data)
{
    int fd = (int)(intptr_t)data;
    uint8_t buf[2048];

    for (;;) {
        struct sockaddr_storage from;
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
        if (n >= 0)
            (void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
    }
    return NULL;
}

/* A socket of TYPE bound to 127.0.0.1 on a port of the kernel's choice, in *RET_PORT. */
static int
bind_loopback(int type, uint16_t *ret_port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0
        || (type == SOCK_STREAM && listen(fd, 64) < 0)
        || getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
        close(fd);
        return -1;
    }
    *ret_port = ntohs(sin.sin_port);
    return fd;
}

static int
write_proc(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int r;

    if (fd < 0)
        return -1;
    r = write_all(fd, text, strlen(text));
    close(fd);
    return r;
}

static void RL_NORETURN
child_fail(int fd, struct child_report *r, const char *step)
{
    r->err = errno ? errno : EIO;
    snprintf(r->step, sizeof(r->step), "%s", step);
    (void)write_all(fd, r, sizeof(*r));
    _exit(1);
}

/* Become root of a new user namespace with a new network namespace (works unprivileged),
 * bring up lo, start the servers, report their ports on FD and serve until killed. */
static void RL_NORETURN
child_main(int fd, uid_t uid, gid_t gid)
{
    static struct server echo, big, silent;
    struct child_report r = { 0 };
    struct ifreq ifr = { 0 };
    char map[64];
    pthread_t t;
    int s, u;

    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
        child_fail(fd, &r, "unshare");
    if (write_proc("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
        child_fail(fd, &r, "setgroups");
    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
    if (write_proc("/proc/self/uid_map", map) < 0)
        child_fail(fd, &r, "uid_map");
    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
    if (write_proc("/proc/self/gid_map", map) < 0)
        child_fail(fd, &r, "gid_map");

    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        child_fail(fd, &r, "SIOCGIFFLAGS lo");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        child_fail(fd, &r, "SIOCSIFFLAGS lo");
    close(s);

    echo = (struct server){ .fd = bind_loopback(SOCK_STREAM, &r.echo), .conn = echo_conn };
    big = (struct server){ .fd = bind_loopback(SOCK_STREAM, &r.big), .conn = big_conn };
    silent = (struct server){ .fd = bind_loopback(SOCK_STREAM, &r.silent), .conn = silent_conn };
    u = bind_loopback(SOCK_DGRAM, &r.udp);
    if (echo.fd < 0 || big.fd < 0 || silent.fd < 0 || u < 0)
        child_fail(fd, &r, "servers");
    if (pthread_create(&t, NULL, accept_loop, &echo) != 0
        || pthread_create(&t, NULL, accept_loop, &big) != 0
        || pthread_create(&t, NULL, accept_loop, &silent) != 0
        || pthread_create(&t, NULL, udp_echo, (void *)(intptr_t)u) != 0)
        child_fail(fd, &r, "threads");
    (void)write_all(fd, &r, sizeof(r));
    close(fd);
    for (;;)
        pause();
}

/* ---- The test's side: the forwarder's loop and the clients. ---- */

static void *
loop_main(void *data)
{
    struct loop *l = data;
    struct rl_pollset set = { 0 };

    while (!atomic_load(&l->stop)) {
        pthread_mutex_lock(&l->lock);
        set.n = 0;
        rl_portfwd_fill(l->f, &set);
        pthread_mutex_unlock(&l->lock);
        if (poll(set.fds, set.n, 20) < 0 && errno != EINTR)
            break;
        pthread_mutex_lock(&l->lock);
        rl_portfwd_dispatch(l->f, set.fds, set.n);
        pthread_mutex_unlock(&l->lock);
    }
    free(set.fds);
    return NULL;
}

static size_t
connections(struct loop *l)
{
    size_t n;

    pthread_mutex_lock(&l->lock);
    n = rl_portfwd_connections(l->f);
    pthread_mutex_unlock(&l->lock);
    return n;
}

/* Wait up to MS milliseconds for the forwarder to hold WANT connections; how many it holds. */
static size_t
wait_connections(struct loop *l, size_t want, int ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    size_t n;

    while ((n = connections(l)) != want && now_ms() < end)
        poll(NULL, 0, 5);
    return n;
}

/* A TCP connection to 127.0.0.1:PORT, non-blocking; -1 on failure. */
static int
tcp_connect(uint16_t port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0
        || fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* How an exchange() ended. */
enum end { END_EOF, END_WANT, END_TIMEOUT, END_ERROR };

/* On the non-blocking FD, send OUT (OUT_LEN bytes; then shut the writing side when SHUT)
 * while reading into IN (CAP bytes; more is an error) until EOF, an error, TIMEOUT_MS, or,
 * when WANT > 0, WANT bytes read. Returns what was read; *RET_ERRNO is the read error. */
static size_t
exchange(int fd, const uint8_t *out, size_t out_len, bool shut, uint8_t *in, size_t cap,
         size_t want, enum end *ret_end, int *ret_errno)
{
    uint64_t end = now_ms() + TIMEOUT_MS;
    size_t sent = 0, got = 0;
    bool shut_done = false;

    *ret_errno = 0;
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        uint64_t now = now_ms();
        ssize_t n;

        if (sent == out_len && shut && !shut_done) {
            (void)shutdown(fd, SHUT_WR);
            shut_done = true;
        }
        if (want > 0 && got >= want) {
            *ret_end = END_WANT;
            return got;
        }
        if (now >= end) {
            *ret_end = END_TIMEOUT;
            return got;
        }
        if (sent < out_len)
            p.events |= POLLOUT;
        if (poll(&p, 1, (int)(end - now)) <= 0)
            continue;
        if (p.revents & POLLOUT) {
            n = send(fd, out + sent, out_len - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
            else if (n < 0 && errno != EAGAIN && errno != EINTR)
                sent = out_len; /* the read side tells what happened */
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            uint8_t scratch[1];
            bool over = got >= cap;
            n = recv(fd, over ? scratch : in + got, over ? 1 : cap - got, 0);
            if (n == 0) {
                *ret_end = END_EOF;
                return got;
            }
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                *ret_errno = errno;
                *ret_end = END_ERROR;
                return got;
            }
            if (n > 0 && over) {
                *ret_errno = EMSGSIZE;
                *ret_end = END_ERROR;
                return got;
            }
            if (n > 0)
                got += (size_t)n;
        }
    }
}

static const char *
end_name(enum end e, int e_errno)
{
    static char buf[64];

    switch (e) {
    case END_EOF:
        return "EOF";
    case END_WANT:
        return "all expected bytes";
    case END_TIMEOUT:
        return "timeout";
    case END_ERROR:
        snprintf(buf, sizeof(buf), "error: %s", strerror(e_errno));
        return buf;
    }
    return "?";
}

static void
test_small_and_half_close(struct loop *l, uint16_t port)
{
    static const char hello[] = "hello, container\n";
    uint8_t buf[256];
    enum end e;
    int e_errno;
    size_t got;
    int fd = tcp_connect(port);

    ok(fd >= 0, "tcp: connect to the forwarded echo port %u", port);
    if (fd < 0)
        return;
    got = exchange(fd, (const uint8_t *)hello, strlen(hello), false, buf, sizeof(buf),
                   strlen(hello), &e, &e_errno);
    ok(got == strlen(hello) && memcmp(buf, hello, got) == 0,
       "tcp: a small message comes back (%zu bytes, %s)", got, end_name(e, e_errno));
    is_int(wait_connections(l, 1, SETTLE_MS), 1, "tcp: the forwarder holds one connection");

    /* Half-close: after our SHUT_WR the echo of what we sent still comes, then EOF. */
    got = exchange(fd, (const uint8_t *)"second", 6, true, buf, sizeof(buf), 0, &e, &e_errno);
    ok(e == END_EOF && got == 6 && memcmp(buf, "second", 6) == 0,
       "half-close: after shutdown(SHUT_WR) the echo comes back, then EOF (%zu bytes, %s)", got,
       end_name(e, e_errno));
    close(fd);
    is_int(wait_connections(l, 0, SETTLE_MS), 0, "half-close: the connection is dropped");
}

static void
test_round_trip(struct loop *l, uint16_t port)
{
    uint8_t *out = malloc(ROUND_TRIP), *in = malloc(ROUND_TRIP);
    uint64_t t0 = now_ms();
    enum end e;
    int e_errno;
    size_t got;
    int fd = tcp_connect(port);

    ok(fd >= 0 && out && in && getrandom(out, ROUND_TRIP, 0) == ROUND_TRIP,
       "large: connect, %d random bytes", ROUND_TRIP);
    if (fd < 0 || !out || !in) {
        if (fd >= 0)
            close(fd);
        free(out);
        free(in);
        return;
    }
    got = exchange(fd, out, ROUND_TRIP, true, in, ROUND_TRIP, 0, &e, &e_errno);
    ok(e == END_EOF && got == ROUND_TRIP,
       "large: every byte comes back, then EOF (%zu bytes, %s, %llu ms)", got, end_name(e, e_errno),
       (unsigned long long)(now_ms() - t0));
    ok(got == ROUND_TRIP && memcmp(in, out, ROUND_TRIP) == 0, "large: the bytes are the same");
    close(fd);
    is_int(wait_connections(l, 0, SETTLE_MS), 0, "large: the connection is dropped");
    free(out);
    free(in);
}

static void
test_download(struct loop *l, uint16_t port)
{
    uint8_t *in = malloc(BIG_SIZE);
    size_t got, bad = BIG_SIZE;
    enum end e;
    int e_errno;
    int fd = tcp_connect(port);

    ok(fd >= 0 && in, "download: connect to the forwarded port %u", port);
    if (fd < 0 || !in) {
        if (fd >= 0)
            close(fd);
        free(in);
        return;
    }
    got = exchange(fd, NULL, 0, false, in, BIG_SIZE, 0, &e, &e_errno);
    ok(e == END_EOF && got == BIG_SIZE, "download: %d bytes then EOF (%zu bytes, %s)", BIG_SIZE,
       got, end_name(e, e_errno));
    for (size_t i = 0; i < got; i++)
        if (in[i] != pattern(i)) {
            bad = i;
            break;
        }
    ok(got == BIG_SIZE && bad == BIG_SIZE, "download: the bytes are the server's (first bad: %zu)",
       bad);
    close(fd);
    is_int(wait_connections(l, 0, SETTLE_MS), 0, "download: the connection is dropped");
    free(in);
}

static void
test_concurrent(struct loop *l, uint16_t port)
{
    int fds[CONCURRENT];
    int connected = 0, answered = 0;
    char text[CONCURRENT][32];

    for (int i = 0; i < CONCURRENT; i++) {
        fds[i] = tcp_connect(port);
        connected += fds[i] >= 0;
        snprintf(text[i], sizeof(text[i]), "connection %d of %d", i, CONCURRENT);
    }
    is_int(connected, CONCURRENT, "concurrent: %d connections", CONCURRENT);
    is_int(wait_connections(l, CONCURRENT, SETTLE_MS), CONCURRENT,
           "concurrent: the forwarder holds them all");
    /* Send on each before reading any answer. */
    for (int i = 0; i < CONCURRENT; i++)
        if (fds[i] >= 0)
            (void)send(fds[i], text[i], strlen(text[i]), MSG_NOSIGNAL);
    for (int i = CONCURRENT - 1; i >= 0; i--) {
        uint8_t buf[64];
        enum end e;
        int e_errno;
        size_t got;
        if (fds[i] < 0)
            continue;
        got = exchange(fds[i], NULL, 0, false, buf, sizeof(buf), strlen(text[i]), &e, &e_errno);
        answered += got == strlen(text[i]) && memcmp(buf, text[i], got) == 0;
    }
    is_int(answered, CONCURRENT, "concurrent: each connection gets its own echo");
    for (int i = 0; i < CONCURRENT; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    is_int(wait_connections(l, 0, SETTLE_MS), 0, "concurrent: all dropped after the clients close");
}

static void
test_refused(struct loop *l, uint16_t port)
{
    uint8_t buf[64];
    enum end e;
    int e_errno;
    size_t got;
    int fd = tcp_connect(port);

    ok(fd >= 0, "refused: the host side accepts (port %u)", port);
    if (fd < 0)
        return;
    got = exchange(fd, (const uint8_t *)"anyone?", 7, false, buf, sizeof(buf), 0, &e, &e_errno);
    ok(got == 0 && (e == END_EOF || (e == END_ERROR && e_errno == ECONNRESET)),
       "refused: nothing listens in the container: the client sees EOF or a reset (%s)",
       end_name(e, e_errno));
    close(fd);
    is_int(wait_connections(l, 0, SETTLE_MS), 0, "refused: no connection left");
}

/* The CPU time of the forwarder's thread, in ms. */
static uint64_t
loop_cpu_ms(struct loop *l)
{
    struct timespec ts;
    clockid_t c;

    if (pthread_getcpuclockid(l->thread, &c) != 0 || clock_gettime(c, &ts) < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The forwarder's CPU time over the next MS milliseconds. */
static uint64_t
loop_cpu_over(struct loop *l, int ms)
{
    uint64_t c0 = loop_cpu_ms(l);

    poll(NULL, 0, ms);
    return loop_cpu_ms(l) - c0;
}

/* The client half-closes, then resets, while the container's server neither reads nor
 * answers: the forwarder drops the connection without spinning on the dead socket. */
static void
test_reset_after_half_close(struct loop *l, uint16_t port)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    uint64_t cpu;
    int fd = tcp_connect(port);

    ok(fd >= 0, "reset: connect to the silent server's port %u", port);
    if (fd < 0)
        return;
    is_int(wait_connections(l, 1, SETTLE_MS), 1, "reset: the forwarder holds the connection");
    (void)shutdown(fd, SHUT_WR);
    poll(NULL, 0, 50); /* the forwarder passes the EOF on */
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
    cpu = loop_cpu_over(l, SPIN_WINDOW_MS);
    ok(cpu < SPIN_WINDOW_MS / 2,
       "reset after half-close: the forwarder does not spin (%llu ms of CPU in %d ms)",
       (unsigned long long)cpu, SPIN_WINDOW_MS);
    is_int(wait_connections(l, 0, 500), 0, "reset after half-close: the connection is dropped");
}

/* Send LEN bytes of BUF on the non-blocking FD, adding to *TOTAL; false when FD stays full
 * for 50 ms (all is full between us and the container) or fails. */
static bool
send_or_block(int fd, const void *buf, size_t len, size_t *total)
{
    const uint8_t *p = buf;

    while (len > 0) {
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            *total += (size_t)n;
        } else if ((n < 0 && errno != EAGAIN && errno != EINTR) || poll(&pfd, 1, 50) == 0) {
            return false;
        }
    }
    return true;
}

/* Step by step, bulk then tiny writes (a splice and a pipe buffer each) to a container that
 * does not read, until our writes block: whatever fills the forwarder's pipe, once the
 * container's side is full the forwarder waits without spinning. */
static void
test_slow_container(struct loop *l, uint16_t port)
{
    static const uint8_t bulk[SLOW_STEP];
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    uint64_t worst = 0, t0 = now_ms();
    size_t total = 0;
    bool blocked = false;
    int one = 1, steps = 0;
    int fd = tcp_connect(port);

    ok(fd >= 0, "slow: connect to the silent server's port %u", port);
    if (fd < 0)
        return;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    while (!blocked && worst < SPIN_WINDOW_MS / 2 && now_ms() - t0 < TIMEOUT_MS) {
        uint64_t cpu;
        blocked = !send_or_block(fd, bulk, sizeof(bulk), &total);
        for (int i = 0; !blocked && i < 300; i++) {
            blocked = !send_or_block(fd, "x", 1, &total);
            usleep(10);
        }
        cpu = loop_cpu_over(l, SPIN_WINDOW_MS);
        worst = cpu > worst ? cpu : worst;
        steps++;
    }
    ok(blocked && worst < SPIN_WINDOW_MS / 2,
       "slow: the forwarder waits for the container (at worst %llu ms of CPU in %d ms; %zu "
       "bytes in %d steps, %s)",
       (unsigned long long)worst, SPIN_WINDOW_MS, total, steps,
       blocked ? "then blocked" : "not blocked");
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
    is_int(wait_connections(l, 0, 500), 0, "slow: the connection is dropped after a reset");
}

/* A UDP socket on 127.0.0.1 connected to PORT, with a receive timeout. */
static int
udp_client(uint16_t port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct timeval tv = { .tv_sec = TIMEOUT_MS / 1000 };
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0
        || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void
test_udp(uint16_t port)
{
    static const char *const texts[] = { "datagram of client A", "datagram of client B, longer",
                                         "client A again" };
    int fds[2] = { udp_client(port), udp_client(port) };

    ok(fds[0] >= 0 && fds[1] >= 0, "udp: two client sockets for port %u", port);
    if (fds[0] < 0 || fds[1] < 0)
        goto out;
    /* Both send before either reads: each answer must go to its own sender. */
    (void)send(fds[0], texts[0], strlen(texts[0]), 0);
    (void)send(fds[1], texts[1], strlen(texts[1]), 0);
    for (int i = 0; i < 2; i++) {
        char buf[128];
        ssize_t n = recv(fds[i], buf, sizeof(buf), 0);
        ok(n == (ssize_t)strlen(texts[i]) && memcmp(buf, texts[i], (size_t)n) == 0,
           "udp: client %c gets its own answer (%zd bytes)", 'A' + i, n);
    }
    {
        char buf[128];
        ssize_t n;
        (void)send(fds[0], texts[2], strlen(texts[2]), 0);
        n = recv(fds[0], buf, sizeof(buf), 0);
        ok(n == (ssize_t)strlen(texts[2]) && memcmp(buf, texts[2], (size_t)n) == 0,
           "udp: a second datagram of client A comes back too (%zd bytes)", n);
    }
out:
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* rl_port_bind of 127.0.0.1:PORT/PROTO fails with "already in use" naming the port. */
static void
check_in_use(uint16_t port, const char *proto)
{
    struct rl_port_map m = { .host_ip = "127.0.0.1", .host_port = port, .ctr_port = 1 };
    rl_error_t err = NULL;
    char want[32];
    const char *m_text;
    int fd;

    snprintf(m.proto, sizeof(m.proto), "%s", proto);
    fd = rl_port_bind(&m, strcmp(proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM, &err);
    ok(fd < 0 && err != NULL && err->status == EADDRINUSE, "bind: %s port %u in use is refused",
       proto, port);
    if (fd >= 0)
        close(fd);
    snprintf(want, sizeof(want), "%u", port);
    m_text = msg(&err);
    ok(strstr(m_text, "already in use") && strstr(m_text, want),
       "bind: the message names the port: %s", m_text);
}

/* The errors of rl_port_bind that need no namespace. */
static void
test_bind_errors(void)
{
    struct rl_port_map m = {
        .host_ip = "1.2.3.4.5", .host_port = 8080, .ctr_port = 80, .proto = "tcp"
    };
    struct rl_port_map maps[2];
    struct rl_portfwd *f = (struct rl_portfwd *)&m; /* a sentinel: must stay untouched */
    rl_error_t err = NULL;
    const char *text;
    int fd, start = 1024;
    FILE *sysctl;

    fd = rl_port_bind(&m, SOCK_STREAM, &err);
    ok(fd < 0 && err && err->status == EINVAL, "bind: '1.2.3.4.5' is refused");
    text = msg(&err);
    ok(strstr(text, "1.2.3.4.5") && strstr(text, "not an IP address"),
       "bind: the message says it is not an address: %s", text);

    snprintf(m.host_ip, sizeof(m.host_ip), "192.0.2.123");
    fd = rl_port_bind(&m, SOCK_STREAM, &err);
    ok(fd < 0 && err && err->status == EADDRNOTAVAIL, "bind: 192.0.2.123 (not ours) is refused");
    text = msg(&err);
    ok(strstr(text, "192.0.2.123") && strstr(text, "not an address of this host"),
       "bind: the message says it is not this host's: %s", text);

    /* A port of the kernel's choice is written back, and then it is in use. */
    snprintf(m.host_ip, sizeof(m.host_ip), "127.0.0.1");
    m.host_port = 0;
    fd = rl_port_bind(&m, SOCK_STREAM, &err);
    ok(fd >= 0 && m.host_port != 0, "bind: port 0 becomes %u (%s)", m.host_port, msg(&err));
    if (fd >= 0) {
        struct sockaddr_in sin;
        socklen_t len = sizeof(sin);
        ok(getsockname(fd, (struct sockaddr *)&sin, &len) == 0
               && ntohs(sin.sin_port) == m.host_port,
           "bind: the port written back is the one bound");
        check_in_use(m.host_port, "tcp");

        /* rl_portfwd_new: fails as a whole, its out-parameter untouched, no leak. */
        maps[0] = (struct rl_port_map){ .host_ip = "127.0.0.1", .ctr_port = 1, .proto = "udp" };
        maps[1] = m;
        ok(rl_portfwd_new(maps, 2, &f, &err) < 0 && f == (struct rl_portfwd *)&m,
           "new: a port in use fails it, *ret untouched");
        text = msg(&err);
        ok(strstr(text, "already in use") != NULL, "new: the error is the bind's: %s", text);
        close(fd);
    }

    sysctl = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
    if (sysctl) {
        if (fscanf(sysctl, "%d", &start) != 1)
            start = 1024;
        fclose(sysctl);
    }
    if (geteuid() == 0) {
        skip("privileged port: running as root");
    } else if (start <= 80) {
        skip("privileged port: ip_unprivileged_port_start is %d", start);
    } else {
        m.host_port = 80;
        fd = rl_port_bind(&m, SOCK_STREAM, &err);
        ok(fd < 0 && err && err->status == EACCES, "bind: port 80 is refused unprivileged");
        if (fd >= 0)
            close(fd);
        text = msg(&err);
        ok(strstr(text, "ip_unprivileged_port_start") && strstr(text, "80"),
           "bind: the message names the sysctl and the port: %s", text);
    }
}

/* set_netns with an fd that is no network namespace fails, and the forwarder still frees. */
static void
test_bad_netns(void)
{
    struct rl_portfwd *f = NULL;
    rl_error_t err = NULL;
    const char *text;
    int fd;

    if (rl_portfwd_new(NULL, 0, &f, &err) < 0) {
        ok(0, "netns: an empty forwarder (%s)", msg(&err));
        return;
    }
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ok(rl_portfwd_set_netns(f, fd, &err) < 0, "netns: /dev/null is refused");
    text = msg(&err);
    ok(strstr(text, "network namespace") != NULL, "netns: the message says what failed: %s", text);
    is_int(rl_portfwd_connections(f), 0, "netns: no connection");
    rl_portfwd_free(f);
}

/* Entering the child's network namespace needs CAP_SYS_ADMIN in our own user namespace too
 * (the kernel's netns_install()): unprivileged, be root of a user namespace first, as rl's
 * monitor is. The host's network namespace stays ours. */
static int
become_userns_root(void)
{
    char map[64];
    uid_t uid = getuid();
    gid_t gid = getgid();

    if (geteuid() == 0)
        return 0;
    if (unshare(CLONE_NEWUSER) < 0)
        return -1;
    if (write_proc("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
        return -1;
    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
    if (write_proc("/proc/self/uid_map", map) < 0)
        return -1;
    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
    return write_proc("/proc/self/gid_map", map);
}

/* Fork the child; its report in *R. Returns its pid, or -1 (R->err says why when it ran). */
static pid_t
start_child(struct child_report *r)
{
    struct pollfd p;
    int fds[2];
    ssize_t n;
    pid_t pid;

    memset(r, 0, sizeof(*r));
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(fds[1], getuid(), getgid());
    }
    close(fds[1]);
    p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
    n = poll(&p, 1, TIMEOUT_MS) == 1 ? read(fds[0], r, sizeof(*r)) : -1;
    close(fds[0]);
    if (n != (ssize_t)sizeof(*r) || r->err != 0) {
        if (n != (ssize_t)sizeof(*r)) {
            r->err = ETIMEDOUT;
            snprintf(r->step, sizeof(r->step), "readiness");
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

/* Forward MAPS (N of them) into the network namespace of PID, the loop running in L; false,
 * with a failed check, when that fails. */
static bool
loop_start(struct loop *l, struct rl_port_map *maps, size_t n, pid_t pid)
{
    rl_error_t err = NULL;
    char path[64];
    int netns;

    l->f = NULL;
    if (rl_portfwd_new(maps, n, &l->f, &err) < 0) {
        ok(0, "new: listens on the host (%s)", msg(&err));
        return false;
    }
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
    netns = open(path, O_RDONLY | O_CLOEXEC);
    if (netns < 0 || rl_portfwd_set_netns(l->f, netns, &err) < 0) {
        ok(0, "set_netns: enters the child's namespace (%s)",
           netns < 0 ? strerror(errno) : msg(&err));
        rl_portfwd_free(l->f);
        return false;
    }
    pthread_mutex_init(&l->lock, NULL);
    atomic_init(&l->stop, false);
    if (pthread_create(&l->thread, NULL, loop_main, l) != 0) {
        ok(0, "the forwarder's loop thread");
        pthread_mutex_destroy(&l->lock);
        rl_portfwd_free(l->f);
        return false;
    }
    return true;
}

static void
loop_stop(struct loop *l)
{
    atomic_store(&l->stop, true);
    pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->lock);
    rl_portfwd_free(l->f);
}

static void
test_forward(void)
{
    struct child_report r;
    struct rl_port_map maps[5], silent;
    struct loop l;
    int status = 0;
    pid_t pid;

    if (become_userns_root() < 0) {
        skip("forwarding: no user namespace for the test itself: %s", strerror(errno));
        return;
    }
    pid = start_child(&r);
    if (pid < 0 && strcmp(r.step, "unshare") == 0) {
        skip("forwarding: no user and network namespace: %s", strerror(r.err));
        return;
    }
    ok(pid > 0, "the child's servers run in their namespace");
    if (pid < 0) {
        printf("#   %s: %s\n", r.step, strerror(r.err));
        return;
    }

    maps[MAP_ECHO] = (struct rl_port_map){ "127.0.0.1", 0, r.echo, "tcp" };
    maps[MAP_BIG] = (struct rl_port_map){ "127.0.0.1", 0, r.big, "tcp" };
    maps[MAP_CLOSED] = (struct rl_port_map){ "127.0.0.1", 0, CLOSED_PORT, "tcp" };
    maps[MAP_UDP] = (struct rl_port_map){ "127.0.0.1", 0, r.udp, "udp" };
    maps[MAP_SILENT] = (struct rl_port_map){ "127.0.0.1", 0, r.silent, "tcp" };
    if (!loop_start(&l, maps, RL_ARRAY_SIZE(maps), pid))
        goto out_child;
    ok(1, "new, set_netns: the forwarder runs into the child's namespace");
    for (size_t i = 0; i < RL_ARRAY_SIZE(maps); i++)
        ok(maps[i].host_port != 0, "new: host port 0 replaced by %u/%s (to %u)", maps[i].host_port,
           maps[i].proto, maps[i].ctr_port);
    check_in_use(maps[MAP_ECHO].host_port, "tcp");
    check_in_use(maps[MAP_UDP].host_port, "udp");
    is_int(connections(&l), 0, "new: no connection yet");

    test_small_and_half_close(&l, maps[MAP_ECHO].host_port);
    test_round_trip(&l, maps[MAP_ECHO].host_port);
    test_download(&l, maps[MAP_BIG].host_port);
    test_concurrent(&l, maps[MAP_ECHO].host_port);
    test_refused(&l, maps[MAP_CLOSED].host_port);
    test_udp(maps[MAP_UDP].host_port);
    is_int(connections(&l), 0, "no connection left");
    test_slow_container(&l, maps[MAP_SILENT].host_port);
    loop_stop(&l);

    /* A forwarder of its own, which the slow container's connection cannot disturb. */
    silent = (struct rl_port_map){ "127.0.0.1", 0, r.silent, "tcp" };
    if (!loop_start(&l, &silent, 1, pid))
        goto out_child;
    test_reset_after_half_close(&l, silent.host_port);
    loop_stop(&l);
out_child:
    kill(pid, SIGKILL);
    ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
       "the child served until killed");
}

int
main(void)
{
    /* As the monitor does (net.c): splice() to a socket whose peer is gone raises it. */
    signal(SIGPIPE, SIG_IGN);
    test_bind_errors();
    test_bad_netns();
    test_forward();
    done_testing();
}
