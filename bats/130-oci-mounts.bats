#!/usr/bin/env bats
# config.json mounts: bind (ro, rbind, file), tmpfs, attributes, targets that are missing or
# symlinks, /dev; checked from inside the container and on the host.

load helpers

# _mnt_add BUNDLE JSON: append one mount (a JSON object) to the bundle's mounts.
_mnt_add() {
    bundle_set "$1" '.mounts += [$m]' --argjson m "$2"
}

# _mnt_bind BUNDLE SOURCE DESTINATION [OPTION...]: append a bind mount.
_mnt_bind() {
    local b=$1 src=$2 dst=$3
    shift 3
    local opts
    opts=$(jq -cn '["bind"] + $ARGS.positional' --args "$@")
    bundle_set "$b" '.mounts += [{ destination: $d, type: "bind", source: $s, options: $o }]' \
        --arg d "$dst" --arg s "$src" --argjson o "$opts"
}

# _mnt_host_mounts PATH: the host's mounts at or under PATH (mount points of our mountinfo).
_mnt_host_mounts() {
    awk -v p="$1" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo
    grep -F "$1" /proc/mounts || true
}

# _mnt_nothing_left BUNDLE: nothing mounted under the bundle on the host, no container left.
_mnt_nothing_left() {
    assert "$(_mnt_host_mounts "$1")" == "" "nothing of the bundle is mounted on the host"
    run_rl oci list -q
    assert "$output" == "" "rl oci list -q is empty"
    run ls -A "$RL_ROOT"
    assert "$output" == "" "no state directory is left in $RL_ROOT"
}

@test "oci mounts: a bind mount is visible inside, and writes go to the host" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) src=$BATS_TEST_TMPDIR/src
    mkdir -p "$src"
    echo "from the host" >"$src/host-file"
    make_bundle "$b"
    _mnt_bind "$b" "$src" /data rw
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit cat /data/host-file;
        /bin/rl-testinit write /data/from-container inside;
        /bin/rl-testinit writable /data; grep " /data " /proc/self/mountinfo'
    run_rl oci run --bundle "$b" "$id"
    assert "${lines[0]}" == "from the host" "the host's file inside"
    assert "${lines[1]}" == "yes" "a rw bind mount is writable"
    assert "${lines[2]}" =~ " /data rw," "a mount point at /data"
    assert "$(cat "$src/from-container")" == "inside" "the container's file on the host"
    _mnt_nothing_left "$b"
}

@test "oci mounts: a ro bind mount is read-only inside, writable on the host" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) src=$BATS_TEST_TMPDIR/src
    mkdir -p "$src"
    echo original >"$src/file"
    make_bundle "$b"
    _mnt_bind "$b" "$src" /ro-data ro
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit writable /ro-data; /bin/rl-testinit writable /ro-data/file;
        /bin/rl-testinit write /ro-data/file changed; /bin/rl-testinit cat /ro-data/file;
        grep " /ro-data " /proc/self/mountinfo'
    run_rl oci run --bundle "$b" "$id"
    assert "${lines[0]}" == "no EROFS" "the directory is read-only"
    assert "${lines[1]}" == "no EROFS" "its file is read-only"
    assert "${lines[2]}" =~ "Read-only file system" "writing fails with EROFS"
    assert "${lines[3]}" == "original" "the file is unchanged"
    assert "${lines[4]}" =~ " /ro-data ro," "a read-only mount"
    # The host still writes there.
    echo "host write" >"$src/file" || die "the host cannot write its own directory"
    touch "$src/new" || die "the host cannot create a file"
    _mnt_nothing_left "$b"
}

@test "oci mounts: bind is not recursive, rbind is" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    # A directory of the rootfs with a mount below it (made by the first mount entry), bound
    # elsewhere twice: a plain bind shows the directory underneath, rbind the tmpfs.
    mkdir -p "$b/rootfs/srcdir/sub"
    echo "on disk" >"$b/rootfs/srcdir/sub/under"
    _mnt_add "$b" '{ "destination": "/srcdir/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"] }'
    _mnt_bind "$b" "$b/rootfs/srcdir" /plain
    _mnt_bind "$b" "$b/rootfs/srcdir" /recursive rbind
    # And the host's /dev, whose /dev/pts is a mount of its own.
    _mnt_bind "$b" /dev /hostdev rbind
    bundle_args "$b" /bin/sh -c 'echo "plain=[$(ls /plain/sub)]"; echo "recursive=[$(ls /recursive/sub)]";
        grep -cE " /(plain|recursive)/sub " /proc/self/mountinfo;
        test -c /hostdev/pts/ptmx && echo "hostdev pts ok"'
    run_rl oci run --bundle "$b" "$id"
    assert "${lines[0]}" == "plain=[under]" "bind: the directory under the submount"
    assert "${lines[1]}" == "recursive=[]" "rbind: the tmpfs submount comes along"
    assert "${lines[2]}" == "1" "one submount, under /recursive"
    assert "${lines[3]}" == "hostdev pts ok" "rbind of /dev brings /dev/pts"
    _mnt_nothing_left "$b"
}

@test "oci mounts: nosuid, noexec and nodev" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) src=$BATS_TEST_TMPDIR/src
    mkdir -p "$src"
    cp "$RL_TESTINIT" "$src/rl-testinit"
    make_bundle "$b"
    _mnt_bind "$b" "$src" /locked nosuid noexec nodev
    _mnt_bind "$b" "$src" /open
    bundle_args "$b" /bin/sh -c 'grep -E " /(locked|open) " /proc/self/mountinfo;
        /locked/rl-testinit echo ran-locked; echo "rc=$?"; /open/rl-testinit echo ran-open'
    run_rl oci run --bundle "$b" "$id"
    local locked open
    locked=$(grep " /locked " <<<"$output" | awk '{ print $6 }')
    open=$(grep " /open " <<<"$output" | awk '{ print $6 }')
    assert ",$locked," =~ ",nosuid," "nosuid in mountinfo"
    assert ",$locked," =~ ",noexec," "noexec in mountinfo"
    assert ",$locked," =~ ",nodev," "nodev in mountinfo"
    assert "$output" !~ "ran-locked" "no exec on a noexec mount"
    assert "$output" =~ "rc=126" "exec fails with permission denied"
    assert ",$open," !~ ",noexec," "no noexec without the option"
    assert "$output" =~ "ran-open" "exec works elsewhere"
    _mnt_nothing_left "$b"
}

@test "oci mounts: tmpfs with size and mode" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    _mnt_add "$b" '{ "destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                     "options": ["nosuid", "nodev", "size=1m", "mode=1750"] }'
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit stat /scratch; grep " /scratch " /proc/self/mountinfo;
        head -c 100000 /dev/zero >/scratch/small && echo small-ok;
        head -c 3000000 /dev/zero >/scratch/big 2>/dev/null || echo big-failed;
        ls -l /scratch/big | awk "{ print \$5 }"'
    run_rl oci run --bundle "$b" "$id"
    assert "${lines[0]}" == "0 0 1750" "mode=1750, owned by root inside"
    assert "${lines[1]}" =~ " /scratch rw,nosuid,nodev.* - tmpfs tmpfs .*size=1024k" "a 1m tmpfs"
    assert "${lines[2]}" == "small-ok" "a small file fits"
    assert "${lines[3]}" == "big-failed" "more than 1m does not"
    assert "${lines[4]}" -le 1048576 "the file stopped at the size"
    [ ! -e "$b/rootfs/scratch/small" ] || die "the tmpfs content reached the rootfs"
    _mnt_nothing_left "$b"
}

@test "oci mounts: a file onto a file, and missing targets are created" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) src=$BATS_TEST_TMPDIR/src
    mkdir -p "$src"
    echo "file content" >"$BATS_TEST_TMPDIR/hostfile"
    echo "dir content" >"$src/in-dir"
    make_bundle "$b"
    _mnt_bind "$b" "$BATS_TEST_TMPDIR/hostfile" /etc/hosts ro
    _mnt_bind "$b" "$BATS_TEST_TMPDIR/hostfile" /etc/new-dir/new-file
    _mnt_bind "$b" "$src" /new/deep/dir
    _mnt_add "$b" '{ "destination": "/also/missing", "type": "tmpfs", "source": "tmpfs" }'
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit cat /etc/hosts; /bin/rl-testinit cat /etc/new-dir/new-file;
        /bin/rl-testinit cat /new/deep/dir/in-dir; test -d /also/missing && echo tmpfs-dir-ok;
        test -f /etc/new-dir/new-file && echo is-a-file'
    run_rl oci run --bundle "$b" "$id"
    assert "${lines[0]}" == "file content" "a file bound onto an existing file"
    assert "${lines[1]}" == "file content" "a file bound onto a missing file"
    assert "${lines[2]}" == "dir content" "a dir bound onto a missing dir"
    assert "${lines[3]}" == "tmpfs-dir-ok" "a tmpfs on a missing dir"
    assert "${lines[4]}" == "is-a-file" "the target of a file is a file"
    # The targets were created in the rootfs, empty.
    [ -f "$b/rootfs/etc/new-dir/new-file" ] || die "the file target is not in the rootfs"
    assert "$(cat "$b/rootfs/etc/new-dir/new-file")" == "" "the file target is empty on the host"
    [ -d "$b/rootfs/new/deep/dir" ] || die "the dir target is not in the rootfs"
    assert "$(ls -A "$b/rootfs/new/deep/dir")" == "" "the dir target is empty on the host"
    assert "$(cat "$b/rootfs/etc/hosts")" == "" "the rootfs' /etc/hosts is untouched"
    _mnt_nothing_left "$b"
}

# _mnt_symlinks BUNDLE HOSTDIR: links in the rootfs's /mnt that point at HOSTDIR, a directory
# of the host outside the rootfs: absolute, absolute with dot-dots, relative.
_mnt_symlinks() {
    local b=$1 hostdir=$2
    mkdir -p "$b/rootfs/mnt"
    ln -s "$hostdir" "$b/rootfs/mnt/abs"
    ln -s "/../../../../../../../..$hostdir" "$b/rootfs/mnt/dotdot"
    ln -s "../../../../../../../../../..$hostdir" "$b/rootfs/mnt/rel"
    _mnt_bind "$b" "$BATS_TEST_TMPDIR/src" /mnt/abs
    _mnt_add "$b" '{ "destination": "/mnt/dotdot/created-sub", "type": "tmpfs", "source": "tmpfs" }'
    _mnt_bind "$b" "$BATS_TEST_TMPDIR/src/from-source" /mnt/rel/file-target
}

@test "oci mounts: a symlinked target resolves inside the rootfs" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) src=$BATS_TEST_TMPDIR/src
    local hostdir=$BATS_TEST_TMPDIR/hostdir
    mkdir -p "$src" "$hostdir"
    echo sentinel >"$hostdir/sentinel"
    echo "bound" >"$src/from-source"
    make_bundle "$b"
    _mnt_symlinks "$b" "$hostdir"
    # The same path inside the rootfs exists: that is where the links lead in the container.
    mkdir -p "$b/rootfs$hostdir"
    echo "rootfs copy" >"$b/rootfs$hostdir/in-rootfs"
    bundle_args "$b" /bin/rl-testinit pause
    run_rl oci run --detach --bundle "$b" "$id" </dev/null

    run_rl oci exec "$id" /bin/sh -c "ls $hostdir; ls $hostdir/created-sub | wc -l;
        cat $hostdir/file-target; grep -F ' $hostdir' /proc/self/mountinfo | awk '{ print \$5 }'"
    assert "$output" =~ "from-source" "the bind mount is at $hostdir inside the rootfs"
    assert "$output" !~ "sentinel" "the host's directory is not visible inside"
    assert "$output" =~ "bound" "the file mount followed the relative link inside the rootfs"
    assert "$output" =~ "$hostdir/created-sub" "the tmpfs is inside the rootfs"
    assert "$output" =~ "$hostdir/file-target" "the file is inside the rootfs"

    # On the host: the directory is untouched and nothing is mounted on it.
    assert "$(ls -A "$hostdir")" == "sentinel" "nothing was created in the host's directory"
    assert "$(_mnt_host_mounts "$hostdir")" == "" "nothing is mounted on the host's directory"
    [ -L "$b/rootfs/mnt/abs" ] || die "the symlink was replaced"
    # The later targets were created through the first mount, in the bind source.
    [ -d "$src/created-sub" ] || die "the tmpfs target was not created under the first mount"

    run_rl oci delete --force "$id"
    assert "$(ls -A "$hostdir")" == "sentinel" "the host's directory is still untouched"
    _mnt_nothing_left "$b"
}

@test "oci mounts: a symlinked target missing in the rootfs is created inside it" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) src=$BATS_TEST_TMPDIR/src
    local hostdir=$BATS_TEST_TMPDIR/hostdir
    mkdir -p "$src" "$hostdir"
    echo sentinel >"$hostdir/sentinel"
    echo "bound" >"$src/from-source"
    make_bundle "$b"
    _mnt_symlinks "$b" "$hostdir"
    bundle_args "$b" /bin/sh -c "ls $hostdir; cat $hostdir/file-target"
    run_rl '?' oci run --bundle "$b" "$id" </dev/null
    local rc=$status out=$output

    # Whatever rl did, it did not touch the host's directory.
    assert "$(ls -A "$hostdir")" == "sentinel" "nothing was created in the host's directory"
    assert "$(_mnt_host_mounts "$hostdir")" == "" "nothing is mounted on the host's directory"
    _mnt_nothing_left "$b"

    # Like runc and crun, the target is created where the link leads inside the rootfs.
    assert "$rc" -eq 0 "oci run succeeds (got: $out)"
    assert "$out" =~ "from-source" "the bind mount is at $hostdir inside the rootfs"
    assert "$out" =~ "bound" "the file mount is at $hostdir/file-target inside the rootfs"
    [ -d "$b/rootfs$hostdir" ] || die "the target was not created in the rootfs"
}

@test "oci mounts: a bind source that does not exist is named" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) src=$BATS_TEST_TMPDIR/no-such-source
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit write /tmp/should-not-run yes
    _mnt_bind "$b" "$src" /data
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "'$src'" "names the source"
    assert "$output" =~ "No such file or directory" "says why"
    assert "${#lines[@]}" -eq 1 "one line"
    run_rl 125 oci create --bundle "$b" "$id" </dev/null
    assert "$output" =~ "'$src'" "create names the source too"
    [ ! -e "$b/rootfs/data" ] || [ -z "$(ls -A "$b/rootfs/data")" ] || die "something in the target"
    _mnt_nothing_left "$b"
}

@test "oci mounts: /dev has the usual devices, /dev/pts and a writable /dev/shm" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_args "$b" /bin/sh -c '
        for d in null zero full random urandom tty; do test -c /dev/$d && echo "$d: char device"; done
        test -d /dev/pts && grep -q " /dev/pts .* - devpts " /proc/self/mountinfo && echo "pts: devpts"
        test -e /dev/ptmx && echo "ptmx: present"
        echo "discard me" >/dev/null && echo "null: writable"
        echo "zero: $(head -c 16 /dev/zero | wc -c)"
        echo "urandom: $(head -c 16 /dev/urandom | wc -c)"
        echo x 2>/dev/null >/dev/full || echo "full: ENOSPC"
        for l in fd stdin stdout stderr; do printf "%s " "$(readlink /dev/$l)"; done; echo
        /bin/rl-testinit writable /dev/shm
        echo shared >/dev/shm/f && /bin/rl-testinit cat /dev/shm/f
        /bin/rl-testinit stat /dev/shm'
    run_rl oci run --bundle "$b" "$id"
    local d
    for d in null zero full random urandom tty; do
        assert "$output" =~ "$d: char device" "/dev/$d"
    done
    assert "$output" =~ "pts: devpts" "/dev/pts is a devpts"
    assert "$output" =~ "ptmx: present" "/dev/ptmx"
    assert "$output" =~ "null: writable" "writing /dev/null works"
    assert "$output" =~ "zero: 16" "reading /dev/zero"
    assert "$output" =~ "urandom: 16" "reading /dev/urandom"
    assert "$output" =~ "full: ENOSPC" "writing /dev/full fails"
    assert "$output" =~ "/proc/self/fd /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2" \
        "/dev/fd, stdin, stdout and stderr links"
    assert "$output" =~ $'\nyes\nshared\n' "/dev/shm is writable"
    assert "${lines[-1]}" =~ " 1777$" "/dev/shm is mode 1777"
    # The devices did not become files of the rootfs.
    assert "$(ls -A "$b/rootfs/dev")" == "" "the rootfs' /dev stays empty on the host"
    _mnt_nothing_left "$b"
}

@test "oci mounts: nothing stays mounted on the host" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) src=$BATS_TEST_TMPDIR/src
    mkdir -p "$src"
    make_bundle "$b"
    _mnt_bind "$b" "$src" /data
    _mnt_add "$b" '{ "destination": "/scratch", "type": "tmpfs", "source": "tmpfs" }'
    bundle_args "$b" /bin/rl-testinit pause
    run_rl oci run --detach --bundle "$b" "$id" </dev/null
    run_rl oci state "$id"
    local pid
    pid=$(jq -r .pid <<<"$output")
    # The container has its mounts; the host sees none of them.
    assert "$(grep -c -e " /data " -e " /scratch " "/proc/$pid/mountinfo")" -eq 2 \
        "the container's mount namespace has the mounts"
    assert "$(_mnt_host_mounts "$b")" == "" "while running, nothing of the bundle on the host"
    assert "$(_mnt_host_mounts "$src")" == "" "the bind source is no mount point on the host"
    run_rl oci delete --force "$id"

    assert "$(_mnt_host_mounts "$b")" == "" "after delete, nothing of the bundle on the host"

    # A foreground run too.
    bundle_args "$b" /bin/sh -c 'grep -c -e " /data " -e " /scratch " /proc/self/mountinfo'
    run_rl oci run --bundle "$b" "$id"
    assert "$output" == "2" "the mounts inside"
    _mnt_nothing_left "$b"
}

@test "oci mounts: overlay of 200 layers, more than one page of lowerdir" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) l=$BATS_TEST_TMPDIR/layers lower='' i d
    for ((i = 0; i < 200; i++)); do
        d=$l/layer-$(printf '%03d' "$i")-with-a-name-long-enough-to-fill-a-page
        mkdir -p "$d"
        echo "$i" >"$d/f$i"
        echo "$i" >"$d/top"
        lower=$d${lower:+:$lower}
    done
    assert "${#lower}" -gt 4096 "the option string is longer than a page"
    make_bundle "$b"
    bundle_set "$b" '.mounts += [{destination: "/img", type: "overlay", source: "overlay",
        options: ["ro", "lowerdir=" + $lower]}]' --arg lower "$lower"
    bundle_args "$b" /bin/sh -c 'ls /img | wc -l; cat /img/top; /bin/rl-testinit writable /img; true'
    run_rl oci run --bundle "$b" "$id"
    assert "${lines[0]}" -eq 201 "every layer's file, and top"
    assert "${lines[1]}" == 199 "the last layer given is on top"
    assert "${lines[2]}" =~ ^no "ro"
    _mnt_nothing_left "$b"
}

@test "oci mounts: a bad overlay says what the kernel said" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.mounts += [{destination: "/img", type: "overlay", source: "overlay",
        options: ["lowerdir=/nonexistent-rl-layer"]}]'
    bundle_args "$b" /bin/true
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "mount overlay on '/img'"
    assert "$output" =~ "No such file or directory|nonexistent"
}
