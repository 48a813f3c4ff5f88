#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dns.h"
#include "fs.h"
#include "log.h"

#define RESOLV_CONF_MAX (1u << 20)
/* Queries waiting for an answer; a new one beyond this drops the oldest. */
#define PENDING_MAX 256
/* How long one server has to answer before the query goes to the next one. glibc's resolver
 * waits 5 s (RES_TIMEOUT) before it asks again, so with up to 3 servers each is tried once
 * before the container's resolver gives up on its first attempt. */
#define SERVER_TIMEOUT_MS 1000
/* The largest query forwarded: a query is one question (a name of at most 255 bytes) and an
 * EDNS record, far below this; the cap bounds the memory of the pending table (1 MiB). */
#define QUERY_MAX 4096
/* The largest UDP payload of an IPv4 datagram: 65535 - 20 (IP header) - 8 (UDP header). */
#define ANSWER_MAX 65507
/* Answers read per socket in one dispatch, so that a flood cannot starve the tap. */
#define READS_MAX 64

#define ETH_HLEN      14
#define IP_HLEN       20
#define UDP_HLEN      8
#define DNS_HLEN      12
#define ETHERTYPE_IP  0x0800
#define DNS_PORT      53
#define IP_TTL_ANSWER 64
#define IP_DF         0x4000
#define IP_MF_OFFSET  0x3fff
#define DNS_QR        0x80 /* in the third byte of the header: set in answers */

struct pending {
    bool used;
    uint16_t id;      /* ours, sent upstream */
    uint16_t orig_id; /* the container's */
    uint8_t client_ip[4];
    uint16_t client_port;
    uint8_t client_mac[6];
    uint8_t server_mac[6]; /* the query's destination MAC, the answer's source */
    size_t server;         /* the last server asked; answers from it or one before count */
    uint64_t deadline_ms;  /* when the next server is asked (CLOCK_MONOTONIC) */
    uint64_t seq;          /* order of arrival, to find the oldest */
    uint8_t *query;        /* the DNS payload, with our id, for the next server */
    size_t query_len;
};

struct rl_dns_fwd {
    uint8_t vaddr[4];
    struct sockaddr_storage *servers;
    size_t n_servers;
    int fd4, fd6; /* unconnected, non-blocking; -1 when no server needs one or it failed */
    void (*write)(void *data, const uint8_t *frame, size_t len);
    void *data;
    uint64_t seq;
    uint16_t ip_id;
    struct pending pending[PENDING_MAX];
    /* An answer is received right after the headers of its frame. */
    uint8_t frame[ETH_HLEN + IP_HLEN + UDP_HLEN + ANSWER_MAX];
};

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The Internet checksum's running sum (RFC 1071) of LEN bytes, added to SUM. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    for (; len >= 2; p += 2, len -= 2)
        sum += get16(p);
    if (len)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The UDP checksum over the IPv4 pseudo header and UDP (header and payload, ULEN bytes): 0
 * when UDP carries a correct checksum, the one to store when its field is 0. */
static uint16_t
udp_csum(const uint8_t src[4], const uint8_t dst[4], const uint8_t *udp, size_t ulen)
{
    uint32_t sum = 0;

    sum = csum_add(sum, src, 4);
    sum = csum_add(sum, dst, 4);
    sum += IPPROTO_UDP + (uint32_t)ulen;
    return csum_fold(csum_add(sum, udp, ulen));
}

/* "ADDR" or "V6ADDR%SCOPE" (an interface name or number) with PORT. */
static bool
parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ret)
{
    char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    char *scope;

    if (inet_pton(AF_INET, s, &sin.sin_addr) == 1) {
        memset(ret, 0, sizeof(*ret));
        memcpy(ret, &sin, sizeof(sin));
        return true;
    }
    if (strlen(s) >= sizeof(buf))
        return false;
    strcpy(buf, s);
    scope = strchr(buf, '%');
    if (scope)
        *scope++ = '\0';
    if (inet_pton(AF_INET6, buf, &sin6.sin6_addr) != 1)
        return false;
    if (scope) {
        long long idx;
        if (rl_parse_ll(scope, 1, UINT32_MAX, &idx))
            sin6.sin6_scope_id = (uint32_t)idx;
        else
            sin6.sin6_scope_id = if_nametoindex(scope);
        if (sin6.sin6_scope_id == 0)
            return false;
    }
    memset(ret, 0, sizeof(*ret));
    memcpy(ret, &sin6, sizeof(sin6));
    return true;
}

int
rl_dns_servers_from_resolv(const char *path, struct sockaddr_storage *ret, size_t max,
                           size_t *ret_n, rl_error_t *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    cleanup_free char *text = NULL;
    char *line, *next;
    size_t n = 0;

    if (fd < 0) {
        if (errno == ENOENT) {
            *ret_n = 0;
            return 0;
        }
        return rl_make_error(err, errno, "open '%s'", path);
    }
    if (rl_read_all_fd(fd, RESOLV_CONF_MAX, &text, NULL, err) < 0)
        return rl_error_wrap(err, "read '%s'", path);
    /* As glibc's res_init: "nameserver" at the start of a line, blanks, the address, and
     * anything after the next blank ignored. Addresses that do not parse are skipped. */
    for (line = text; line && *line && n < max; line = next) {
        char *addr;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!rl_str_has_prefix(line, "nameserver") || (line[10] != ' ' && line[10] != '\t'))
            continue;
        addr = line + 10 + strspn(line + 10, " \t");
        addr[strcspn(addr, " \t\r")] = '\0';
        if (parse_addr(addr, DNS_PORT, &ret[n]))
            n++;
    }
    *ret_n = n;
    return 0;
}

static int
invalid_server(const char *s, rl_error_t *err)
{
    cleanup_free char *shown = rl_str_shown(s, 100);
    return rl_make_plain_error(
        err, EINVAL, "invalid DNS server '%s': expected ADDR, ADDR:PORT or [IPV6]:PORT", shown);
}

int
rl_dns_server_parse(const char *s, struct sockaddr_storage *ret, rl_error_t *err)
{
    char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
    const char *port_s = NULL;
    char *addr = buf, *colon;
    long long port = DNS_PORT;
    struct sockaddr_storage ss;

    if (strlen(s) >= sizeof(buf))
        return invalid_server(s, err);
    strcpy(buf, s);
    if (buf[0] == '[') {
        char *close = strchr(buf, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return invalid_server(s, err);
        *close = '\0';
        addr = buf + 1;
        if (close[1] == ':')
            port_s = close + 2;
        if (strchr(addr, ':') == NULL) /* brackets are for IPv6 only */
            return invalid_server(s, err);
    } else if ((colon = strchr(buf, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
        /* One colon: ADDR:PORT (IPv4); more: an IPv6 address without a port. */
        *colon = '\0';
        port_s = colon + 1;
    }
    if (port_s && !rl_parse_ll(port_s, 1, 65535, &port))
        return invalid_server(s, err);
    if (!parse_addr(addr, (uint16_t)port, &ss))
        return invalid_server(s, err);
    *ret = ss;
    return 0;
}

static void
pending_release(struct pending *p)
{
    free(p->query);
    memset(p, 0, sizeof(*p));
}

static socklen_t
addr_len(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* Send P's query to its server, or to the next one that takes it. False when none is left. */
static bool
pending_send(struct rl_dns_fwd *f, struct pending *p)
{
    for (; p->server < f->n_servers; p->server++) {
        const struct sockaddr_storage *ss = &f->servers[p->server];
        int fd = ss->ss_family == AF_INET ? f->fd4 : f->fd6;
        if (fd < 0)
            continue;
        if (TEMP_FAILURE_RETRY(
                sendto(fd, p->query, p->query_len, 0, (const struct sockaddr *)ss, addr_len(ss)))
            >= 0) {
            p->deadline_ms = (uint64_t)rl_now_ms() + SERVER_TIMEOUT_MS;
            return true;
        }
        rl_debug("dns: send to server %zu: %s", p->server, strerror(errno));
    }
    return false;
}

static struct pending *
pending_find(struct rl_dns_fwd *f, uint16_t id)
{
    for (size_t i = 0; i < PENDING_MAX; i++)
        if (f->pending[i].used && f->pending[i].id == id)
            return &f->pending[i];
    return NULL;
}

/* A free entry, made by dropping the oldest query when there is none. */
static struct pending *
pending_new(struct rl_dns_fwd *f)
{
    struct pending *oldest = &f->pending[0];

    for (size_t i = 0; i < PENDING_MAX; i++) {
        if (!f->pending[i].used)
            return &f->pending[i];
        if (f->pending[i].seq < oldest->seq)
            oldest = &f->pending[i];
    }
    rl_debug("dns: %d queries pending, dropping the oldest", PENDING_MAX);
    pending_release(oldest);
    return oldest;
}

/* A random query id not in use (the id and the kernel's random source port are what make
 * answers hard to forge). False when getrandom() fails. */
static bool
new_id(struct rl_dns_fwd *f, uint16_t *ret)
{
    for (int tries = 0; tries < 16; tries++) {
        uint16_t id;
        if (getrandom(&id, sizeof(id), 0) != sizeof(id))
            return false;
        if (pending_find(f, id) == NULL) {
            *ret = id;
            return true;
        }
    }
    return false;
}

struct rl_dns_fwd *
rl_dns_fwd_new(struct in_addr vaddr, const struct sockaddr_storage *servers, size_t n_servers,
               void (*write)(void *data, const uint8_t *frame, size_t len), void *data)
{
    struct rl_dns_fwd *f = xzalloc(sizeof(*f));
    bool want4 = false, want6 = false;

    memcpy(f->vaddr, &vaddr, 4);
    f->servers = xmalloc((n_servers ? n_servers : 1) * sizeof(*servers));
    for (size_t i = 0; i < n_servers; i++) {
        if (servers[i].ss_family != AF_INET && servers[i].ss_family != AF_INET6)
            continue;
        want4 |= servers[i].ss_family == AF_INET;
        want6 |= servers[i].ss_family == AF_INET6;
        f->servers[f->n_servers++] = servers[i];
    }
    f->fd4 = f->fd6 = -1;
    /* A family whose socket cannot be made (no IPv6 on the host) leaves its servers out. */
    if (want4) {
        f->fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (f->fd4 < 0)
            rl_debug("dns: IPv4 socket: %s", strerror(errno));
    }
    if (want6) {
        f->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (f->fd6 < 0)
            rl_debug("dns: IPv6 socket: %s", strerror(errno));
    }
    f->write = write;
    f->data = data;
    return f;
}

void
rl_dns_fwd_free(struct rl_dns_fwd *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < PENDING_MAX; i++)
        free(f->pending[i].query);
    if (f->fd4 >= 0)
        (void)close(f->fd4);
    if (f->fd6 >= 0)
        (void)close(f->fd6);
    free(f->servers);
    free(f);
}

bool
rl_dns_fwd_input(struct rl_dns_fwd *f, const uint8_t *frame, size_t len)
{
    const uint8_t *ip, *udp, *dns;
    size_t ihl, ip_len, udp_len, dns_len;
    struct pending *p;
    uint16_t id;

    if (f->fd4 < 0 && f->fd6 < 0)
        return false;
    if (len < ETH_HLEN + IP_HLEN || get16(frame + 12) != ETHERTYPE_IP)
        return false;
    ip = frame + ETH_HLEN;
    ihl = (size_t)(ip[0] & 0x0f) * 4;
    ip_len = get16(ip + 2);
    /* IP_LEN, not LEN, ends the datagram: the frame may be padded. */
    if (ip[0] >> 4 != 4 || ihl < IP_HLEN || ip_len < ihl + UDP_HLEN || ip_len > len - ETH_HLEN)
        return false;
    if ((get16(ip + 6) & IP_MF_OFFSET) != 0 || ip[9] != IPPROTO_UDP
        || memcmp(ip + 16, f->vaddr, 4) != 0 || csum_fold(csum_add(0, ip, ihl)) != 0)
        return false;
    udp = ip + ihl;
    udp_len = get16(udp + 4);
    if (get16(udp + 2) != DNS_PORT || udp_len < UDP_HLEN + DNS_HLEN || udp_len > ip_len - ihl)
        return false;
    if (get16(udp + 6) != 0 && udp_csum(ip + 12, ip + 16, udp, udp_len) != 0)
        return false;
    dns = udp + UDP_HLEN;
    dns_len = udp_len - UDP_HLEN;
    if ((dns[2] & DNS_QR) != 0 || dns_len > QUERY_MAX)
        return false;

    /* From here on the query is ours: when it cannot be sent, it is dropped. */
    if (!new_id(f, &id)) {
        rl_debug("dns: no query id: %s", strerror(errno));
        return true;
    }
    p = pending_new(f);
    p->used = true;
    p->id = id;
    p->orig_id = get16(dns);
    memcpy(p->client_ip, ip + 12, 4);
    p->client_port = get16(udp);
    memcpy(p->client_mac, frame + 6, 6);
    memcpy(p->server_mac, frame, 6);
    p->server = 0;
    p->seq = f->seq++;
    p->query = xmalloc(dns_len);
    memcpy(p->query, dns, dns_len);
    p->query_len = dns_len;
    put16(p->query, id);
    if (!pending_send(f, p))
        pending_release(p);
    return true;
}

size_t
rl_dns_fwd_pollfds(struct rl_dns_fwd *f, struct pollfd *fds, size_t max, int *timeout_ms)
{
    uint64_t next = UINT64_MAX, now;
    size_t n = 0;

    if (f->fd4 >= 0 && n < max)
        fds[n++] = (struct pollfd){ .fd = f->fd4, .events = POLLIN };
    if (f->fd6 >= 0 && n < max)
        fds[n++] = (struct pollfd){ .fd = f->fd6, .events = POLLIN };
    for (size_t i = 0; i < PENDING_MAX; i++)
        if (f->pending[i].used && f->pending[i].deadline_ms < next)
            next = f->pending[i].deadline_ms;
    if (next == UINT64_MAX)
        return n;
    now = (uint64_t)rl_now_ms();
    next = next > now ? next - now : 0;
    if (next > INT_MAX)
        next = INT_MAX;
    if (*timeout_ms < 0 || (uint64_t)*timeout_ms > next)
        *timeout_ms = (int)next;
    return n;
}

/* Whether FROM is SERVER: the same address and port. */
static bool
from_server(const struct sockaddr_storage *from, const struct sockaddr_storage *server)
{
    const struct sockaddr_in *a4 = (const void *)from, *b4 = (const void *)server;
    const struct sockaddr_in6 *a6 = (const void *)from, *b6 = (const void *)server;

    if (from->ss_family != server->ss_family)
        return false;
    if (from->ss_family == AF_INET)
        return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
    return a6->sin6_port == b6->sin6_port
           && memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/* The answer of LEN bytes in f->frame: to the container when it is one we wait for. */
static void
answer(struct rl_dns_fwd *f, const struct sockaddr_storage *from, size_t len)
{
    uint8_t *eth = f->frame, *ip = eth + ETH_HLEN, *udp = ip + IP_HLEN, *dns = udp + UDP_HLEN;
    struct pending *p;
    bool known = false;
    uint16_t sum;

    if (len < DNS_HLEN || (dns[2] & DNS_QR) == 0)
        return;
    p = pending_find(f, get16(dns));
    if (p == NULL)
        return;
    /* The query went to every server up to p->server: a late answer of an earlier one is as
     * good as the next one's. */
    for (size_t i = 0; i <= p->server && i < f->n_servers && !known; i++)
        known = from_server(from, &f->servers[i]);
    if (!known) {
        rl_debug("dns: answer from a server not asked, dropped");
        return;
    }
    put16(dns, p->orig_id);

    memcpy(eth, p->client_mac, 6);
    memcpy(eth + 6, p->server_mac, 6);
    put16(eth + 12, ETHERTYPE_IP);

    ip[0] = 0x45; /* version 4, 5 words of header */
    ip[1] = 0;
    put16(ip + 2, (uint16_t)(IP_HLEN + UDP_HLEN + len));
    put16(ip + 4, f->ip_id++);
    put16(ip + 6, IP_DF);
    ip[8] = IP_TTL_ANSWER;
    ip[9] = IPPROTO_UDP;
    put16(ip + 10, 0);
    memcpy(ip + 12, f->vaddr, 4);
    memcpy(ip + 16, p->client_ip, 4);
    put16(ip + 10, csum_fold(csum_add(0, ip, IP_HLEN)));

    put16(udp, DNS_PORT);
    put16(udp + 2, p->client_port);
    put16(udp + 4, (uint16_t)(UDP_HLEN + len));
    put16(udp + 6, 0);
    sum = udp_csum(ip + 12, ip + 16, udp, UDP_HLEN + len);
    put16(udp + 6, sum ? sum : 0xffff); /* 0 would mean "no checksum" */

    pending_release(p);
    f->write(f->data, f->frame, ETH_HLEN + IP_HLEN + UDP_HLEN + len);
}

static void
read_answers(struct rl_dns_fwd *f, int fd)
{
    for (int i = 0; i < READS_MAX; i++) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof(from);
        /* MSG_TRUNC: the datagram's real length, to drop one too large for a frame. */
        ssize_t n = recvfrom(fd, f->frame + ETH_HLEN + IP_HLEN + UDP_HLEN, ANSWER_MAX, MSG_TRUNC,
                             (struct sockaddr *)&from, &from_len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                rl_debug("dns: receive: %s", strerror(errno));
            return;
        }
        if (n > ANSWER_MAX) {
            rl_debug("dns: answer of %zd bytes dropped", n);
            continue;
        }
        answer(f, &from, (size_t)n);
    }
}

void
rl_dns_fwd_dispatch(struct rl_dns_fwd *f, const struct pollfd *fds, size_t n)
{
    uint64_t now;

    for (size_t i = 0; i < n; i++) {
        if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLERR)) == 0)
            continue;
        if (fds[i].fd == f->fd4 || fds[i].fd == f->fd6)
            read_answers(f, fds[i].fd);
    }
    now = (uint64_t)rl_now_ms();
    for (size_t i = 0; i < PENDING_MAX; i++) {
        struct pending *p = &f->pending[i];
        if (!p->used || p->deadline_ms > now)
            continue;
        p->server++;
        if (!pending_send(f, p)) {
            rl_debug("dns: no server answered query %u, dropped", p->orig_id);
            pending_release(p);
        }
    }
}
