#!/usr/bin/env bash
# bench/run.sh: container start-up and lifecycle, rl against podman (and bwrap, the floor of
# a sandbox without an image store), as an unprivileged user, in the same run:
#
#   1. `run --rm IMAGE true`, busybox (1 MiB) and debian (~100 MB): rl, podman --network=none,
#      bwrap --unshare-all on the same root filesystem extracted
#   2. `ps -a` with 100 containers in the store: rl, podman
#   3. 50 concurrent `run -d IMAGE sleep` (all started, then all removed): rl, podman
#   4. what --userns=keep-id costs in disk and time (when rl supports it)
#
#   sudo bash bench/run.sh
#   sudo RL=/path/to/rl RUNS=20 bash bench/run.sh
#
# Environment: RL (default: the tests/setup.sh build, /var/tmp/rl-build/build/rl), RUNS
# (hyperfine --runs, default 10), WARMUP (2), BENCH_USER (rltest), PEERS (shared/peers: its
# setup.sh serves rl/busybox and rl/debian:bookworm on 127.0.0.1:5000 and configures podman for
# this host: runc, cgroupfs, overlay), WORK (default /tmp/rl-bench-run), OUT (default
# bench/results/<UTC>-run), SECTIONS (default "start ps concurrent").
set -euo pipefail

SRC=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
RL=${RL:-/var/tmp/rl-build/build/rl}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
BENCH_USER=${BENCH_USER:-rltest}
PEERS=${PEERS:-/work/shared/peers}
WORK=${WORK:-/tmp/rl-bench-run}
OUT=${OUT:-$SRC/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-run}
SECTIONS=${SECTIONS:-start keepid ps concurrent}
REG=127.0.0.1:5000
BUSYBOX=$REG/rl/busybox:latest
DEBIAN=$REG/rl/debian:bookworm

say() { printf '[%s] %s\n' "$(date -u +%T)" "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

[ "$(id -u)" = 0 ] || die "run as root (it prepares the images and runs the measurements as $BENCH_USER)"
[ -x "$RL" ] || die "no rl at $RL: run 'bash tests/setup.sh --build-only' or set RL"
command -v hyperfine >/dev/null || die "hyperfine is not installed"
command -v podman >/dev/null || die "podman is not installed (the peer this compares with)"

if ! curl -fsS -m 3 "http://$REG/v2/rl/debian/manifests/bookworm" \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' >/dev/null 2>&1; then
    [ -x "$PEERS/setup.sh" ] || die "no registry on $REG and no $PEERS/setup.sh to start one"
    say "starting the peers' registry and images ($PEERS/setup.sh)"
    bash "$PEERS/setup.sh" >"$WORK.peers.log" 2>&1 || die "$PEERS/setup.sh failed: see $WORK.peers.log"
fi

uid=$(id -u "$BENCH_USER")
home=$(getent passwd "$BENCH_USER" | cut -d: -f6)
rm -rf "$WORK"
install -d -o "$BENCH_USER" "$WORK" "$WORK/rootfs-busybox" "$WORK/rootfs-debian"
mkdir -p "$OUT"
chown "$BENCH_USER" "$OUT"

cat >"$WORK/env.sh" <<EOF
export HOME=$home XDG_RUNTIME_DIR=/run/user/$uid
export RL="$RL --root $WORK/rl" OUT=$OUT WORK=$WORK RUNS=$RUNS WARMUP=$WARMUP
export BUSYBOX=$BUSYBOX DEBIAN=$DEBIAN
cd $WORK
hf() { local name=\$1; shift; hyperfine -N --runs "\$RUNS" --warmup "\$WARMUP" \
    --export-json "\$OUT/\$name.json" --export-markdown "\$OUT/\$name.md" "\$@" | tee "\$OUT/\$name.txt"; }
hfs() { local name=\$1; shift; hyperfine --shell bash --runs "\$RUNS" --warmup "\$WARMUP" \
    --export-json "\$OUT/\$name.json" --export-markdown "\$OUT/\$name.md" "\$@" | tee "\$OUT/\$name.txt"; }
EOF
# podman and rl read the user's containers config, which PEERS/setup.sh wrote: runc and
# cgroupfs for podman on this host, and REG as an insecure registry for both.
grep -q "$REG" "$home/.config/containers/registries.conf" 2>/dev/null \
    || die "$home/.config/containers/registries.conf does not list $REG: run $PEERS/setup.sh userconf"
chown -R "$BENCH_USER" "$WORK"

as_user() { runuser -u "$BENCH_USER" -- bash -c ". $WORK/env.sh; $1"; }

say "images: pull into rl and podman"
as_user '$RL pull -q $BUSYBOX $DEBIAN >/dev/null
         podman pull -q --tls-verify=false $BUSYBOX $DEBIAN >/dev/null
         podman rm -af >/dev/null 2>&1 || true'
# Both images have one layer: bwrap runs on rl's extracted layer itself (its files belong to
# the user's subordinate ids, which bwrap shows as nobody: enough for `true`).
for img in busybox debian; do
    ref=$BUSYBOX
    [ $img = debian ] && ref=$DEBIAN
    layer=$(as_user "\$RL image inspect --format '{{.GraphDriver.Data.LowerDir}}' $ref")
    [ -d "$layer" ] || die "no layer dir for $ref"
    rmdir "$WORK/rootfs-$img"
    ln -s "$layer" "$WORK/rootfs-$img"
done

section() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }

if section start; then
    for img in busybox debian; do
        say "run --rm $img true"
        as_user "img=\$$(echo $img | tr a-z A-Z)
            hf run-$img -n 'rl run --rm' \"\$RL run --rm \$img true\" \
                -n 'podman run --rm --network=none' \"podman run --rm --network=none \$img true\" \
                -n 'bwrap --unshare-all' \"bwrap --unshare-all --ro-bind $WORK/rootfs-$img / --proc /proc --dev /dev true\""
    done
    say "run -d + rm -f (a detached container's whole life)"
    as_user 'hfs detached -n "rl run -d + rm -f" "id=\$($RL run -d $BUSYBOX sleep 100); $RL rm -f \$id >/dev/null" \
        -n "podman run -d + rm -f" --shell bash "id=\$(podman run -d --network=none $BUSYBOX sleep 100); podman rm -f -t 0 \$id >/dev/null"'
fi

if section keepid; then
    say "--userns=keep-id: time, and what it adds to the store"
    as_user 'du -sb "$WORK/rl" | cut -f1 >"$OUT/keepid-rl-before"
        du -sb "$HOME/.local/share/containers/storage" 2>/dev/null | cut -f1 >"$OUT/keepid-podman-before"
        hf keepid -n "rl run --rm --userns=keep-id debian" "$RL run --rm --userns=keep-id $DEBIAN true" \
            -n "podman run --rm --userns=keep-id debian" "podman run --rm --network=none --userns=keep-id $DEBIAN true"
        du -sb "$WORK/rl" | cut -f1 >"$OUT/keepid-rl-after"
        du -sb "$HOME/.local/share/containers/storage" 2>/dev/null | cut -f1 >"$OUT/keepid-podman-after"'
fi

if section ps; then
    say "ps -a with 100 containers"
    as_user 'for i in $(seq 100); do $RL create $BUSYBOX true >/dev/null; podman create --network=none $BUSYBOX true >/dev/null; done
        hf ps100 -n "rl ps -a (100)" "$RL ps -a" -n "podman ps -a (100)" "podman ps -a"
        $RL rm -a -f >/dev/null; podman rm -a -f >/dev/null'
fi

if section concurrent; then
    say "50 concurrent run -d"
    cat >"$WORK/fifty.sh" <<'EOF'
#!/bin/bash
# fifty.sh rl|podman: start 50 detached containers at once; fail unless all 50 run.
set -u
. "$WORK/env.sh"
pids=()
for i in $(seq 50); do
    if [ "$1" = rl ]; then $RL run -d $BUSYBOX sleep 1000 >/dev/null & else
        podman run -d --network=none $BUSYBOX sleep 1000 >/dev/null & fi
    pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=$((fail + 1)); done
[ "$fail" = 0 ] || { echo "$fail of 50 failed" >&2; exit 1; }
EOF
    cat >"$WORK/clean.sh" <<'EOF'
#!/bin/bash
. "$WORK/env.sh"
$RL rm -a -f >/dev/null 2>&1; podman rm -a -f -t 0 >/dev/null 2>&1; true
EOF
    chmod 755 "$WORK/fifty.sh" "$WORK/clean.sh"
    chown "$BENCH_USER" "$WORK/fifty.sh" "$WORK/clean.sh"
    as_user "RUNS=\$(( RUNS < 5 ? RUNS : 5 )) WARMUP=1 hf fifty --prepare $WORK/clean.sh \
        -n 'rl: 50 x run -d' '$WORK/fifty.sh rl' -n 'podman: 50 x run -d' '$WORK/fifty.sh podman'; $WORK/clean.sh"
fi

{
    echo "rl: $("$RL" version | head -1)"
    podman --version
    bwrap --version
    hyperfine --version
    uname -r
} >"$OUT/versions.txt"
as_user '$RL rm -a -f >/dev/null 2>&1; $RL rmi -a >/dev/null 2>&1; podman rm -a -f >/dev/null 2>&1; true'
say "results in $OUT"
