# shellcheck shell=sh
# tests/vm/guest-init.sh: PID 1 of the cgroup v2 test guest, run by the host's static busybox
# (`busybox sh guest-init.sh`) on the host root that the guest sees read-only. Both backends
# of tests/vm/run-in-vm.sh use it: qemu gets here from tests/vm/initramfs-init, with /proc,
# /dev and /sys already mounted; User-mode Linux starts here directly.
#
# It sets up what a systemd host with a user session gives rootless container tools:
#   - tmpfs on /run /tmp /dev/shm and on the user's home directory (not on /var/tmp,
#     where the build and the test fixtures are);
#   - a pure cgroup v2 hierarchy (nsdelegate, memory_recursiveprot) with PID 1 in
#     /init.scope, every controller enabled from the root down to
#     D = user.slice/user-UID.slice/user@UID.service and in D's subtree_control, D delegated
#     to the user as with systemd's Delegate=yes: D itself, its cgroup.procs, cgroup.threads
#     and cgroup.subtree_control belong to the user (D's own limits stay root's);
#   - the command in the leaf D/rl-vm.scope, which belongs to the user too;
#   - /run/user/UID, /dev/net/tun and /dev/fuse mode 0666 (as udev would), lo up, module
#     auto-loading from the guest kernel's modules.
# Then it runs the command as the user, stores its exit status and powers the guest off.
#
# Input, in the per-run state directory (mounted on /run/rl-vm): config (shell variables
# written by run-in-vm.sh) and cmd ("set -- env -i ... COMMAND ARG..."). Output: started
# (when the command starts: the guest's uptime), rc (the command's exit status, or 125 when
# the guest could not run it). Messages go to the kernel console.
#
# Busybox ash on purpose: mount, mkdir, echo, chown run as applets in this process, where
# each exec of a dynamically linked program would cost ~0.1 s under TCG.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
STATE=/run/rl-vm
CG=/sys/fs/cgroup
# rl_vm_trace=1 on the kernel command line (RL_VM_KERNEL_ARGS) reaches us as a variable.
[ "${rl_vm_trace:-}" = 1 ] && set -x

say() {
    echo "guest-init: $*" >&2
}

# fail MESSAGE: the guest cannot run the command: rc 125, power off.
fail() {
    say "FATAL: $*"
    [ -d "$STATE" ] && echo 125 >"$STATE/rc"
    sync
    poweroff -f
    exit 125
}

if [ "${rl_vm_backend:-}" = uml ]; then
    # Until the guest's proc is mounted, /proc is the host's, seen through hostfs, and
    # busybox finds its applets through /proc/self/exe: full paths until then.
    /bin/busybox mount -t proc proc /proc || fail "mount /proc"
    /bin/busybox mount -t sysfs sysfs /sys || fail "mount /sys"
    /bin/busybox mountpoint -q /dev || /bin/busybox mount -t devtmpfs devtmpfs /dev \
        || fail "mount /dev"
fi
mountpoint -q /sys || fail "the guest's /sys is not mounted"
mkdir -p /dev/pts /dev/shm
# What udev would add to devtmpfs; bash's process substitution needs /dev/fd.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run || fail "mount /run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp || fail "mount /tmp"

mkdir -p "$STATE"
if [ "${rl_vm_backend:-}" = uml ]; then
    mount -t hostfs -o "${rl_vm_state:?}" hostfs "$STATE"
else
    mount -t 9p -o trans=virtio,version=9p2000.L,access=client,msize=512000,cache=none \
        rlvmstate "$STATE"
fi || fail "cannot mount the state directory"
# shellcheck source=/dev/null
. "$STATE/config" || fail "no $STATE/config"

# As systemd mounts it. The guest's own sysfs is below: the host's cgroups are not reachable.
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 $CG \
    || mount -t cgroup2 -o nsdelegate cgroup2 $CG || fail "cannot mount cgroup2 on $CG"

# Module auto-loading (veth, nf_tables, ...) by the host's kmod, from the guest kernel's
# modules: tests/vm/setup.sh's unpacked package for qemu, user-mode-linux's for UML.
if [ "${rl_vm_backend:-}" = uml ]; then
    mkdir -p /run/rl-vm-modules/lib
    ln -s /usr/lib/uml/modules /run/rl-vm-modules/lib/modules
    moddir=/run/rl-vm-modules
else
    moddir=$VM_DIR/kernel
fi
printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$moddir" >/run/rl-vm-modprobe
chmod 755 /run/rl-vm-modprobe
echo /run/rl-vm-modprobe >/proc/sys/kernel/modprobe
if [ "${rl_vm_backend:-}" = uml ]; then
    # The qemu guest's initramfs loaded these.
    for m in overlay tun fuse; do
        /run/rl-vm-modprobe "$m" || say "modprobe $m failed"
    done
fi
for m in $VM_MODULES; do
    /run/rl-vm-modprobe "$m" || say "modprobe $m failed"
done
for dev in /dev/net/tun /dev/fuse; do
    [ -c "$dev" ] && chmod 666 "$dev"
done
hostname rl-vm
ip link set lo up
echo 1 >/proc/sys/kernel/unprivileged_userns_clone 2>/dev/null
# shellcheck disable=SC3045 # busybox ash has ulimit -c
ulimit -c 0

# ------------------------------------------------------------------------------ cgroups
# PID 1 leaves the root cgroup, as systemd's does: a cgroup with processes cannot give
# controllers to its children (the "no internal processes" rule).
mkdir $CG/init.scope || fail "mkdir $CG/init.scope"
echo $$ >$CG/init.scope/cgroup.procs || fail "move PID 1 to init.scope"
read -r controllers <$CG/cgroup.controllers
all=
for c in $controllers; do
    all="$all +$c"
done
D=$CG/$VM_CGROUP
L=$D/$VM_LEAF
mkdir -p "$L" || fail "mkdir $L"
p=$CG
for part in $(echo "$VM_CGROUP" | tr / ' '); do
    echo "$all" >"$p/cgroup.subtree_control" || fail "enable$all in $p"
    p=$p/$part
done
echo "$all" >"$D/cgroup.subtree_control" || fail "enable$all in $D"
# Delegation (Documentation/admin-guide/cgroup-v2.rst, "Delegation Containment"): the user
# owns D and the files that create children and move processes; D's limits stay root's.
if [ "$VM_UID" != 0 ]; then
    chown "$VM_UID:$VM_GID" "$D" "$D/cgroup.procs" "$D/cgroup.threads" \
        "$D/cgroup.subtree_control" || fail "chown $D"
    chown -R "$VM_UID:$VM_GID" "$L" || fail "chown $L"
fi

# ------------------------------------------------------------------------------ the user
if [ "$VM_UID" != 0 ] && [ -d "$VM_HOMEDIR" ] && [ "$VM_HOMEDIR" != / ]; then
    mount -t tmpfs -o mode=700,nosuid,nodev tmpfs "$VM_HOMEDIR" || fail "tmpfs on $VM_HOMEDIR"
    chown "$VM_UID:$VM_GID" "$VM_HOMEDIR" || fail "chown $VM_HOMEDIR"
fi
mkdir -p /run/user || fail "mkdir /run/user"
mkdir -m 700 "/run/user/$VM_UID" || fail "mkdir /run/user/$VM_UID"
chown "$VM_UID:$VM_GID" "/run/user/$VM_UID" || fail "chown /run/user/$VM_UID"
# What sd_booted() looks for: a test may start a systemd user manager of its own (the host's
# systemd, as the user, in a delegated cgroup), which refuses to run without it.
mkdir -p /run/systemd/system || fail "mkdir /run/systemd/system"

# The command's stdout and stderr: UML's consoles 1 and 2, or qemu's virtio ports.
out=/dev/console
err=/dev/console
if [ "${rl_vm_backend:-}" = uml ]; then
    out=/dev/tty1
    err=/dev/tty2
    # No "\n" -> "\r\n" on the way out.
    stty -F $out -opost
    stty -F $err -opost
else
    for port in /sys/class/virtio-ports/*; do
        read -r name <"$port/name" 2>/dev/null || continue
        [ "$name" = rl.stdout ] && out=/dev/${port##*/}
        [ "$name" = rl.stderr ] && err=/dev/${port##*/}
    done
    if [ "$out" = /dev/console ] || [ "$err" = /dev/console ]; then
        fail "no virtio output ports"
    fi
fi

cut -d' ' -f1 /proc/uptime >"$STATE/started"
say "running the command as uid $VM_UID in ${L#"$CG"}"
(
    echo 0 >"$L/cgroup.procs" || exit 125
    cd "$VM_CWD" 2>/dev/null || cd "$VM_HOMEDIR" 2>/dev/null || cd /
    # shellcheck source=/dev/null
    . "$STATE/cmd"
    exec "$@"
) </dev/null >"$out" 2>"$err"
rc=$?
say "the command exited with $rc"
echo "$rc" >"$STATE/rc"
sync
umount "$STATE"
poweroff -f
