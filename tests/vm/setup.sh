#!/usr/bin/env bash
# tests/vm/setup.sh: prepare the cgroup v2 test guest that tests/vm/run-in-vm.sh boots.
#
# Run as root (it installs packages):
#
#   bash tests/vm/setup.sh [DIR]      DIR: default $RL_VM_DIR, else /var/tmp/rl-build/vm
#
# What it makes:
#   packages   qemu-system-x86 (without recommends), kmod (depmod and modprobe, on the
#              host and, through the guest's view of the host root, in the guest),
#              busybox-static (the initramfs and the guest's first shell), xz-utils,
#              util-linux (setpriv), uidmap, iproute2; user-mode-linux, the second
#              backend, only with RL_VM_BACKEND=uml or when qemu cannot be installed.
#              SKIP_APT=1: never call apt-get.
#   DIR/kernel Debian's kernel package, unpacked and never installed (nothing in /boot, no
#              hooks run, the host's kernel is not touched), with its modules depmod'ed
#   DIR/vmlinux  the uncompressed kernel: qemu starts it at its PVH entry point, which saves
#              the real-mode setup and the decompression (seconds under TCG)
#   DIR/initramfs.cpio.gz  busybox, the modules needed to mount the host root over
#              virtio-9p and to reach the output ports, and tests/vm/initramfs-init as /init
#
# Why linux-image-amd64 and not the smaller cloud flavour: the cloud kernel has no 9p, and
# Debian 12 has no virtiofsd; without a shared file system the guest would need a disk image.
#
# Idempotent and quick when done: a kernel once unpacked is kept (set RL_VM_KERNEL_PKG to a
# linux-image-VERSION package, or remove DIR, to change it); the initramfs is rebuilt when
# its inputs change. The last line is "vm setup: ready: ..." or the reason it is not.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=${1:-${RL_VM_DIR:-/var/tmp/rl-build/vm}}
APT=(apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
PACKAGES=(kmod busybox-static xz-utils util-linux uidmap iproute2)
# Loaded by the initramfs, dependencies first: virtio-pci and the 9p transport to reach the
# root, virtio_console for the command's output ports; overlay, tun and fuse are what
# rootless containers use, and cheaper to load here than later through 9p.
EARLY_MODULES="virtio_pci 9pnet_virtio 9p virtio_console overlay tun fuse"
# Modules with no use in a guest without hardware; dropped to keep DIR small (~100 MB less).
PRUNE="drivers/gpu drivers/media drivers/net/wireless drivers/infiniband drivers/staging
    drivers/net/ethernet drivers/scsi drivers/usb drivers/bluetooth drivers/iio drivers/hid
    drivers/input sound net/bluetooth net/mac80211 net/wireless"

note() { printf 'vm setup: %s\n' "$*" >&2; }
die() {
    note "not ready: $*"
    exit 1
}

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

# apt_install PACKAGE...: install those that are missing; after an apt-get update if needed.
apt_install() {
    local missing=() p
    for p in "$@"; do
        installed "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    note "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${APT[@]}" install "${missing[@]}" >/dev/null && return 0
    apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
    "${APT[@]}" install "${missing[@]}" >/dev/null
}

install_packages() {
    if [ "${SKIP_APT:-}" = 1 ] || ! command -v apt-get >/dev/null; then
        return 0
    fi
    apt_install "${PACKAGES[@]}" || die "apt-get install ${PACKAGES[*]} failed"
    if [ "${RL_VM_BACKEND:-}" = uml ] || ! apt_install qemu-system-x86; then
        apt_install user-mode-linux || note "warning: cannot install user-mode-linux either"
    fi
}

# kernel_package: the linux-image-VERSION-amd64 package that linux-image-amd64 depends on.
kernel_package() {
    local pkg
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null \
        | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    if [ -z "$pkg" ] && [ "${SKIP_APT:-}" != 1 ]; then
        apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null 2>&1 || true
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null \
            | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    fi
    [ -n "$pkg" ] || die "apt-cache cannot resolve linux-image-amd64"
    echo "$pkg"
}

# unpack_kernel PKG: download PKG's .deb (apt-get download, no install) and unpack it into
# DIR/kernel, without the modules that a guest without hardware never loads.
unpack_kernel() {
    local pkg=$1 kver=${1#linux-image-} tmp p
    tmp=$(mktemp -d "$DIR/download.XXXXXX")
    # apt-get download drops privileges to _apt, which must be able to write there.
    chown _apt "$tmp" 2>/dev/null || true
    (cd "$tmp" && apt-get -q download "$pkg" >/dev/null) || {
        rm -rf "$tmp"
        die "apt-get download $pkg failed"
    }
    rm -rf "$DIR/kernel" "$DIR/kernel.new"
    mkdir -p "$DIR/kernel.new"
    dpkg-deb -x "$tmp/${pkg}"_*.deb "$DIR/kernel.new"
    rm -rf "$tmp"
    for p in $PRUNE; do
        rm -rf "$DIR/kernel.new/lib/modules/$kver/kernel/$p"
    done
    [ -s "$DIR/kernel.new/boot/vmlinuz-$kver" ] || die "$pkg has no boot/vmlinuz-$kver"
    depmod -b "$DIR/kernel.new" "$kver"
    mv "$DIR/kernel.new" "$DIR/kernel"
    rm -f "$DIR/vmlinux"
}

# extract_vmlinux: the ELF image inside vmlinuz (Debian compresses it with xz), for PVH boot.
# Without it run-in-vm.sh boots vmlinuz, which is slower but works.
extract_vmlinux() {
    local vmlinuz=$DIR/kernel/boot/vmlinuz-$KVER off
    [ -s "$DIR/vmlinux" ] && return 0
    for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | cut -d: -f1 | head -5); do
        # xz complains about the data after the stream: expected, the ELF check decides.
        tail -c +$((off + 1)) "$vmlinuz" | xz -dc >"$DIR/vmlinux.tmp" 2>/dev/null || true
        if [ "$(head -c 4 "$DIR/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
            mv "$DIR/vmlinux.tmp" "$DIR/vmlinux"
            return 0
        fi
    done
    rm -f "$DIR/vmlinux.tmp"
    note "warning: no ELF vmlinux found in $vmlinuz; the guest boots the bzImage (slower)"
}

# make_initramfs: busybox, EARLY_MODULES with their dependencies in load order (the file
# /modules lists them), and initramfs-init as /init. Rebuilt only when an input changed.
make_initramfs() {
    local stamp tmp m ko
    stamp=$( {
        echo "$KVER $EARLY_MODULES"
        sha256sum "$HERE/initramfs-init" /bin/busybox
    } | sha256sum | cut -c1-16)
    if [ -s "$DIR/initramfs.cpio.gz" ] && [ "$(cat "$DIR/initramfs.stamp" 2>/dev/null)" = "$stamp" ]; then
        return 0
    fi
    tmp=$(mktemp -d)
    mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,modules}
    cp /bin/busybox "$tmp/bin/busybox"
    : >"$tmp/modules.list"
    for m in $EARLY_MODULES; do
        # "insmod PATH" lines, dependencies first; "builtin NAME" needs nothing.
        modprobe -d "$DIR/kernel" -S "$KVER" --show-depends "$m" \
            | awk '$1 == "insmod" { print $2 }' >"$tmp/deps" \
            || die "modprobe --show-depends $m failed"
        while read -r ko; do
            grep -qxF "${ko##*/}" "$tmp/modules.list" && continue
            cp "$ko" "$tmp/modules/"
            echo "${ko##*/}" >>"$tmp/modules.list"
        done <"$tmp/deps"
    done
    rm -f "$tmp/deps"
    install -m 755 "$HERE/initramfs-init" "$tmp/init"
    (cd "$tmp" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -1) \
        >"$DIR/initramfs.tmp"
    rm -rf "$tmp"
    mv "$DIR/initramfs.tmp" "$DIR/initramfs.cpio.gz"
    echo "$stamp" >"$DIR/initramfs.stamp"
}

main() {
    local pkg
    [ "$(id -u)" -eq 0 ] || die "run me as root"
    install_packages
    command -v busybox >/dev/null || die "no busybox (apt-get install busybox-static)"
    command -v depmod >/dev/null || die "no depmod (apt-get install kmod)"
    mkdir -p "$DIR"
    chmod 755 "$DIR"
    KVER=$(cat "$DIR/kver" 2>/dev/null || true)
    if [ -n "${RL_VM_KERNEL_PKG:-}" ] && [ "${RL_VM_KERNEL_PKG#linux-image-}" != "$KVER" ]; then
        KVER=
    fi
    if [ -z "$KVER" ] || [ ! -s "$DIR/kernel/boot/vmlinuz-$KVER" ]; then
        pkg=${RL_VM_KERNEL_PKG:-$(kernel_package)}
        note "unpacking $pkg into $DIR/kernel"
        unpack_kernel "$pkg"
        KVER=${pkg#linux-image-}
        echo "$KVER" >"$DIR/kver"
    fi
    extract_vmlinux
    make_initramfs
    chmod -R a+rX "$DIR"
    echo "vm setup: ready: kernel $KVER in $DIR ($(du -sh "$DIR" | cut -f1)), qemu:" \
        "$(command -v qemu-system-x86_64 >/dev/null && echo yes || echo no), uml:" \
        "$(command -v linux.uml >/dev/null && echo yes || echo no)"
}

main "$@"
