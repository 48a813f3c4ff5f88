#!/usr/bin/env bash
# bench/pull.sh: cold pull from the local registry, rl against `podman pull` and against
# `curl | tar -xz` (the floor: download, gunzip and write the files, no checks), as an
# unprivileged user.
#
#   sudo bash bench/pull.sh               fixtures with the big image, measure, write results
#   sudo RL=/path/to/rl bash bench/pull.sh
#
# Environment: RL (default: the tests/setup.sh build, /var/tmp/rl-build/build/rl), RUNS
# (hyperfine --runs, default 5), WARMUP (1), BENCH_USER (rltest), WORK (stores, default
# /tmp/rl-bench-pull), FS (tmpfs, the default: WORK is a tmpfs mounted for the run; ext4:
# WORK stays on the root filesystem), OUT (default bench/results/<UTC>-pull).
#
# Images (tests/fixtures.sh with BIG=1): IMG_BIG, busybox plus one ~100 MB gzip layer of host
# files (curl | tar extracts that big layer only), and
# IMG_LAYERS, four small layers. "Cold" means the store is emptied before every run
# (hyperfine --prepare, followed by sync); the registry's blobs are in the page cache.
set -euo pipefail

SRC=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
RL=${RL:-/var/tmp/rl-build/build/rl}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
BENCH_USER=${BENCH_USER:-rltest}
WORK=${WORK:-/tmp/rl-bench-pull}
OUT=${OUT:-$SRC/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-pull}

say() { printf '[%s] %s\n' "$(date -u +%T)" "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

[ "$(id -u)" = 0 ] || die "run as root (it starts the fixtures and runs the measurements as $BENCH_USER)"
[ -x "$RL" ] || die "no rl at $RL: run 'bash tests/setup.sh --build-only' or set RL"
command -v hyperfine >/dev/null || die "hyperfine is not installed"

BIG=1 bash "$SRC/tests/fixtures.sh" >/dev/null
# shellcheck source=/dev/null
. "${FIXTURES:-/var/tmp/rl-fixtures}/env"
[ -n "${IMG_BIG:-}" ] || die "the fixtures have no IMG_BIG"

# The stores live on a tmpfs of their own. On this machine's ext4, creating and deleting the
# ~21k files of the big image run after run makes ext4 skip every inode deleted in the last
# minutes when it allocates one (ialloc.c: recently_deleted): perf shows 40 % of the time
# there, and every tool slows from 1.5 s to 17 s within a few runs. A tmpfs measures the
# tools, not that.
if mountpoint -q "$WORK"; then umount "$WORK"; fi
rm -rf "$WORK"
install -d "$WORK"
if [ "${FS:-tmpfs}" = tmpfs ]; then
    mount -t tmpfs -o size=8g,mode=0755 rl-bench-pull "$WORK"
    trap 'umount "$WORK" 2>/dev/null || true' EXIT
fi
chown "$BENCH_USER" "$WORK"
# podman's pause process keeps the mount namespace it made before the tmpfs existed: end it,
# so that podman sees the new mount.
if command -v podman >/dev/null; then
    runuser -u "$BENCH_USER" -- env XDG_RUNTIME_DIR="/run/user/$(id -u "$BENCH_USER")" \
        podman system migrate >/dev/null 2>&1 || true
fi
mkdir -p "$OUT"
uid=$(id -u "$BENCH_USER")
big_repo=${IMG_BIG#*/}
big_repo=${big_repo%:*}
big_layer=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG_PLAIN/v2/$big_repo/manifests/latest" | jq -r '.layers[-1].digest')

cat >"$WORK/run.sh" <<EOF
#!/bin/bash
set -euo pipefail
export HOME=$WORK XDG_RUNTIME_DIR=/run/user/$uid XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config
cd "$WORK"
# Each run starts with the page cache written back: without the sync, the previous run's
# dirty pages and deletions are written while the next run creates its files, and every
# tool's time triples at random (measured here: 1.5 s against 7 s for rl).
rl_clean() { "$RL" --root "$WORK/rl" rmi -a >/dev/null 2>&1 || true; sync; }
podman_clean() { podman --root "$WORK/podman" --runroot "$WORK/podman-run" --storage-driver overlay rmi -af >/dev/null 2>&1 || true; sync; }
tar_clean() { rm -rf "$WORK/tar"; mkdir "$WORK/tar"; sync; }
export -f rl_clean podman_clean tar_clean
args=(--shell bash --runs $RUNS --warmup $WARMUP --export-json "$OUT/\$1.json" --export-markdown "$OUT/\$1.md")
img=\$2
cmds=(
  --prepare rl_clean -n rl "$RL --root $WORK/rl pull -q --tls-verify=false \$img"
)
if command -v podman >/dev/null; then
  cmds+=(--prepare podman_clean -n podman
         "podman --root $WORK/podman --runroot $WORK/podman-run --storage-driver overlay pull -q --tls-verify=false \$img")
fi
if [ -n "\${3:-}" ]; then
  cmds+=(--prepare tar_clean -n "curl | tar -xz"
         "curl -fsS http://$REG_PLAIN/v2/$big_repo/blobs/\$3 | tar -xzf - -C $WORK/tar")
fi
hyperfine "\${args[@]}" "\${cmds[@]}"
EOF
chmod 755 "$WORK/run.sh"
chown -R "$BENCH_USER" "$OUT" "$WORK"

say "big image ($IMG_BIG)"
runuser -u "$BENCH_USER" -- "$WORK/run.sh" big "$IMG_BIG" "$big_layer" | tee "$OUT/big.txt"
say "multi-layer image ($IMG_LAYERS)"
runuser -u "$BENCH_USER" -- "$WORK/run.sh" layers "$IMG_LAYERS" | tee "$OUT/layers.txt"
{
    echo "rl: $("$RL" version | head -1)"
    command -v podman >/dev/null && podman --version
    curl --version | head -1
    tar --version | head -1
} >"$OUT/versions.txt"
runuser -u "$BENCH_USER" -- "$RL" --root "$WORK/rl" rmi -a >/dev/null 2>&1 || true
say "results in $OUT"
