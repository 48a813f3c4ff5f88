#!/usr/bin/env bats
# shellcheck disable=SC2154,SC2016,SC2030,SC2031 # bats variables; single-quoted scripts
#
# The user-mode network (libslirp in the monitor, tap0 in the container): the host's loopback,
# the DNS forwarder, published TCP and UDP ports, --network none|host|slirp:OPTIONS,
# /etc/hosts and /etc/resolv.conf, and the errors of bad input and ports in use. Servers on
# the host listen on 127.0.0.1 only, on random ports; teardown stops them.

load helpers

# The static UDP echo server bind-mounted into containers (busybox has no UDP server).
RL_UDPECHO=${RL_UDPECHO:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)/tests/helpers/rl-udpecho}
DNSSERVER=$BATS_TEST_DIRNAME/../tests/helpers/dnsserver.py
NL=$'\n'
# busybox httpd in the foreground, serving "X" from /www on port 80 (or "LO", on 127.0.0.1).
HTTPD='mkdir /www; echo X >/www/index.html; exec httpd -f -p 80 -h /www'
HTTPD_LO='mkdir /www; echo LO >/www/index.html; exec httpd -f -p 127.0.0.1:80 -h /www'

setup_file() {
    image_fixtures_check
}

setup() {
    image_fixtures_setup
    ctr_registries_conf
    run_rl pull -q "$IMG_BUSYBOX"
}

teardown() {
    local pid
    if [ -f "$BATS_TEST_TMPDIR/host-pids" ]; then
        while read -r pid; do
            kill "$pid" 2>/dev/null || true
        done <"$BATS_TEST_TMPDIR/host-pids"
    fi
    ctr_cleanup
    image_store_cleanup
}

# ---------------------------------------------------------------- helpers

# free_port: a random port from 20000 to 39999 that no TCP or UDP socket of the host uses.
free_port() {
    local port i
    for ((i = 0; i < 100; i++)); do
        port=$((20000 + RANDOM % 20000))
        if [ -z "$(ss -Hantu "sport = :$port" 2>/dev/null)" ]; then
            echo "$port"
            return 0
        fi
    done
    die "no free port found in 100 tries"
}

# host_bg NAME CMD...: run CMD on the host in the background, its output in
# $BATS_TEST_TMPDIR/NAME.log; teardown kills it.
host_bg() {
    local name=$1
    shift
    "$@" </dev/null >"$BATS_TEST_TMPDIR/$name.log" 2>&1 3>&- &
    echo "$!" >>"$BATS_TEST_TMPDIR/host-pids"
}

# listening PORT [tcp|udp]: whether a socket of the host listens on PORT (default tcp).
listening() {
    local flag=-Hltn
    [ "${2:-tcp}" = udp ] && flag=-Hlun
    [ -n "$(ss "$flag" "sport = :$1" 2>/dev/null)" ]
}

# wait_listening PORT [tcp|udp]: wait up to 10 s until PORT listens.
wait_listening() {
    local i
    for ((i = 0; i < 100; i++)); do
        listening "$@" && return 0
        sleep 0.1
    done
    die "nothing listens on port $1/${2:-tcp} after 10 s"
}

# wait_closed PORT [tcp|udp]: wait up to 10 s until nothing listens on PORT.
wait_closed() {
    local i
    for ((i = 0; i < 100; i++)); do
        listening "$@" || return 0
        sleep 0.1
    done
    die "port $1/${2:-tcp} still listens after 10 s: $(ss -Hltunp "sport = :$1" 2>&1)"
}

# http_get URL: the body of URL, tried for up to 10 s (a server in a container may still be
# starting); fails with curl's last error.
http_get() {
    local i
    for ((i = 0; i < 20; i++)); do
        curl -fsS -g -m 2 "$1" 2>"$BATS_TEST_TMPDIR/curl.err" && return 0
        sleep 0.5
    done
    echo "curl $1: $(cat "$BATS_TEST_TMPDIR/curl.err")" >&2
    return 1
}

# udp_ask HOST PORT MESSAGE: send MESSAGE to HOST:PORT over UDP (three tries, 1 s each) and
# print the answer; fails when none comes.
udp_ask() {
    python3 - "$@" <<'EOF'
import socket, sys
host, port, msg = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for _ in range(3):
    s.sendto(msg, (host, port))
    try:
        print(s.recvfrom(65535)[0].decode())
        sys.exit(0)
    except socket.timeout:
        pass
print("no answer from %s:%d" % (host, port))
sys.exit(1)
EOF
}

# host_ipv4: an IPv4 address of the host that is not loopback (empty when there is none).
host_ipv4() {
    ip -4 -o addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }'
}

# link_names: the interface names of `ip -o link` output on stdin, sorted, without "@peer".
link_names() {
    sed -n 's/^[0-9]*: \([^:@]*\)[:@].*/\1/p' | sort
}

# wait_log NAME TEXT: wait up to 10 s until the logs of container NAME contain TEXT.
wait_log() {
    local i
    for ((i = 0; i < 50; i++)); do
        "$RL" --root "$RL_ROOT" logs "$1" 2>/dev/null 3>&- | grep -qF -- "$2" && return 0
        sleep 0.2
    done
    die "container $1 did not log '$2' within 10 s: $("$RL" --root "$RL_ROOT" logs "$1" 2>&1 3>&-)"
}

# ---------------------------------------------------------------- the host, DNS

@test "network: the host's loopback is reachable only with allow_host_loopback=true" {
    local port
    port=$(free_port)
    mkdir "$BATS_TEST_TMPDIR/www"
    echo "hello from the host $port" >"$BATS_TEST_TMPDIR/www/file.txt"
    host_bg http python3 -m http.server --bind 127.0.0.1 --directory "$BATS_TEST_TMPDIR/www" "$port"
    wait_listening "$port"

    run_rl run --rm --network slirp:allow_host_loopback=true "$IMG_BUSYBOX" \
        wget -q -O - "http://10.0.2.2:$port/file.txt"
    assert "$output" == "hello from the host $port" "the file from the host's 127.0.0.1"
    run_rl run --rm --network slirp:allow_host_loopback=true "$IMG_BUSYBOX" \
        grep -w host.containers.internal /etc/hosts
    assert "$output" =~ '^10\.0\.2\.2[[:space:]]' "host.containers.internal is the gateway"

    # busybox wget crashes on a failed connection; nc says why.
    run_rl '?' run --rm "$IMG_BUSYBOX" sh -c "echo | nc -w 3 10.0.2.2 $port"
    assert "$status" -ne 0 "no connection to the host's loopback by default"
    assert "$output" =~ "Network is unreachable" "10.0.2.2 is refused by default"
    assert "$output" !~ "hello from the host" "nothing was served"
    run_rl '?' run --rm --network slirp:allow_host_loopback=false "$IMG_BUSYBOX" \
        sh -c "echo | nc -w 3 10.0.2.2 $port"
    assert "$status" -ne 0 "allow_host_loopback=false"
    assert "$output" =~ "Network is unreachable"
}

@test "network: DNS through the forwarder at 10.0.2.3 (dns_forward, NXDOMAIN, cidr)" {
    local port pf=$BATS_TEST_TMPDIR/dns.port
    host_bg dns python3 "$DNSSERVER" --port 0 --record rl-test.example=192.0.2.55 \
        --record other.rl-test.example=198.51.100.7 --portfile "$pf"
    wait_for_file "$pf"
    port=$(cat "$pf")

    # No allow_host_loopback: the forwarder, not the container, talks to the host.
    run_rl run --rm --network "slirp:allow_host_loopback=false,dns_forward=127.0.0.1:$port" \
        "$IMG_BUSYBOX" sh -c 'grep "^nameserver" /etc/resolv.conf; nslookup rl-test.example'
    assert "${lines[0]}" == "nameserver 10.0.2.3" "the container asks the forwarder"
    assert "${#lines[@]}" -ge 2
    assert "$output" !~ "${NL}nameserver" "only one name server"
    assert "$output" =~ "Server:[[:space:]]+10\.0\.2\.3" "nslookup asked 10.0.2.3"
    assert "$output" =~ "Address: 192\.0\.2\.55" "the record of the host's DNS server"

    run_rl 1 run --rm --network "slirp:dns_forward=127.0.0.1:$port" "$IMG_BUSYBOX" \
        nslookup nosuch.rl-test.example
    assert "$output" =~ "NXDOMAIN" "an unknown name"

    # Another network: the forwarder is its .3.
    run_rl run --rm --network "slirp:cidr=10.10.0.0/24,dns_forward=127.0.0.1:$port" \
        "$IMG_BUSYBOX" sh -c 'cat /etc/resolv.conf; nslookup other.rl-test.example'
    assert "$output" =~ "nameserver 10\.10\.0\.3" "resolv.conf of cidr=10.10.0.0/24"
    assert "$output" =~ "Address: 198\.51\.100\.7" "resolved through 10.10.0.3"
}

# ---------------------------------------------------------------- published TCP ports

@test "network: -p publishes TCP ports; rl port, ps and inspect show them" {
    local hp r1 r2
    hp=$(free_port)
    run_rl run -d --name web -p "$hp:80" -p 80 -p 127.0.0.1::80 "$IMG_BUSYBOX" sh -c "$HTTPD"

    run http_get "http://127.0.0.1:$hp/"
    assert "$status" -eq 0 "curl 127.0.0.1:$hp"
    assert "$output" == "X" "served through the published port"
    if [ -n "$(ip -6 addr show dev lo 2>/dev/null)" ]; then
        run http_get "http://[::1]:$hp/"
        assert "$status" -eq 0 "curl [::1]:$hp"
        assert "$output" == "X" "0.0.0.0 also means the host's IPv6 addresses"
    fi

    run_rl port web
    assert "${#lines[@]}" -eq 3 "three bindings"
    assert "${lines[0]}" == "80/tcp -> 0.0.0.0:$hp"
    assert "${lines[1]}" =~ '^80/tcp -> 0\.0\.0\.0:[0-9]+$' "-p 80: a random host port"
    assert "${lines[2]}" =~ '^80/tcp -> 127\.0\.0\.1:[0-9]+$' "-p 127.0.0.1::80"
    r1=${lines[1]##*:}
    r2=${lines[2]##*:}
    assert "$r1" -ne "$hp" "the random port is another one"
    assert "$r1" -ne 0
    assert "$r2" -ne 0
    run http_get "http://127.0.0.1:$r1/"
    assert "$output" == "X" "the random port of -p 80 serves"
    run http_get "http://127.0.0.1:$r2/"
    assert "$output" == "X" "the random port of -p 127.0.0.1::80 serves"
    if [ -n "$(host_ipv4)" ]; then
        run curl -sS -m 2 "http://$(host_ipv4):$r2/"
        assert "$status" -ne 0 "127.0.0.1::80 is not published on $(host_ipv4)"
    fi

    run_rl port web 80/tcp
    assert "$output" == "0.0.0.0:$hp"$'\n'"0.0.0.0:$r1"$'\n'"127.0.0.1:$r2" "rl port CTR 80/tcp"
    run_rl port web 80
    assert "${lines[0]}" == "0.0.0.0:$hp" "the protocol defaults to tcp"
    run_rl 125 port web 81
    assert "$output" =~ "81/tcp" "a port that is not published"
    run_rl port -a
    assert "${lines[0]}" =~ "^[0-9a-f]{12}[[:space:]]+80/tcp -> 0\.0\.0\.0:$hp\$" "port -a"

    run_rl ps --format '{{.Names}} {{.Ports}}'
    assert "$output" == "web 0.0.0.0:$hp->80/tcp, 0.0.0.0:$r1->80/tcp, 127.0.0.1:$r2->80/tcp" \
        "ps PORTS"
    run_rl ps
    assert "${lines[0]}" =~ "PORTS" "the PORTS column"
    assert "${lines[1]}" =~ "0\.0\.0\.0:$hp->80/tcp" "the PORTS column of web"

    run_rl inspect web
    assert "$(jq -r '.[0].NetworkSettings.Ports["80/tcp"] | map(.HostIp + ":" + .HostPort) | join(" ")' <<<"$output")" \
        == ":$hp :$r1 127.0.0.1:$r2" "inspect .NetworkSettings.Ports"
    assert "$(jq -r '.[0].HostConfig.PortBindings["80/tcp"] | map(.HostIp + ":" + .HostPort) | join(" ")' <<<"$output")" \
        == ":$hp : 127.0.0.1:" "inspect .HostConfig.PortBindings: as asked"

    # -P: the exposed ports (the image's 80, and --expose) on random host ports.
    run_rl run -d --name pall --expose 8081 -P "$IMG_BUSYBOX" sleep 100
    run_rl port pall
    assert "$output" =~ "(^|$NL)80/tcp -> 0\.0\.0\.0:[0-9]+($NL|\$)" "-P: the image's EXPOSE"
    assert "$output" =~ "(^|$NL)8081/tcp -> 0\.0\.0\.0:[0-9]+($NL|\$)" "-P: --expose"
}

@test "network: port_handler=slirp4netns serves through libslirp (the container's 10.0.2.100)" {
    local hp
    hp=$(free_port)
    run_rl run -d --name web --network slirp:port_handler=slirp4netns -p "$hp:80" \
        "$IMG_BUSYBOX" sh -c "$HTTPD"
    run http_get "http://127.0.0.1:$hp/"
    assert "$status" -eq 0 "curl 127.0.0.1:$hp"
    assert "$output" == "X" "served through libslirp's hostfwd"
    run_rl port web
    assert "$output" == "80/tcp -> 0.0.0.0:$hp"
    run_rl rm -f web

    # libslirp delivers to 10.0.2.100: a server on the container's loopback gets nothing.
    hp=$(free_port)
    run_rl run -d --name lo --network slirp:port_handler=slirp4netns -p "$hp:80" \
        "$IMG_BUSYBOX" sh -c "$HTTPD_LO"
    wait_listening "$hp"
    sleep 1
    run curl -sS -m 3 "http://127.0.0.1:$hp/"
    assert "$status" -ne 0 "a server on 127.0.0.1 of the container is not reached by hostfwd"
    assert "$output" !~ "LO"
}

@test "network: the port forwarder reaches a server bound to the container's 127.0.0.1" {
    local hp
    hp=$(free_port)
    run_rl run -d --name lo -p "$hp:80" "$IMG_BUSYBOX" sh -c "$HTTPD_LO"
    run http_get "http://127.0.0.1:$hp/"
    assert "$status" -eq 0 "curl 127.0.0.1:$hp"
    assert "$output" == "LO" "the default handler connects to 127.0.0.1 in the container"
}

# ---------------------------------------------------------------- published UDP ports

@test "network: -p PORT/udp forwards datagrams to a UDP server in the container" {
    local hp addr
    [ -x "$RL_UDPECHO" ] || die "no rl-udpecho at $RL_UDPECHO (make check builds it)"
    hp=$(free_port)
    run_rl run -d --name udp -p "$hp:5353/udp" -v "$RL_UDPECHO:/udpecho:ro" \
        "$IMG_BUSYBOX" /udpecho 5353
    wait_log udp "listening on 5353"
    run_rl port udp
    assert "$output" == "5353/udp -> 0.0.0.0:$hp"
    run_rl ps --format '{{.Ports}}'
    assert "$output" == "0.0.0.0:$hp->5353/udp"
    wait_listening "$hp" udp

    addr=$(host_ipv4)
    if [ -n "$addr" ]; then
        run udp_ask "$addr" "$hp" "via-$addr"
        assert "$output" == "echo:via-$addr" "an answer through $addr:$hp"
    fi
    run udp_ask 127.0.0.1 "$hp" via-loopback
    assert "$output" == "echo:via-loopback" "an answer through 127.0.0.1:$hp (as podman)"
}

# ---------------------------------------------------------------- network modes

@test "network: --network none has only lo, and lo is up" {
    run_rl run --rm --network none "$IMG_BUSYBOX" ip -o link
    assert "${#lines[@]}" -eq 1 "one interface"
    assert "${lines[0]}" =~ '^1: lo: <([A-Z_]+,)*UP[,>]' "lo, up"
    run_rl run --rm --network none "$IMG_BUSYBOX" ip -o addr show lo
    assert "$output" =~ "inet 127\.0\.0\.1/8" "lo has 127.0.0.1"
}

@test "network: --network host sees the host's interfaces" {
    local want
    want=$(ip -o link | link_names)
    run_rl run --rm --network host "$IMG_BUSYBOX" ip -o link
    assert "$(link_names <<<"$output")" == "$want" "the host's interface names"
    assert "$output" !~ "tap0" "no tap device"
}

@test "network: the default network: tap0 with 10.0.2.100/24, fd00::100/64, MTU 65520" {
    run_rl run --rm "$IMG_BUSYBOX" sh -c 'ip -o link; echo ---; ip -o addr; echo ---; ip route'
    assert "$(sed -n '1,/^---$/p' <<<"$output" | link_names)" == $'lo\ntap0' "lo and tap0"
    assert "$output" =~ "tap0: <([A-Z_]+,)*UP[,>][^\\]*mtu 65520 " "tap0 is up, MTU 65520"
    assert "$output" =~ "tap0[[:space:]]+inet 10\.0\.2\.100/24 " "10.0.2.100/24"
    assert "$output" =~ "tap0[[:space:]]+inet6 fd00::100/64 " "fd00::100/64"
    assert "$output" =~ "default via 10\.0\.2\.2 dev tap0" "the gateway 10.0.2.2"
    run_rl run --rm "$IMG_BUSYBOX" cat /etc/resolv.conf
    assert "$output" =~ "nameserver 10\.0\.2\.3" "the DNS forwarder"
}

@test "network: slirp options mtu, cidr and enable_ipv6" {
    run_rl run --rm --network slirp:mtu=1500 "$IMG_BUSYBOX" ip -o link show tap0
    assert "$output" =~ "mtu 1500 " "mtu=1500"
    run_rl run --rm --network slirp:cidr=10.10.0.0/24 "$IMG_BUSYBOX" \
        sh -c 'ip -o -4 addr show tap0; ip route; grep nameserver /etc/resolv.conf'
    assert "$output" =~ "inet 10\.10\.0\.100/24 " "cidr=10.10.0.0/24: 10.10.0.100"
    assert "$output" =~ "default via 10\.10\.0\.2 " "the gateway 10.10.0.2"
    assert "$output" =~ "nameserver 10\.10\.0\.3" "the DNS forwarder 10.10.0.3"
    assert "$output" !~ "10\.0\.2\." "nothing of 10.0.2.0/24"
    run_rl run --rm --network slirp:enable_ipv6=false,mtu=9000 "$IMG_BUSYBOX" \
        sh -c 'ip -o link show tap0; ip -o addr show tap0'
    assert "$output" =~ "mtu 9000 " "two options"
    assert "$output" =~ "inet 10\.0\.2\.100/24" "IPv4 as before"
    assert "$output" !~ "fd00:" "enable_ipv6=false: no fd00:: address"
}

# ---------------------------------------------------------------- ports in use, cleanup

@test "network: a host port in use fails before start and leaves nothing behind" {
    local hp hp2 hp3
    hp=$(free_port)
    run_rl run -d --name first -p "$hp:80" "$IMG_BUSYBOX" sleep 100
    wait_listening "$hp"
    run_rl 125 run -d --name second -p "$hp:80" "$IMG_BUSYBOX" sleep 100
    assert "$output" =~ "the host port $hp is already in use" "a port of another container"
    run_rl ps -a --format '{{.Names}}'
    assert "$output" == "first" "no second container"

    # A program of the host, TCP and UDP.
    hp2=$(free_port)
    host_bg tcp python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen()
time.sleep(300)' "$hp2"
    wait_listening "$hp2"
    run_rl 125 run --rm --name third -p "$hp2:80" "$IMG_BUSYBOX" true
    assert "$output" =~ "the host port $hp2 is already in use" "a TCP port of a host program"
    hp3=$(free_port)
    host_bg udp python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
time.sleep(300)' "$hp3"
    wait_listening "$hp3" udp
    run_rl 125 run --rm --name fourth -p "$hp3:53/udp" "$IMG_BUSYBOX" true
    assert "$output" =~ "the host port $hp3 is already in use" "a UDP port of a host program"
    run_rl ps -a --format '{{.Names}}'
    assert "$output" == "first" "nothing left by the failed runs"

    # rm -f frees the port.
    run_rl rm -f first
    wait_closed "$hp"
    run_rl run -d --name again -p "$hp:80" "$IMG_BUSYBOX" sleep 100
    wait_listening "$hp"
    run_rl rm -f again
    wait_closed "$hp"
}

@test "network: the monitor exits with the container and closes its ports" {
    local hp mon
    hp=$(free_port)
    run_rl run -d --name short -p "$hp:80/tcp,udp" "$IMG_BUSYBOX" sh -c 'sleep 2'
    run_rl port short
    assert "$output" == "80/tcp -> 0.0.0.0:$hp"$'\n'"80/udp -> 0.0.0.0:$hp" "tcp,udp"
    wait_listening "$hp"
    wait_listening "$hp" udp
    run_rl inspect --format '{{.State.ConmonPid}}' short
    mon=$output
    assert "$mon" -gt 0 "the monitor's pid"
    assert "$(cat "/proc/$mon/comm" 2>/dev/null)" == "rl-monitor"
    run_rl wait short
    assert "$output" == "0"
    wait_pid_gone "$mon" || die "the monitor $mon outlived its container"
    wait_closed "$hp"
    wait_closed "$hp" udp
    [ -z "$(pgrep -f -- "--root $RL_ROOT( |$)")" ] || die "an rl process of the store is left"
}

@test "network: a container that exits at once runs cleanly (no race with the network)" {
    local i
    for i in $(seq 10); do
        run_rl run --rm "$IMG_BUSYBOX" true
        assert "$output" == "" "run #$i: no message"
    done
    run_rl run --rm -p 80 "$IMG_BUSYBOX" true
    assert "$output" == "" "with a published port"
}

# ---------------------------------------------------------------- /etc/hosts, resolv.conf

@test "network: /etc/hosts: --add-host, host-gateway, host.containers.internal, --no-hosts" {
    local gw
    run_rl run --rm --name hosts --add-host foo:1.2.3.4 --add-host 'bar;baz:5.6.7.8' \
        --add-host gw.example:host-gateway "$IMG_BUSYBOX" cat /etc/hosts
    assert "$output" =~ "(^|$NL)1\.2\.3\.4[[:space:]]+foo($NL|\$)" "--add-host foo:1.2.3.4"
    assert "$output" =~ "(^|$NL)5\.6\.7\.8[[:space:]]+bar baz($NL|\$)" "two names for one address"
    assert "$output" =~ "(^|$NL)10\.0\.2\.100[[:space:]].* hosts($NL|\$)" "the container's own name"
    gw=$(awk '$2 == "host.containers.internal" { print $1 }' <<<"$output")
    assert "$gw" =~ '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' "host.containers.internal with the default network"
    assert "$output" =~ "(^|$NL)${gw//./\\.}[[:space:]]+gw\.example($NL|\$)" "host-gateway is $gw"
    assert "$output" !~ "host-gateway" "host-gateway is replaced"

    run_rl 125 run --rm --no-hosts --add-host foo:1.2.3.4 "$IMG_BUSYBOX" true
    assert "$output" =~ "--no-hosts and --add-host cannot be set together"
    run_rl '?' run --rm --no-hosts "$IMG_BUSYBOX" cat /etc/hosts
    assert "$output" !~ "host\.containers\.internal" "--no-hosts: not rl's /etc/hosts"
    run_rl 125 run --rm --add-host foo:not-an-ip "$IMG_BUSYBOX" true
    assert "$output" =~ "not-an-ip" "a bad --add-host address"
    run_rl 125 run --rm --add-host foo "$IMG_BUSYBOX" true
    run_rl ps -a -q
    assert "$output" == "" "nothing left"
}

@test "network: --dns, --dns-search and --dns-option in /etc/resolv.conf" {
    run_rl run --rm --dns 1.1.1.1 --dns-search example.com --dns-option ndots:2 \
        "$IMG_BUSYBOX" cat /etc/resolv.conf
    assert "$output" =~ "(^|$NL)nameserver 1\.1\.1\.1($NL|\$)" "--dns"
    assert "$output" !~ "nameserver 10\.0\.2\.3" "--dns replaces the forwarder"
    assert "$output" =~ "(^|$NL)search example\.com($NL|\$)" "--dns-search"
    assert "$output" =~ "(^|$NL)options .*ndots:2" "--dns-option"
    run_rl run --rm --dns 1.1.1.1 --dns 2606:4700:4700::1111 "$IMG_BUSYBOX" \
        grep nameserver /etc/resolv.conf
    assert "$output" == "nameserver 1.1.1.1"$'\n'"nameserver 2606:4700:4700::1111" "two, in order"
    run_rl 125 run --rm --dns not-an-ip "$IMG_BUSYBOX" true
    assert "$output" =~ "not-an-ip"
    run_rl 125 run --rm --dns-search 'bad domain' "$IMG_BUSYBOX" true
    run_rl ps -a -q
    assert "$output" == "" "nothing left"
}

# ---------------------------------------------------------------- bad input

@test "network: malformed -p and --network values fail with 125 and leave nothing" {
    local arg
    for arg in abc 70000:80 8080:80/sctp 1-3:1-2 ::: 1.2.3:8080:80 8080:80/tcp/udp; do
        run_rl 125 run --rm -p "$arg" "$IMG_BUSYBOX" true
        assert "$output" =~ "invalid --publish '$arg'" "-p $arg"
    done
    run_rl 125 run --rm -p 8080:80/sctp "$IMG_BUSYBOX" true
    assert "$output" =~ "sctp" "names the protocol"
    run_rl 125 run --rm -p 70000:80 "$IMG_BUSYBOX" true
    assert "$output" =~ "70000" "names the port"

    for arg in bridge foo slirp:foo=1 slirp:mtu=abc slirp:mtu=10 slirp:mtu=70000 \
        slirp:cidr=10.0.2.100/24 slirp:allow_host_loopback=maybe slirp:port_handler=x \
        none:x ns:relative; do
        run_rl 125 run --rm --network "$arg" "$IMG_BUSYBOX" true
        assert "$output" =~ "invalid --network '$arg'" "--network $arg"
    done
    run_rl 125 run --rm --network slirp:foo=1 "$IMG_BUSYBOX" true
    assert "$output" =~ "unknown option 'foo'" "names the option"
    run_rl 125 run --rm --network slirp:mtu=10 "$IMG_BUSYBOX" true
    assert "$output" =~ "mtu '10'" "names the value"
    run_rl 125 create --name c1 --network foo "$IMG_BUSYBOX" true
    run_rl 125 create --name c2 -p abc "$IMG_BUSYBOX" true
    run_rl ps -a -q
    assert "$output" == "" "no container records"
}

@test "network: a privileged host port fails naming net.ipv4.ip_unprivileged_port_start" {
    skip_if_root "root may bind any port"
    local start
    start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null) \
        || skip "no /proc/sys/net/ipv4/ip_unprivileged_port_start"
    [ "$start" -gt 80 ] || skip "ip_unprivileged_port_start is $start: port 80 is unprivileged"
    run_rl 125 run --rm --name priv -p 80:80 "$IMG_BUSYBOX" true
    assert "$output" =~ "net\.ipv4\.ip_unprivileged_port_start" "how to allow it"
    run_rl ps -a -q
    assert "$output" == "" "nothing left"
}

@test "network: -p with --network none or host is discarded with a warning" {
    run_rl run --rm --network none -p 8080:80 "$IMG_BUSYBOX" echo ran
    assert "$output" =~ "discarded" "a warning"
    assert "${lines[-1]}" == "ran" "the container ran"
    run_rl run --rm --network host -p 8080:80 "$IMG_BUSYBOX" echo ran
    assert "$output" =~ "discarded" "a warning"
    assert "${lines[-1]}" == "ran" "the container ran"
}

@test "network: without /dev/net/tun the user-mode network fails with a hint" {
    # Rootless, the device's access cannot be taken away without changing the host's device;
    # as root a mount namespace of the test's own hides it.
    skip_if_rootless "cannot take away /dev/net/tun as an unprivileged user without changing the device"
    local wrap=$BATS_TEST_TMPDIR/rl-without-tun
    printf '%s\n' '#!/bin/sh' \
        'exec unshare -m --propagation private sh -c '\''mount -t tmpfs none /dev/net && exec "$0" "$@"'\'' "$RL_REAL" "$@"' \
        >"$wrap"
    chmod +x "$wrap"
    export RL_REAL=$RL
    RL=$wrap run_rl 125 run --rm --name notun "$IMG_BUSYBOX" true
    assert "$output" =~ "/dev/net/tun" "names the device"
    assert "$output" =~ "--network none or host" "the way out"
    RL=$wrap run_rl run --rm --network none "$IMG_BUSYBOX" echo ok
    assert "$output" == "ok" "--network none needs no tun device"
    run_rl ps -a -q
    assert "$output" == "" "nothing left"
}

@test "network: container:NAME and ns:PATH join another container's network" {
    local hp pid
    hp=$(free_port)
    run_rl run -d --name web -p "$hp:80" "$IMG_BUSYBOX" \
        sh -c 'mkdir /www; echo from-web > /www/index.html; exec httpd -f -p 80 -h /www'
    http_get "http://127.0.0.1:$hp/" >/dev/null # the server runs
    # The joined container shares the loopback and the addresses of web's namespace.
    run_rl run --rm --network container:web "$IMG_BUSYBOX" wget -q -O - http://127.0.0.1/
    assert "$output" == "from-web" "web's server on the shared loopback"
    run_rl run --rm --network container:web "$IMG_BUSYBOX" ip -o -4 addr show tap0
    assert "$output" =~ "10.0.2.100/24" "web's tap0"
    pid=$("$RL" --root "$RL_ROOT" inspect --format '{{.State.Pid}}' web)
    run_rl run --rm --network "ns:/proc/$pid/ns/net" "$IMG_BUSYBOX" wget -q -O - http://127.0.0.1/
    assert "$output" == "from-web" "the same through ns:PATH"
    # Created now, started later: the namespace is looked up at the start.
    run_rl create --name side --network container:web "$IMG_BUSYBOX" wget -q -O - http://127.0.0.1/
    run_rl start -a side
    assert "$output" == "from-web"
    run_rl inspect --format '{{.HostConfig.NetworkMode}}' side
    assert "$output" == "container:web"
    run_rl rm side
    # A namespace of the user's own, made outside rl.
    unshare -rn sleep 60 3>&- &
    local ns=$!
    sleep 0.2
    run_rl run --rm --network "ns:/proc/$ns/ns/net" "$IMG_BUSYBOX" ip -o link
    kill "$ns"
    assert "$output" =~ "lo:" "the namespace's loopback"
    assert "$output" !~ "tap0" "no user-mode network in a joined namespace"
    # Errors: a container that does not run, one that does not exist, a path that is none.
    run_rl stop -t 0 web
    run_rl 125 run --rm --network container:web "$IMG_BUSYBOX" true
    assert "$output" =~ "container:web: the container is not running"
    run_rl 125 run --rm --network container:nosuch "$IMG_BUSYBOX" true
    assert "$output" =~ "nosuch"
    run_rl 125 run --rm --network ns:/nonexistent "$IMG_BUSYBOX" true
    assert "$output" =~ "/nonexistent"
    run_rl 125 run --rm --network container: "$IMG_BUSYBOX" true
    assert "$output" =~ "needs a container's name"
}

@test "network: the host's own name servers and the outside world (when the host reaches them)" {
    # The default configuration: 10.0.2.3 asks the servers of the host's resolv.conf. Only
    # Debian's mirror is reachable from CI machines, if anything is.
    local host=deb.debian.org
    getent hosts "$host" >/dev/null 2>&1 || skip "the host cannot resolve $host"
    curl -fsS -m 10 -o /dev/null "http://$host/debian/dists/bookworm/Release" 2>/dev/null \
        || skip "the host cannot reach http://$host"
    run_rl run --rm "$IMG_BUSYBOX" nslookup "$host"
    assert "$output" =~ "Name:[[:space:]]+$host" "resolved through 10.0.2.3"
    run_rl run --rm "$IMG_BUSYBOX" \
        sh -c "wget -q -O - http://$host/debian/dists/bookworm/Release | head -c 200"
    assert "$output" =~ "Origin: Debian" "downloaded through the user-mode network"
}

@test "network: a host peer that goes away does not end the monitor (no SIGPIPE)" {
    local port
    port=$(free_port)
    # A server on the host's loopback that takes a little and closes.
    host_bg closer python3 -c "import socket; s = socket.socket(); \
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $port)); \
s.listen()
for n in range(8):
    c, _ = s.accept(); [c.recv(65536) for _ in range(16 * n + 1)]; c.close()"
    wait_listening "$port"
    # The container keeps sending: libslirp writes into the closed socket (EPIPE), eight
    # times, as the moment the server closes decides whether it happens.
    run_rl run --rm --network slirp:allow_host_loopback=true "$IMG_BUSYBOX" \
        sh -c "for i in 1 2 3 4 5 6 7 8; do yes | nc 10.0.2.2 $port >/dev/null 2>&1; done
               sleep 1; echo still-here"
    assert "$output" == "still-here" "the container ran on, and rl with it"
}
