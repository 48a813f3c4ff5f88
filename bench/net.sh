#!/usr/bin/env bash
# bench/net.sh: rl's user-mode network (libslirp in the container's monitor) next to raw
# slirp4netns, pasta and podman, all measured in one run as the unprivileged BENCH_USER:
#
#   net      iperf3 between a container and a server on the host's 127.0.0.1:
#            rl --network slirp:allow_host_loopback=true (client -> 10.0.2.2), raw slirp4netns
#            (unshare -Urn, MTU 65520), pasta's loopback splice path (-T), podman
#            --network slirp4netns:allow_host_loopback=true; host loopback as the ceiling
#   publish  iperf3 -s in a container behind -p, client on the host: rl's forwarder, rl with
#            port_handler=slirp4netns, podman (rootlessport), podman port_handler=slirp4netns
#   mem      VmRSS and Pss of what runs next to a `sleep` container with -p: rl's monitor,
#            podman's conmon + slirp4netns + rootlessport
#   start    hyperfine of `run --rm IMAGE true`, --network none against the default network
#
# "up" is always data from the container to the host, "down" from the host to the container
# (-R for the default network as in shared/peers; the reverse for a published port, where
# the client is on the host).
#
#   sudo RL=/path/to/rl bash bench/net.sh             # about 7 min with the defaults
#   sudo DURATION=1 REPS=1 RUNS=3 bash bench/net.sh   # smoke test
#
# Environment: RL (default /var/tmp/rl-build/build/rl, as run.sh), DURATION (iperf3 -t,
# default 5), REPS (iperf3 repetitions per case, 3), RUNS and WARMUP (hyperfine, 10 and 2),
# SECTIONS ("net publish mem start"), PORT (first of the 9 host ports used, 15710), SETTLE
# (seconds a container runs before its memory is read, 2), IMAGE (127.0.0.1:5000/rl/iperf3:latest),
# BENCH_USER (rltest), WORK (rl's private store, /tmp/rl-bench-net), PEERS (/work/shared/peers,
# for its baseline figures), OUT (bench/results/<UTC>-net).
set -uo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
SRC=$(cd "$(dirname "$SELF")/.." && pwd)
BENCH_USER=${BENCH_USER:-rltest}
WORK=${WORK:-/tmp/rl-bench-net}
OUT=${OUT:-$SRC/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-net}

fatal() {
    printf '[%s] error: %s\n' "$(date -u +%T)" "$*" >&2
    exit 1
}

# As root: make the result and work directories, then run this script again as BENCH_USER
# with a clean environment (and the user's own podman configuration, as run.sh does).
# (INT and TERM reach the user's part, which cleans up; root only waits for it.)
if [ "$(id -u)" = 0 ]; then
    id "$BENCH_USER" >/dev/null 2>&1 || fatal "no user $BENCH_USER: run 'bash tests/setup.sh user'"
    uid=$(id -u "$BENCH_USER")
    home=$(getent passwd "$BENCH_USER" | cut -d: -f6)
    mkdir -p "$OUT" || fatal "cannot create $OUT"
    chown "$BENCH_USER" "$OUT"
    install -d -o "$BENCH_USER" "$WORK"
    [ -d "/run/user/$uid" ] || install -d -m 700 -o "$BENCH_USER" "/run/user/$uid"
    runuser -u "$BENCH_USER" -- env -i HOME="$home" USER="$BENCH_USER" LOGNAME="$BENCH_USER" \
        PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin LANG=C.UTF-8 \
        XDG_RUNTIME_DIR="/run/user/$uid" BENCH_USER="$BENCH_USER" SRC="$SRC" \
        RL="${RL:-/var/tmp/rl-build/build/rl}" DURATION="${DURATION:-5}" REPS="${REPS:-3}" \
        RUNS="${RUNS:-10}" WARMUP="${WARMUP:-2}" SECTIONS="${SECTIONS:-net publish mem start}" \
        PORT="${PORT:-15710}" SETTLE="${SETTLE:-2}" IMAGE="${IMAGE:-127.0.0.1:5000/rl/iperf3:latest}" \
        PEERS="${PEERS:-/work/shared/peers}" WORK="$WORK" OUT="$OUT" \
        bash "$SELF" "$@"
    rc=$?
    # a run that stopped before measuring anything leaves no results directory behind
    if [ "$rc" != 0 ] && [ ! -s "$OUT/net-raw.tsv" ] && [ ! -s "$OUT/mem.tsv" ] && [ ! -s "$OUT/start.json" ]; then
        rm -rf "$OUT"
    fi
    exit "$rc"
fi

# ---------------------------------------------------------------------------------------
# As BENCH_USER (or whoever runs it without root).
RL=${RL:-/var/tmp/rl-build/build/rl}
DURATION=${DURATION:-5}
REPS=${REPS:-3}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
SECTIONS=${SECTIONS:-net publish mem start}
PORT=${PORT:-15710}
SETTLE=${SETTLE:-2}
IMAGE=${IMAGE:-127.0.0.1:5000/rl/iperf3:latest}
PEERS=${PEERS:-/work/shared/peers}
: "${XDG_RUNTIME_DIR:=/run/user/$(id -u)}"
export XDG_RUNTIME_DIR

mkdir -p "$OUT/raw" "$WORK" || fatal "cannot create $OUT/raw or $WORK"
RAW=$OUT/net-raw.tsv
: >"$RAW"
: >"$OUT/notes.md"
: >"$OUT/commands.txt"

say() { printf '[%s] %s\n' "$(date -u +%T)" "$*" | tee -a "$OUT/net.log" >&2; }
die() {
    say "error: $*"
    exit 1
}
# A remark for summary.md: a skipped peer, a failed repetition.
note() {
    say "note: $*"
    printf -- '- %s\n' "$*" >>"$OUT/notes.md"
}
# The command line of each case, once.
cmdline() { grep -q "^$1	" "$OUT/commands.txt" || printf '%s\t%s\n' "$1" "$2" >>"$OUT/commands.txt"; }
section() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }

for v in DURATION REPS RUNS WARMUP PORT SETTLE; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number (got '${!v}')"
done
if [ "$REPS" -lt 1 ] || [ "$DURATION" -lt 1 ]; then die "DURATION and REPS must be at least 1"; fi

# --- prerequisites: missing ones are fatal, missing peers are skipped -----------------------
for t in iperf3 jq ss curl hyperfine timeout; do
    command -v "$t" >/dev/null || die "$t is not installed (apt-get install iperf3 jq iproute2 curl hyperfine)"
done
[ -x "$RL" ] || die "no rl at $RL: set RL, or build it ('bash tests/setup.sh --build-only')"
RLC=("$RL" --root "$WORK/rl")   # a private store: nothing else uses it, so rm -a is safe
PFX=rlnet-$$                    # the names of this run's containers
UID_=$(id -u)

HAVE_SLIRP=0 HAVE_PASTA=0 HAVE_PODMAN=0
if command -v slirp4netns >/dev/null; then HAVE_SLIRP=1; else note "slirp4netns is not installed: its rows are skipped"; fi
if command -v pasta >/dev/null; then HAVE_PASTA=1; else note "pasta (package passt) is not installed: its rows are skipped"; fi
if command -v podman >/dev/null; then HAVE_PODMAN=1; else note "podman is not installed: its rows are skipped"; fi

# Ports on the host: PORT for the servers on 127.0.0.1, the next ones for -p.
P_SRV=$PORT
P_RL=$((PORT + 1)) P_RLS4N=$((PORT + 2)) P_PM=$((PORT + 3)) P_PMS4N=$((PORT + 4))
P_MEM=$((PORT + 5)) # .. PORT + 8
listening() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }
for p in $(seq "$PORT" $((PORT + 8))); do
    listening "$p" && die "host port $p is in use: choose other ports with PORT= (this run uses $PORT..$((PORT + 8)))"
done

# --- clean-up of everything this run started -------------------------------------------------
BG=()
cleanup() {
    local rc=$? p names
    trap '' INT TERM # a second ^C must not cut the clean-up short
    trap - EXIT
    for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
    "${RLC[@]}" rm -a -f >/dev/null 2>&1
    if [ "$HAVE_PODMAN" = 1 ]; then
        names=$(podman ps -a --filter "name=^$PFX-" --format '{{.Names}}' 2>/dev/null)
        # shellcheck disable=SC2086 # one name per word
        [ -z "$names" ] || podman rm -f -t 0 $names >/dev/null 2>&1
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

# --- the image ------------------------------------------------------------------------------
REG=${IMAGE%%/*}
repo_tag=${IMAGE#*/}
repo=${repo_tag%:*} tag=${repo_tag##*:}
[ "$repo" != "$repo_tag" ] || tag=latest
curl -fsS -m 5 -o /dev/null "http://$REG/v2/$repo/manifests/$tag" \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json' \
    || die "$IMAGE is not served by http://$REG: start the peers' registry and images ($PEERS/setup.sh registry images)"
say "pulling $IMAGE into rl's store $WORK/rl"
"${RLC[@]}" rm -a -f >/dev/null 2>&1 # left over from an interrupted run
"${RLC[@]}" pull -q --tls-verify=false "$IMAGE" >"$OUT/raw/pull-rl.log" 2>&1 || die "rl pull $IMAGE failed: $(tail -2 "$OUT/raw/pull-rl.log")"
"${RLC[@]}" run --rm --network none "$IMAGE" iperf3 --version >"$OUT/raw/iperf3-in-image.txt" 2>&1 \
    || die "$IMAGE has no working iperf3: $(tail -2 "$OUT/raw/iperf3-in-image.txt")"
if [ "$HAVE_PODMAN" = 1 ]; then
    if ! podman pull -q --tls-verify=false "$IMAGE" >"$OUT/raw/pull-podman.log" 2>&1; then
        note "podman pull $IMAGE failed ($(tail -1 "$OUT/raw/pull-podman.log")): podman's rows are skipped"
        HAVE_PODMAN=0
    fi
fi

{
    echo "rl: $("$RL" version | head -1) ($RL, source $(git -C "$SRC" -c safe.directory='*' describe --always --dirty 2>/dev/null || echo '?'))"
    [ "$HAVE_PODMAN" = 1 ] && podman --version
    [ "$HAVE_PODMAN" = 1 ] && podman info --format 'podman runtime {{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Version}}' 2>/dev/null | head -1
    [ "$HAVE_SLIRP" = 1 ] && slirp4netns --version | head -2 | paste -sd' '
    [ "$HAVE_PASTA" = 1 ] && echo "pasta (passt) $(dpkg-query -W -f '${Version}' passt 2>/dev/null || echo '?')"
    iperf3 --version | head -1
    hyperfine --version
    echo "kernel $(uname -r), $(nproc) CPUs"
} >"$OUT/versions.txt" 2>&1

# How busy the CPUs are with other work, sampled over 2 s while this script is idle.
cpu_busy() {
    local a b idle total=0 i
    read -ra a </proc/stat
    sleep 2
    read -ra b </proc/stat
    idle=$(((b[4] + b[5]) - (a[4] + a[5])))
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    echo $((total > 0 ? 100 * (total - idle) / total : 0))
}
quiet_check() {
    local busy
    busy=$(cpu_busy)
    printf '%s\t%s\n' "$1" "$busy" >>"$OUT/cpu-busy.tsv"
    if [ "$busy" -gt 10 ]; then
        say "WARNING: the CPUs are ${busy}% busy with other work before section $1: figures will be noisy"
    fi
}
: >"$OUT/cpu-busy.tsv"

# --- iperf3 helpers ----------------------------------------------------------------------------
# Received Gbit/s of one iperf3 -J result, or ERR.
record() { # CASE REP JSON
    local v
    v=$(jq -r 'if .error then "ERR" else (.end.sum_received.bits_per_second / 1e9 * 1000 | round / 1000) end' "$3" 2>/dev/null)
    [[ $v =~ ^[0-9.]+$ ]] || v=ERR
    if [ "$v" = ERR ]; then
        note "$1 (rep $2) failed: $({ jq -r '.error // empty' "$3" 2>/dev/null; tail -2 "${3%.json}.err" 2>/dev/null; } | grep -v 'is not a shared mount' | head -3 | paste -sd' ')"
    fi
    printf '%s\t%s\t%s\n' "$1" "$2" "$v" >>"$RAW"
}

# A one-shot iperf3 server on the host's 127.0.0.1:P_SRV; SRV is its pid.
host_server() {
    timeout $((DURATION + 60)) iperf3 -s -B 127.0.0.1 -p "$P_SRV" -1 >>"$OUT/raw/host-server.log" 2>&1 &
    SRV=$!
    BG+=("$SRV")
    local i
    for i in $(seq 200); do
        listening "$P_SRV" && return 0
        kill -0 "$SRV" 2>/dev/null || break
        sleep 0.05
    done
    return 1
}
# The one-shot server ends with its test; if the client never came, end it.
host_server_stop() {
    local i
    for i in $(seq 30); do
        kill -0 "$SRV" 2>/dev/null || break
        sleep 0.1
    done
    kill "$SRV" 2>/dev/null
    wait "$SRV" 2>/dev/null
}

# The clients for the default network: each runs iperf3 -c against the host server with the
# arguments given and prints its JSON.
LIMIT=$((DURATION + 40)) # seconds any one client may take
# A client in the foreground: in the terminal's process group, so that ^C reaches it at once.
limit() { timeout --foreground -k 10 "$LIMIT" "$@"; }
client_loopback() { limit iperf3 -c 127.0.0.1 -p "$P_SRV" "$@"; }
client_rl() {
    limit "${RLC[@]}" run --rm --name "$CNAME" --network slirp:allow_host_loopback=true \
        "$IMAGE" iperf3 -c 10.0.2.2 -p "$P_SRV" "$@"
}
client_slirp4netns() {
    local ns sl i rc
    # The client waits for slirp4netns's default route (an address alone is not enough);
    # slirp4netns may only join once unshare(2) is done (else setns fails with EPERM).
    # shellcheck disable=SC2016 # expanded by the inner sh
    unshare -Urn sh -c 'i=0
        while [ $i -lt 200 ] && ! ip -4 route show default 2>/dev/null | grep -q tap0; do
            i=$((i + 1)); sleep 0.05; done
        exec "$@"' sh timeout "$LIMIT" iperf3 -c 10.0.2.2 -p "$P_SRV" "$@" &
    ns=$!
    BG+=("$ns")
    for i in $(seq 300); do
        [ "$(readlink "/proc/$ns/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] && break
        sleep 0.01
    done
    slirp4netns --configure --mtu=65520 --enable-sandbox --enable-seccomp "$ns" tap0 >>"$OUT/raw/slirp4netns.log" 2>&1 &
    sl=$!
    BG+=("$sl")
    wait "$ns"
    rc=$?
    kill "$sl" 2>/dev/null
    wait "$sl" 2>/dev/null
    return "$rc"
}
client_pasta() {
    # pasta maps the namespace's 127.0.0.1:P_SRV to the host's (-T): its splice path.
    limit pasta --config-net -q -f -T "$P_SRV" -t none -u none -U none -- \
        iperf3 -c 127.0.0.1 -p "$P_SRV" "$@"
}
client_podman() {
    limit podman run --rm --name "$CNAME" --network slirp4netns:allow_host_loopback=true \
        "$IMAGE" iperf3 -c 10.0.2.2 -p "$P_SRV" "$@"
}

# For a published port: the container's process listens on 5201 (from /proc/PID/net/tcp*:
# iperf3's own output is block-buffered in a container, so its log says nothing in time).
ctr_listens() { # PID
    cat "/proc/$1/net/tcp" "/proc/$1/net/tcp6" 2>/dev/null | awk '$2 ~ /:1451$/ && $4 == "0A" { f = 1 } END { exit !f }'
}

# One iperf3 client on the host against a published port; retried when the persistent
# server is still finishing the previous test ("the server is busy").
client_host() { # HOSTPORT ARGS...
    local hp=$1 out rc
    shift
    for _ in 1 2 3; do
        out=$(limit iperf3 -c 127.0.0.1 -p "$hp" "$@")
        rc=$?
        case $out in *"server is busy"*) sleep 1 ;; *) break ;; esac
    done
    printf '%s\n' "$out"
    return "$rc"
}

# ---------------------------------------------------------------------------------------
NET_CASES=(loopback rl)
[ "$HAVE_SLIRP" = 1 ] && NET_CASES+=(slirp4netns)
[ "$HAVE_PASTA" = 1 ] && NET_CASES+=(pasta)
[ "$HAVE_PODMAN" = 1 ] && NET_CASES+=(podman)

if section net; then
    quiet_check net
    say "net: container <-> a server on the host's 127.0.0.1 ($REPS x ${DURATION}s each, cases interleaved)"
    cmdline loopback "iperf3 -s -B 127.0.0.1 -p $P_SRV -1 & iperf3 -c 127.0.0.1 -p $P_SRV -t $DURATION -J"
    cmdline rl "iperf3 -s -B 127.0.0.1 -p $P_SRV -1 & rl run --rm --network slirp:allow_host_loopback=true $IMAGE iperf3 -c 10.0.2.2 -p $P_SRV -t $DURATION -J [-R]"
    cmdline slirp4netns "iperf3 -s -B 127.0.0.1 -p $P_SRV -1 & unshare -Urn sh -c '(wait for the default route via tap0); iperf3 -c 10.0.2.2 -p $P_SRV -t $DURATION -J [-R]' & slirp4netns --configure --mtu=65520 --enable-sandbox --enable-seccomp NSPID tap0"
    cmdline pasta "iperf3 -s -B 127.0.0.1 -p $P_SRV -1 & pasta --config-net -q -f -T $P_SRV -t none -u none -U none -- iperf3 -c 127.0.0.1 -p $P_SRV -t $DURATION -J [-R]"
    cmdline podman "iperf3 -s -B 127.0.0.1 -p $P_SRV -1 & podman run --rm --network slirp4netns:allow_host_loopback=true $IMAGE iperf3 -c 10.0.2.2 -p $P_SRV -t $DURATION -J [-R]"
    for rep in $(seq "$REPS"); do
        for c in "${NET_CASES[@]}"; do
            for dir in up down; do
                [ "$c" = loopback ] && [ "$dir" = down ] && continue # the same path both ways
                j=$OUT/raw/net-$c-$dir-$rep.json
                CNAME=$PFX-$c-$dir-$rep
                args=(-t "$DURATION" -J)
                [ "$dir" = down ] && args+=(-R)
                if ! host_server; then
                    note "the iperf3 server on 127.0.0.1:$P_SRV did not start (see raw/host-server.log)"
                    printf '%s\t%s\tERR\n' "net-$c-$dir" "$rep" >>"$RAW"
                    continue
                fi
                "client_$c" "${args[@]}" >"$j" 2>"${j%.json}.err"
                rc=$?
                [ "$rc" = 0 ] || echo "exit status $rc" >>"${j%.json}.err"
                host_server_stop
                record "net-$c-$dir" "$rep" "$j"
                say "  net-$c-$dir rep $rep: $(tail -1 "$RAW" | cut -f3) Gbit/s"
            done
        done
    done
fi

# ---------------------------------------------------------------------------------------
PUB_CASES=(rl rl-s4n)
[ "$HAVE_PODMAN" = 1 ] && PUB_CASES+=(podman podman-s4n)
declare -A PUB_PORT=([rl]=$P_RL [rl-s4n]=$P_RLS4N [podman]=$P_PM [podman-s4n]=$P_PMS4N)

# Start the server container of a publish case; prints nothing, fails with a note.
pub_start() { # CASE
    local c=$1 hp=${PUB_PORT[$1]} name=$PFX-pub-$1 pid i log=$OUT/raw/pub-$1-start.log
    case $c in
    rl) "${RLC[@]}" run -d --name "$name" -p "127.0.0.1:$hp:5201" "$IMAGE" iperf3 -s ;;
    rl-s4n) "${RLC[@]}" run -d --name "$name" --network slirp:port_handler=slirp4netns \
        -p "127.0.0.1:$hp:5201" "$IMAGE" iperf3 -s ;;
    podman) podman run -d --name "$name" --network slirp4netns -p "127.0.0.1:$hp:5201" "$IMAGE" iperf3 -s ;;
    podman-s4n) podman run -d --name "$name" --network slirp4netns:port_handler=slirp4netns \
        -p "127.0.0.1:$hp:5201" "$IMAGE" iperf3 -s ;;
    esac >"$log" 2>&1 || {
        note "pub-$c: the server container did not start: $(grep -v 'is not a shared mount' "$log" | tail -1)"
        return 1
    }
    case $c in
    rl*) pid=$("${RLC[@]}" inspect --format '{{.State.Pid}}' "$name" 2>>"$log") ;;
    *) pid=$(podman inspect --format '{{.State.Pid}}' "$name" 2>>"$log") ;;
    esac
    for i in $(seq 200); do
        ctr_listens "$pid" && listening "$hp" && return 0
        sleep 0.05
    done
    note "pub-$c: iperf3 -s in the container (pid ${pid:-?}) or the host port $hp is not listening after 10 s"
    return 1
}
pub_stop() { # CASE
    case $1 in
    rl*) "${RLC[@]}" rm -f "$PFX-pub-$1" >/dev/null 2>&1 ;;
    *) podman rm -f -t 0 "$PFX-pub-$1" >/dev/null 2>&1 ;;
    esac
}

if section publish; then
    quiet_check publish
    say "publish: iperf3 -s in a container behind -p 127.0.0.1:HOSTPORT:5201, client on the host"
    cmdline pub-rl "rl run -d -p 127.0.0.1:$P_RL:5201 $IMAGE iperf3 -s; iperf3 -c 127.0.0.1 -p $P_RL -t $DURATION -J [-R]"
    cmdline pub-rl-s4n "rl run -d --network slirp:port_handler=slirp4netns -p 127.0.0.1:$P_RLS4N:5201 $IMAGE iperf3 -s; iperf3 -c 127.0.0.1 -p $P_RLS4N -t $DURATION -J [-R]"
    cmdline pub-podman "podman run -d --network slirp4netns -p 127.0.0.1:$P_PM:5201 $IMAGE iperf3 -s; iperf3 -c 127.0.0.1 -p $P_PM -t $DURATION -J [-R]"
    cmdline pub-podman-s4n "podman run -d --network slirp4netns:port_handler=slirp4netns -p 127.0.0.1:$P_PMS4N:5201 $IMAGE iperf3 -s; iperf3 -c 127.0.0.1 -p $P_PMS4N -t $DURATION -J [-R]"
    ready=()
    for c in "${PUB_CASES[@]}"; do
        if pub_start "$c"; then ready+=("$c"); else
            for rep in $(seq "$REPS"); do printf 'pub-%s-up\t%s\tERR\npub-%s-down\t%s\tERR\n' "$c" "$rep" "$c" "$rep" >>"$RAW"; done
        fi
    done
    for rep in $(seq "$REPS"); do
        for c in "${ready[@]}"; do
            for dir in down up; do
                j=$OUT/raw/pub-$c-$dir-$rep.json
                args=(-t "$DURATION" -J)
                [ "$dir" = up ] && args+=(-R) # the client on the host receives
                client_host "${PUB_PORT[$c]}" "${args[@]}" >"$j" 2>"${j%.json}.err"
                rc=$?
                [ "$rc" = 0 ] || echo "exit status $rc" >>"${j%.json}.err"
                record "pub-$c-$dir" "$rep" "$j"
                say "  pub-$c-$dir rep $rep: $(tail -1 "$RAW" | cut -f3) Gbit/s"
            done
        done
    done
    for c in "${ready[@]}"; do pub_stop "$c"; done
fi

# ---------------------------------------------------------------------------------------
# mem.tsv: LABEL  PROCESS  PID  VmRSS_KiB  Pss_KiB
MEM=$OUT/mem.tsv
mem_row() { # LABEL PROCESS PID
    local rss pss
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$3/status" 2>/dev/null)
    pss=$(awk '/^Pss:/ { print $2 }' "/proc/$3/smaps_rollup" 2>/dev/null)
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${rss:-?}" "${pss:-?}" >>"$MEM"
}
mem_rl() { # LABEL RUN-OPTIONS...
    local label=$1 name=$PFX-mem-$1 mon ctr p log=$OUT/raw/mem-$1.log
    shift
    if ! "${RLC[@]}" run -d --name "$name" "$@" "$IMAGE" sleep 300 >"$log" 2>&1; then
        note "mem $label: rl run -d failed: $(tail -1 "$log")"
        return
    fi
    sleep "$SETTLE"
    mon=$("${RLC[@]}" inspect --format '{{.State.ConmonPid}}' "$name" 2>>"$log")
    ctr=$("${RLC[@]}" inspect --format '{{.State.Pid}}' "$name" 2>>"$log")
    if [[ ! $mon =~ ^[1-9][0-9]*$ ]] || [ ! -r "/proc/$mon/status" ]; then
        note "mem $label: no monitor pid from rl inspect (State.ConmonPid='$mon')"
    else
        [ "$(cat "/proc/$mon/comm")" = rl-monitor ] || note "mem $label: pid $mon is '$(cat "/proc/$mon/comm")', not rl-monitor"
        mem_row "$label" rl-monitor "$mon"
        # any other helper the monitor started (the container's init excepted)
        for p in $(pgrep -P "$mon"); do
            [ "$p" = "$ctr" ] || mem_row "$label" "$(cat "/proc/$p/comm" 2>/dev/null)" "$p"
        done
    fi
    "${RLC[@]}" rm -f "$name" >/dev/null 2>&1
}
mem_podman() { # LABEL RUN-OPTIONS...
    local label=$1 name=$PFX-mem-$1 conmon ctr netns box p log=$OUT/raw/mem-$1.log
    shift
    if ! podman run -d --name "$name" "$@" "$IMAGE" sleep 300 >"$log" 2>&1; then
        note "mem $label: podman run -d failed: $(grep -v 'is not a shared mount' "$log" | tail -1)"
        return
    fi
    sleep "$SETTLE"
    conmon=$(podman inspect --format '{{.State.ConmonPid}}' "$name" 2>>"$log")
    ctr=$(podman inspect --format '{{.State.Pid}}' "$name" 2>>"$log")
    box=$(podman inspect --format '{{.NetworkSettings.SandboxKey}}' "$name" 2>>"$log")
    netns=$(readlink "/proc/$ctr/ns/net" 2>/dev/null)
    [[ $conmon =~ ^[1-9][0-9]*$ ]] && mem_row "$label" conmon "$conmon"
    # slirp4netns names the container's network namespace on its command line
    for p in $(pgrep -u "$UID_" -x slirp4netns); do
        [ -n "$box" ] && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$box" && mem_row "$label" slirp4netns "$p"
    done
    # rootlessport and rootlessport-child both live in the container's network namespace
    for p in $(pgrep -u "$UID_" -f '^rootlessport'); do
        [ -n "$netns" ] && [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$netns" ] \
            && mem_row "$label" "$(tr '\0' '\n' <"/proc/$p/cmdline" | head -1)" "$p"
    done
    podman rm -f -t 0 "$name" >/dev/null 2>&1
}

if section mem; then
    quiet_check mem
    say "mem: what runs next to a 'sleep 300' container (after ${SETTLE}s)"
    : >"$MEM"
    cmdline mem-rl-publish "rl run -d -p 127.0.0.1:$P_MEM:5201 $IMAGE sleep 300; rl inspect --format '{{.State.ConmonPid}}' -> /proc/PID/status VmRSS, /proc/PID/smaps_rollup Pss"
    mem_rl rl-publish -p "127.0.0.1:$P_MEM:5201"
    mem_rl rl-publish-s4n --network slirp:port_handler=slirp4netns -p "127.0.0.1:$((P_MEM + 1)):5201"
    mem_rl rl-slirp
    mem_rl rl-none --network none
    if [ "$HAVE_PODMAN" = 1 ]; then
        cmdline mem-podman-publish "podman run -d --network slirp4netns -p 127.0.0.1:$((P_MEM + 2)):5201 $IMAGE sleep 300; conmon (State.ConmonPid) + slirp4netns (SandboxKey on its command line) + rootlessport, rootlessport-child (in the container's netns)"
        mem_podman podman-publish --network slirp4netns -p "127.0.0.1:$((P_MEM + 2)):5201"
        mem_podman podman-publish-s4n --network slirp4netns:port_handler=slirp4netns -p "127.0.0.1:$((P_MEM + 3)):5201"
        mem_podman podman-slirp --network slirp4netns
        mem_podman podman-none --network none
    fi
    column -t -s $'\t' "$MEM" >&2
fi

# ---------------------------------------------------------------------------------------
if section start; then
    quiet_check start
    say "start: run --rm $IMAGE true, --network none and the default network (hyperfine $RUNS runs)"
    # a command that fails once is left out of the hyperfine run, with a note
    hf_args=()
    try_add() { # NAME COMMAND
        local log=$OUT/raw/start-$1.log
        # shellcheck disable=SC2086 # the command is split as hyperfine -N splits it
        if timeout 60 $2 >"$log" 2>&1; then
            hf_args+=(-n "$1" "$2")
        else
            note "start: '$2' failed: $(grep -v 'is not a shared mount' "$log" | tail -1); left out"
        fi
    }
    try_add rl-none "${RLC[*]} run --rm --network none $IMAGE true"
    try_add rl-slirp "${RLC[*]} run --rm $IMAGE true"
    if [ "$HAVE_PODMAN" = 1 ]; then
        try_add podman-none "podman run --rm --network none $IMAGE true"
        try_add podman-slirp4netns "podman run --rm --network slirp4netns $IMAGE true"
    fi
    if [ ${#hf_args[@]} -gt 0 ]; then
        {
            printf 'start\thyperfine -N --runs %s --warmup %s' "$RUNS" "$WARMUP"
            printf " '%s'" "${hf_args[@]}"
            echo
        } >>"$OUT/commands.txt"
        hyperfine -N --runs "$RUNS" --warmup "$WARMUP" --style basic \
            --export-json "$OUT/start.json" --export-markdown "$OUT/start.md" "${hf_args[@]}" \
            >"$OUT/start.txt" 2>&1 || note "start: hyperfine failed (see start.txt)"
        grep -E '^(Benchmark|  Time)' "$OUT/start.txt" >&2
    fi
fi

# =========================================================================================
# summary.md
stats() { # CASE -> "min median max n errors" ("- - - 0 E" without a value)
    local vals errs
    vals=$(awk -F'\t' -v c="$1" '$1 == c && $3 ~ /^[0-9.]+$/ { print $3 }' "$RAW" | sort -g)
    errs=$(awk -F'\t' -v c="$1" '$1 == c && $3 !~ /^[0-9.]+$/' "$RAW" | wc -l)
    if [ -z "$vals" ]; then
        echo "- - - 0 $errs"
        return
    fi
    awk -v e="$errs" '{ a[NR] = $1 } END {
        m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        printf "%.2f %.2f %.2f %d %d\n", a[1], m, a[NR], NR, e }' <<<"$vals"
}
median() { stats "$1" | cut -d' ' -f2; }
cell() { # CASE -> "median (min–max)" for the table
    local min med max n e
    read -r min med max n e < <(stats "$1")
    if [ "$n" = 0 ] && [ "$e" = 0 ]; then
        echo "-"
    elif [ "$n" = 0 ]; then
        echo "failed ($e/$e)"
    else
        local s="**$med**"
        [ "$n" -gt 1 ] && s="$s ($min–$max)"
        [ "$e" -gt 0 ] && s="$s, $e failed"
        echo "$s"
    fi
}
ratio() { # A B -> A/B
    awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else printf "-" }'
}
baseline() { # NAME in shared/peers' baseline net.tsv -> median
    awk -F'\t' -v n="$1" '$1 == n { print $3 }' "$PEERS/baseline/net.tsv" 2>/dev/null
}

{
    for c in "${NET_CASES[@]}" "${PUB_CASES[@]/#/pub-}"; do
        for dir in up down; do
            case $c in pub-*) k=$c-$dir ;; *) k=net-$c-$dir ;; esac
            grep -q "^$k	" "$RAW" && printf '%s\t%s\n' "$k" "$(stats "$k" | tr ' ' '\t')"
        done
    done
} >"$OUT/net.tsv"
sed -i '1i case\tmin_gbps\tmedian_gbps\tmax_gbps\tn\tfailed' "$OUT/net.tsv"

{
    echo "# rl network benchmark, $(basename "$OUT")"
    echo
    echo "\`bench/net.sh\`: DURATION=$DURATION s, REPS=$REPS, RUNS=$RUNS, WARMUP=$WARMUP, image \`$IMAGE\`, as \`$(id -un)\`."
    if [ "$DURATION" -lt 5 ] || [ "$REPS" -lt 3 ]; then
        echo
        echo "**A smoke test (DURATION < 5 or REPS < 3): these are not figures to quote.**"
    fi
    if [ -s "$OUT/cpu-busy.tsv" ]; then
        echo
        echo "CPU busy with other work before each section (2 s sample; > 10 % makes the figures noisy): $(awk -F'\t' '{ printf "%s%s %s %%", (NR > 1 ? ", " : ""), $1, $2 }' "$OUT/cpu-busy.tsv")."
    fi
    echo
    sed 's/^/    /' "$OUT/versions.txt"

    if section net; then
        echo
        echo "## Container ↔ host (server on the host's 127.0.0.1)"
        echo
        echo "iperf3 Gbit/s, **median** (min–max) of $REPS × ${DURATION} s. up = the container sends to the host"
        echo "(the client in the container to 10.0.2.2), down = the host sends (\`-R\`). \"rl ÷\" is rl's median"
        echo "over the row's. The baseline is shared/peers' quiet-machine run (3 × 5 s), for reference."
        echo
        echo "| path | up | down | rl ÷ this, up | rl ÷ this, down | peers baseline up / down |"
        echo "| --- | --- | --- | --- | --- | --- |"
        rlu=$(median net-rl-up) rld=$(median net-rl-down)
        for c in "${NET_CASES[@]}"; do
            case $c in
            loopback) what="host loopback (the ceiling)" base="$(baseline host-loopback) / -" ;;
            rl) what="**rl** \`--network slirp:allow_host_loopback=true\`" base="" ;;
            slirp4netns) what="raw slirp4netns, MTU 65520 (\`unshare -Urn\`)" base="$(baseline slirp-raw-mtu65520-up) / $(baseline slirp-raw-mtu65520-down)" ;;
            pasta) what="raw pasta, loopback splice (\`-T\`)" base="$(baseline pasta-raw-splice-up) / $(baseline pasta-raw-splice-down)" ;;
            podman) what="podman \`--network slirp4netns:allow_host_loopback=true\`" base="$(baseline podman-slirp-up) / $(baseline podman-slirp-down)" ;;
            esac
            if [ "$c" = rl ]; then ru="" rd=""; else
                ru=$(ratio "$rlu" "$(median "net-$c-up")")
                rd=$(ratio "$rld" "$(median "net-$c-down")")
            fi
            [ "$c" = loopback ] && rd=""
            echo "| $what | $(cell "net-$c-up") | $(cell "net-$c-down") | $ru | $rd | $base |"
        done
    fi

    if section publish; then
        echo
        echo "## Through a published port (\`-p 127.0.0.1:HOSTPORT:5201\`, client on the host)"
        echo
        echo "iperf3 Gbit/s, **median** (min–max) of $REPS × ${DURATION} s. down = the host sends to the container"
        echo "(the client's default), up = the container sends (\`-R\`). \"rl ÷\" is rl's forwarder over the row."
        echo
        echo "| path | down | up | rl ÷ this, down | rl ÷ this, up | peers baseline down |"
        echo "| --- | --- | --- | --- | --- | --- |"
        rld=$(median pub-rl-down) rlu=$(median pub-rl-up)
        for c in "${PUB_CASES[@]}"; do
            case $c in
            rl) what="**rl**, its forwarder (splice) in the monitor" base="" ;;
            rl-s4n) what="rl \`--network slirp:port_handler=slirp4netns\` (libslirp hostfwd)" base="" ;;
            podman) what="podman, rootlessport" base="$(baseline podman-publish-rootlessport)" ;;
            podman-s4n) what="podman \`slirp4netns:port_handler=slirp4netns\`" base="$(baseline podman-publish-slirphostfwd)" ;;
            esac
            if [ "$c" = rl ]; then r1="" r2=""; else
                r1=$(ratio "$rld" "$(median "pub-$c-down")")
                r2=$(ratio "$rlu" "$(median "pub-$c-up")")
            fi
            echo "| $what | $(cell "pub-$c-down") | $(cell "pub-$c-up") | $r1 | $r2 | $base |"
        done
        if [ "$HAVE_PODMAN" = 1 ]; then
            echo
            echo "Like for like, rl \`port_handler=slirp4netns\` ÷ podman \`port_handler=slirp4netns\`:" \
                "down $(ratio "$(median pub-rl-s4n-down)" "$(median pub-podman-s4n-down)")," \
                "up $(ratio "$(median pub-rl-s4n-up)" "$(median pub-podman-s4n-up)")."
        fi
    fi

    if section mem && [ -s "$MEM" ]; then
        echo
        echo "## Memory next to a running container (\`sleep 300\`, read after ${SETTLE} s)"
        echo
        echo "VmRSS (/proc/PID/status) and Pss (/proc/PID/smaps_rollup) in KiB, summed over the processes"
        echo "that exist for the container besides its own: rl's monitor; podman's conmon, slirp4netns and"
        echo "rootlessport (+ its child). podman's per-user pause process (catatonit, ~0.7 MiB) is not counted."
        echo
        echo "| container | processes | VmRSS KiB | Pss KiB |"
        echo "| --- | --- | --- | --- |"
        awk -F'\t' '{ if (!($1 in r)) o[++n] = $1; r[$1] += $4; p[$1] += $5; w[$1] = w[$1] (w[$1] == "" ? "" : " + ") $2 }
            END { for (i = 1; i <= n; i++) printf "| %s | %s | %d | %d |\n", o[i], w[o[i]], r[o[i]], p[o[i]] }' "$MEM"
        sum() { awk -F'\t' -v l="$1" -v f="$2" '$1 == l { s += $f; n++ } END { if (n) print s }' "$MEM"; }
        if [ -n "$(sum podman-publish 4)" ]; then
            echo
            echo "rl ÷ podman with \`-p\`: VmRSS $(ratio "$(sum rl-publish 4)" "$(sum podman-publish 4)")," \
                "Pss $(ratio "$(sum rl-publish 5)" "$(sum podman-publish 5)")."
        fi
    fi

    if section start && [ -s "$OUT/start.json" ]; then
        echo
        echo "## Start: \`run --rm IMAGE true\` (hyperfine -N, $RUNS runs, $WARMUP warm-ups)"
        echo
        echo "| command | mean ± σ ms | median ms | min–max ms | default network − none |"
        echo "| --- | --- | --- | --- | --- |"
        jq -r '.results[] | [.command, .mean, .stddev, .median, .min, .max] | @tsv' "$OUT/start.json" |
            awk -F'\t' '{ m[$1] = $4 * 1000; line[NR] = $0; name[NR] = $1 }
                END { for (i = 1; i <= NR; i++) { split(line[i], f, "\t"); d = ""
                        if (name[i] ~ /-slirp/) { b = name[i]; sub(/-slirp.*/, "-none", b); if (b in m) d = sprintf("%+.1f ms", m[name[i]] - m[b]) }
                        printf "| `%s` | %.1f ± %.1f | %.1f | %.1f–%.1f | %s |\n", f[1], f[2]*1000, f[3]*1000, f[4]*1000, f[5]*1000, f[6]*1000, d } }'
        r1=$(jq -r '[.results[] | select(.command == "rl-slirp" or .command == "podman-slirp4netns") | .median] | if length == 2 then .[0] / .[1] * 100 | round / 100 else "-" end' "$OUT/start.json")
        echo
        echo "rl ÷ podman (median, default network): $r1."
    fi

    if [ -s "$OUT/notes.md" ]; then
        echo
        echo "## Notes"
        echo
        cat "$OUT/notes.md"
    fi
    echo
    echo "Files: net-raw.tsv (every repetition), net.tsv, mem.tsv, start.json/.md, commands.txt, raw/ (iperf3 JSON and stderr)."
} >"$OUT/summary.md"

say "results in $OUT (summary.md)"
