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
# /tmp/rl-bench-pull), OUT (default bench/results/<UTC>-pull).
#
# Images (tests/fixtures.sh with BIG=1): IMG_BIG, busybox plus one ~100 MB gzip layer of host
# files (curl | tar extracts that big layer only), and
# IMG_LAYERS, four small layers. "Cold" means the store is emptied before every run
# (hyperfine --prepare); the registry's blobs are in the page cache.
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

rm -rf "$WORK"
install -d -o "$BENCH_USER" "$WORK"
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
rl_clean() { "$RL" --root "$WORK/rl" rmi -a >/dev/null 2>&1 || true; }
podman_clean() { podman --root "$WORK/podman" --runroot "$WORK/podman-run" --storage-driver overlay rmi -af >/dev/null 2>&1 || true; }
export -f rl_clean podman_clean
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
  cmds+=(--prepare "rm -rf $WORK/tar; mkdir $WORK/tar" -n "curl | tar -xz"
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
