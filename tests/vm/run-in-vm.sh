#!/usr/bin/env bash
# tests/vm/run-in-vm.sh: run a command as a user in a throw-away cgroup v2 guest.
#
#   tests/vm/run-in-vm.sh [OPTION...] [--] COMMAND [ARG...]
#
# The guest kernel (Debian's, from tests/vm/setup.sh; or User-mode Linux) sees this host's
# "/" read-only, so COMMAND is the host's own program with the host's libraries and build
# trees. The guest has a pure cgroup v2 hierarchy with every controller and a subtree
# delegated to the user, as systemd's Delegate=yes does for user@UID.service, and COMMAND
# runs in a leaf cgroup of it (see tests/vm/guest-init.sh). There is no network but lo.
# /tmp /run /dev/shm and the user's home directory are empty tmpfs: write there (/var/tmp,
# where tests/setup.sh builds, stays the host's, read-only).
# Needs root on the host (qemu reads all of "/", UML maps it) and tests/vm/setup.sh done.
#
# Options:
#   -u USER         run COMMAND as USER, who owns the delegated cgroup (default rltest;
#                   root is allowed); RL_VM_USER
#   -e NAME[=VALUE] put NAME in COMMAND's environment, with VALUE or with our value of NAME
#                   (repeatable)
#   -C DIR          COMMAND's working directory (default: ours, else the home directory)
#   -t SECONDS      stop the guest after SECONDS in all (default 1800); RL_VM_TIMEOUT
#   -T SECONDS      the guest must start COMMAND within SECONDS (default 180); RL_VM_BOOT_TIMEOUT
#   -m MEM          guest memory (default 2G); RL_VM_MEM
#   -c N            qemu's virtual CPUs (default: the host's, at most 4); RL_VM_CPUS
#   -b BACKEND      qemu, uml or auto: qemu when it is installed and set up, else uml
#                   (default auto); RL_VM_BACKEND. User-mode Linux boots faster but has
#                   one CPU and no cpuset, and Debian 12's (6.1) dies at once on some
#                   hosts ("ptrace set fp regs failed", seen on a 6.18 host kernel)
#   -v              copy the guest's kernel console to our stderr
#   -h              this help
# Environment: RL_VM_DIR (tests/vm/setup.sh's directory, default /var/tmp/rl-build/vm),
# RL_VM_ACCEL=kvm|tcg (default: kvm only when kvm_intel or kvm_amd is loaded: a nested
# paravirtual /dev/kvm such as kvm_pvm cannot boot a stock kernel), RL_VM_TSC_KHZ (the host's
# TSC frequency for TCG guests, default its fixed "cpu MHz"), RL_VM_KERNEL_ARGS (more kernel
# arguments, e.g. rl_vm_trace=1 to trace guest-init.sh), RL_VM_MODULES (more guest modules).
#
# COMMAND's environment: HOME USER LOGNAME SHELL PATH LANG TERM, XDG_RUNTIME_DIR=/run/user/UID,
# RL_VM=qemu|uml (set only in the guest), RL_VM_CGROUP (the delegated cgroup's directory),
# RL_VM_CGROUP_LEAF (COMMAND's own cgroup, a leaf below it), and the -e variables.
# Its stdin is /dev/null; its stdout and stderr are streamed to ours.
#
# Exit status: COMMAND's (128+N when a signal N killed it); 124 when -t ran out while
# COMMAND ran; 125 when the guest could not run COMMAND (bad usage, no setup, the guest did
# not boot, its setup failed, or it died): then a line "run-in-vm: ..." says why, followed
# by the end of the guest's console.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=${RL_VM_DIR:-/var/tmp/rl-build/vm}
user=${RL_VM_USER:-rltest}
timeout_s=${RL_VM_TIMEOUT:-1800}
boot_timeout=${RL_VM_BOOT_TIMEOUT:-180}
mem=${RL_VM_MEM:-2G}
cpus=${RL_VM_CPUS:-$(nproc)}
[ "$cpus" -le 4 ] || cpus=4
backend=${RL_VM_BACKEND:-auto}
cwd=$PWD
verbose=0
envs=()
# The delegated cgroup, as systemd names the user manager's; the command's leaf in it.
leaf=rl-vm.scope

fail() {
    echo "run-in-vm: $*" >&2
    exit 125
}

usage() {
    sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# quote WORD...: the words quoted for a POSIX shell, on one line.
quote() {
    local w out=''
    for w; do
        out+=" '${w//\'/\'\\\'\'}'"
    done
    printf '%s\n' "${out# }"
}

while [ $# -gt 0 ]; do
    case "$1" in
    -u | -e | -C | -t | -T | -m | -c | -b)
        [ $# -ge 2 ] || fail "option $1 needs a value (see -h)"
        case "$1" in
        -u) user=$2 ;;
        -e)
            if [[ $2 == *=* ]]; then
                envs+=("$2")
            elif [ -n "${!2+set}" ]; then
                envs+=("$2=${!2}")
            fi
            ;;
        -C) cwd=$2 ;;
        -t) timeout_s=$2 ;;
        -T) boot_timeout=$2 ;;
        -m) mem=$2 ;;
        -c) cpus=$2 ;;
        -b) backend=$2 ;;
        esac
        shift 2
        ;;
    -v)
        verbose=1
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    --)
        shift
        break
        ;;
    -*) fail "unknown option '$1' (see -h)" ;;
    *) break ;;
    esac
done
[ $# -gt 0 ] || fail "no command given (see -h)"
[ "$(id -u)" -eq 0 ] || fail "run me as root"
if ! [[ $timeout_s =~ ^[0-9]+$ && $boot_timeout =~ ^[0-9]+$ ]]; then
    fail "-t and -T take a number of seconds"
fi

qemu_ready() {
    command -v qemu-system-x86_64 >/dev/null && [ -s "$DIR/initramfs.cpio.gz" ] \
        && [ -s "$DIR/kver" ] && [ -d "$DIR/kernel" ]
}
case "$backend" in
auto)
    if qemu_ready; then
        backend=qemu
    elif command -v linux.uml >/dev/null; then
        backend=uml
    else
        fail "no qemu-system-x86_64 set up in $DIR and no linux.uml: run tests/vm/setup.sh"
    fi
    ;;
qemu) qemu_ready || fail "qemu is not set up in $DIR: run tests/vm/setup.sh" ;;
uml) command -v linux.uml >/dev/null || fail "no linux.uml: apt-get install user-mode-linux" ;;
*) fail "unknown backend '$backend' (qemu, uml or auto)" ;;
esac

uid=$(id -u "$user" 2>/dev/null) || fail "no user '$user'"
gid=$(id -g "$user")
home=$(getent passwd "$user" | cut -d: -f6)
cgroup=user.slice/user-$uid.slice/user@$uid.service
[ -d "$cwd" ] || fail "-C $cwd: no such directory"

# ------------------------------------------------------------------------------ state
# The per-run state directory: config and cmd in, started and rc out. The guest mounts it
# read-write (9p tag rlvmstate, or hostfs); COMMAND's output comes through its FIFOs.
S=$(mktemp -d /tmp/rl-vm.XXXXXX) || fail "mktemp failed"
vm_pid=
copiers=()
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    [ -z "$vm_pid" ] || kill "$vm_pid" 2>/dev/null
    [ ${#copiers[@]} -eq 0 ] || kill "${copiers[@]}" 2>/dev/null
    rm -rf "$S"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
chmod 755 "$S"

base_env=(HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/bash
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb
    XDG_RUNTIME_DIR="/run/user/$uid" RL_VM="$backend" RL_VM_CGROUP="/sys/fs/cgroup/$cgroup"
    RL_VM_CGROUP_LEAF="/sys/fs/cgroup/$cgroup/$leaf")
# Full paths: the guest's PID 1 is busybox sh, whose own env and setpriv would win.
run=("$(type -P env)" -i "${base_env[@]}" ${envs[@]+"${envs[@]}"})
[ "$uid" -eq 0 ] || run+=("$(type -P setpriv)" --reuid="$uid" --regid="$gid" --init-groups --)
echo "set -- $(quote "${run[@]}" "$@")" >"$S/cmd"
cat >"$S/config" <<EOF
VM_DIR=$(quote "$DIR")
VM_UID=$uid
VM_GID=$gid
VM_HOMEDIR=$(quote "$home")
VM_CWD=$(quote "$cwd")
VM_CGROUP=$(quote "$cgroup")
VM_LEAF=$leaf
VM_MODULES=$(quote "${RL_VM_MODULES:-}")
EOF

mkfifo "$S/stdout" "$S/stderr" "$S/console"
cat <"$S/stdout" &
copiers+=($!)
cat <"$S/stderr" >&2 &
copiers+=($!)
if [ "$verbose" = 1 ]; then
    cat <"$S/console" >&2 &
else
    cat <"$S/console" >"$S/console.log" &
fi
copiers+=($!)

# ------------------------------------------------------------------------------ boot
start=${EPOCHREALTIME/./}
if [ "$backend" = uml ]; then
    # The kernel is a host process; hostfs gives it "/" read-only. Its consoles write to
    # host file descriptors (and make them non-blocking): give it our FIFOs, not our own.
    # shellcheck disable=SC2086 # RL_VM_KERNEL_ARGS: one argument a word
    timeout -k 5 "$timeout_s" linux.uml mem="$mem" root=/dev/root rootfstype=hostfs \
        rootflags=/ ro con=null ssl=null con0=null,fd:3 con1=null,fd:4 con2=null,fd:5 \
        console=tty0 quiet loglevel=4 rl_vm_backend=uml rl_vm_state="$S" ${RL_VM_KERNEL_ARGS:-} \
        init=/bin/busybox -- sh "$HERE/guest-init.sh" \
        </dev/null >/dev/null 3>"$S/console" 4>"$S/stdout" 5>"$S/stderr" &
    what="uml"
else
    accel=${RL_VM_ACCEL:-}
    if [ -z "$accel" ]; then
        accel=tcg
        if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
            accel=kvm
        fi
    fi
    kargs="console=ttyS0 quiet loglevel=4 panic=-1 cryptomgr.notests"
    if [ "$accel" = kvm ]; then
        accel_args=(-accel kvm -cpu host)
    else
        accel_args=(-accel "tcg,thread=multi" -cpu max)
        # Under TCG the guest reads the host's TSC. Calibrating it against the emulated
        # timer is slow and jittery: the guest may call it unstable and fall back to a
        # clock that traps on every read, or hang. Tell it the frequency instead.
        khz=${RL_VM_TSC_KHZ:-}
        if [ -z "$khz" ] && [ ! -e /sys/devices/system/cpu/cpu0/cpufreq ] \
            && grep -qw constant_tsc /proc/cpuinfo; then
            khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
        fi
        kargs+=" tsc=reliable${khz:+ tsc_early_khz=$khz}"
    fi
    kernel=$DIR/kernel/boot/vmlinuz-$(cat "$DIR/kver")
    [ -s "$DIR/vmlinux" ] && kernel=$DIR/vmlinux
    # readonly=on: qemu itself refuses every write to the host root.
    timeout -k 5 "$timeout_s" qemu-system-x86_64 "${accel_args[@]}" -machine pc -m "$mem" \
        -smp "$cpus" -nodefaults -no-user-config -display none -no-reboot \
        -kernel "$kernel" -initrd "$DIR/initramfs.cpio.gz" \
        -append "$kargs rl_vm_backend=qemu rl_vm_init=$HERE/guest-init.sh ${RL_VM_KERNEL_ARGS:-}" \
        -chardev file,id=con,path="$S/console" -serial chardev:con \
        -fsdev local,id=hostroot,path=/,security_model=passthrough,readonly=on,multidevs=remap \
        -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
        -fsdev local,id=state,path="$S",security_model=passthrough \
        -device virtio-9p-pci,fsdev=state,mount_tag=rlvmstate \
        -device virtio-serial-pci \
        -chardev file,id=out,path="$S/stdout" -device virtserialport,chardev=out,name=rl.stdout \
        -chardev file,id=err,path="$S/stderr" -device virtserialport,chardev=err,name=rl.stderr \
        </dev/null &
    what="qemu ($accel, $cpus CPUs)"
fi
vm_pid=$!

# Wait for the guest to start COMMAND (guest-init.sh writes "started"), at most -T seconds.
up=0
late=0
while kill -0 "$vm_pid" 2>/dev/null; do
    if [ -s "$S/started" ]; then
        up=1
        t=$(((${EPOCHREALTIME/./} - start) / 100000))
        echo "run-in-vm: $what: the command started after $((t / 10)).$((t % 10)) s" >&2
        break
    fi
    if [ $(((${EPOCHREALTIME/./} - start) / 1000000)) -ge "$boot_timeout" ]; then
        echo "run-in-vm: $what: the guest did not start the command within ${boot_timeout}s" >&2
        late=1
        kill "$vm_pid" 2>/dev/null
        break
    fi
    sleep 0.1
done
wait "$vm_pid"
vm_rc=$?
vm_pid=
# The copiers end when the guest side closes the FIFOs; if it never opened them, stop them.
for c in "${copiers[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$c" 2>/dev/null || break
        sleep 0.2
    done
    kill "$c" 2>/dev/null
    wait "$c" 2>/dev/null
done
copiers=()

if [ -s "$S/rc" ]; then
    rc=$(cat "$S/rc")
    if [ "$up" = 0 ]; then
        why=$(grep -h -m1 'FATAL' "$S/console.log" 2>/dev/null)
        echo "run-in-vm: the guest's setup failed${why:+: ${why#*FATAL: }}" >&2
    fi
elif [ "$up" = 1 ] && { [ "$vm_rc" -eq 124 ] || [ "$vm_rc" -eq 137 ]; }; then
    echo "run-in-vm: timed out after ${timeout_s}s" >&2
    rc=124
elif [ "$up" = 1 ]; then
    echo "run-in-vm: the guest died while the command ran (exit status $vm_rc)" >&2
    rc=125
else
    # A boot timeout was reported above; anything else ended the guest before COMMAND.
    if [ "$late" = 0 ]; then
        why=$(grep -h -m1 -o -E 'ptrace .* failed.*|Kernel panic.*|initramfs: .*' \
            "$S/console.log" 2>/dev/null)
        echo "run-in-vm: $what ended before it started the command (exit status" \
            "$vm_rc)${why:+: $why}" >&2
    fi
    rc=125
fi
if { [ "$rc" = 125 ] || [ "$rc" = 124 ]; } && [ -s "$S/console.log" ]; then
    echo "---- the guest's console (last 30 lines)" >&2
    tail -n 30 "$S/console.log" >&2
fi
exit "$rc"
