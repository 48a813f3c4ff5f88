#!/usr/bin/env bash
# bench/oci-run.sh: how long `rl oci run` takes to run /bin/true in a busybox bundle, next
# to crun, runc, bwrap and `unshare`, all as an unprivileged user.
#
#   sudo bash bench/oci-run.sh            build rl, set up, measure, write bench/results/<UTC>/
#   sudo RL=/path/to/rl bash bench/oci-run.sh
#
# Environment:
#   RL          an rl binary to use instead of building one
#   BUILD       out-of-tree build directory (default /tmp/build-bench)
#   RUNS        hyperfine --runs per round (default 30)
#   WARMUP      hyperfine --warmup per round (default 3)
#   ROUNDS      how many times the whole list is measured, interleaved (default 3); the
#               figures pool the RUNS*ROUNDS samples of each command
#   BENCH_USER  the unprivileged user (default rltest; created with subuid/subgid
#               100000:65536 when missing)
#   WORK        bundles and binaries (default /tmp/rl-bench-oci; recreated each run)
#   QUIET_WAIT  before each round, wait up to this many seconds for the CPUs to be at most
#               10 % busy with other work (default 300; 0: do not wait)
#   RETRIES     a round during which other work took more than 10 % of the CPUs is measured
#               again, up to this many times (default 4)
#   TRACE_RUNS  runs traced with `perf trace` for the phase breakdown (default 15; 0: none)
#   OUT         results directory (default bench/results/<UTC timestamp>)
#
# Everything runs in a private mount namespace (`unshare -m`, made by root) in which a
# cgroup2 hierarchy with controllers at /sys/fs/cgroup/unified (cgroup v1 "hybrid") is
# covered with an empty read-only tmpfs: crun refuses to run at all on such a host ("cgroups
# in hybrid mode not supported"). The host's own mounts are not touched. rl is also timed in
# the host's mount namespace to show that the cover changes nothing for it.
#
# Run as root: it installs packages, creates the user, and needs a mount namespace of its
# own. The measured commands themselves run as BENCH_USER with a clean environment.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
SRC=$(cd "$(dirname "$SELF")/.." && pwd)
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
ROUNDS=${ROUNDS:-3}
BENCH_USER=${BENCH_USER:-rltest}
WORK=${WORK:-/tmp/rl-bench-oci}
BUILD=${BUILD:-/tmp/build-bench}
TRACE_RUNS=${TRACE_RUNS:-15}
QUIET_WAIT=${QUIET_WAIT:-300}
RETRIES=${RETRIES:-4}
SUBID_START=100000
SUBID_COUNT=65536
PACKAGES=(hyperfine crun runc bubblewrap busybox-static jq uidmap util-linux)

say() { printf '[%s] %s\n' "$(date -u +%T)" "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# ---------------------------------------------------------------------------------------
# The measuring half. The root half below runs this file again as BENCH_USER, once per
# round and namespace:  oci-run.sh __measure SET ROUND   (SET: ns or host)
# It needs B_* variables in its environment and writes $B_OUT/raw/NAME.rROUND.json.
measure() {
    local set=$1 round=$2 i name wrap
    local rl=$B_WORK/bin/rl runc=$B_RUNC full=$B_WORK/bundle-fullmap self=$B_WORK/bundle-selfmap
    # shellcheck disable=SC2153 # B_* come from the environment
    local st=$B_STATE shm=$B_SHMSTATE rootfs=$B_WORK/rootfs
    local names=() cmds=() wraps=()
    add() { # NAME WRAPPER COMMAND
        names+=("$1")
        wraps+=("$2")
        cmds+=("$3")
    }
    cd /
    if [ "$set" = host ]; then
        add rl-run-hostns "" "$rl oci --root $st/rl-host run --bundle $full rl-bench"
    else
        add floor-true "" "/bin/true"
        add unshare-Urpf "" "unshare -Urpf --mount-proc true"
        add bwrap "" "bwrap --unshare-all --ro-bind $rootfs / --proc /proc --dev /dev true"
        add rl-run "" "$rl oci --root $st/rl run --bundle $full rl-bench"
        add crun-run "" "crun --root $st/crun run --bundle $full crun-bench"
        add runc-run "" "$runc --root $st/runc run --bundle $full runc-bench"
        add rl-run-selfmap "" "$rl oci --root $st/rl run --bundle $self rl-bench-self"
        add crun-run-selfmap "" "crun --root $st/crun run --bundle $self crun-bench-self"
        add runc-run-selfmap "" "$runc --root $st/runc run --bundle $self runc-bench-self"
        add rl-run-shmroot "" "$rl oci --root $shm/rl run --bundle $full rl-bench-shm"
        add rl-create-start-delete "" "sh -c '$rl oci --root $st/rl create --bundle $full rl-csd && $rl oci --root $st/rl start rl-csd && $rl oci --root $st/rl delete --force rl-csd'"
        add crun-create-start-delete "" "sh -c 'crun --root $st/crun create --bundle $full crun-csd && crun --root $st/crun start crun-csd && crun --root $st/crun delete --force crun-csd'"
        add runc-create-start-delete "" "sh -c '$runc --root $st/runc create --bundle $full runc-csd && $runc --root $st/runc start runc-csd && $runc --root $st/runc delete --force runc-csd'"
        # The peers' baseline method (crun's own rootless spec, no subordinate ids, inside
        # an outer `unshare -Urm` in which only crun is timed), for comparison with
        # /work/shared/peers/baseline.
        add crun-run-peers-method "unshare -Urm" "crun --root $st/crun-peers run --bundle $B_WORK/bundle-crunspec crun-bench-peers"
    fi
    for i in "${!names[@]}"; do
        name=${names[$i]}
        wrap=${wraps[$i]}
        # shellcheck disable=SC2086 # the wrapper is words
        if ! $wrap hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --style basic \
            --command-name "$name" --export-json "$B_OUT/raw/$name.r$round.json" \
            "${cmds[$i]}" >"$B_OUT/raw/$name.r$round.log" 2>&1; then
            say "FAILED $name (round $round):"
            tail -3 "$B_OUT/raw/$name.r$round.log" | sed 's/^/    /' >&2
            rm -f "$B_OUT/raw/$name.r$round.json"
        fi
        if [ "$round" = 1 ]; then
            printf '%s\t%s%shyperfine -N --warmup %s --runs %s "%s"\n' "$name" "$wrap" \
                "${wrap:+ }" "$WARMUP" "$RUNS" "${cmds[$i]}" >>"$B_OUT/raw/commands.$set.txt"
        fi
    done
}

if [ "${1:-}" = __measure ]; then
    measure "$2" "$3"
    exit 0
fi

# ---------------------------------------------------------------------------------------
# The root half.
[ "$(id -u)" = 0 ] || die "run as root: sudo bash $0"

TS=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$SRC/bench/results/$TS}

# Packages: apt-get only for what is missing. If dpkg cannot install (a broken dpkg
# database, say), unpack the .deb into $WORK/pkg instead and use it from there.
install_packages() {
    local missing=() p deb
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' && continue
        if [ -e "$WORK/pkg/.unpacked-$p" ]; then
            UNPACKED+=("$p")
            continue
        fi
        missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing ${missing[*]}"
    if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
        >"$WORK/apt.log" 2>&1; then
        return 0
    fi
    say "apt-get install failed ($(grep -m1 -iE 'error|fatal' "$WORK/apt.log" || tail -1 "$WORK/apt.log"));" \
        "unpacking the packages into $WORK/pkg instead"
    mkdir -p "$WORK/pkg" "$WORK/debs"
    # --download-only fetches into apt's cache (or finds the .deb already there).
    DEBIAN_FRONTEND=noninteractive apt-get install -y --download-only --no-install-recommends \
        "${missing[@]}" >>"$WORK/apt.log" 2>&1 \
        || die "apt-get install --download-only ${missing[*]} failed (see $WORK/apt.log)"
    for p in "${missing[@]}"; do
        deb=$(find /var/cache/apt/archives -maxdepth 1 -name "${p}_*_$(dpkg --print-architecture).deb" \
            -o -maxdepth 1 -name "${p}_*_all.deb" | sort -V | tail -1)
        [ -n "$deb" ] || die "no .deb of $p in /var/cache/apt/archives"
        cp "$deb" "$WORK/debs/"
        dpkg-deb -x "$deb" "$WORK/pkg"
        touch "$WORK/pkg/.unpacked-$p"
        UNPACKED+=("$p")
    done
}

# The user, as tests/setup.sh makes it (that script does it when it is there).
setup_user() {
    local uid
    if id "$BENCH_USER" >/dev/null 2>&1 && grep -q "^$BENCH_USER:" /etc/subuid \
        && grep -q "^$BENCH_USER:" /etc/subgid; then
        :
    elif [ -f "$SRC/tests/setup.sh" ] && [ "$BENCH_USER" = rltest ]; then
        SKIP_APT=1 bash "$SRC/tests/setup.sh" user >&2
    else
        id "$BENCH_USER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$BENCH_USER"
        for f in /etc/subuid /etc/subgid; do
            touch "$f"
            grep -q "^$BENCH_USER:" "$f" || echo "$BENCH_USER:$SUBID_START:$SUBID_COUNT" >>"$f"
        done
    fi
    uid=$(id -u "$BENCH_USER")
    [ -d "/run/user/$uid" ] || install -d -m 0700 -o "$BENCH_USER" -g "$(id -g "$BENCH_USER")" \
        "/run/user/$uid"
}

build_rl() {
    if [ -n "${RL:-}" ]; then
        [ -x "$RL" ] || die "RL=$RL is not an executable"
        install -m 0755 "$RL" "$WORK/bin/rl"
        return
    fi
    say "building rl in $BUILD"
    mkdir -p "$BUILD"
    if [ ! -f "$BUILD/Makefile" ]; then
        [ -x "$SRC/configure" ] || (cd "$SRC" && ./autogen.sh) >&2
        (cd "$BUILD" && "$SRC/configure" -q) >&2
    fi
    make -C "$BUILD" -j"$(nproc)" rl >"$WORK/build.log" 2>&1 \
        || { tail -20 "$WORK/build.log" >&2; die "building rl failed (see $WORK/build.log)"; }
    install -m 0755 "$BUILD/rl" "$WORK/bin/rl"
}

# A rootfs with busybox and nothing else, shared by every bundle (read-only).
make_rootfs() {
    local r=$WORK/rootfs d
    mkdir -p "$r/bin"
    for d in proc dev sys tmp etc root; do mkdir -p "$r/$d"; done
    install -m 0755 "$BUSYBOX" "$r/bin/busybox"
    ln -sf busybox "$r/bin/true"
    ln -sf busybox "$r/bin/sh"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
    printf 'root:x:0:\n' >"$r/etc/group"
}

as_user() { runuser -u "$BENCH_USER" -- env -i "${USER_ENV[@]}" "$@"; }

# fullmap: rl's own rootless spec (made by the user, so its maps are the user's id and the
# whole subordinate range), with /bin/true and no terminal. selfmap: the same config with
# only the user's own id mapped (no newuidmap/newgidmap). crunspec: crun's rootless spec, as
# the peers' baseline used it.
make_bundles() {
    local tmp uid gid maps
    uid=$(id -u "$BENCH_USER")
    gid=$(id -g "$BENCH_USER")
    tmp=$(mktemp -d /tmp/rl-bench-spec.XXXXXX)
    chown "$BENCH_USER" "$tmp"
    as_user "$WORK/bin/rl" oci spec --rootless --bundle "$tmp" || die "rl oci spec --rootless failed"
    maps=$(jq -c '[.linux.uidMappings, .linux.gidMappings]' "$tmp/config.json")
    # rl's default is the user's id plus the subordinate ranges; insist on it, so that the
    # fullmap bundle really exercises newuidmap/newgidmap.
    local want
    want=$(jq -nc --argjson u "$uid" --argjson g "$gid" --argjson s $SUBID_START --argjson n $SUBID_COUNT \
        '[[{containerID:0,hostID:$u,size:1},{containerID:1,hostID:$s,size:$n}],
          [{containerID:0,hostID:$g,size:1},{containerID:1,hostID:$s,size:$n}]]')
    if [ "$(grep -c "^$BENCH_USER:$SUBID_START:$SUBID_COUNT\$" /etc/subuid)" = 1 ] && [ "$maps" != "$want" ]; then
        say "note: rl oci spec --rootless wrote the maps $maps; using $want"
        maps=$want
    fi
    mkdir -p "$WORK/bundle-fullmap" "$WORK/bundle-selfmap" "$WORK/bundle-crunspec"
    jq --arg r "$WORK/rootfs" --argjson m "$maps" \
        '.root.path=$r | .process.terminal=false | .process.args=["/bin/true"]
         | .linux.uidMappings=$m[0] | .linux.gidMappings=$m[1]' \
        "$tmp/config.json" >"$WORK/bundle-fullmap/config.json"
    jq --argjson u "$uid" --argjson g "$gid" \
        '.linux.uidMappings=[{containerID:0,hostID:$u,size:1}]
         | .linux.gidMappings=[{containerID:0,hostID:$g,size:1}]' \
        "$WORK/bundle-fullmap/config.json" >"$WORK/bundle-selfmap/config.json"
    rm -f "$tmp/config.json"
    (cd "$tmp" && as_user crun spec --rootless) || die "crun spec --rootless failed"
    jq --arg r "$WORK/rootfs" '.root.path=$r | .process.terminal=false | .process.args=["/bin/true"]' \
        "$tmp/config.json" >"$WORK/bundle-crunspec/config.json"
    rm -rf "$tmp"
    chmod -R a+rX "$WORK"
}

# Percent of CPU time spent busy over 2 s, while this script is idle.
cpu_busy_pct() {
    local a b idle total=0 i
    read -ra a </proc/stat
    sleep 2
    read -ra b </proc/stat
    idle=$(((b[4] + b[5]) - (a[4] + a[5])))
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    echo $((total > 0 ? 100 * (total - idle) / total : 0))
}

# The cgroup2 hierarchy of a hybrid host, when it has controllers (crun refuses those).
hybrid_unified() {
    [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] \
        && [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] \
        && [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]
}

# Run the measuring half as the user: SET ROUND [NS-WRAPPER...]
run_measure() {
    local set=$1 round=$2
    shift 2
    "$@" runuser -u "$BENCH_USER" -- env -i "${USER_ENV[@]}" "${B_ENV[@]}" \
        bash "$WORK/oci-run.sh" __measure "$set" "$round"
}

# In the private namespace: cover the cgroup2 hierarchy, then run the command.
in_ns() {
    local cover=0
    hybrid_unified && cover=1
    # shellcheck disable=SC2016 # expanded by the inner shell
    unshare -m --propagation private bash -c '
        if [ "$1" = 1 ]; then mount -t tmpfs -o ro,size=4k none /sys/fs/cgroup/unified || exit 1; fi
        shift; exec "$@"' in_ns "$cover" "$@"
}

# ---- perf trace breakdown -------------------------------------------------------------
# One traced run of the runtime: the events of `perf trace` (root; no ptrace, so the
# setuid helpers work as usual), parsed into phases (ms):
#   total    execve of the runtime .. its exit
#   startup  execve .. the clone that makes the user namespace (loading, config, checks)
#   clone    that clone/clone3 call itself (namespace creation)
#   idmap    newgidmap + newuidmap: fork .. reaped, summed (0 without helpers)
#   setup    rl only: maps written (parent's first send) .. child ready (child's first send):
#            mounts, pivot_root, capabilities
#   state    rl only: child ready .. parent's start message (state.json, config copy, fsync)
#   true     execve of /bin/true .. its exit
#   rest     total minus the phases above (sync messages, wait, removing the state, exit)
#   fsync    time in fsync(2), summed (part of state)
trace_once() { # COMM CMD...
    local comm=$1
    shift
    (cd / && in_ns perf trace -e execve,clone,clone3,wait4,sendto,exit_group,pivot_root,fsync \
        -o "$WORK/trace.txt" -- runuser -u "$BENCH_USER" -- env -i "${USER_ENV[@]}" "$@") \
        >/dev/null 2>&1 || return 1
    awk -v comm="$comm" '
    function num(s) { gsub(/[^0-9.]/, "", s); return s + 0 }
    {
        # "   12.345 ( 0.123 ms): comm/pid syscall(args) = ret" or "... [continued]: syscall())"
        if (!match($0, /^ *[0-9.]+ \( *[0-9.]* *(ms)?\): [^ ]+\/[0-9]+ /)) next
        ts = num($1)
        dur = 0
        if (match($0, /\( *[0-9.]+ ms\)/)) dur = num(substr($0, RSTART, RLENGTH))
        who = $0; sub(/^[^)]*\): /, "", who); sub(/ .*/, "", who)
        c = who; sub(/\/[0-9]+$/, "", c)
        pid = who; sub(/^.*\//, "", pid); pid = pid + 0
        rest = $0; sub(/^[^)]*\): [^ ]+ +/, "", rest)
        cont = (rest ~ /^\.\.\. \[continued\]: /)
        sub(/^\.\.\. \[continued\]: /, "", rest)
        sc = rest; sub(/\(.*/, "", sc)
        unfinished = (rest ~ /\) \.\.\. *$/)
        ret = ""
        if (match(rest, /= -?[0-9]+/)) ret = substr(rest, RSTART + 2, RLENGTH - 2) + 0
        if (sc == "execve" && !unfinished && ret == 0 && (c == comm || c ~ ("^memfd:" comm)) && main == 0) {
            main = pid; t0 = ts
        }
        if (main == 0) next
        if (pid == main && (sc == "clone3" || (sc == "clone" && rest ~ /NEWUSER/)) && tns == "" && !unfinished) {
            tns = ts; tclone = dur; child = ret
        }
        if (pid == main && sc == "clone" && rest !~ /NEWUSER/ && !unfinished) forked[ret] = ts
        if (pid == main && sc == "wait4" && !unfinished && rest ~ /\(new[ug]idmap\)/) {
            if (ret in forked) idmap += ts + dur - forked[ret]
            tmaps = ts + dur
        }
        if (pid == main && sc == "sendto" && !unfinished) { nsend++; if (nsend == 1) tm = ts + dur; if (nsend == 2) tstart = ts }
        if (pid == child && sc == "sendto" && !unfinished && tready == "") tready = ts
        if (sc == "execve" && c == "true" && !unfinished) ttrue = ts
        if (sc == "exit_group" && c == "true") ttrue_end = ts
        if (pid == main && sc == "fsync" && !unfinished) fs += dur
        if (pid == main && sc == "exit_group") tend = ts
    }
    END {
        if (main == 0 || tend == "") exit 1
        setup = (comm == "rl" && tm != "" && tready != "") ? tready - tm : ""
        state = (comm == "rl" && tready != "" && tstart != "") ? tstart - tready : ""
        tt = (ttrue_end != "" && ttrue != "") ? ttrue_end - ttrue : 0
        rest = (tend - t0) - (tns - t0) - tclone - idmap - setup - state - tt
        printf "%.3f\t%.3f\t%.3f\t%.3f\t%s\t%s\t%.3f\t%.3f\t%.3f\n", tend - t0, tns - t0, tclone, idmap,
            setup == "" ? "-" : sprintf("%.3f", setup), state == "" ? "-" : sprintf("%.3f", state),
            tt, rest, fs
    }' "$WORK/trace.txt"
}

# TRACE_RUNS traced runs of NAME; median of each phase -> breakdown.tsv
trace_runs() { # NAME COMM CMD...
    local name=$1 comm=$2 i line
    shift 2
    : >"$WORK/phases.$name"
    for i in $(seq "$TRACE_RUNS"); do
        line=$(trace_once "$comm" "$@") && printf '%s\n' "$line" >>"$WORK/phases.$name"
    done
    [ -s "$WORK/phases.$name" ] || { say "no trace for $name"; return 0; }
    cp "$WORK/trace.txt" "$OUT/trace.$name.txt"
    awk -F'\t' -v name="$name" '
    function med(col,   n, i, a, k, t) {
        n = 0
        for (i = 1; i <= NR; i++) if (v[i, col] != "-") a[++n] = v[i, col] + 0
        if (n == 0) return "-"
        for (i = 2; i <= n; i++) for (k = i; k > 1 && a[k - 1] > a[k]; k--) { t = a[k]; a[k] = a[k - 1]; a[k - 1] = t }
        return sprintf("%.2f", n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
    }
    { for (k = 1; k <= NF; k++) v[NR, k] = $k }
    END { printf "%s\t%d", name, NR; for (k = 1; k <= 9; k++) printf "\t%s", med(k); printf "\n" }' \
        "$WORK/phases.$name" >>"$OUT/breakdown.tsv"
}

# ---- main -----------------------------------------------------------------------------
command -v jq >/dev/null || PACKAGES=(jq "${PACKAGES[@]}")
# $WORK/pkg and $WORK/debs (packages unpacked by hand) are kept between runs.
mkdir -p "$WORK"
rm -rf "${WORK:?}/bin" "$WORK/rootfs" "$WORK"/bundle-* "$WORK"/phases.* "$WORK/trace.txt"
mkdir -p "$WORK/bin"
chmod 0755 "$WORK"
UNPACKED=()
install_packages
export PATH="$WORK/pkg/usr/local/bin:$WORK/pkg/usr/bin:$WORK/pkg/usr/sbin:$WORK/pkg/bin:$PATH"
for t in hyperfine crun runc bwrap jq unshare newuidmap newgidmap; do
    command -v "$t" >/dev/null || die "$t not found after installing packages"
done
BUSYBOX=/bin/busybox
[ -x "$WORK/pkg/bin/busybox" ] && BUSYBOX=$WORK/pkg/bin/busybox
if command -v file >/dev/null && ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
    say "warning: $BUSYBOX is not statically linked"
fi
setup_user
RUNC=$(command -v runc)
mkdir -p "$OUT" "$OUT/raw"
say "results in $OUT"
build_rl
make_rootfs
cp "$SELF" "$WORK/oci-run.sh"
chmod -R a+rX "$WORK"

BENCH_UID=$(id -u "$BENCH_USER")
BENCH_HOME=$(getent passwd "$BENCH_USER" | cut -d: -f6)
USER_PATH=$WORK/pkg/usr/bin:$WORK/pkg/usr/sbin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
[ ${#UNPACKED[@]} -eq 0 ] && USER_PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
USER_ENV=(HOME="$BENCH_HOME" USER="$BENCH_USER" LOGNAME="$BENCH_USER" PATH="$USER_PATH"
    XDG_RUNTIME_DIR="/run/user/$BENCH_UID" LANG=C.UTF-8)
make_bundles

# Private state roots, one set per run of this script.
STATE=$(mktemp -d /tmp/rl-bench-state.XXXXXX)
SHMSTATE=$(mktemp -d /dev/shm/rl-bench-state.XXXXXX)
chown "$BENCH_USER" "$STATE" "$SHMSTATE" "$OUT/raw"
cleanup() {
    rm -rf "$STATE" "$SHMSTATE" 2>/dev/null || true
}
trap cleanup EXIT
B_ENV=(B_WORK="$WORK" B_OUT="$OUT" B_STATE="$STATE" B_SHMSTATE="$SHMSTATE" B_RUNC="$RUNC"
    RUNS="$RUNS" WARMUP="$WARMUP")

# Sanity: every runtime runs the bundle once, and crun's failure without the cover.
: >"$OUT/raw/notes.txt"
for cmd in "$WORK/bin/rl oci --root $STATE/check run --bundle $WORK/bundle-fullmap check-rl" \
    "crun --root $STATE/check run --bundle $WORK/bundle-fullmap check-crun" \
    "$RUNC --root $STATE/check run --bundle $WORK/bundle-fullmap check-runc"; do
    # shellcheck disable=SC2086
    if ! msg=$(in_ns runuser -u "$BENCH_USER" -- env -i "${USER_ENV[@]}" $cmd 2>&1); then
        die "'$cmd' fails as $BENCH_USER: $msg"
    fi
done
if hybrid_unified; then
    # shellcheck disable=SC2086
    if msg=$(cd / && as_user crun --root "$STATE/check" run --bundle "$WORK/bundle-fullmap" \
        check-crun-host 2>&1); then
        msg="runs"
    fi
    printf 'crun in the host mount namespace (cgroup2 at /sys/fs/cgroup/unified has: %s): %s\n' \
        "$(cat /sys/fs/cgroup/unified/cgroup.controllers)" "$msg" >>"$OUT/raw/notes.txt"
fi

# Figures are only worth something on a quiet machine: wait for one, within reason.
wait_quiet() {
    local start=$SECONDS busy
    busy=$(cpu_busy_pct)
    while [ "$busy" -gt 10 ] && [ $((SECONDS - start)) -lt "$QUIET_WAIT" ]; do
        say "CPUs ${busy}% busy with other work; waiting (up to ${QUIET_WAIT}s) for a quiet machine"
        sleep 8
        busy=$(cpu_busy_pct)
    done
    [ "$busy" -gt 10 ] && say "WARNING: CPUs ${busy}% busy; figures will be noisy"
    echo "$busy"
}
# CPU ticks (USER_HZ) used by the children this shell has waited for, from `times` (run
# in this shell, not in a $(...) subshell, whose children would be others).
own_ticks() {
    times >"$WORK/.times"
    awk 'END { t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] }
        printf "%d", t * 100 }' "$WORK/.times"
}
# One round, and how busy the CPUs were with other work meanwhile (percent of all CPUs:
# busy time from /proc/stat minus the CPU time of this round's own processes).
measure_round() { # ROUND -> OTHER_PCT
    local r=$1 a b own0 own1 idle total=0 i
    read -ra a </proc/stat
    own_ticks >"$WORK/.own0"
    run_measure ns "$r" in_ns
    run_measure host "$r"
    read -ra b </proc/stat
    own_ticks >"$WORK/.own1"
    own0=$(cat "$WORK/.own0")
    own1=$(cat "$WORK/.own1")
    idle=$(((b[4] + b[5]) - (a[4] + a[5])))
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    OTHER_PCT=$((total > 0 ? 100 * (total - idle - (own1 - own0)) / total : 0))
    [ "$OTHER_PCT" -lt 0 ] && OTHER_PCT=0
    return 0
}
say "$ROUNDS rounds of $RUNS runs (+$WARMUP warmup) each"
BUSY_ROUNDS=()
REDONE=0
for r in $(seq "$ROUNDS"); do
    for try in $(seq $((RETRIES + 1))); do
        before=$(wait_quiet)
        say "round $r/$ROUNDS (CPUs ${before}% busy before it)"
        measure_round "$r"
        [ "$OTHER_PCT" -le 10 ] && break
        if [ "$try" -le "$RETRIES" ]; then
            say "other work took ${OTHER_PCT}% of the CPUs during round $r: measuring it again"
            REDONE=$((REDONE + 1))
            rm -f "$OUT"/raw/*.r"$r".json
        else
            say "WARNING: other work took ${OTHER_PCT}% of the CPUs during round $r; keeping it"
        fi
    done
    BUSY_ROUNDS+=("$OTHER_PCT")
done
BUSY=$(IFS=,; echo "${BUSY_ROUNDS[*]}")
BUSY_AFTER=$(cpu_busy_pct)

# ---- summary --------------------------------------------------------------------------
# Pool the samples of every round: NAME n min median max mean stddev, then ratios.
for j in "$OUT"/raw/*.r1.json; do
    [ -e "$j" ] || continue
    name=$(basename "$j" .r1.json)
    jq -s -r --arg n "$name" '
        [.[].results[0].times[]] | sort | length as $len
        | (add / $len) as $mean
        | (if $len % 2 == 1 then .[($len - 1) / 2] else (.[$len / 2 - 1] + .[$len / 2]) / 2 end) as $med
        | ((map(. - $mean | . * .) | add) / (if $len > 1 then $len - 1 else 1 end) | sqrt) as $sd
        | [$n, $len] + ([.[0], $med, .[-1], $mean, $sd] | map(. * 1000 * 100 | round / 100)) | @tsv' \
        "$OUT"/raw/"$name".r*.json
done >"$WORK/pooled.tsv"
# Round medians, to show how stable the figures are.
for j in "$OUT"/raw/*.r1.json; do
    [ -e "$j" ] || continue
    name=$(basename "$j" .r1.json)
    printf '%s\t%s\n' "$name" "$(for f in "$OUT"/raw/"$name".r*.json; do
        jq -r '.results[0].median * 1000 * 100 | round / 100' "$f"; done | paste -sd, -)"
done >"$WORK/rounds.tsv"
ORDER=(rl-run crun-run runc-run bwrap unshare-Urpf floor-true rl-run-selfmap crun-run-selfmap
    runc-run-selfmap rl-run-shmroot rl-run-hostns rl-create-start-delete crun-create-start-delete
    runc-create-start-delete crun-run-peers-method)
med() { awk -F'\t' -v n="$1" '$1 == n { print $4 }' "$WORK/pooled.tsv"; }
CRUN_MED=$(med crun-run)
UNSHARE_MED=$(med unshare-Urpf)
ratio() { # A B -> A/B with 2 decimals, or -
    if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo -; fi
}
{
    printf 'name\truns\tmin_ms\tmedian_ms\tmax_ms\tmean_ms\tstddev_ms\tratio_vs_crun\tratio_vs_unshare\tround_medians_ms\n'
    for n in "${ORDER[@]}"; do
        line=$(awk -F'\t' -v n="$n" '$1 == n' "$WORK/pooled.tsv")
        if [ -z "$line" ]; then
            printf '%s\tFAILED\n' "$n"
            continue
        fi
        m=$(med "$n")
        printf '%s\t%s\t%s\t%s\n' "$line" "$(ratio "$m" "$CRUN_MED")" "$(ratio "$m" "$UNSHARE_MED")" \
            "$(awk -F'\t' -v n="$n" '$1 == n { print $2 }' "$WORK/rounds.tsv")"
    done
} >"$OUT/summary.tsv"
column -t -s$'\t' "$OUT/summary.tsv" >&2

# Everything hyperfine measured, in one compact file (name, round, times in s).
jq -c -n '[inputs | .results[0] as $r
    | {run: (input_filename | split("/")[-1] | rtrimstr(".json")), median: $r.median, times: $r.times}]' \
    "$OUT"/raw/*.json >"$OUT/hyperfine.json"

# ---- breakdown ------------------------------------------------------------------------
if [ "$TRACE_RUNS" -gt 0 ] && command -v perf >/dev/null && perf trace -e exit_group -- true >/dev/null 2>&1; then
    wait_quiet >/dev/null
    say "perf trace: $TRACE_RUNS traced runs each for the breakdown"
    printf 'name\ttraced_runs\ttotal_ms\tstartup_ms\tclone_ms\tidmap_helpers_ms\tsetup_ms\tstate_ms\ttrue_ms\trest_ms\tfsync_ms\n' \
        >"$OUT/breakdown.tsv"
    trace_runs rl-run rl "$WORK/bin/rl" oci --root "$STATE/rl" run --bundle "$WORK/bundle-fullmap" rl-trace
    trace_runs rl-run-selfmap rl "$WORK/bin/rl" oci --root "$STATE/rl" run --bundle "$WORK/bundle-selfmap" rl-trace
    trace_runs rl-run-shmroot rl "$WORK/bin/rl" oci --root "$SHMSTATE/rl" run --bundle "$WORK/bundle-fullmap" rl-trace
    trace_runs crun-run crun crun --root "$STATE/crun" run --bundle "$WORK/bundle-fullmap" crun-trace
    trace_runs crun-run-selfmap crun crun --root "$STATE/crun" run --bundle "$WORK/bundle-selfmap" crun-trace
    column -t -s$'\t' "$OUT/breakdown.tsv" >&2
else
    say "no perf trace: skipping the breakdown"
fi

# ---- README ---------------------------------------------------------------------------
rl_commit=$(git -c safe.directory='*' -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -c safe.directory='*' -C "$SRC" diff --quiet HEAD -- lib cmd 2>/dev/null || rl_commit="$rl_commit+dirty"
[ -n "${RL:-}" ] && rl_commit="RL=$RL"
version_of() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "?"; }
pkgver() { # the version of a package, installed or unpacked
    local v
    v=$(dpkg-query -W -f '${Version}' "$1" 2>/dev/null) && [ -n "$v" ] && { echo "$v"; return; }
    for d in "$WORK"/debs/"$1"_*.deb; do [ -e "$d" ] && dpkg-deb -f "$d" Version && return; done
    echo "?"
}
fig() { # NAME -> "median (min-max)"
    awk -F'\t' -v n="$1" '$1 == n { printf "%s", $4 }' "$OUT/summary.tsv"
}
row() { # NAME DESCRIPTION
    awk -F'\t' -v n="$1" -v d="$2" '$1 == n {
        if ($2 == "FAILED") { printf "| `%s` | %s | FAILED | | | | |\n", n, d; exit }
        printf "| `%s` | %s | %s | %s / %s | %s | %s | %s |\n", n, d, $4, $3, $5, $8, $9, $10 }' \
        "$OUT/summary.tsv"
}
RL_MED=$(fig rl-run)
RATIO=$(ratio "$RL_MED" "$CRUN_MED")
VERDICT=$(awk -v r="$RATIO" 'BEGIN { print (r <= 1.5 ? "met" : "NOT met") }')
{
    echo "# oci-run benchmark, $TS"
    echo
    echo "\`rl oci run\` of a busybox bundle running \`/bin/true\`, next to crun, runc, bwrap and"
    echo "unshare, as the unprivileged user \`$BENCH_USER\` (uid $BENCH_UID, subuid/subgid"
    echo "$(grep "^$BENCH_USER:" /etc/subuid | head -1 | cut -d: -f2-)). Made by \`bench/oci-run.sh\`: hyperfine -N, $ROUNDS rounds ×"
    echo "$RUNS runs (+$WARMUP warmup) per command, rounds interleaved; figures pool all rounds."
    echo
    echo "**rl / crun (full subordinate id map, median): $RATIO — target ≤ 1.5: $VERDICT.**"
    echo "rl / unshare: $(ratio "$RL_MED" "$UNSHARE_MED"). With only the user's own id mapped"
    echo "(no helpers): rl / crun $(ratio "$(fig rl-run-selfmap)" "$(fig crun-run-selfmap)")."
    echo
    echo "| name | what | median ms | min / max ms | ÷ crun-run | ÷ unshare | round medians |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    row rl-run "rl oci run, full map (newuidmap/newgidmap)"
    row crun-run "crun run, same bundle (crun also calls newuidmap/newgidmap)"
    row runc-run "runc run, same bundle (runc also calls newuidmap/newgidmap)"
    row bwrap "bwrap --unshare-all --ro-bind ROOTFS / --proc /proc --dev /dev true"
    row unshare-Urpf "unshare -Urpf --mount-proc true (floor)"
    row floor-true "/bin/true (fork+exec through hyperfine)"
    row rl-run-selfmap "rl, only the user's own id mapped (no helpers)"
    row crun-run-selfmap "crun, only the user's own id mapped (crun still calls the helpers)"
    row runc-run-selfmap "runc, only the user's own id mapped (writes the maps itself)"
    row rl-run-shmroot "rl, full map, --root on tmpfs (/dev/shm)"
    row rl-run-hostns "rl, full map, in the host's mount namespace (no cgroup cover)"
    row rl-create-start-delete "sh -c 'rl create && rl start && rl delete --force'"
    row crun-create-start-delete "the same with crun"
    row runc-create-start-delete "the same with runc"
    row crun-run-peers-method "crun spec --rootless bundle inside unshare -Urm (the peers' baseline method)"
    echo
    if [ -s "$OUT/breakdown.tsv" ]; then
        echo "Where the time goes (\`perf trace\`, median of $TRACE_RUNS traced runs each; ms; tracing"
        echo "adds a little). startup: exec of the runtime .. the clone that makes the user namespace;"
        echo "clone: that call; idmap: newgidmap + newuidmap, fork .. reaped; setup: maps written .."
        echo "container ready (mounts, pivot_root, capabilities); state: ready .. start (state.json,"
        echo "config copy, fsync); true: exec of /bin/true .. exit; rest: the remainder (sync"
        echo "messages, wait, state removal, exit); fsync: time in fsync(2), part of state. crun's"
        echo "startup includes copying its own binary into a memfd and re-executing it."
        echo
        echo "| name | runs | total | startup | clone | idmap | setup | state | true | rest | fsync |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        tail -n +2 "$OUT/breakdown.tsv" | awk -F'\t' '{ printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; printf "\n" }'
        echo
    fi
    echo "## Machine"
    echo
    # shellcheck disable=SC1091
    echo "- $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $(nproc) vCPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) memory"
    echo "- /tmp: $(findmnt -n -o FSTYPE -T /tmp 2>/dev/null || stat -f -c %T /tmp); state roots: \`$STATE\` (private, removed afterwards)"
    echo "- cgroups: $(if hybrid_unified; then echo "v1 hybrid, cgroup2 at /sys/fs/cgroup/unified with controllers: $(cat /sys/fs/cgroup/unified/cgroup.controllers); covered with an empty tmpfs in the private mount namespace"; else echo "$(stat -f -c %T /sys/fs/cgroup) at /sys/fs/cgroup (no cover needed)"; fi)"
    echo "- CPUs busy with other work during each kept round: ${BUSY} % (/proc/stat minus the round's own CPU time); rounds measured again because other work took more than 10 %: $REDONE; after the last round: ${BUSY_AFTER} %"
    echo
    echo "## Versions"
    echo
    echo "- rl: $("$WORK/bin/rl" --version 2>&1 | head -1) ($rl_commit)"
    echo "- crun $(pkgver crun), runc $(pkgver runc), bubblewrap $(pkgver bubblewrap), util-linux $(pkgver util-linux), uidmap (newuidmap) $(pkgver uidmap), busybox-static $(pkgver busybox-static), hyperfine $(pkgver hyperfine)"
    [ ${#UNPACKED[@]} -gt 0 ] && echo "- unpacked with dpkg-deb -x because apt-get install failed: ${UNPACKED[*]}"
    echo
    echo "## Bundles and commands"
    echo
    echo "- rootfs: \`bin/busybox\` (busybox-static), \`bin/true\` and \`bin/sh\` symlinks, empty mount points, \`/etc/passwd\`, \`/etc/group\`"
    echo "- fullmap: \`rl oci spec --rootless\` made by $BENCH_USER, with process.terminal false and args \`/bin/true\`: pid, network, ipc, uts, mount, cgroup and user namespaces; uid and gid maps \`0 → $BENCH_UID (1)\`, \`1 → $SUBID_START ($SUBID_COUNT)\`. rl, crun and runc all run this same config.json."
    echo "- selfmap: the same with only \`0 → $BENCH_UID (1)\` mapped."
    echo "- crunspec: \`crun spec --rootless\` (no maps: crun maps the caller), only for \`crun-run-peers-method\`."
    echo
    echo '```'
    cat "$OUT"/raw/commands.*.txt
    echo '```'
    if [ -s "$OUT/raw/notes.txt" ]; then
        echo
        echo "## Notes"
        echo
        sed 's/^/- /' "$OUT/raw/notes.txt"
    fi
} >"$OUT/README.md"
cp "$WORK/bundle-fullmap/config.json" "$OUT/config-fullmap.json"
say "done: $OUT/summary.tsv, $OUT/README.md"
