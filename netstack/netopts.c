#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "netopts.h"

/* A user's value quoted in an error is cut at this length. */
#define SHOWN_MAX 256
/* slirp4netns' bounds: the container's address is the network's + 100, so at most /25. */
#define CIDR_PREFIX_MIN 1
#define CIDR_PREFIX_MAX 25
#define MTU_MIN         68
#define MTU_MAX         65521

static const char net_modes[] = "slirp[:OPTIONS], none, host, ns:PATH or container:NAME";
static const char slirp_options[] =
    "mtu=, allow_host_loopback=, enable_ipv6=, cidr=, port_handler= or dns_forward=";

static int invalid(rl_error_t *err, const char *what, const char *arg, const char *fmt, ...)
    RL_PRINTF(4, 5);

/* "invalid WHAT 'ARG': why", the shape of every error here. */
static int
invalid(rl_error_t *err, const char *what, const char *arg, const char *fmt, ...)
{
    cleanup_free char *why = NULL;
    cleanup_free char *shown = rl_str_shown(arg, SHOWN_MAX);
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&why, fmt, ap);
    va_end(ap);
    if (r < 0)
        rl_oom();
    return rl_make_error(err, 0, "invalid %s '%s': %s", what, shown, why);
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!is_digit(*s))
            return false;
    return true;
}

/* Go's strconv.ParseBool, which podman uses for option values. */
static bool
parse_bool(const char *v, bool *ret)
{
    static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

    for (size_t i = 0; i < RL_ARRAY_SIZE(yes); i++) {
        if (strcmp(v, yes[i]) == 0) {
            *ret = true;
            return true;
        }
        if (strcmp(v, no[i]) == 0) {
            *ret = false;
            return true;
        }
    }
    return false;
}

/* An IPv4 or IPv6 address (no scope, no brackets) written back in its canonical form: the
 * shortest IPv6 spelling, and an IPv4-mapped IPv6 address as IPv4, as Go's net.IP.String()
 * (podman) writes them. BUF holds INET6_ADDRSTRLEN bytes. */
static bool
canonical_ip(const char *s, char *buf)
{
    struct in6_addr a6;
    struct in_addr a4;

    if (inet_pton(AF_INET, s, &a4) == 1)
        return inet_ntop(AF_INET, &a4, buf, INET6_ADDRSTRLEN) != NULL;
    if (inet_pton(AF_INET6, s, &a6) != 1)
        return false;
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
        memcpy(&a4, &a6.s6_addr[12], sizeof(a4));
        return inet_ntop(AF_INET, &a4, buf, INET6_ADDRSTRLEN) != NULL;
    }
    return inet_ntop(AF_INET6, &a6, buf, INET6_ADDRSTRLEN) != NULL;
}

static bool
is_ip(const char *s)
{
    char buf[INET6_ADDRSTRLEN];

    return canonical_ip(s, buf);
}

void
rl_net_opts_release(struct rl_net_opts *o)
{
    free(o->ns_path);
    free(o->dns_forward);
    memset(o, 0, sizeof(*o));
}

#define cleanup_net_opts __attribute__((cleanup(rl_net_opts_release)))

/* cidr=A.B.C.D/N: a network address (host bits clear) with N in 1..25, as slirp4netns takes. */
static int
parse_cidr(const char *arg, const char *v, char ret[32], rl_error_t *err)
{
    static const char what[] = "--network";
    const char *slash = strchr(v, '/');
    char addr[INET_ADDRSTRLEN];
    struct in_addr a;
    long long prefix;
    uint32_t mask;

    if (slash == NULL || (size_t)(slash - v) >= sizeof(addr) || !all_digits(slash + 1)
        || strlen(slash + 1) > 2)
        return invalid(err, what, arg, "cidr '%s' is not A.B.C.D/N", v);
    memcpy(addr, v, (size_t)(slash - v));
    addr[slash - v] = '\0';
    if (inet_pton(AF_INET, addr, &a) != 1)
        return invalid(err, what, arg, "cidr '%s': '%s' is not an IPv4 address", v, addr);
    if (!rl_parse_ll(slash + 1, CIDR_PREFIX_MIN, CIDR_PREFIX_MAX, &prefix))
        return invalid(
            err, what, arg,
            "cidr '%s': the prefix length must be %d to %d (the container is at the network's address + 100)",
            v, CIDR_PREFIX_MIN, CIDR_PREFIX_MAX);
    mask = ~((UINT32_C(1) << (32 - prefix)) - 1);
    if ((ntohl(a.s_addr) & ~mask) != 0)
        return invalid(err, what, arg,
                       "cidr '%s' is not a network address (like 10.0.2.0/24, not 10.0.2.100/24)",
                       v);
    snprintf(ret, 32, "%s/%lld", addr, prefix);
    return 0;
}

/* dns_forward=ADDR, ADDR:PORT (IPv4), [ADDR]:PORT, [ADDR] or a bare IPv6 ADDR. */
static bool
valid_dns_forward(const char *v)
{
    cleanup_free char *host = NULL;
    const char *port = NULL;
    long long p;

    if (v[0] == '[') {
        const char *close = strchr(v, ']');

        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return false;
        host = xstrndup(v + 1, (size_t)(close - v - 1));
        if (strchr(host, ':') == NULL)
            return false; /* brackets are for IPv6 */
        if (close[1] == ':')
            port = close + 2;
    } else if (strchr(v, ':') && strchr(v, ':') == strrchr(v, ':')) {
        const char *colon = strchr(v, ':');

        host = xstrndup(v, (size_t)(colon - v));
        port = colon + 1;
    } else {
        host = xstrdup(v);
    }
    if (port && !(is_digit(port[0]) && rl_parse_ll(port, 1, 65535, &p)))
        return false;
    return is_ip(host);
}

/* One OPT=VALUE of "slirp:OPT,...". */
static int
slirp_option(struct rl_net_opts *o, const char *arg, const char *opt, rl_error_t *err)
{
    static const char what[] = "--network";
    const char *eq = strchr(opt, '=');
    cleanup_free char *key = eq ? xstrndup(opt, (size_t)(eq - opt)) : xstrdup(opt);
    const char *v = eq ? eq + 1 : NULL;
    long long n;

    if (opt[0] == '\0')
        return invalid(err, what, arg, "empty option");
    if (strcmp(key, "outbound_addr") == 0 || strcmp(key, "outbound_addr6") == 0)
        return invalid(err, what, arg, "option '%s' is not supported", key);
    if (strcmp(key, "mtu") != 0 && strcmp(key, "allow_host_loopback") != 0
        && strcmp(key, "enable_ipv6") != 0 && strcmp(key, "cidr") != 0
        && strcmp(key, "port_handler") != 0 && strcmp(key, "dns_forward") != 0)
        return invalid(err, what, arg, "unknown option '%s': use %s", key, slirp_options);
    if (v == NULL)
        return invalid(err, what, arg, "option '%s' needs a value (%s=...)", key, key);
    if (strcmp(key, "mtu") == 0) {
        if (!is_digit(v[0]) || !rl_parse_ll(v, MTU_MIN, MTU_MAX, &n))
            return invalid(err, what, arg, "mtu '%s' must be a number from %d to %d", v, MTU_MIN,
                           MTU_MAX);
        o->mtu = (int)n;
    } else if (strcmp(key, "allow_host_loopback") == 0) {
        if (!parse_bool(v, &o->allow_host_loopback))
            return invalid(err, what, arg, "allow_host_loopback '%s' must be true or false", v);
    } else if (strcmp(key, "enable_ipv6") == 0) {
        if (!parse_bool(v, &o->enable_ipv6))
            return invalid(err, what, arg, "enable_ipv6 '%s' must be true or false", v);
    } else if (strcmp(key, "cidr") == 0) {
        return parse_cidr(arg, v, o->cidr, err);
    } else if (strcmp(key, "port_handler") == 0) {
        if (strcmp(v, "rootlesskit") == 0)
            o->port_handler = RL_PORT_FORWARDER;
        else if (strcmp(v, "slirp4netns") == 0)
            o->port_handler = RL_PORT_SLIRP;
        else
            return invalid(err, what, arg, "port_handler '%s' must be rootlesskit or slirp4netns",
                           v);
    } else {
        if (!valid_dns_forward(v))
            return invalid(err, what, arg,
                           "dns_forward '%s' is not ADDR, ADDR:PORT or [IPV6ADDR]:PORT", v);
        free(o->dns_forward);
        o->dns_forward = xstrdup(v);
    }
    return 0;
}

static bool
is_slirp_name(const char *name)
{
    return strcmp(name, "slirp") == 0 || strcmp(name, "slirp4netns") == 0;
}

int
rl_net_parse(const char *arg, struct rl_net_opts *ret, rl_error_t *err)
{
    static const char what[] = "--network";
    cleanup_net_opts struct rl_net_opts o = {
        .mode = RL_NET_SLIRP,
        .mtu = 65520,
        .allow_host_loopback = false,
        .enable_ipv6 = true,
        .cidr = "10.0.2.0/24",
        .port_handler = RL_PORT_FORWARDER,
    };
    const char *colon = strchr(arg, ':');
    cleanup_free char *name = colon ? xstrndup(arg, (size_t)(colon - arg)) : xstrdup(arg);
    const char *opts = colon ? colon + 1 : NULL;

    if (name[0] == '\0' && opts)
        return invalid(err, what, arg, "empty network mode: use %s", net_modes);
    if (strcmp(name, "ns") == 0) {
        if (opts == NULL || opts[0] == '\0')
            return invalid(err, what, arg, "ns needs the path of a network namespace (ns:PATH)");
        if (opts[0] != '/')
            return invalid(err, what, arg, "'%s' is not an absolute path", opts);
        if (strlen(opts) >= PATH_MAX)
            return invalid(err, what, arg, "the path is too long");
        o.mode = RL_NET_NS;
        o.ns_path = xstrdup(opts);
    } else if (is_slirp_name(name) && opts) {
        const char *p = opts;

        for (;;) {
            const char *comma = strchr(p, ',');
            cleanup_free char *opt = comma ? xstrndup(p, (size_t)(comma - p)) : xstrdup(p);

            if (slirp_option(&o, arg, opt, err) < 0)
                return -1;
            if (comma == NULL)
                break;
            p = comma + 1;
        }
    } else if (is_slirp_name(name) || strcmp(name, "") == 0 || strcmp(name, "private") == 0
               || strcmp(name, "default") == 0 || strcmp(name, "none") == 0
               || strcmp(name, "host") == 0) {
        if (opts)
            return invalid(err, what, arg, "'%s' takes no options", name);
        if (strcmp(name, "none") == 0)
            o.mode = RL_NET_NONE;
        else if (strcmp(name, "host") == 0)
            o.mode = RL_NET_HOST;
    } else if (strcmp(name, "bridge") == 0) {
        return invalid(err, what, arg, "a bridge needs root and is not available rootless: use %s",
                       net_modes);
    } else if (strcmp(name, "container") == 0) {
        if (!opts || !opts[0])
            return invalid(err, what, arg, "container: needs a container's name or id");
        o.mode = RL_NET_CONTAINER;
        o.ns_path = xstrdup(opts);
    } else if (strcmp(name, "pasta") == 0) {
        return invalid(err, what, arg, "pasta is not supported: use %s", net_modes);
    } else {
        return invalid(
            err, what, arg,
            "unknown network mode '%s' (named networks need a bridge, which needs root): use %s",
            name, net_modes);
    }
    *ret = o;
    memset(&o, 0, sizeof(o));
    return 0;
}

/* A protocol list "tcp", "udp", "tcp,udp" (any case, duplicates merged) -> protos[] in the order
 * given, *N of them (1 or 2). */
static int
parse_protos(const char *what, const char *arg, const char *s, const char *protos[2], size_t *n,
             rl_error_t *err)
{
    const char *p = s;

    *n = 0;
    if (s[0] == '\0')
        return invalid(err, what, arg, "empty protocol");
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *proto;
        bool seen = false;

        if (len == 3 && strncasecmp(p, "tcp", 3) == 0)
            proto = "tcp";
        else if (len == 3 && strncasecmp(p, "udp", 3) == 0)
            proto = "udp";
        else if (len == 0)
            return invalid(err, what, arg, "empty protocol in '%s'", s);
        else if (len == 4 && strncasecmp(p, "sctp", 4) == 0)
            return invalid(err, what, arg, "protocol sctp is not supported: use tcp or udp");
        else
            return invalid(err, what, arg, "unknown protocol '%.*s': use tcp, udp or tcp,udp",
                           (int)len, p);
        for (size_t i = 0; i < *n; i++)
            seen |= strcmp(protos[i], proto) == 0;
        if (!seen)
            protos[(*n)++] = proto;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

/* A port 1..65535, digits only. */
static bool
parse_port(const char *s, uint16_t *ret)
{
    long long v;

    if (!all_digits(s) || !rl_parse_ll(s, 1, 65535, &v))
        return false;
    *ret = (uint16_t)v;
    return true;
}

/* "PORT" or "FIRST-LAST" (LAST > FIRST) -> *START and the number of ports *LEN. WHICH names the
 * part in errors ("host port"). */
static int
parse_range(const char *what, const char *arg, const char *which, const char *s, uint16_t *start,
            uint16_t *len, rl_error_t *err)
{
    const char *dash = strchr(s, '-');
    cleanup_free char *first = dash ? xstrndup(s, (size_t)(dash - s)) : xstrdup(s);
    uint16_t a, b;

    if (s[0] == '\0')
        return invalid(err, what, arg, "empty %s", which);
    if (dash && strchr(dash + 1, '-'))
        return invalid(err, what, arg, "%s range '%s' has more than one '-'", which, s);
    if (!parse_port(first, &a))
        return invalid(err, what, arg, "%s '%s' is not a number from 1 to 65535", which, first);
    if (dash == NULL) {
        *start = a;
        *len = 1;
        return 0;
    }
    if (!parse_port(dash + 1, &b))
        return invalid(err, what, arg, "%s '%s' is not a number from 1 to 65535", which, dash + 1);
    if (b <= a)
        return invalid(err, what, arg, "%s range '%s' must end above its start", which, s);
    *start = a;
    *len = (uint16_t)(b - a + 1);
    return 0;
}

/* "PORTS[/PROTOS]" cut at its '/' (only one). */
static int
split_proto(const char *what, const char *arg, char **ret_ports, const char **ret_protos,
            rl_error_t *err)
{
    const char *slash = strchr(arg, '/');

    if (slash && strchr(slash + 1, '/'))
        return invalid(err, what, arg, "the protocol can only be given once");
    *ret_ports = slash ? xstrndup(arg, (size_t)(slash - arg)) : xstrdup(arg);
    *ret_protos = slash ? slash + 1 : "tcp";
    return 0;
}

/* The host address of -p: "" for 0.0.0.0 (every address, as podman), else canonical. */
static int
publish_ip(const char *arg, const char *ip, char ret[64], rl_error_t *err)
{
    char buf[INET6_ADDRSTRLEN];

    if (ip[0] == '\0')
        return invalid(err, "--publish", arg, "empty host address");
    if (!canonical_ip(ip, buf))
        return invalid(err, "--publish", arg, "'%s' is not an IP address", ip);
    snprintf(ret, 64, "%s", strcmp(buf, "0.0.0.0") == 0 ? "" : buf);
    return 0;
}

int
rl_port_parse(const char *arg, struct rl_port_map **maps, size_t *n, rl_error_t *err)
{
    static const char what[] = "--publish";
    cleanup_free char *ports = NULL;
    cleanup_free char *ip = NULL, *host = NULL, *ctr = NULL;
    const char *protos_s = NULL, *protos[2], *rest;
    struct rl_port_map *out;
    uint16_t ctr_start, ctr_len, host_start = 0, host_len = 0;
    size_t n_protos, n_colons = 0, total;
    char host_ip[64] = "";

    if (arg[0] == '\0')
        return invalid(err, what, arg, "empty value");
    if (split_proto(what, arg, &ports, &protos_s, err) < 0)
        return -1;
    rest = ports;
    if (ports[0] == '[') {
        const char *close = strchr(ports, ']');

        if (close == NULL)
            return invalid(err, what, arg, "'[' without ']'");
        if (close[1] != ':')
            return invalid(err, what, arg, "the address in brackets must be followed by ':'");
        ip = xstrndup(ports + 1, (size_t)(close - ports - 1));
        rest = close + 2;
        if (strchr(rest, ':') == NULL)
            return invalid(
                err, what, arg,
                "an address needs a host port and a container port: use [ADDR]:[HOSTPORT]:CTRPORT");
    }
    if (strchr(rest, '[') || strchr(rest, ']'))
        return invalid(err, what, arg, "misplaced '[' or ']' (IPv6 addresses: [::1]:8080:80)");
    for (const char *c = rest; *c; c++)
        n_colons += *c == ':';
    if (n_colons > (ip ? 1u : 2u))
        return invalid(
            err, what, arg,
            "too many ':': use [[HOSTIP:][HOSTPORT]:]CTRPORT[/PROTO], IPv6 addresses in brackets ([::1]:8080:80)");
    if (n_colons == 2) {
        const char *c1 = strchr(rest, ':'), *c2 = strchr(c1 + 1, ':');

        ip = xstrndup(rest, (size_t)(c1 - rest));
        host = xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
        ctr = xstrdup(c2 + 1);
    } else if (n_colons == 1) {
        const char *c1 = strchr(rest, ':');

        host = xstrndup(rest, (size_t)(c1 - rest));
        ctr = xstrdup(c1 + 1);
    } else {
        ctr = xstrdup(rest);
    }
    if (ctr[0] == '\0')
        return invalid(err, what, arg, "empty container port");
    if (parse_range(what, arg, "container port", ctr, &ctr_start, &ctr_len, err) < 0)
        return -1;
    if (host && host[0]) {
        if (parse_range(what, arg, "host port", host, &host_start, &host_len, err) < 0)
            return -1;
        if (host_len != ctr_len)
            return invalid(err, what, arg,
                           "%u host ports for %u container ports: the ranges must be as long",
                           (unsigned)host_len, (unsigned)ctr_len);
    }
    if (ip && publish_ip(arg, ip, host_ip, err) < 0)
        return -1;
    if (parse_protos(what, arg, protos_s, protos, &n_protos, err) < 0)
        return -1;
    total = (size_t)ctr_len * n_protos;
    if (*n > RL_PORTS_MAX || total > RL_PORTS_MAX - *n)
        return invalid(err, what, arg, "too many published ports (at most %d)", RL_PORTS_MAX);

    out = xrealloc(*maps, (*n + total) * sizeof(**maps));
    for (size_t p = 0, k = *n; p < n_protos; p++) {
        for (uint16_t i = 0; i < ctr_len; i++, k++) {
            struct rl_port_map *m = &out[k];

            memset(m, 0, sizeof(*m));
            memcpy(m->host_ip, host_ip, sizeof(m->host_ip));
            m->host_port = host_len ? (uint16_t)(host_start + i) : 0;
            m->ctr_port = (uint16_t)(ctr_start + i);
            memcpy(m->proto, protos[p], 4);
        }
    }
    *maps = out;
    *n += total;
    return 0;
}

int
rl_expose_parse(const char *arg, char ***ports, rl_error_t *err)
{
    static const char what[] = "--expose";
    cleanup_free char *range = NULL;
    const char *protos_s = NULL, *protos[2];
    uint16_t start, len;
    size_t n_protos, have = rl_strv_len(*ports), total;
    char **v;

    if (arg[0] == '\0')
        return invalid(err, what, arg, "empty value");
    if (split_proto(what, arg, &range, &protos_s, err) < 0)
        return -1;
    if (parse_range(what, arg, "port", range, &start, &len, err) < 0)
        return -1;
    if (parse_protos(what, arg, protos_s, protos, &n_protos, err) < 0)
        return -1;
    total = (size_t)len * n_protos;
    if (have > RL_PORTS_MAX || total > RL_PORTS_MAX - have)
        return invalid(err, what, arg, "too many exposed ports (at most %d)", RL_PORTS_MAX);

    /* One realloc, not one rl_strv_push() per port: a range holds up to 65535. */
    v = xrealloc(*ports, (have + total + 1) * sizeof(char *));
    for (size_t p = 0; p < n_protos; p++)
        for (uint16_t i = 0; i < len; i++)
            v[have++] = xasprintf("%u/%s", (unsigned)(start + i), protos[p]);
    v[have] = NULL;
    *ports = v;
    return 0;
}

int
rl_port_key_parse(const char *key, uint16_t *port, char proto[4], rl_error_t *err)
{
    static const char what[] = "port";
    const char *slash = strchr(key, '/');
    cleanup_free char *num = slash ? xstrndup(key, (size_t)(slash - key)) : xstrdup(key);
    const char *p = slash ? slash + 1 : "tcp";
    uint16_t v;

    if (!parse_port(num, &v))
        return invalid(err, what, key, "'%s' is not a number from 1 to 65535", num);
    if (strcasecmp(p, "tcp") != 0 && strcasecmp(p, "udp") != 0)
        return invalid(err, what, key, "protocol '%s' is not supported: use tcp or udp", p);
    *port = v;
    memcpy(proto, strcasecmp(p, "tcp") == 0 ? "tcp" : "udp", 4);
    return 0;
}

/* A name of /etc/hosts: none of white space, control bytes and '#' (a comment there). */
static bool
valid_host_name(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c <= ' ' || c == 0x7f || c == '#')
            return false;
    }
    return true;
}

int
rl_add_host_parse(const char *arg, char **ret_name, char **ret_ip, rl_error_t *err)
{
    static const char what[] = "--add-host";
    const char *colon = strchr(arg, ':');
    cleanup_free char *names = NULL, *ip = NULL;
    const char *p = arg;
    size_t ip_len;

    if (colon == NULL)
        return invalid(err, what, arg, "use NAME:IP");
    /* podman 5 takes "NAME1;NAME2:IP"; /etc/hosts wants the names separated by spaces. */
    names = xstrndup(arg, (size_t)(colon - arg));
    for (;;) {
        size_t len = strcspn(p, ";:");

        if (len == 0)
            return invalid(err, what, arg, "empty host name");
        if (!valid_host_name(p, len))
            return invalid(err, what, arg,
                           "host name '%.*s' contains white space, a control character or '#'",
                           (int)len, p);
        if (p[len] == ':')
            break;
        names[p + len - arg] = ' ';
        p += len + 1;
    }
    ip_len = strlen(colon + 1);
    /* docker and podman 5 also take an IPv6 address in brackets. */
    if (ip_len > 2 && colon[1] == '[' && colon[ip_len] == ']')
        ip = xstrndup(colon + 2, ip_len - 2);
    else
        ip = xstrdup(colon + 1);
    if (strcmp(ip, "host-gateway") != 0 && !is_ip(ip))
        return invalid(err, what, arg, "'%s' is not an IP address (or host-gateway)", colon + 1);
    *ret_name = steal_pointer(&names);
    *ret_ip = steal_pointer(&ip);
    return 0;
}

int
rl_dns_server_check(const char *arg, rl_error_t *err)
{
    if (strcasecmp(arg, "none") == 0 || is_ip(arg))
        return 0;
    return invalid(err, "--dns", arg, "not an IP address (or none)");
}

/* docker's ValidateDomain, which podman also follows: labels of letters, digits and '-' (not at
 * either end), dot-separated, an optional final '.', a letter somewhere; also at most 63 bytes
 * a label and 253 in all (RFC 1035). */
int
rl_dns_search_check(const char *arg, rl_error_t *err)
{
    static const char what[] = "--dns-search";
    static const char label_chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
    size_t total = strlen(arg);
    cleanup_free char *domain = NULL;
    bool letter = false;
    const char *p;

    if (strcmp(arg, ".") == 0)
        return 0;
    if (total == 0)
        return invalid(err, what, arg, "empty domain");
    if (arg[total - 1] == '.')
        total--;
    if (total > 253)
        return invalid(err, what, arg, "the domain is longer than 253 bytes");
    domain = xstrndup(arg, total);
    for (p = domain;; p++) {
        size_t len = strspn(p, label_chars);

        if (len == 0 || (p[len] != '.' && p[len] != '\0'))
            return invalid(err, what, arg,
                           "not a domain name: use letters, digits, '-' and '.' (or '.' for none)");
        if (p[0] == '-' || p[len - 1] == '-')
            return invalid(err, what, arg, "a label of the domain starts or ends with '-'");
        if (len > 63)
            return invalid(err, what, arg, "a label of the domain is longer than 63 bytes");
        for (size_t i = 0; i < len; i++)
            letter |= is_alpha(p[i]);
        p += len;
        if (*p == '\0')
            break;
    }
    if (!letter)
        return invalid(err, what, arg, "not a domain name: it has no letter");
    return 0;
}
