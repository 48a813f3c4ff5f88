#!/usr/bin/env bash
# tests/first-container.sh: from a fresh Debian 12 machine to a first rootless container.
#
# Run as root: installs the dependencies, creates the user $TEST_USER (default rltest) and
# builds rl (tests/setup.sh --build-only), then, as that user, builds a busybox image from a
# root filesystem tarball (`rl import`) and runs it with `rl run --rm`.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export BUILD_DIR=${BUILD_DIR:-/var/tmp/rl-build}
export TEST_USER=${TEST_USER:-rltest}

[ "$(id -u)" -eq 0 ] || {
    echo "first-container.sh: run me as root (I install packages and create $TEST_USER)" >&2
    exit 1
}
bash "$HERE/setup.sh" --build-only >/tmp/rl-first-container-setup.log 2>&1 || {
    tail -30 /tmp/rl-first-container-setup.log
    echo "first-container.sh: setup failed; full log in /tmp/rl-first-container-setup.log" >&2
    exit 1
}
echo "rl built in $BUILD_DIR/build (setup log: /tmp/rl-first-container-setup.log)"

uid=$(id -u "$TEST_USER")
home=$(getent passwd "$TEST_USER" | cut -d: -f6)

# What the container runs: busybox sh, as root of a user namespace that maps to the user.
# shellcheck disable=SC2016 # expanded in the container
payload='echo "Hello from a rootless rl container: $(id)"
echo "hostname: $(hostname), pid: $$"
echo "uid_map: $(cat /proc/self/uid_map)"
echo "network: tap0 $(ip -o -4 addr show tap0 | awk "{print \$4}"), nameserver $(awk "/^nameserver/ {print \$2}" /etc/resolv.conf)"'

# As the user: a root filesystem tarball made into an image (rl import), then rl run.
# shellcheck disable=SC2016 # expanded by the inner bash
script='set -euo pipefail
d=$HOME/first-container
rm -rf "$d"
mkdir -p "$d"/rootfs/{bin,proc,dev,sys,tmp,etc,root}
cp /bin/busybox "$d/rootfs/bin/busybox"
for a in sh echo id cat hostname ls ip awk; do ln -s busybox "$d/rootfs/bin/$a"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$d/rootfs/etc/passwd"
echo "root:x:0:" >"$d/rootfs/etc/group"
tar -C "$d/rootfs" --owner=0 --group=0 -cf "$d/rootfs.tar" .
"$RL" import --change "CMD [\"/bin/sh\"]" "$d/rootfs.tar" localhost/first-container \
    >/dev/null 2>"$d/import.log" || { cat "$d/import.log" >&2; exit 1; }
echo "\$ rl run --rm localhost/first-container sh -c ...   (as $USER)"
exec "$RL" run --rm localhost/first-container sh -c "$PAYLOAD"'

runuser -u "$TEST_USER" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" \
    USER="$TEST_USER" XDG_RUNTIME_DIR="/run/user/$uid" RL="$BUILD_DIR/build/rl" \
    PAYLOAD="$payload" bash -c "$script" </dev/null
