#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "netopts.h"
#include "tap_error.h"

/* MAPS as "IP|HOST->CTR/PROTO" joined with ' ', in a static buffer. */
static const char *
maps_str(const struct rl_port_map *maps, size_t n)
{
    static char buf[4096];
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof(buf); i++)
        len +=
            (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s|%u->%u/%s", i ? " " : "",
                             maps[i].host_ip, maps[i].host_port, maps[i].ctr_port, maps[i].proto);
    return buf;
}

/* -p ARG parses into WANT (as maps_str() writes it). */
static void
pub_ok(const char *arg, const char *want)
{
    struct rl_port_map *maps = NULL;
    rl_error_t err = NULL;
    size_t n = 0;

    ok(rl_port_parse(arg, &maps, &n, &err) == 0, "-p '%s' parses", arg);
    if (err)
        printf("#   %s\n", msg(&err));
    is_str(maps_str(maps, n), want, "-p '%s' maps", arg);
    free(maps);
}

/* -p ARG is refused with a message holding WANT, and the maps are left alone. */
static void
pub_bad(const char *arg, const char *want)
{
    struct rl_port_map *maps = xzalloc(sizeof(*maps)), *before = maps;
    rl_error_t err = NULL;
    size_t n = 1;

    snprintf(maps[0].proto, sizeof(maps[0].proto), "tcp");
    maps[0].ctr_port = 1;
    ok(rl_port_parse(arg, &maps, &n, &err) < 0 && n == 1 && maps == before && maps[0].ctr_port == 1,
       "-p '%s' is refused and changes nothing", arg);
    like(msg(&err), want, "-p '%s': %s", arg, want);
    free(maps);
}

static void
test_publish_good(void)
{
    pub_ok("80", "|0->80/tcp");
    pub_ok("8080:80", "|8080->80/tcp");
    pub_ok("65535:1", "|65535->1/tcp");
    pub_ok("1:65535", "|1->65535/tcp");
    pub_ok("080:0080", "|80->80/tcp");
    pub_ok("127.0.0.1:8080:80", "127.0.0.1|8080->80/tcp");
    pub_ok("127.0.0.1::80", "127.0.0.1|0->80/tcp");
    pub_ok(":80", "|0->80/tcp");
    pub_ok(":80/udp", "|0->80/udp");
    pub_ok("0.0.0.0:8080:80", "|8080->80/tcp");
    pub_ok("0.0.0.0::80", "|0->80/tcp");
    pub_ok("192.168.1.10:53:53/udp", "192.168.1.10|53->53/udp");
    pub_ok("[::1]:8080:80", "::1|8080->80/tcp");
    pub_ok("[::1]:8080:80/udp", "::1|8080->80/udp");
    pub_ok("[::1]::80", "::1|0->80/tcp");
    pub_ok("[::]:8080:80", "::|8080->80/tcp");
    pub_ok("[0:0:0:0:0:0:0:1]:8080:80", "::1|8080->80/tcp");
    pub_ok("[FE80::1]:8080:80", "fe80::1|8080->80/tcp");
    pub_ok("[2001:db8::a:b]:1:2", "2001:db8::a:b|1->2/tcp");
    pub_ok("[::ffff:127.0.0.1]:8080:80", "127.0.0.1|8080->80/tcp");
    pub_ok("[127.0.0.1]:8080:80", "127.0.0.1|8080->80/tcp");
    pub_ok("80/tcp", "|0->80/tcp");
    pub_ok("80/udp", "|0->80/udp");
    pub_ok("80/TCP", "|0->80/tcp");
    pub_ok("80/Udp", "|0->80/udp");
    pub_ok("8080:80/tcp,udp", "|8080->80/tcp |8080->80/udp");
    pub_ok("8080:80/udp,tcp", "|8080->80/udp |8080->80/tcp");
    pub_ok("8080:80/tcp,tcp", "|8080->80/tcp");
    pub_ok("8080:80/tcp,TCP,udp,udp", "|8080->80/tcp |8080->80/udp");
    pub_ok("80-82", "|0->80/tcp |0->81/tcp |0->82/tcp");
    pub_ok("8000-8002:80-82", "|8000->80/tcp |8001->81/tcp |8002->82/tcp");
    pub_ok("127.0.0.1:8000-8001:80-81/udp", "127.0.0.1|8000->80/udp 127.0.0.1|8001->81/udp");
    pub_ok("127.0.0.1::80-81", "127.0.0.1|0->80/tcp 127.0.0.1|0->81/tcp");
    pub_ok(":80-81", "|0->80/tcp |0->81/tcp");
    pub_ok("[::1]:8000-8001:80-81", "::1|8000->80/tcp ::1|8001->81/tcp");
    pub_ok("8000-8001:80-81/tcp,udp", "|8000->80/tcp |8001->81/tcp |8000->80/udp |8001->81/udp");
    pub_ok("65534-65535:1-2", "|65534->1/tcp |65535->2/tcp");
    pub_ok("1-2:65534-65535", "|1->65534/tcp |2->65535/tcp");
}

static void
test_publish_range(void)
{
    struct rl_port_map *maps = NULL;
    rl_error_t err = NULL;
    size_t n = 0;

    ok(rl_port_parse("8000-8010:80-90", &maps, &n, &err) == 0, "-p 8000-8010:80-90");
    is_int(n, 11, "eleven maps");
    ok(maps[0].host_port == 8000 && maps[0].ctr_port == 80, "the first is 8000->80");
    ok(maps[10].host_port == 8010 && maps[10].ctr_port == 90, "the last is 8010->90");
    ok(rl_port_parse("127.0.0.1:9000:90/udp", &maps, &n, &err) == 0, "a second -p appends");
    is_int(n, 12, "twelve maps");
    is_str(maps_str(maps + 11, 1), "127.0.0.1|9000->90/udp", "the appended map");
    ok(maps[0].host_port == 8000 && maps[10].ctr_port == 90, "the earlier maps are kept");
    ok(rl_port_parse("1-65535/tcp,udp", &maps, &n, &err) < 0 && n == 12,
       "the number of maps is limited");
    like(msg(&err), "too many published ports (at most 131072)", "too many ports message");
    free(maps);

    maps = NULL;
    n = 0;
    ok(rl_port_parse("1-65535/tcp,udp", &maps, &n, &err) == 0, "-p 1-65535/tcp,udp");
    is_int(n, 2 * 65535, "two full ranges");
    is_str(maps_str(maps + n - 1, 1), "|0->65535/udp", "the last of them");
    ok(rl_port_parse("1-2", &maps, &n, &err) == 0 && n == 131072, "up to the limit");
    ok(rl_port_parse("3", &maps, &n, &err) < 0 && n == 131072, "one more is refused");
    like(msg(&err), "too many published ports", "too many ports message at the limit");
    free(maps);
}

static void
test_publish_bad(void)
{
    pub_bad("", "invalid --publish '': empty value");
    pub_bad("abc", "invalid --publish 'abc': container port 'abc' is not a number from 1 to 65535");
    pub_bad("0", "container port '0' is not a number from 1 to 65535");
    pub_bad("0:80", "invalid --publish '0:80': host port '0' is not a number from 1 to 65535");
    pub_bad("80:0", "container port '0' is not a number");
    pub_bad("70000:80", "host port '70000' is not a number from 1 to 65535");
    pub_bad("80:70000", "container port '70000' is not a number");
    pub_bad("65536", "container port '65536'");
    pub_bad("99999999999999999999", "is not a number");
    pub_bad("+80", "container port '+80' is not a number");
    pub_bad("-80", "container port '' is not a number");
    pub_bad(" 80", "container port ' 80'");
    pub_bad("80 ", "container port '80 '");
    pub_bad("8080:80/sctp", "protocol sctp is not supported: use tcp or udp");
    pub_bad("8080:80/SCTP", "protocol sctp is not supported");
    pub_bad("80/tcp,sctp", "protocol sctp is not supported");
    pub_bad("80/icmp", "unknown protocol 'icmp': use tcp, udp or tcp,udp");
    pub_bad("80/tcpx", "unknown protocol 'tcpx'");
    pub_bad("80/", "empty protocol");
    pub_bad("80/tcp,", "empty protocol in 'tcp,'");
    pub_bad("80/,udp", "empty protocol in ',udp'");
    pub_bad("80/tcp/udp", "the protocol can only be given once");
    pub_bad("8000-8010:80-85", "11 host ports for 6 container ports: the ranges must be as long");
    pub_bad("8000-8010:80", "11 host ports for 1 container ports");
    pub_bad("8080:80-81", "1 host ports for 2 container ports");
    pub_bad("80-80", "container port range '80-80' must end above its start");
    pub_bad("90-80", "container port range '90-80' must end above its start");
    pub_bad("90-80:80-90", "host port range '90-80' must end above its start");
    pub_bad("80-", "container port '' is not a number");
    pub_bad("80-90-100", "container port range '80-90-100' has more than one '-'");
    pub_bad("80-70000", "container port '70000' is not a number");
    pub_bad("1.2.3:80:80", "'1.2.3' is not an IP address");
    pub_bad("1.2.3.4.5:80:80", "'1.2.3.4.5' is not an IP address");
    pub_bad("256.1.1.1:80:80", "'256.1.1.1' is not an IP address");
    pub_bad("01.2.3.4:80:80", "'01.2.3.4' is not an IP address");
    pub_bad("localhost:80:80", "'localhost' is not an IP address");
    pub_bad("::80", "empty host address");
    pub_bad("[]:80:80", "empty host address");
    pub_bad("[::1:80:80", "'[' without ']'");
    pub_bad("::1]:80:80", "misplaced '[' or ']'");
    pub_bad("[::1]", "the address in brackets must be followed by ':'");
    pub_bad("[::1]80:80", "the address in brackets must be followed by ':'");
    pub_bad("[::1]:80", "an address needs a host port and a container port");
    pub_bad("[::1]:1:2:3", "too many ':'");
    pub_bad("[::1]:[::2]:80", "misplaced '[' or ']'");
    pub_bad("[fe80::1%eth0]:80:80", "'fe80::1%eth0' is not an IP address");
    pub_bad("[::g]:80:80", "'::g' is not an IP address");
    pub_bad("::1:8080:80", "too many ':'");
    pub_bad("1.2.3.4:1:2:3", "IPv6 addresses in brackets");
    pub_bad("8080:", "empty container port");
    pub_bad("127.0.0.1:8080:", "empty container port");
    pub_bad(":", "empty container port");
    pub_bad("/tcp", "empty container port");
    pub_bad("127.0.0.1:80", "host port '127.0.0.1' is not a number");
    pub_bad("x:80", "host port 'x' is not a number");
    pub_bad("80:x", "container port 'x' is not a number");
    pub_bad("80\x01", "invalid --publish '80\\x01'");
}

/* --expose ARG appends WANT (joined with ' ') to an empty vector. */
static void
expose_ok(const char *arg, const char *want)
{
    char buf[1024] = "";
    char **ports = NULL;
    rl_error_t err = NULL;
    size_t len = 0;

    ok(rl_expose_parse(arg, &ports, &err) == 0, "--expose '%s' parses", arg);
    if (err)
        printf("#   %s\n", msg(&err));
    for (size_t i = 0; ports && ports[i]; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", ports[i]);
    is_str(buf, want, "--expose '%s' ports", arg);
    rl_strv_free(ports);
}

static void
expose_bad(const char *arg, const char *want)
{
    char **ports = NULL;
    rl_error_t err = NULL;

    rl_strv_push(&ports, "1/tcp");
    ok(rl_expose_parse(arg, &ports, &err) < 0 && rl_strv_len(ports) == 1,
       "--expose '%s' is refused and changes nothing", arg);
    like(msg(&err), want, "--expose '%s': %s", arg, want);
    rl_strv_free(ports);
}

static void
test_expose(void)
{
    char **ports = NULL;
    rl_error_t err = NULL;

    expose_ok("80", "80/tcp");
    expose_ok("80/tcp", "80/tcp");
    expose_ok("53/udp", "53/udp");
    expose_ok("53/UDP", "53/udp");
    expose_ok("53/tcp,udp", "53/tcp 53/udp");
    expose_ok("53/udp,tcp,udp", "53/udp 53/tcp");
    expose_ok("8000-8002", "8000/tcp 8001/tcp 8002/tcp");
    expose_ok("1-2/tcp,udp", "1/tcp 2/tcp 1/udp 2/udp");
    expose_ok("65535", "65535/tcp");

    expose_bad("", "invalid --expose '': empty value");
    expose_bad("0", "port '0' is not a number from 1 to 65535");
    expose_bad("65536", "port '65536' is not a number");
    expose_bad("abc", "port 'abc' is not a number");
    expose_bad("80/sctp", "protocol sctp is not supported");
    expose_bad("80/", "empty protocol");
    expose_bad("80/tcp/udp", "the protocol can only be given once");
    expose_bad("90-80", "port range '90-80' must end above its start");
    expose_bad("8080:80", "port '8080:80' is not a number");
    expose_bad("/tcp", "empty port");

    rl_strv_push(&ports, "22/tcp");
    ok(rl_expose_parse("80-81/udp", &ports, &err) == 0 && rl_strv_len(ports) == 3,
       "--expose appends");
    is_str(ports[0], "22/tcp", "the earlier port is kept");
    is_str(ports[2], "81/udp", "the last appended");
    ok(rl_expose_parse("1-65535/tcp,udp", &ports, &err) < 0 && rl_strv_len(ports) == 3,
       "the number of ports is limited");
    like(msg(&err), "too many exposed ports (at most 131072)", "too many exposed ports message");
    rl_strv_free(ports);

    ports = NULL;
    ok(rl_expose_parse("1-65535/tcp,udp", &ports, &err) == 0, "--expose 1-65535/tcp,udp");
    is_int(rl_strv_len(ports), 2 * 65535, "two full ranges");
    ok(ports[2 * 65535] == NULL, "the vector ends with NULL");
    is_str(ports[2 * 65535 - 1], "65535/udp", "the last of them");
    ok(rl_expose_parse("1-2", &ports, &err) == 0 && rl_strv_len(ports) == 131072,
       "up to the limit");
    ok(rl_expose_parse("3", &ports, &err) < 0 && rl_strv_len(ports) == 131072,
       "one more is refused");
    like(msg(&err), "too many exposed ports", "too many exposed ports message at the limit");
    rl_strv_free(ports);
}

static void
key_ok(const char *key, unsigned want_port, const char *want_proto)
{
    rl_error_t err = NULL;
    uint16_t port = 0;
    char proto[4] = "";

    ok(rl_port_key_parse(key, &port, proto, &err) == 0, "port key '%s' parses", key);
    if (err)
        printf("#   %s\n", msg(&err));
    is_int(port, want_port, "port key '%s': port", key);
    is_str(proto, want_proto, "port key '%s': protocol", key);
}

static void
key_bad(const char *key, const char *want)
{
    rl_error_t err = NULL;
    uint16_t port = 7;
    char proto[4] = "xyz";

    ok(rl_port_key_parse(key, &port, proto, &err) < 0 && port == 7 && strcmp(proto, "xyz") == 0,
       "port key '%s' is refused and nothing is written", key);
    like(msg(&err), want, "port key '%s': %s", key, want);
}

static void
test_port_key(void)
{
    key_ok("80/tcp", 80, "tcp");
    key_ok("53/udp", 53, "udp");
    key_ok("80", 80, "tcp");
    key_ok("443/TCP", 443, "tcp");
    key_ok("53/Udp", 53, "udp");
    key_ok("1/tcp", 1, "tcp");
    key_ok("65535/udp", 65535, "udp");

    key_bad("", "invalid port '': '' is not a number from 1 to 65535");
    key_bad("0/tcp", "'0' is not a number from 1 to 65535");
    key_bad("65536/tcp", "'65536' is not a number");
    key_bad("http/tcp", "'http' is not a number");
    key_bad("80/sctp", "protocol 'sctp' is not supported: use tcp or udp");
    key_bad("80/", "protocol '' is not supported");
    key_bad("80/tcp,udp", "protocol 'tcp,udp' is not supported");
    key_bad("80-81/tcp", "'80-81' is not a number");
    key_bad("/tcp", "'' is not a number");
}

/* --network ARG parses; the options are handed back for checks. */
static bool
net_ok(const char *arg, struct rl_net_opts *o)
{
    rl_error_t err = NULL;
    int r = rl_net_parse(arg, o, &err);

    if (r < 0)
        printf("#   %s\n", msg(&err));
    return r == 0;
}

static void
net_bad(const char *arg, const char *want)
{
    struct rl_net_opts o = { .mode = RL_NET_HOST, .mtu = 7 };
    rl_error_t err = NULL;

    ok(rl_net_parse(arg, &o, &err) < 0 && o.mode == RL_NET_HOST && o.mtu == 7 && o.ns_path == NULL,
       "--network '%s' is refused and nothing is written", arg);
    like(msg(&err), want, "--network '%s': %s", arg, want);
}

static void
test_net_modes(void)
{
    static const char *const slirp_names[] = { "slirp", "slirp4netns", "private", "", "default" };
    struct rl_net_opts o;

    for (size_t i = 0; i < RL_ARRAY_SIZE(slirp_names); i++) {
        memset(&o, 0xff, sizeof(o));
        ok(net_ok(slirp_names[i], &o) && o.mode == RL_NET_SLIRP, "--network '%s' is slirp",
           slirp_names[i]);
        ok(o.mtu == 65520 && !o.allow_host_loopback && o.enable_ipv6
               && o.port_handler == RL_PORT_FORWARDER && o.ns_path == NULL && o.dns_forward == NULL,
           "--network '%s': the defaults", slirp_names[i]);
        is_str(o.cidr, "10.0.2.0/24", "--network '%s': the default cidr", slirp_names[i]);
        rl_net_opts_release(&o);
    }
    ok(net_ok("none", &o) && o.mode == RL_NET_NONE && o.ns_path == NULL, "--network none");
    rl_net_opts_release(&o);
    ok(net_ok("host", &o) && o.mode == RL_NET_HOST, "--network host");
    rl_net_opts_release(&o);
    ok(net_ok("ns:/proc/1/ns/net", &o) && o.mode == RL_NET_NS, "--network ns:PATH");
    is_str(o.ns_path, "/proc/1/ns/net", "the namespace path");
    rl_net_opts_release(&o);
    ok(o.ns_path == NULL && o.dns_forward == NULL, "release empties the options");
    ok(net_ok("ns:/run/netns/a:b", &o) && o.mode == RL_NET_NS, "a path may hold ':'");
    is_str(o.ns_path, "/run/netns/a:b", "the path runs to the end");
    rl_net_opts_release(&o);
    rl_net_opts_release(&o);
    ok(o.ns_path == NULL, "release twice is harmless");

    net_bad(
        "bridge",
        "invalid --network 'bridge': a bridge needs root and is not available rootless: use slirp[:OPTIONS], none, host, ns:PATH or container:NAME");
    net_bad("bridge:ip=10.88.0.5", "a bridge needs root");
    net_bad("pasta",
            "pasta is not supported: use slirp[:OPTIONS], none, host, ns:PATH or container:NAME");
    net_bad("pasta:-T,8080", "pasta is not supported");
    ok(net_ok("container:web", &o) && o.mode == RL_NET_CONTAINER && strcmp(o.ns_path, "web") == 0,
       "--network container:web");
    rl_net_opts_release(&o);
    net_bad("container:", "container: needs a container's name or id");
    net_bad(
        "mynet",
        "unknown network mode 'mynet' (named networks need a bridge, which needs root): use slirp[:OPTIONS], none, host, ns:PATH or container:NAME");
    net_bad("net1,net2", "unknown network mode 'net1,net2'");
    net_bad("Host", "unknown network mode 'Host'");
    net_bad("SLIRP", "unknown network mode 'SLIRP'");
    net_bad("slirp4", "unknown network mode 'slirp4'");
    net_bad("none:x", "'none' takes no options");
    net_bad("host:", "'host' takes no options");
    net_bad("private:mtu=1500", "'private' takes no options");
    net_bad("default:", "'default' takes no options");
    net_bad(":", "empty network mode: use slirp");
    net_bad(":mtu=1500", "empty network mode");
    net_bad("ns", "ns needs the path of a network namespace (ns:PATH)");
    net_bad("ns:", "ns needs the path");
    net_bad("ns:proc/1/ns/net", "'proc/1/ns/net' is not an absolute path");
    net_bad("ns:./x", "'./x' is not an absolute path");
}

static void
test_net_slirp_options(void)
{
    struct rl_net_opts o;

    ok(net_ok("slirp:mtu=1500", &o) && o.mode == RL_NET_SLIRP && o.mtu == 1500, "mtu=1500");
    rl_net_opts_release(&o);
    ok(net_ok("slirp4netns:mtu=68", &o) && o.mtu == 68, "mtu=68, the least");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:mtu=65521", &o) && o.mtu == 65521, "mtu=65521, the most");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:allow_host_loopback=true", &o) && o.allow_host_loopback,
       "allow_host_loopback=true");
    ok(o.enable_ipv6 && o.mtu == 65520, "the other defaults stay");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:enable_ipv6=false", &o) && !o.enable_ipv6, "enable_ipv6=false");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:port_handler=slirp4netns", &o) && o.port_handler == RL_PORT_SLIRP,
       "port_handler=slirp4netns");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:port_handler=rootlesskit", &o) && o.port_handler == RL_PORT_FORWARDER,
       "port_handler=rootlesskit");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:cidr=10.5.0.0/16", &o), "cidr=10.5.0.0/16");
    is_str(o.cidr, "10.5.0.0/16", "the cidr");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:cidr=192.168.100.128/25", &o), "cidr /25, the longest prefix");
    is_str(o.cidr, "192.168.100.128/25", "the /25 cidr");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:cidr=0.0.0.0/1", &o), "cidr /1, the shortest prefix");
    is_str(o.cidr, "0.0.0.0/1", "the /1 cidr");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:cidr=10.0.0.0/08", &o), "a prefix with a leading zero");
    is_str(o.cidr, "10.0.0.0/8", "the prefix is written plainly");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:dns_forward=1.1.1.1", &o), "dns_forward=1.1.1.1");
    is_str(o.dns_forward, "1.1.1.1", "the DNS server");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:dns_forward=127.0.0.53:5353", &o), "dns_forward=ADDR:PORT");
    is_str(o.dns_forward, "127.0.0.53:5353", "the DNS server and port");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:dns_forward=[::1]:53", &o), "dns_forward=[::1]:53");
    is_str(o.dns_forward, "[::1]:53", "the IPv6 DNS server and port");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:dns_forward=[2001:db8::1]", &o), "dns_forward=[IPV6]");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:dns_forward=2001:db8::1", &o), "dns_forward=IPV6 without brackets");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:dns_forward=1.1.1.1,dns_forward=8.8.8.8", &o), "dns_forward twice");
    is_str(o.dns_forward, "8.8.8.8", "the last dns_forward wins");
    rl_net_opts_release(&o);
    ok(net_ok("slirp4netns:mtu=9000,allow_host_loopback=1,enable_ipv6=0,cidr=10.1.2.0/24,"
              "port_handler=slirp4netns,dns_forward=9.9.9.9:53",
              &o),
       "all the options at once");
    ok(o.mode == RL_NET_SLIRP && o.mtu == 9000 && o.allow_host_loopback && !o.enable_ipv6
           && o.port_handler == RL_PORT_SLIRP,
       "all the options are set");
    is_str(o.cidr, "10.1.2.0/24", "and the cidr");
    is_str(o.dns_forward, "9.9.9.9:53", "and dns_forward");
    rl_net_opts_release(&o);
    ok(net_ok("slirp:mtu=1500,mtu=9000", &o) && o.mtu == 9000, "the last mtu= wins");
    rl_net_opts_release(&o);
}

/* Go's strconv.ParseBool set, for both boolean options. */
static void
test_net_bools(void)
{
    static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
    static const char *const bad[] = { "", "yes", "no", "on", "off", "tRUE", "2", "-1", " true" };
    struct rl_net_opts o;
    char arg[128];

    for (size_t i = 0; i < RL_ARRAY_SIZE(yes); i++) {
        snprintf(arg, sizeof(arg), "slirp:allow_host_loopback=%s,enable_ipv6=%s", yes[i], no[i]);
        ok(net_ok(arg, &o) && o.allow_host_loopback && !o.enable_ipv6, "'%s' is true, '%s' false",
           yes[i], no[i]);
        rl_net_opts_release(&o);
        snprintf(arg, sizeof(arg), "slirp:allow_host_loopback=%s,enable_ipv6=%s", no[i], yes[i]);
        ok(net_ok(arg, &o) && !o.allow_host_loopback && o.enable_ipv6, "'%s' is false, '%s' true",
           no[i], yes[i]);
        rl_net_opts_release(&o);
    }
    for (size_t i = 0; i < RL_ARRAY_SIZE(bad); i++) {
        char want[128];

        snprintf(arg, sizeof(arg), "slirp:enable_ipv6=%s", bad[i]);
        snprintf(want, sizeof(want), "enable_ipv6 '%s' must be true or false", bad[i]);
        net_bad(arg, want);
        snprintf(arg, sizeof(arg), "slirp:allow_host_loopback=%s", bad[i]);
        snprintf(want, sizeof(want), "allow_host_loopback '%s' must be true or false", bad[i]);
        net_bad(arg, want);
    }
}

static void
test_net_bad_options(void)
{
    net_bad("slirp:", "invalid --network 'slirp:': empty option");
    net_bad("slirp4netns:", "empty option");
    net_bad("slirp:mtu=1500,", "empty option");
    net_bad("slirp:,mtu=1500", "empty option");
    net_bad("slirp:mtu=1500,,enable_ipv6=true", "empty option");
    net_bad(
        "slirp:foo=bar",
        "unknown option 'foo': use mtu=, allow_host_loopback=, enable_ipv6=, cidr=, port_handler= or dns_forward=");
    net_bad("slirp:foo", "unknown option 'foo'");
    net_bad("slirp:MTU=1500", "unknown option 'MTU'");
    net_bad("slirp:=1", "unknown option ''");
    net_bad("slirp:mtu=1500,bogus=1", "unknown option 'bogus'");
    net_bad("slirp:outbound_addr=eth0", "option 'outbound_addr' is not supported");
    net_bad("slirp:outbound_addr6=::1", "option 'outbound_addr6' is not supported");
    net_bad("slirp:mtu", "option 'mtu' needs a value (mtu=...)");
    net_bad("slirp:allow_host_loopback", "option 'allow_host_loopback' needs a value");
    net_bad("slirp:mtu=", "mtu '' must be a number from 68 to 65521");
    net_bad("slirp:mtu=67", "mtu '67' must be a number from 68 to 65521");
    net_bad("slirp:mtu=65522", "mtu '65522' must be a number from 68 to 65521");
    net_bad("slirp:mtu=0", "mtu '0' must be a number");
    net_bad("slirp:mtu=-1500", "mtu '-1500' must be a number");
    net_bad("slirp:mtu=+1500", "mtu '+1500' must be a number");
    net_bad("slirp:mtu=1500x", "mtu '1500x' must be a number");
    net_bad("slirp:mtu=99999999999999999999999", "must be a number from 68 to 65521");
    net_bad("slirp:port_handler=", "port_handler '' must be rootlesskit or slirp4netns");
    net_bad("slirp:port_handler=pasta", "port_handler 'pasta' must be rootlesskit or slirp4netns");
    net_bad("slirp:cidr=", "cidr '' is not A.B.C.D/N");
    net_bad("slirp:cidr=10.0.2.0", "cidr '10.0.2.0' is not A.B.C.D/N");
    net_bad("slirp:cidr=10.0.2.0/", "cidr '10.0.2.0/' is not A.B.C.D/N");
    net_bad("slirp:cidr=10.0.2.0/x", "is not A.B.C.D/N");
    net_bad("slirp:cidr=10.0.2.0/024", "is not A.B.C.D/N");
    net_bad("slirp:cidr=10.0.2.0/-1", "is not A.B.C.D/N");
    net_bad("slirp:cidr=10.0.2/24", "cidr '10.0.2/24': '10.0.2' is not an IPv4 address");
    net_bad("slirp:cidr=/24", "'' is not an IPv4 address");
    net_bad("slirp:cidr=fd00::/64", "'fd00::' is not an IPv4 address");
    net_bad("slirp:cidr=1234567890123456789/8", "is not A.B.C.D/N");
    net_bad("slirp:cidr=10.0.2.0/26", "cidr '10.0.2.0/26': the prefix length must be 1 to 25");
    net_bad("slirp:cidr=10.0.2.0/30", "the prefix length must be 1 to 25");
    net_bad("slirp:cidr=10.0.2.0/32", "the prefix length must be 1 to 25");
    net_bad("slirp:cidr=0.0.0.0/0", "the prefix length must be 1 to 25");
    net_bad("slirp:cidr=10.0.2.100/24", "cidr '10.0.2.100/24' is not a network address");
    net_bad("slirp:cidr=10.0.2.128/24", "is not a network address");
    net_bad("slirp:cidr=10.0.3.0/23", "is not a network address");
    net_bad("slirp:dns_forward=", "dns_forward '' is not ADDR, ADDR:PORT or [IPV6ADDR]:PORT");
    net_bad("slirp:dns_forward=dns.google", "dns_forward 'dns.google' is not");
    net_bad("slirp:dns_forward=1.1.1.1:", "dns_forward '1.1.1.1:' is not");
    net_bad("slirp:dns_forward=1.1.1.1:0", "dns_forward '1.1.1.1:0' is not");
    net_bad("slirp:dns_forward=1.1.1.1:65536", "dns_forward '1.1.1.1:65536' is not");
    net_bad("slirp:dns_forward=1.1.1.1:x", "is not ADDR");
    net_bad("slirp:dns_forward=[1.1.1.1]:53", "is not ADDR");
    net_bad("slirp:dns_forward=[::1", "is not ADDR");
    net_bad("slirp:dns_forward=[::1]53", "is not ADDR");
    net_bad("slirp:dns_forward=[::1]:", "is not ADDR");
    net_bad("slirp:dns_forward=fe80::1%eth0", "is not ADDR");
    net_bad("slirp:mtu=1500,cidr=10.0.2.1/24", "is not a network address");
}

static void
host_ok(const char *arg, const char *want_name, const char *want_ip)
{
    char *name = NULL, *ip = NULL;
    rl_error_t err = NULL;

    ok(rl_add_host_parse(arg, &name, &ip, &err) == 0, "--add-host '%s' parses", arg);
    if (err)
        printf("#   %s\n", msg(&err));
    is_str(name, want_name, "--add-host '%s': name", arg);
    is_str(ip, want_ip, "--add-host '%s': address", arg);
    free(name);
    free(ip);
}

static void
host_bad(const char *arg, const char *want)
{
    char *name = (char *)"x", *ip = (char *)"y";
    rl_error_t err = NULL;

    ok(rl_add_host_parse(arg, &name, &ip, &err) < 0 && strcmp(name, "x") == 0
           && strcmp(ip, "y") == 0,
       "--add-host '%s' is refused and nothing is written", arg);
    like(msg(&err), want, "--add-host '%s': %s", arg, want);
}

static void
test_add_host(void)
{
    host_ok("db:10.0.0.5", "db", "10.0.0.5");
    host_ok("db.example.com:10.0.0.5", "db.example.com", "10.0.0.5");
    host_ok("v6:::1", "v6", "::1");
    host_ok("v6:2001:db8::1", "v6", "2001:db8::1");
    host_ok("v6:[2001:db8::1]", "v6", "2001:db8::1");
    host_ok("gw:host-gateway", "gw", "host-gateway");
    host_ok("a;b;c:1.2.3.4", "a b c", "1.2.3.4");
    host_ok("my_host-1:1.2.3.4", "my_host-1", "1.2.3.4");

    host_bad("", "invalid --add-host '': use NAME:IP");
    host_bad("db", "use NAME:IP");
    host_bad("db=1.2.3.4", "use NAME:IP");
    host_bad(":1.2.3.4", "empty host name");
    host_bad("a;:1.2.3.4", "empty host name");
    host_bad(";a:1.2.3.4", "empty host name");
    host_bad("a;;b:1.2.3.4", "empty host name");
    host_bad("a b:1.2.3.4", "host name 'a b' contains white space, a control character or '#'");
    host_bad("a#b:1.2.3.4", "host name 'a#b' contains");
    host_bad("a\tb:1.2.3.4", "contains white space");
    host_bad("db:", "'' is not an IP address (or host-gateway)");
    host_bad("db:1.2.3", "'1.2.3' is not an IP address");
    host_bad("db:example.com", "'example.com' is not an IP address");
    host_bad("db:host-gateway2", "'host-gateway2' is not an IP address");
    host_bad("db:HOST-GATEWAY", "'HOST-GATEWAY' is not an IP address");
    host_bad("db:[::1", "'[::1' is not an IP address");
    host_bad("db:[]", "'[]' is not an IP address");
    host_bad("db: 1.2.3.4", "' 1.2.3.4' is not an IP address");
    host_bad("db:fe80::1%eth0", "is not an IP address");
}

static void
dns_ok(const char *arg)
{
    rl_error_t err = NULL;

    ok(rl_dns_server_check(arg, &err) == 0, "--dns '%s' is accepted", arg);
    if (err)
        printf("#   %s\n", msg(&err));
}

static void
dns_bad(const char *arg)
{
    rl_error_t err = NULL;
    char want[256];

    snprintf(want, sizeof(want), "invalid --dns '%s': not an IP address (or none)", arg);
    ok(rl_dns_server_check(arg, &err) < 0, "--dns '%s' is refused", arg);
    is_str(msg(&err), want, "--dns '%s' message", arg);
}

static void
test_dns(void)
{
    dns_ok("1.1.1.1");
    dns_ok("10.0.2.3");
    dns_ok("::1");
    dns_ok("2001:4860:4860::8888");
    dns_ok("::ffff:1.2.3.4");
    dns_ok("none");
    dns_ok("None");
    dns_ok("NONE");

    dns_bad("");
    dns_bad("dns.google");
    dns_bad("1.1.1");
    dns_bad("1.1.1.1:53");
    dns_bad("[::1]");
    dns_bad("fe80::1%eth0");
    dns_bad(" 1.1.1.1");
    dns_bad("nonex");
}

static void
search_ok(const char *arg)
{
    rl_error_t err = NULL;

    ok(rl_dns_search_check(arg, &err) == 0, "--dns-search '%s' is accepted", arg);
    if (err)
        printf("#   %s\n", msg(&err));
}

static void
search_bad(const char *arg, const char *want)
{
    rl_error_t err = NULL;

    ok(rl_dns_search_check(arg, &err) < 0, "--dns-search '%s' is refused", arg);
    like(msg(&err), want, "--dns-search '%s': %s", arg, want);
}

static void
test_dns_search(void)
{
    char buf[512], label[64];

    search_ok(".");
    search_ok("example.com");
    search_ok("example.com.");
    search_ok("corp");
    search_ok("a");
    search_ok("sub-1.Example.COM");
    search_ok("1a.2b");
    search_ok("x.123");
    memset(buf, 'a', 63);
    buf[63] = '\0';
    search_ok(buf);
    /* 253 bytes: 3 labels of 63 and one of 61, with 3 dots. */
    memset(label, 'b', 63);
    label[63] = '\0';
    snprintf(buf, sizeof(buf), "%s.%s.%s.%.61s", label, label, label, label);
    is_int(strlen(buf), 253, "a 253-byte domain");
    search_ok(buf);

    search_bad("", "invalid --dns-search '': empty domain");
    search_bad("..", "not a domain name");
    search_bad("a..b", "not a domain name");
    search_bad("a..", "not a domain name");
    search_bad(".a", "not a domain name");
    search_bad("a b", "not a domain name");
    search_bad("a_b.com", "not a domain name");
    search_bad("exa$mple.com", "not a domain name");
    search_bad("-a.com", "a label of the domain starts or ends with '-'");
    search_bad("a-.com", "starts or ends with '-'");
    search_bad("a.-", "starts or ends with '-'");
    search_bad("123", "not a domain name: it has no letter");
    search_bad("1.2.3.4", "it has no letter");
    memset(buf, 'a', 64);
    buf[64] = '\0';
    search_bad(buf, "a label of the domain is longer than 63 bytes");
    snprintf(buf, sizeof(buf), "%s.%s.%s.%.62s", label, label, label, label);
    search_bad(buf, "the domain is longer than 253 bytes");
}

int
main(void)
{
    test_publish_good();
    test_publish_range();
    test_publish_bad();
    test_expose();
    test_port_key();
    test_net_modes();
    test_net_slirp_options();
    test_net_bools();
    test_net_bad_options();
    test_add_host();
    test_dns();
    test_dns_search();
    done_testing();
}
