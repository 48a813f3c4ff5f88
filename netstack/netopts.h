/* Parsers of the network options of `rl run` and `rl create`, podman-compatible: --network,
 * -p/--publish, --expose, --dns*, --add-host. They only parse: nothing touches the host.
 * Errors name the bad value. */
#ifndef RL_NETSTACK_NETOPTS_H
#define RL_NETSTACK_NETOPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum rl_net_mode {
    RL_NET_SLIRP,     /* the default: user-mode network (libslirp in the monitor) */
    RL_NET_NONE,      /* a namespace with loopback only */
    RL_NET_HOST,      /* the host's namespace */
    RL_NET_NS,        /* join the namespace at ns_path */
    RL_NET_CONTAINER, /* join the namespace of the running container named ns_path */
};

enum rl_port_handler {
    RL_PORT_FORWARDER, /* rl's socket-level forwarder (podman's "rootlesskit"): fast */
    RL_PORT_SLIRP,     /* libslirp's hostfwd (podman's "slirp4netns"): keeps the client's address */
};

struct rl_net_opts {
    enum rl_net_mode mode;
    char *ns_path; /* RL_NET_NS; RL_NET_CONTAINER: the container's name or id */
    /* RL_NET_SLIRP: */
    int mtu;                  /* 65520 unless mtu= */
    bool allow_host_loopback; /* 10.0.2.2 reaches the host's 127.0.0.1 (default false) */
    bool enable_ipv6;         /* fd00::/64 (default true) */
    char cidr[32];            /* "10.0.2.0/24" unless cidr= */
    enum rl_port_handler port_handler;
    char *dns_forward; /* dns_forward=ADDR[:PORT]: where 10.0.2.3 sends queries (NULL: the host's
                          resolv.conf) */
};
void rl_net_opts_release(struct rl_net_opts *o);

/* --network/--net: "slirp" (alias "slirp4netns", "private", "" and "default"), "slirp:OPT,..." with
 * OPT one of mtu=N (68..65521), allow_host_loopback=BOOL, enable_ipv6=BOOL, cidr=A.B.C.D/N
 * (a network address, N 1..25 as slirp4netns: the container is at the network's address + 100),
 * port_handler=rootlesskit|slirp4netns, dns_forward=ADDR[:PORT] (IPv6 as [ADDR]:PORT, or a bare
 * ADDR); "none"; "host"; "ns:PATH" (absolute). BOOL is Go's ParseBool set, as podman: 1 t T TRUE
 * true True, 0 f F FALSE false False. A later option replaces an earlier one. Unknown modes
 * ("bridge", "pasta", "container:", named networks) and options are errors that list what exists.
 * *RET is written only on success. */
int rl_net_parse(const char *arg, struct rl_net_opts *ret, rl_error_t *err);

struct rl_port_map {
    char host_ip[64];   /* "" for every address; IPv6 without brackets */
    uint16_t host_port; /* 0: chosen by the kernel when bound */
    uint16_t ctr_port;
    char proto[4]; /* "tcp" or "udp" ("sctp" refused) */
};
/* At most this many port maps in *MAPS, and strings in --expose's *PORTS (a full range of each
 * protocol). */
#define RL_PORTS_MAX (2 * 65536)

/* -p/--publish "[[HOSTIP:][HOSTPORT]:]CTRPORT[/PROTO]": ports or ranges ("8000-8010:80-90": the
 * two ranges of equal length; "8000-8010:80" refused; a container range without host ports
 * gets random host ports), IPv6 host addresses in brackets ("[::1]:8080:80"), PROTO tcp, udp or
 * "tcp,udp" (two maps; any case, duplicates merged, sctp refused). Appends one map per port to
 * *MAPS (realloc'd; *N counts), protocol by protocol. Ports 1..65535 as given ("0" refused);
 * an empty HOSTPORT (":80", "127.0.0.1::80") or none ("80") gives host_port 0, random, as podman.
 * HOSTIP is written canonically (inet_ntop; an IPv4-mapped IPv6 address as IPv4), and 0.0.0.0
 * as "". On error *MAPS and *N are unchanged. "invalid --publish 'ARG': why". */
int rl_port_parse(const char *arg, struct rl_port_map **maps, size_t *n, rl_error_t *err);
/* --expose PORT[/PROTO] or a range, PROTO as -p's: appends "PORT/PROTO" strings to *PORTS (a
 * NULL-terminated vector, may be NULL), duplicates kept (the caller merges them). */
int rl_expose_parse(const char *arg, char ***ports, rl_error_t *err);
/* "80/tcp" (an image's ExposedPorts key, or --expose's output) -> port and proto; "80" is tcp,
 * "80/sctp" and ranges are refused. */
int rl_port_key_parse(const char *key, uint16_t *port, char proto[4], rl_error_t *err);

/* --add-host "NAME:IP" (IPv6 may hold ':'s: split at the first ':'; "NAME:host-gateway"
 * accepted, IP set to "host-gateway" for the caller to replace). IPv6 may be in brackets, which
 * are dropped. NAME may be "NAME1;NAME2" (podman 5): *RET_NAME then holds the names separated by
 * spaces, as in /etc/hosts. Names must not hold white space, control bytes or '#'. */
int rl_add_host_parse(const char *arg, char **ret_name, char **ret_ip, rl_error_t *err);
/* --dns: an IPv4 or IPv6 address (no scope, no brackets, no port), or "none" (any case). */
int rl_dns_server_check(const char *arg, rl_error_t *err);
/* --dns-search: a domain name, or "." for none: docker's rules (letters, digits, '-' not at a
 * label's ends, a final '.' allowed, some letter), labels of at most 63 bytes, 253 in all. */
int rl_dns_search_check(const char *arg, rl_error_t *err);

#endif
