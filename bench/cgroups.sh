#!/usr/bin/env bash
# bench/cgroups.sh: what a cgroup of its own costs `rl run --rm`, measured in the cgroup v2
# guest of tests/vm (this host cannot delegate cgroups), side by side with podman in the same
# guest when it runs there.
#
#   sudo bash bench/cgroups.sh          # as root: boots the guest, runs the cases as rltest
#
# Cases (hyperfine -N, RUNS runs, WARMUP warm-ups, all with --network none so that only the
# cgroup differs): rl with --cgroups=disabled (no cgroup), rl's default (a cgroup for
# podman's pids limit of 2048), rl with --memory 64m --cpus 1 --pids-limit 100; podman
# --cgroup-manager=cgroupfs with and without the same limits. Results: bench/results/<UTC>-
# cgroups/summary.md. Environment: RL (default /var/tmp/rl-build/build/rl), RUNS (20),
# WARMUP (3), RL_VM_DIR (tests/vm's), OUT.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
SRC=$(cd "$(dirname "$SELF")/.." && pwd)

if [ "${1:-}" != --in-guest ]; then
    [ "$(id -u)" = 0 ] || { echo "bench/cgroups.sh: run as root (it boots the test guest)" >&2; exit 1; }
    RL=${RL:-/var/tmp/rl-build/build/rl}
    OUT=${OUT:-$SRC/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-cgroups}
    [ -x "$RL" ] || { echo "bench/cgroups.sh: no rl at $RL (bash tests/setup.sh build)" >&2; exit 1; }
    bash "$SRC/tests/vm/setup.sh" >/dev/null
    mkdir -p "$OUT"
    chmod 0777 "$OUT"
    # The guest sees the host's / read-only (its /tmp is its own): it prints the summary
    # after a marker line.
    bash "$SRC/tests/vm/run-in-vm.sh" -u rltest -t 1200 -e RL="$RL" -e RUNS="${RUNS:-20}" \
        -e WARMUP="${WARMUP:-3}" -- bash "$SELF" --in-guest | tee "$OUT/log"
    sed -n '/^----- summary -----$/,$p' "$OUT/log" | tail -n +2 >"$OUT/summary.md"
    [ -s "$OUT/summary.md" ] || { echo "bench/cgroups.sh: no summary; see $OUT/log" >&2; exit 1; }
    echo "results in $OUT"
    exit 0
fi

# In the guest, as the user: an image from busybox, then the cases.
export HOME=${HOME:-/tmp}
root=$HOME/rl-bench
r=$HOME/rootfs
mkdir -p "$root" "$r"/{bin,etc,proc,dev,sys,tmp}
cp /bin/busybox "$r/bin/busybox"
for a in sh true; do ln -sf busybox "$r/bin/$a"; done
echo 'root:x:0:0:root:/:/bin/sh' >"$r/etc/passwd"
tar -C "$r" --numeric-owner --owner=0 --group=0 -cf "$HOME/rootfs.tar" .
"$RL" --root "$root" import -q "$HOME/rootfs.tar" localhost/bench >/dev/null
rl="$RL --root $root run --rm --network none"
cases=(-n "rl --cgroups=disabled" "$rl --cgroups=disabled localhost/bench true"
    -n "rl (default: pids 2048)" "$rl localhost/bench true"
    -n "rl --memory 64m --cpus 1 --pids-limit 100" "$rl --memory 64m --cpus 1 --pids-limit 100 localhost/bench true")
note=""
if command -v podman >/dev/null; then
    mkdir -p "$HOME/tmp"
    export TMPDIR=$HOME/tmp # the guest's /var/tmp is the host's, read-only
    pm="podman --cgroup-manager=cgroupfs --events-backend=none --root $HOME/pm --runroot /tmp/pm"
    if $pm import -q "$HOME/rootfs.tar" localhost/bench >/dev/null 2>"$HOME/pm.err" \
        && $pm run --rm --network none localhost/bench true 2>>"$HOME/pm.err"; then
        cases+=(-n "podman (cgroupfs)" "$pm run --rm --network none localhost/bench true"
            -n "podman --memory 64m --cpus 1 --pids-limit 100" "$pm run --rm --network none --memory 64m --cpus 1 --pids-limit 100 localhost/bench true")
    else
        note="podman does not run in the guest: $(tail -1 "$HOME/pm.err")"
    fi
fi
hyperfine -N -w "$WARMUP" -r "$RUNS" --export-markdown "$HOME/hf.md" "${cases[@]}"
{
    echo "# rl run --rm: the cost of a cgroup (cgroup v2 guest of tests/vm, $RL_VM, $(uname -r), $(nproc) CPUs)"
    echo
    echo "hyperfine -N, $RUNS runs, $WARMUP warm-ups, --network none. Guest times under qemu's"
    echo "software emulation: compare the rows, not with the host's figures."
    echo
    cat "$HOME/hf.md"
    [ -z "$note" ] || printf '\n%s\n' "$note"
} >"$HOME/summary.md"
echo "----- summary -----"
cat "$HOME/summary.md"
