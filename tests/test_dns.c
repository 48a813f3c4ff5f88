#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns.h"
#include "fs.h"
#include "tap_error.h"

#define ETH_HLEN 14
#define UDP_HLEN 8

static const uint8_t client_mac[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
static const uint8_t server_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x03 };
static const uint8_t client_ip[4] = { 10, 0, 2, 100 };
static const uint8_t vaddr_ip[4] = { 10, 0, 2, 3 };

/* A query for example.com A, id 0x1234, recursion desired. */
static const uint8_t query_dns[] = {
    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 7,    'e',  'x',
    'a',  'm',  'p',  'l',  'e',  3,    'c',  'o',  'm',  0,    0x00, 0x01, 0x00, 0x01,
};

/* A scratch directory. */
static char tmpdir[PATH_MAX];

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

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

/* The ones' complement sum of N bytes, folded to 16 bits, started at SUM. */
static uint16_t
sum16(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
    while (sum > 0xffff)
        sum = (sum >> 16) + (sum & 0xffff);
    return (uint16_t)sum;
}

/* The UDP sum over the pseudo header of the IPv4 header IP and the UDP datagram that follows
 * it: 0xffff when the checksum in it is right. */
static uint16_t
udp_sum(const uint8_t *ip)
{
    const uint8_t *udp = ip + (ip[0] & 0x0f) * 4;
    uint16_t ulen = get16(udp + 4);
    uint32_t pseudo = sum16(0, ip + 12, 8) + 17u + ulen;

    return sum16(pseudo, udp, ulen);
}

/* Recompute the checksums of the frame FRAME (in a buffer of at least 512 bytes). */
static void
fix_sums(uint8_t *frame)
{
    uint8_t *ip = frame + ETH_HLEN;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    uint8_t *udp = ip + ihl;
    uint16_t s;

    put16(ip + 10, 0);
    put16(ip + 10, (uint16_t)~sum16(0, ip, ihl));
    if (ihl < 20) /* no UDP to find */
        return;
    put16(udp + 6, 0);
    s = (uint16_t)~udp_sum(ip);
    put16(udp + 6, s ? s : 0xffff);
}

/* A query frame from client_ip:PORT to 10.0.2.3:53 carrying DNS (LEN bytes), with IHL_WORDS
 * words of IPv4 header (options are NOPs). Returns the frame's length. */
static size_t
make_frame(uint8_t *frame, uint16_t port, size_t ihl_words, const uint8_t *dns, size_t len)
{
    uint8_t *ip = frame + ETH_HLEN, *udp = ip + ihl_words * 4;

    memcpy(frame, server_mac, 6);
    memcpy(frame + 6, client_mac, 6);
    put16(frame + 12, 0x0800);
    memset(ip, 1, ihl_words * 4); /* IP option NOP */
    ip[0] = (uint8_t)(0x40 | ihl_words);
    ip[1] = 0;
    put16(ip + 2, (uint16_t)(ihl_words * 4 + UDP_HLEN + len));
    put16(ip + 4, 0x4242);
    put16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 17;
    memcpy(ip + 12, client_ip, 4);
    memcpy(ip + 16, vaddr_ip, 4);
    put16(udp, port);
    put16(udp + 2, 53);
    put16(udp + 4, (uint16_t)(UDP_HLEN + len));
    memcpy(udp + UDP_HLEN, dns, len);
    fix_sums(frame);
    return ETH_HLEN + ihl_words * 4 + UDP_HLEN + len;
}

/* The frames the forwarder writes: how many, and the last one. */
struct sink {
    int n;
    size_t len;
    uint8_t frame[70000];
};

static void
sink_write(void *data, const uint8_t *frame, size_t len)
{
    struct sink *s = data;

    s->n++;
    s->len = len;
    if (len <= sizeof(s->frame))
        memcpy(s->frame, frame, len);
}

/* A UDP socket bound to port 0 of loopback (FAMILY), its address in *RET; -1 on failure. */
static int
udp_server(int family, struct sockaddr_storage *ret)
{
    struct sockaddr_storage ss = { 0 };
    socklen_t len = sizeof(ss);
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    ss.ss_family = (sa_family_t)family;
    if (family == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else
        ((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
    if (bind(fd, (struct sockaddr *)&ss,
             family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6))
            < 0
        || getsockname(fd, (struct sockaddr *)ret, &len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A datagram on FD within MS milliseconds: its length, -1 when none came. */
static ssize_t
recv_within(int fd, uint8_t *buf, size_t cap, struct sockaddr_storage *from, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    socklen_t len = sizeof(*from);

    if (poll(&p, 1, ms) != 1)
        return -1;
    return recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &len);
}

/* Run the forwarder as a poll loop would, for MS milliseconds or until S has WANT frames. */
static void
pump(struct rl_dns_fwd *f, struct sink *s, int want, int ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;

    while (s->n < want) {
        struct pollfd fds[4];
        uint64_t now = now_ms();
        int timeout = now >= end ? 0 : (int)(end - now);
        size_t n = rl_dns_fwd_pollfds(f, fds, RL_ARRAY_SIZE(fds), &timeout);
        if (poll(fds, n, timeout) < 0)
            break;
        rl_dns_fwd_dispatch(f, fds, n);
        if (now_ms() >= end)
            break;
    }
}

/* The answer to QUERY_DNS (with ID): example.com A 93.184.216.34; its length. */
static size_t
make_answer(uint8_t *buf, uint16_t id)
{
    static const uint8_t rr[] = {
        0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34
    };

    memcpy(buf, query_dns, sizeof(query_dns));
    put16(buf, id);
    put16(buf + 2, 0x8180);
    put16(buf + 6, 1);
    memcpy(buf + sizeof(query_dns), rr, sizeof(rr));
    return sizeof(query_dns) + sizeof(rr);
}

/* S's last frame is the answer ANS (LEN bytes, with the container's id) to client port PORT. */
static void
check_answer(const struct sink *s, uint16_t port, const uint8_t *ans, size_t len, const char *what)
{
    const uint8_t *ip = s->frame + ETH_HLEN, *udp = ip + 20;
    bool ok_len = s->len == ETH_HLEN + 20 + UDP_HLEN + len;

    ok(ok_len, "%s: frame length", what);
    if (!ok_len)
        return;
    ok(memcmp(s->frame, client_mac, 6) == 0 && memcmp(s->frame + 6, server_mac, 6) == 0
           && get16(s->frame + 12) == 0x0800,
       "%s: Ethernet to the client from the MAC the query went to", what);
    ok(ip[0] == 0x45 && get16(ip + 2) == 20 + UDP_HLEN + len && (get16(ip + 6) & 0x3fff) == 0
           && ip[8] == 64 && ip[9] == 17,
       "%s: IPv4 header (version, length, not a fragment, TTL 64, UDP)", what);
    is_int(sum16(0, ip, 20), 0xffff, "%s: IPv4 header checksum verifies", what);
    ok(memcmp(ip + 12, vaddr_ip, 4) == 0 && memcmp(ip + 16, client_ip, 4) == 0,
       "%s: from 10.0.2.3 to the client", what);
    ok(get16(udp) == 53 && get16(udp + 2) == port && get16(udp + 4) == UDP_HLEN + len,
       "%s: UDP from port 53 to the client's port, length", what);
    ok(get16(udp + 6) != 0, "%s: UDP checksum present", what);
    is_int(udp_sum(ip), 0xffff, "%s: UDP checksum verifies", what);
    is_int(get16(udp + UDP_HLEN), get16(ans), "%s: the container's id restored", what);
    ok(memcmp(udp + UDP_HLEN, ans, len) == 0, "%s: payload", what);
}

static struct rl_dns_fwd *
new_fwd(const struct sockaddr_storage *servers, size_t n, struct sink *s)
{
    struct in_addr vaddr;

    memcpy(&vaddr, vaddr_ip, 4);
    s->n = 0;
    return rl_dns_fwd_new(vaddr, servers, n, sink_write, s);
}

static void
write_file(const char *name, const char *text)
{
    char path[PATH_MAX + 64];
    rl_error_t err = NULL;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    if (rl_write_file_atomic(path, text, strlen(text), 0644, false, &err) < 0) {
        printf("Bail out! cannot write %s: %s\n", path, msg(&err));
        exit(1);
    }
}

static const char *
shown(const struct sockaddr_storage *ss)
{
    static char buf[INET6_ADDRSTRLEN + 32];
    char a[INET6_ADDRSTRLEN];

    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const void *)ss;
        inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
        snprintf(buf, sizeof(buf), "%s:%u", a, ntohs(s4->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
        snprintf(buf, sizeof(buf), "[%s%%%u]:%u", a, (unsigned)s6->sin6_scope_id,
                 ntohs(s6->sin6_port));
    } else {
        snprintf(buf, sizeof(buf), "(family %d)", ss->ss_family);
    }
    return buf;
}

static void
test_resolv(void)
{
    struct sockaddr_storage ss[8];
    char path[PATH_MAX + 64], want[64];
    rl_error_t err = NULL;
    size_t n = 99;
    int ret;

    write_file("resolv.conf", "# generated\n"
                              "; nameserver 9.9.9.9\n"
                              "search example.com\n"
                              "nameserver 192.0.2.1\n"
                              "nameserver\t192.0.2.2 # the second\n"
                              "  nameserver 192.0.2.99\n"
                              "nameservers 192.0.2.98\n"
                              "nameserver not-an-address\n"
                              "nameserver 192.0.2.300\n"
                              "nameserver\n"
                              "nameserver 2001:db8::1\r\n"
                              "nameserver fe80::1%lo\n"
                              "nameserver fe80::2%3\n"
                              "nameserver fe80::3%no-such-interface\n"
                              "options ndots:2 edns0\n"
                              "nameserver 127.0.0.53");
    snprintf(path, sizeof(path), "%s/resolv.conf", tmpdir);
    ret = rl_dns_servers_from_resolv(path, ss, 8, &n, &err);
    is_int(ret, 0, "resolv.conf: parsed (%s)", msg(&err));
    is_int(n, 6, "resolv.conf: comments, other lines and bad addresses skipped");
    if (n == 6) {
        is_str(shown(&ss[0]), "192.0.2.1:53", "resolv.conf: first server, port 53");
        is_str(shown(&ss[1]), "192.0.2.2:53", "resolv.conf: tab and trailing comment");
        is_str(shown(&ss[2]), "[2001:db8::1%0]:53", "resolv.conf: IPv6, CRLF line");
        snprintf(want, sizeof(want), "[fe80::1%%%u]:53", if_nametoindex("lo"));
        is_str(shown(&ss[3]), want, "resolv.conf: IPv6 scope by interface name");
        is_str(shown(&ss[4]), "[fe80::2%3]:53", "resolv.conf: IPv6 scope by number");
        is_str(shown(&ss[5]), "127.0.0.53:53", "resolv.conf: last line without a newline");
    }

    ret = rl_dns_servers_from_resolv(path, ss, 2, &n, &err);
    ok(ret == 0 && n == 2, "resolv.conf: at most MAX servers");

    write_file("garbage.conf", "\x01\x02\xff\xfe nameserver\n\n\n#\nnameserver \xff\xff\n");
    snprintf(path, sizeof(path), "%s/garbage.conf", tmpdir);
    n = 99;
    ret = rl_dns_servers_from_resolv(path, ss, 8, &n, &err);
    ok(ret == 0 && n == 0, "resolv.conf: garbage gives no server (%s)", msg(&err));

    write_file("empty.conf", "");
    snprintf(path, sizeof(path), "%s/empty.conf", tmpdir);
    n = 99;
    ret = rl_dns_servers_from_resolv(path, ss, 8, &n, &err);
    ok(ret == 0 && n == 0, "resolv.conf: empty file gives no server (%s)", msg(&err));

    snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
    n = 99;
    ret = rl_dns_servers_from_resolv(path, ss, 8, &n, &err);
    ok(ret == 0 && n == 0 && err == NULL, "resolv.conf: missing file is no server, no error");

    n = 99;
    ret = rl_dns_servers_from_resolv(tmpdir, ss, 8, &n, &err);
    ok(ret < 0 && err != NULL && n == 99, "resolv.conf: a directory is an error");
    ok(strstr(msg(&err), tmpdir) != NULL, "resolv.conf: the error names the file");
}

static void
test_server_parse(void)
{
    static const struct {
        const char *in, *want;
    } good[] = {
        { "1.2.3.4", "1.2.3.4:53" },
        { "1.2.3.4:5353", "1.2.3.4:5353" },
        { "[::1]:5353", "[::1%0]:5353" },
        { "::1", "[::1%0]:53" },
        { "[::1]", "[::1%0]:53" },
        { "2001:db8::53", "[2001:db8::53%0]:53" },
        { "[fe80::1%7]:54", "[fe80::1%7]:54" },
        { "127.0.0.1:65535", "127.0.0.1:65535" },
    };
    static const char *const bad[] = {
        "",
        "1.2.3",
        "1.2.3.4:",
        "1.2.3.4:0",
        "1.2.3.4:65536",
        "1.2.3.4:x",
        "1.2.3.4: 53",
        "1.2.3.4:+53",
        "[::1",
        "[::1]x",
        "[::1]:",
        "[1.2.3.4]:53",
        "example.com",
        "example.com:53",
        "[]:53",
        "::g",
        "fe80::1%",
        "fe80::1%no-such-if",
        "1.2.3.4:53:53:x",
        "11111111111111111111111111111111111111111111111111111111111111111111111111111111111",
    };
    struct sockaddr_storage ss;
    rl_error_t err = NULL;

    for (size_t i = 0; i < RL_ARRAY_SIZE(good); i++) {
        memset(&ss, 0, sizeof(ss));
        int ret = rl_dns_server_parse(good[i].in, &ss, &err);
        is_int(ret, 0, "server '%s' parses (%s)", good[i].in, msg(&err));
        is_str(shown(&ss), good[i].want, "server '%s'", good[i].in);
    }
    for (size_t i = 0; i < RL_ARRAY_SIZE(bad); i++) {
        int ret;
        memset(&ss, 0xaa, sizeof(ss));
        ret = rl_dns_server_parse(bad[i], &ss, &err);
        ok(ret < 0 && err != NULL && err->status == EINVAL && ss.ss_family == (sa_family_t)0xaaaa,
           "server '%.20s' refused, output untouched", bad[i]);
        if (i == 0 || i == 4) {
            const char *m = msg(&err);
            ok(strstr(m, "invalid DNS server") != NULL && strstr(m, "Invalid argument") == NULL,
               "the message says what is wrong, without strerror: %s", m);
        }
        rl_error_release(&err);
    }
}

/* Frames that are not queries to 10.0.2.3:53 are the caller's; none reaches the server. */
static void
test_not_taken(void)
{
    struct sockaddr_storage server, from;
    struct rl_dns_fwd *f;
    struct sink *s = calloc(1, sizeof(*s));
    uint8_t frame[512], buf[512];
    size_t len, all_prefixes = 0;
    int fd = udp_server(AF_INET, &server);
    uint8_t *ip = frame + ETH_HLEN, *udp = ip + 20;

    if (fd < 0) {
        skip("no loopback UDP socket");
        free(s);
        return;
    }
    f = new_fwd(&server, 1, s);

#define NOT_TAKEN(change, what)                                          \
    do {                                                                 \
        len = make_frame(frame, 40000, 5, query_dns, sizeof(query_dns)); \
        change;                                                          \
        ok(!rl_dns_fwd_input(f, frame, len), "not taken: %s", what);     \
    } while (0)

    NOT_TAKEN(put16(frame + 12, 0x0806), "ARP");
    NOT_TAKEN(put16(frame + 12, 0x86dd), "IPv6 ethertype");
    NOT_TAKEN((ip[0] = 0x65, fix_sums(frame)), "IP version 6 in an IPv4 ethertype");
    NOT_TAKEN((ip[0] = 0x44, fix_sums(frame)), "IHL below 5");
    NOT_TAKEN((ip[9] = 6, fix_sums(frame)), "TCP");
    NOT_TAKEN((ip[9] = 1, fix_sums(frame)), "ICMP");
    NOT_TAKEN((put16(udp + 2, 54), fix_sums(frame)), "UDP port 54");
    NOT_TAKEN((put16(udp + 2, 5353), fix_sums(frame)), "UDP port 5353");
    NOT_TAKEN((ip[19] = 2, fix_sums(frame)), "to 10.0.2.2");
    NOT_TAKEN((ip[16] = 8, ip[17] = 8, ip[18] = 8, ip[19] = 8, fix_sums(frame)), "to 8.8.8.8");
    NOT_TAKEN((put16(ip + 6, 0x2000), fix_sums(frame)), "first fragment (MF)");
    NOT_TAKEN((put16(ip + 6, 0x0010), fix_sums(frame)), "later fragment (offset)");
    NOT_TAKEN(ip[10] ^= 0x55, "bad IPv4 header checksum");
    NOT_TAKEN(udp[6] ^= 0x55, "bad UDP checksum");
    NOT_TAKEN((udp[8 + 2] |= 0x80, fix_sums(frame)), "a DNS answer (QR set)");
    NOT_TAKEN((put16(ip + 2, 20 + 8 + 11), put16(udp + 4, 8 + 11), fix_sums(frame), len -= 18),
              "DNS payload shorter than a header");
    NOT_TAKEN((put16(ip + 2, (uint16_t)(len - ETH_HLEN + 1)), fix_sums(frame)),
              "IPv4 length beyond the frame");
    NOT_TAKEN((put16(udp + 4, (uint16_t)(len - ETH_HLEN - 20 + 1)), fix_sums(frame)),
              "UDP length beyond the IPv4 datagram");
    NOT_TAKEN((put16(udp + 4, 7), fix_sums(frame)), "UDP length below its header");

    len = make_frame(frame, 40000, 5, query_dns, sizeof(query_dns));
    for (size_t i = 0; i < len; i++)
        all_prefixes += rl_dns_fwd_input(f, frame, i);
    is_int(all_prefixes, 0, "not taken: every truncation of a query frame");
    ok(recv_within(fd, buf, sizeof(buf), &from, 200) < 0, "nothing was sent upstream");
    rl_dns_fwd_free(f);

    f = new_fwd(NULL, 0, s);
    len = make_frame(frame, 40000, 5, query_dns, sizeof(query_dns));
    ok(!rl_dns_fwd_input(f, frame, len), "not taken: a query when there is no server");
    rl_dns_fwd_free(f);
    close(fd);
    free(s);
#undef NOT_TAKEN
}

/* One query from client port PORT (IHL_WORDS of IP header, PAD bytes of Ethernet padding)
 * through the forwarder to the server FD and back. */
static void
test_forward(int family, size_t ihl_words, size_t pad, const char *what)
{
    struct sockaddr_storage server, from;
    struct rl_dns_fwd *f;
    struct sink *s = calloc(1, sizeof(*s));
    uint8_t frame[512], buf[512], ans[512];
    uint16_t port = (uint16_t)(40000 + ihl_words);
    size_t len, ans_len, n_fds;
    ssize_t n;
    struct pollfd fds[4];
    int timeout = -1;
    int fd = udp_server(family, &server);

    if (fd < 0) {
        skip("%s: no loopback UDP socket for this family", what);
        free(s);
        return;
    }
    f = new_fwd(&server, 1, s);
    n_fds = rl_dns_fwd_pollfds(f, fds, RL_ARRAY_SIZE(fds), &timeout);
    ok(n_fds == 1 && timeout == -1, "%s: one socket to poll, no timeout while idle", what);
    is_int(rl_dns_fwd_pollfds(f, fds, 0, &timeout), 0, "%s: MAX 0 gives no fd", what);

    len = make_frame(frame, port, ihl_words, query_dns, sizeof(query_dns));
    memset(frame + len, 0, pad);
    ok(rl_dns_fwd_input(f, frame, len + pad), "%s: query taken", what);
    n_fds = rl_dns_fwd_pollfds(f, fds, RL_ARRAY_SIZE(fds), &timeout);
    ok(n_fds == 1 && timeout > 0 && timeout <= 1000, "%s: timeout lowered to %d ms", what, timeout);
    timeout = 5;
    rl_dns_fwd_pollfds(f, fds, RL_ARRAY_SIZE(fds), &timeout);
    is_int(timeout, 5, "%s: a shorter timeout is kept", what);

    n = recv_within(fd, buf, sizeof(buf), &from, 2000);
    ok(n == (ssize_t)sizeof(query_dns)
           && memcmp(buf + 2, query_dns + 2, sizeof(query_dns) - 2) == 0,
       "%s: the server got the query, unchanged but for the id", what);
    if (n < 2) {
        rl_dns_fwd_free(f);
        close(fd);
        free(s);
        return;
    }

    /* Not an answer we wait for: another id. */
    ans_len = make_answer(ans, (uint16_t)(get16(buf) ^ 1));
    sendto(fd, ans, ans_len, 0, (struct sockaddr *)&from, sizeof(from));
    /* Not an answer: QR clear. */
    ans_len = make_answer(ans, get16(buf));
    ans[2] &= 0x7f;
    sendto(fd, ans, ans_len, 0, (struct sockaddr *)&from, sizeof(from));
    pump(f, s, 1, 100);
    is_int(s->n, 0, "%s: an answer with another id, or not an answer, is dropped", what);

    ans_len = make_answer(ans, get16(buf));
    sendto(fd, ans, ans_len, 0, (struct sockaddr *)&from, sizeof(from));
    pump(f, s, 1, 2000);
    is_int(s->n, 1, "%s: one frame written", what);
    put16(ans, 0x1234);
    check_answer(s, port, ans, ans_len, what);

    timeout = -1;
    rl_dns_fwd_pollfds(f, fds, RL_ARRAY_SIZE(fds), &timeout);
    is_int(timeout, -1, "%s: nothing pending after the answer", what);
    put16(ans, get16(buf));
    sendto(fd, ans, ans_len, 0, (struct sockaddr *)&from, sizeof(from));
    pump(f, s, 2, 100);
    is_int(s->n, 1, "%s: a second answer with the same id is dropped", what);

    rl_dns_fwd_free(f);
    close(fd);
    free(s);
}

/* An answer with the right id from another address or port is dropped. */
static void
test_wrong_source(void)
{
    struct sockaddr_storage server, other, from, dummy;
    struct rl_dns_fwd *f;
    struct sink *s = calloc(1, sizeof(*s));
    uint8_t frame[512], buf[512], ans[512];
    size_t len, ans_len;
    int fd = udp_server(AF_INET, &server), fd2 = udp_server(AF_INET, &other);

    if (fd < 0 || fd2 < 0) {
        skip("no loopback UDP socket");
        goto out;
    }
    f = new_fwd(&server, 1, s);
    len = make_frame(frame, 40100, 5, query_dns, sizeof(query_dns));
    ok(rl_dns_fwd_input(f, frame, len), "wrong source: query taken");
    if (recv_within(fd, buf, sizeof(buf), &from, 2000) < 2) {
        ok(0, "wrong source: the server got the query");
        rl_dns_fwd_free(f);
        goto out;
    }
    ans_len = make_answer(ans, get16(buf));
    sendto(fd2, ans, ans_len, 0, (struct sockaddr *)&from, sizeof(from));
    pump(f, s, 1, 100);
    is_int(s->n, 0, "wrong source: an answer from another port is dropped");

    sendto(fd, ans, ans_len, 0, (struct sockaddr *)&from, sizeof(from));
    pump(f, s, 1, 2000);
    is_int(s->n, 1, "wrong source: the server's answer still gets through");
    ok(recv_within(fd2, buf, sizeof(buf), &dummy, 0) < 0, "wrong source: nothing sent back");
    rl_dns_fwd_free(f);
out:
    if (fd >= 0)
        close(fd);
    if (fd2 >= 0)
        close(fd2);
    free(s);
}

/* A server that does not answer: the query goes to the next one after the timeout, and after
 * the last it is dropped. */
static void
test_retry(void)
{
    struct sockaddr_storage servers[2], from1, from2;
    struct rl_dns_fwd *f;
    struct sink *s = calloc(1, sizeof(*s));
    uint8_t frame[512], buf1[512], buf2[512], ans[512];
    size_t len, ans_len;
    uint64_t t0, waited;
    ssize_t n;
    int fd1 = udp_server(AF_INET, &servers[0]), fd2 = udp_server(AF_INET, &servers[1]);
    int timeout = -1;
    struct pollfd fds[4];

    if (fd1 < 0 || fd2 < 0) {
        skip("no loopback UDP socket");
        goto out;
    }
    f = new_fwd(servers, 2, s);
    len = make_frame(frame, 40200, 5, query_dns, sizeof(query_dns));
    t0 = now_ms();
    ok(rl_dns_fwd_input(f, frame, len), "retry: query taken");
    n = recv_within(fd1, buf1, sizeof(buf1), &from1, 2000);
    ok(n == (ssize_t)sizeof(query_dns), "retry: the first server got the query");
    pump(f, s, 1, 400);
    ok(recv_within(fd2, buf2, sizeof(buf2), &from2, 0) < 0,
       "retry: the second server is not asked before the timeout");
    while ((n = recv_within(fd2, buf2, sizeof(buf2), &from2, 0)) < 0 && now_ms() - t0 < 3000)
        pump(f, s, 1, 20);
    waited = now_ms() - t0;
    ok(n == (ssize_t)sizeof(query_dns) && memcmp(buf1, buf2, sizeof(query_dns)) == 0,
       "retry: the second server got the same query after %llu ms", (unsigned long long)waited);
    ok(waited >= 1000 && waited < 2000, "retry: after the timeout, not much later");

    /* The first server answers late: it was asked, so its answer counts. */
    ans_len = make_answer(ans, get16(buf1));
    sendto(fd1, ans, ans_len, 0, (struct sockaddr *)&from1, sizeof(from1));
    pump(f, s, 1, 2000);
    is_int(s->n, 1, "retry: a late answer of the first server gets through");
    put16(ans, 0x1234);
    check_answer(s, 40200, ans, ans_len, "retry");
    put16(ans, get16(buf1));
    sendto(fd2, ans, ans_len, 0, (struct sockaddr *)&from2, sizeof(from2));
    pump(f, s, 2, 100);
    is_int(s->n, 1, "retry: the second server's answer, now unexpected, is dropped");

    /* No answer at all: after the second server's timeout the query is gone. */
    len = make_frame(frame, 40201, 5, query_dns, sizeof(query_dns));
    t0 = now_ms();
    ok(rl_dns_fwd_input(f, frame, len), "expiry: query taken");
    n = recv_within(fd1, buf1, sizeof(buf1), &from1, 2000);
    do
        pump(f, s, 2, 100);
    while (recv_within(fd2, buf2, sizeof(buf2), &from2, 0) < 0 && now_ms() - t0 < 3000);
    timeout = -1;
    rl_dns_fwd_pollfds(f, fds, RL_ARRAY_SIZE(fds), &timeout);
    ok(timeout >= 0 && timeout <= 1000, "expiry: waiting for the second server (%d ms)", timeout);
    pump(f, s, 2, timeout + 50);
    timeout = -1;
    rl_dns_fwd_pollfds(f, fds, RL_ARRAY_SIZE(fds), &timeout);
    waited = now_ms() - t0;
    is_int(timeout, -1, "expiry: nothing pending after %llu ms", (unsigned long long)waited);
    ok(waited >= 2000 && waited < 3000, "expiry: each server had its second");
    ok(recv_within(fd1, buf2, sizeof(buf2), &from2, 0) < 0
           && recv_within(fd2, buf2, sizeof(buf2), &from2, 0) < 0,
       "expiry: no server asked a second time");
    ans_len = make_answer(ans, get16(buf1));
    sendto(fd1, ans, ans_len, 0, (struct sockaddr *)&from1, sizeof(from1));
    pump(f, s, 2, 100);
    is_int(s->n, 1, "expiry: an answer after the expiry is dropped");
    rl_dns_fwd_free(f);
out:
    if (fd1 >= 0)
        close(fd1);
    if (fd2 >= 0)
        close(fd2);
    free(s);
}

/* More queries than the table holds: the oldest are dropped, the newest answered; pending
 * queries are freed with the forwarder (ASan checks). */
static void
test_cap(void)
{
    enum { QUERIES = 300, PENDING = 256 };
    static uint16_t ids[QUERIES];
    struct sockaddr_storage server, from;
    struct rl_dns_fwd *f;
    struct sink *s = calloc(1, sizeof(*s));
    uint8_t frame[512], buf[512], ans[512];
    size_t len, ans_len, taken = 0, got = 0;
    int fd = udp_server(AF_INET, &server);

    if (fd < 0) {
        skip("no loopback UDP socket");
        free(s);
        return;
    }
    f = new_fwd(&server, 1, s);
    for (int i = 0; i < QUERIES; i++) {
        len = make_frame(frame, (uint16_t)(41000 + i), 5, query_dns, sizeof(query_dns));
        taken += rl_dns_fwd_input(f, frame, len);
        if (recv_within(fd, buf, sizeof(buf), &from, 1000) == (ssize_t)sizeof(query_dns)) {
            ids[got++] = get16(buf);
        }
    }
    ok(taken == QUERIES && got == QUERIES, "cap: %zu queries taken, %zu sent", taken, got);
    if (got == QUERIES) {
        ans_len = make_answer(ans, ids[QUERIES - PENDING - 1]);
        sendto(fd, ans, ans_len, 0, (struct sockaddr *)&from, sizeof(from));
        pump(f, s, 1, 100);
        is_int(s->n, 0, "cap: the answer to a dropped query is dropped");
        ans_len = make_answer(ans, ids[QUERIES - PENDING]);
        sendto(fd, ans, ans_len, 0, (struct sockaddr *)&from, sizeof(from));
        pump(f, s, 1, 2000);
        is_int(s->n, 1, "cap: the oldest query kept is answered");
        is_int(get16(s->frame + ETH_HLEN + 20 + 2), 41000 + QUERIES - PENDING,
               "cap: to its client port");
    }
    rl_dns_fwd_free(f);
    close(fd);
    free(s);
}

/* The largest answer an IPv4 datagram carries is forwarded whole; a larger one (from an
 * IPv6 server) is dropped. */
static void
test_large(void)
{
    enum { ANSWER_MAX = 65507 };
    struct sockaddr_storage servers[2], from;
    struct rl_dns_fwd *f;
    struct sink *s = calloc(1, sizeof(*s));
    uint8_t frame[512], buf[512];
    uint8_t *ans = calloc(1, ANSWER_MAX + 2);
    size_t len;
    int fd = udp_server(AF_INET, &servers[0]), fd6 = udp_server(AF_INET6, &servers[1]);

    if (fd < 0) {
        skip("no loopback UDP socket");
        goto out;
    }
    f = new_fwd(servers, 1, s);
    len = make_frame(frame, 40300, 5, query_dns, sizeof(query_dns));
    ok(rl_dns_fwd_input(f, frame, len), "large: query taken");
    if (recv_within(fd, buf, sizeof(buf), &from, 2000) >= 2) {
        make_answer(ans, get16(buf));
        for (size_t i = 100; i < ANSWER_MAX; i++)
            ans[i] = (uint8_t)i;
        ok(sendto(fd, ans, ANSWER_MAX, 0, (struct sockaddr *)&from, sizeof(from)) == ANSWER_MAX,
           "large: the server sends %d bytes", ANSWER_MAX);
        pump(f, s, 1, 2000);
        is_int(s->n, 1, "large: one frame written");
        put16(ans, 0x1234);
        check_answer(s, 40300, ans, ANSWER_MAX, "large");
    }
    rl_dns_fwd_free(f);

    if (fd6 < 0) {
        skip("large: no IPv6 loopback");
        goto out;
    }
    s->n = 0;
    f = new_fwd(&servers[1], 1, s);
    ok(rl_dns_fwd_input(f, frame, len), "too large: query taken");
    if (recv_within(fd6, buf, sizeof(buf), &from, 2000) >= 2) {
        make_answer(ans, get16(buf));
        ok(sendto(fd6, ans, ANSWER_MAX + 1, 0, (struct sockaddr *)&from, sizeof(from))
               == ANSWER_MAX + 1,
           "too large: the IPv6 server sends %d bytes", ANSWER_MAX + 1);
        pump(f, s, 1, 100);
        is_int(s->n, 0, "too large: dropped");
        ok(sendto(fd6, ans, 100, 0, (struct sockaddr *)&from, sizeof(from)) == 100,
           "too large: then a small answer");
        pump(f, s, 1, 2000);
        is_int(s->n, 1, "too large: the query still waited for it");
    }
    rl_dns_fwd_free(f);
out:
    if (fd >= 0)
        close(fd);
    if (fd6 >= 0)
        close(fd6);
    free(ans);
    free(s);
}

int
main(void)
{
    char pattern[] = "/tmp/rl-test-dns.XXXXXX";
    rl_error_t err = NULL;

    if (mkdtemp(pattern) == NULL || realpath(pattern, tmpdir) == NULL) {
        printf("Bail out! cannot make a scratch directory\n");
        return 1;
    }
    test_resolv();
    test_server_parse();
    test_not_taken();
    test_forward(AF_INET, 5, 0, "forward");
    test_forward(AF_INET, 6, 0, "forward, IP options");
    test_forward(AF_INET, 15, 4, "forward, 40 bytes of IP options, padded frame");
    test_forward(AF_INET6, 5, 0, "forward to an IPv6 server");
    test_wrong_source();
    test_retry();
    test_cap();
    test_large();
    if (rl_rm_rf(tmpdir, &err) < 0)
        printf("# cleanup failed: %s\n", msg(&err));
    done_testing();
}
