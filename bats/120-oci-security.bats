#!/usr/bin/env bats
# The container's confinement, seen from inside and from the host: capabilities,
# no_new_privs, seccomp, masked and read-only paths, a read-only root, rlimits, users and
# id mappings.

load helpers

# _sec_capmask CAP...: the hex mask of /proc/PID/status (16 digits) of the given numbers.
_sec_capmask() {
    local m=0 c
    for c in "$@"; do
        m=$((m | (1 << c)))
    done
    printf '%016x\n' "$m"
}

# _sec_field TEXT NAME: the value of "NAME:\tVALUE" in a /proc/PID/status text.
_sec_field() {
    awk -v n="$2:" '$1 == n { print $2 }' <<<"$1"
}

# _sec_subid FILE: the first subordinate id of the current user in FILE (/etc/subuid).
_sec_subid() {
    awk -F: -v name="$(id -un)" -v uid="$(id -u)" \
        '($1 == name || $1 == uid) { print $2; exit }' "$1"
}

# _sec_detached BUNDLE ID: run the bundle detached; $SEC_PID is the container's pid.
_sec_detached() {
    run_rl oci run --detach --bundle "$1" "$2" </dev/null
    run_rl oci state "$2"
    SEC_PID=$(jq -r .pid <<<"$output")
    assert "$SEC_PID" -gt 0 "the container runs"
}

# _sec_nothing_left: no container, no state directory.
_sec_nothing_left() {
    run_rl oci list -q
    assert "$output" == "" "rl oci list -q is empty"
    run ls -A "$RL_ROOT"
    assert "$output" == "" "no state directory is left in $RL_ROOT"
}

# Capability numbers, linux/capability.h.
CAP_KILL=5
CAP_NET_BIND_SERVICE=10
CAP_SYS_ADMIN=21
CAP_AUDIT_WRITE=29
CAP_CHOWN=0

@test "oci security: capability sets from config.json" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.process.capabilities = {
        bounding: ["CAP_KILL", "CAP_AUDIT_WRITE", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
        effective: ["CAP_KILL", "CAP_AUDIT_WRITE", "CAP_NET_BIND_SERVICE"],
        permitted: ["CAP_KILL", "CAP_AUDIT_WRITE", "CAP_NET_BIND_SERVICE"],
        inheritable: ["CAP_KILL"],
        ambient: ["CAP_KILL"] }'
    bundle_args "$b" /bin/rl-testinit capabilities
    run_rl oci run --bundle "$b" "$id"
    assert "$(_sec_field "$output" CapBnd)" == \
        "$(_sec_capmask $CAP_KILL $CAP_AUDIT_WRITE $CAP_NET_BIND_SERVICE $CAP_CHOWN)" "CapBnd"
    assert "$(_sec_field "$output" CapEff)" == \
        "$(_sec_capmask $CAP_KILL $CAP_AUDIT_WRITE $CAP_NET_BIND_SERVICE)" "CapEff"
    assert "$(_sec_field "$output" CapPrm)" == \
        "$(_sec_capmask $CAP_KILL $CAP_AUDIT_WRITE $CAP_NET_BIND_SERVICE)" "CapPrm"
    assert "$(_sec_field "$output" CapInh)" == "$(_sec_capmask $CAP_KILL)" "CapInh"
    assert "$(_sec_field "$output" CapAmb)" == "$(_sec_capmask $CAP_KILL)" "CapAmb"

    # The default config: AUDIT_WRITE, KILL and NET_BIND_SERVICE, nothing inheritable.
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit pause
    _sec_detached "$b" "$id"
    local status
    status=$(cat "/proc/$SEC_PID/status")
    local want
    want=$(_sec_capmask $CAP_KILL $CAP_AUDIT_WRITE $CAP_NET_BIND_SERVICE)
    assert "$(_sec_field "$status" CapBnd)" == "$want" "CapBnd seen from the host"
    assert "$(_sec_field "$status" CapEff)" == "$want" "CapEff seen from the host"
    assert "$(_sec_field "$status" CapPrm)" == "$want" "CapPrm seen from the host"
    assert "$(_sec_field "$status" CapInh)" == "0000000000000000" "CapInh seen from the host"
    assert "$(_sec_field "$status" CapAmb)" == "0000000000000000" "CapAmb seen from the host"
    run_rl oci delete --force "$id"

    # No capabilities at all.
    bundle_set "$b" '.process.capabilities = { bounding: [], effective: [], permitted: [] }'
    bundle_args "$b" /bin/rl-testinit capabilities
    run_rl oci run --bundle "$b" "$id"
    assert "$(_sec_field "$output" CapBnd)" == "0000000000000000" "empty CapBnd"
    assert "$(_sec_field "$output" CapEff)" == "0000000000000000" "empty CapEff"

    # Without CAP_SYS_ADMIN, mount fails even for uid 0 inside.
    bundle_args "$b" /bin/sh -c 'mount -t tmpfs none /tmp 2>&1; echo rc=$?'
    run_rl oci run --bundle "$b" "$id"
    assert "$output" =~ "rc=[1-9]" "mount without CAP_SYS_ADMIN fails"
    _sec_nothing_left
}

@test "oci security: an unknown capability is refused naming the field" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.process.capabilities.bounding += ["CAP_NO_SUCH_THING"]'
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "process.capabilities.bounding\[3\].*CAP_NO_SUCH_THING" \
        "names the field and the capability"
    assert "${#lines[@]}" -eq 1 "one line"

    make_bundle "$b"
    bundle_set "$b" '.process.capabilities.ambient = ["CAP_KILL", 42]'
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "process.capabilities.ambient\[1\]" "a capability that is no string"
    _sec_nothing_left
}

@test "oci security: noNewPrivileges sets no_new_privs" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.process.noNewPrivileges = true'
    bundle_args "$b" /bin/rl-testinit status
    run_rl oci run --bundle "$b" "$id"
    assert "$(_sec_field "$output" NoNewPrivs)" == "1" "NoNewPrivs with noNewPrivileges true"

    bundle_set "$b" '.process.noNewPrivileges = false'
    run_rl oci run --bundle "$b" "$id"
    assert "$(_sec_field "$output" NoNewPrivs)" == "0" "NoNewPrivs with noNewPrivileges false"

    bundle_set "$b" '.process.noNewPrivileges = true'
    bundle_args "$b" /bin/rl-testinit pause
    _sec_detached "$b" "$id"
    assert "$(awk '$1 == "NoNewPrivs:" { print $2 }' "/proc/$SEC_PID/status")" == "1" \
        "NoNewPrivs seen from the host"
    # exec'd processes get it too.
    run_rl oci exec "$id" /bin/rl-testinit status
    assert "$(_sec_field "$output" NoNewPrivs)" == "1" "NoNewPrivs of an exec'd process"
    run_rl oci delete --force "$id"
    _sec_nothing_left
}

@test "oci security: a seccomp profile filters syscalls" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit syscall-getppid
    run_rl oci run --bundle "$b" "$id"
    assert "$output" == "ret=0 errno=0" "getppid without a filter"

    bundle_set "$b" '.linux.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [ { names: ["getppid"], action: "SCMP_ACT_ERRNO", errnoRet: 38 } ] }'
    run_rl oci run --bundle "$b" "$id"
    assert "$output" == "ret=-1 errno=ENOSYS" "getppid fails with errno 38"

    bundle_args "$b" /bin/rl-testinit status
    run_rl oci run --bundle "$b" "$id"
    assert "$(_sec_field "$output" Seccomp)" == "2" "Seccomp: 2 (filter mode)"

    # Also without no_new_privs (the filter is loaded while uid 0 has CAP_SYS_ADMIN).
    bundle_set "$b" '.process.noNewPrivileges = false'
    bundle_args "$b" /bin/rl-testinit syscall-getppid
    run_rl oci run --bundle "$b" "$id"
    assert "$output" == "ret=-1 errno=ENOSYS" "the filter without noNewPrivileges"

    # From the host, and for exec'd processes.
    bundle_args "$b" /bin/rl-testinit pause
    _sec_detached "$b" "$id"
    assert "$(awk '$1 == "Seccomp:" { print $2 }' "/proc/$SEC_PID/status")" == "2" \
        "Seccomp seen from the host"
    run_rl oci exec "$id" /bin/rl-testinit syscall-getppid
    assert "$output" == "ret=-1 errno=ENOSYS" "exec'd processes get the filter"
    run_rl oci delete --force "$id"

    # Without a profile: no filter.
    bundle_set "$b" 'del(.linux.seccomp)'
    bundle_args "$b" /bin/rl-testinit status
    run_rl oci run --bundle "$b" "$id"
    assert "$(_sec_field "$output" Seccomp)" == "0" "Seccomp: 0 without a profile"
    _sec_nothing_left
}

@test "oci security: bad seccomp profiles are refused naming the field" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.linux.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [ { names: ["getppid"], action: "SCMP_ACT_ERRNO" },
                    { names: ["read", "no_such_syscall"], action: "SCMP_ACT_ERRNO" } ] }'
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "linux.seccomp.syscalls\[1\].names\[1\].*no_such_syscall" \
        "names the field and the syscall"
    assert "${#lines[@]}" -eq 1 "one line"

    bundle_set "$b" '.linux.seccomp = { defaultAction: "SCMP_ACT_BOGUS" }'
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "linux.seccomp.defaultAction.*SCMP_ACT_BOGUS" "an unknown action"

    bundle_set "$b" '.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [ { names: ["getppid"], action: "SCMP_ACT_ERRNO",
                      args: [ { index: 9, value: 1, op: "SCMP_CMP_EQ" } ] } ] }'
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "linux.seccomp.syscalls\[0\].args\[0\].index" "an argument index out of range"
    _sec_nothing_left
}

@test "oci security: masked paths" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) p
    make_bundle "$b"
    mkdir -p "$b/rootfs/secret-dir"
    echo "hidden file in a dir" >"$b/rootfs/secret-dir/file"
    echo "hidden file" >"$b/rootfs/secret-file"
    bundle_set "$b" '.linux.maskedPaths = ["/proc/acpi", "/proc/kcore", "/proc/keys",
        "/proc/timer_list", "/proc/sched_debug", "/proc/scsi", "/secret-dir", "/secret-file",
        "/no/such/path"]'
    # The /proc entries this kernel has: each is masked (an empty read-only tmpfs on a
    # directory, /dev/null on a file).
    local -a procs=()
    for p in /proc/acpi /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/scsi; do
        [ -e "$p" ] && procs+=("$p")
    done
    bundle_args "$b" /bin/sh -c '
        for p in "$@"; do
            echo "$p size=$(cat "$p" 2>/dev/null | wc -c) entries=$(if [ -d "$p" ]; then ls -A "$p" | wc -l; else echo 0; fi)" \
                "mounts=$(grep -c " $p " /proc/self/mountinfo)"
        done
        echo "dir=[$(ls -A /secret-dir)]"
        echo "file=[$(cat /secret-file)]"
        /bin/rl-testinit writable /secret-dir
        echo overwritten >/secret-file
        grep -E " /(secret-dir|secret-file) " /proc/self/mountinfo' \
        sh /secret-dir /secret-file "${procs[@]}"
    run_rl oci run --bundle "$b" "$id"
    for p in /secret-dir /secret-file "${procs[@]}"; do
        assert "$output" =~ "$p size=0 entries=0 mounts=1" "$p is masked"
    done
    assert "$output" =~ "dir=\[\]" "a masked directory is empty"
    assert "$output" =~ "file=\[\]" "a masked file is empty"
    assert "$output" =~ $'\nno EROFS\n' "a masked directory is read-only"
    assert "$output" =~ " / /secret-dir ro[, ]" "a masked dir is a read-only mount"
    assert "$output" !~ "no/such/path" "a missing path is not masked (nor created)"
    [ ! -e "$b/rootfs/no/such/path" ] || die "a missing masked path was created"

    # The host's files are untouched.
    assert "$(cat "$b/rootfs/secret-dir/file")" == "hidden file in a dir" "host dir untouched"
    assert "$(cat "$b/rootfs/secret-file")" == "hidden file" "host file untouched"
    _sec_nothing_left
}

@test "oci security: /proc/sys and readonlyPaths are read-only" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    mkdir -p "$b/rootfs/ro-dir" "$b/rootfs/rw-dir"
    echo data >"$b/rootfs/ro-file"
    bundle_set "$b" '.root.readonly = false | .linux.readonlyPaths += ["/ro-dir", "/ro-file"]'
    bundle_args "$b" /bin/sh -c '
        /bin/rl-testinit write /proc/sys/kernel/hostname changed
        /bin/rl-testinit writable /ro-dir
        /bin/rl-testinit writable /ro-file
        /bin/rl-testinit writable /rw-dir
        /bin/rl-testinit hostname
        grep -E " /proc/(sys|bus|fs|irq|sysrq-trigger) " /proc/self/mountinfo'
    run_rl oci run --bundle "$b" "$id"
    assert "${lines[0]}" =~ "/proc/sys/kernel/hostname: Read-only file system" \
        "writing /proc/sys/kernel/hostname fails with EROFS"
    assert "${lines[1]}" == "no EROFS" "a readonlyPaths directory"
    assert "${lines[2]}" == "no EROFS" "a readonlyPaths file"
    assert "${lines[3]}" == "yes" "other directories stay writable"
    assert "${lines[4]}" == "$(jq -r .hostname "$b/config.json")" "the hostname did not change"
    local p
    for p in /proc/sys /proc/bus /proc/fs /proc/irq /proc/sysrq-trigger; do
        [ -e "$p" ] || continue
        assert "$output" =~ " $p ro," "$p is a read-only mount"
    done
    # From the host: still writable.
    echo more >>"$b/rootfs/ro-file" || die "the host cannot write the file"
    touch "$b/rootfs/ro-dir/x" || die "the host cannot write the dir"
    _sec_nothing_left
}

@test "oci security: root.readonly" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.root.readonly = true'
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit writable /; /bin/rl-testinit writable /etc/passwd;
        /bin/rl-testinit writable /tmp; /bin/rl-testinit writable /dev/shm'
    run_rl '?' oci run --bundle "$b" "$id"
    assert "${lines[0]}" == "no EROFS" "/ is read-only"
    assert "${lines[1]}" == "no EROFS" "files of the root are read-only"
    assert "${lines[2]}" == "no EROFS" "/tmp of a read-only root is read-only"
    assert "${lines[3]}" == "yes" "the /dev/shm mount stays writable"

    bundle_set "$b" '.root.readonly = false'
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit writable /; /bin/rl-testinit write /created-inside hello'
    run_rl oci run --bundle "$b" "$id"
    assert "${lines[0]}" == "yes" "/ is writable"
    assert "$(cat "$b/rootfs/created-inside")" == "hello" "the file is in the rootfs on the host"
    _sec_nothing_left
}

@test "oci security: rlimits" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.process.rlimits = [ { type: "RLIMIT_NOFILE", soft: 512, hard: 512 },
        { type: "RLIMIT_CORE", soft: 0, hard: 0 }, { type: "RLIMIT_NPROC", soft: 300, hard: 400 } ]'
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit rlimit NOFILE; /bin/rl-testinit rlimit CORE;
        /bin/rl-testinit rlimit NPROC; grep "Max open files" /proc/self/limits'
    run_rl oci run --bundle "$b" "$id"
    assert "${lines[0]}" == "512 512" "RLIMIT_NOFILE"
    assert "${lines[1]}" == "0 0" "RLIMIT_CORE"
    assert "${lines[2]}" == "300 400" "RLIMIT_NPROC"
    assert "${lines[3]}" =~ "Max open files +512 +512 " "/proc/self/limits"

    bundle_args "$b" /bin/rl-testinit pause
    _sec_detached "$b" "$id"
    assert "$(grep 'Max open files' "/proc/$SEC_PID/limits")" =~ "Max open files +512 +512 " \
        "seen from the host"
    run_rl oci exec "$id" /bin/rl-testinit rlimit NOFILE
    assert "$output" == "512 512" "exec'd processes get the limits"
    run_rl oci delete --force "$id"

    bundle_set "$b" '.process.rlimits = [ { type: "RLIMIT_NOFILE", soft: 2048, hard: 1024 } ]'
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "process.rlimits\[0\]" "soft above hard names the field"
    bundle_set "$b" '.process.rlimits = [ { type: "RLIMIT_BOGUS", soft: 1, hard: 1 } ]'
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "process.rlimits\[0\].type.*RLIMIT_BOGUS" "unknown rlimit"
    _sec_nothing_left
}

@test "oci security: process.user, and who owns the files on the host" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) shared=$BATS_TEST_TMPDIR/shared
    mkdir -p "$shared"
    chmod 0777 "$shared"
    make_bundle "$b"
    bundle_set "$b" '.mounts += [ { destination: "/shared", type: "bind", source: $s,
        options: ["rbind", "rw"] } ] | .process.user = { uid: 1000, gid: 1000 }' --arg s "$shared"
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit id; /bin/rl-testinit write /shared/by-user x'
    run_rl oci run --bundle "$b" "$id"
    assert "${lines[0]}" =~ "^uid=1000 gid=1000" "process.user inside"

    bundle_set "$b" '.process.user = { uid: 0, gid: 0, additionalGids: [10, 20] }'
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit id; /bin/rl-testinit write /shared/by-root x'
    run_rl oci run --bundle "$b" "$id"
    assert "${lines[0]}" =~ "^uid=0 gid=0 groups=10,20" "uid 0 and additionalGids inside"

    local uid_user uid_root gid_user
    if is_rootless; then
        local subu subg
        subu=$(_sec_subid /etc/subuid)
        subg=$(_sec_subid /etc/subgid)
        [ -n "$subu" ] && [ -n "$subg" ] || skip "no subordinate ids for $(id -un)"
        uid_root=$(id -u)
        uid_user=$((subu + 999))
        gid_user=$((subg + 999))
    else
        uid_root=0 uid_user=1000 gid_user=1000
    fi
    assert "$(stat -c %u "$shared/by-root")" == "$uid_root" "uid 0 inside owns files as $uid_root"
    assert "$(stat -c %u "$shared/by-user")" == "$uid_user" "uid 1000 inside owns files as $uid_user"
    assert "$(stat -c %g "$shared/by-user")" == "$gid_user" "gid 1000 inside owns files as $gid_user"

    # Inside, the host's files show with the container's ids.
    bundle_args "$b" /bin/rl-testinit stat /shared/by-user
    run_rl oci run --bundle "$b" "$id"
    assert "$output" =~ "^1000 1000 " "the file of uid 1000 inside"
    _sec_nothing_left
}

@test "oci security: an id mapping outside the caller's ranges is refused" {
    skip_if_root "root may map any id"
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.linux.uidMappings = [ { containerID: 0, hostID: 5000, size: 10 } ]'
    bundle_args "$b" /bin/rl-testinit write /tmp/should-not-run yes
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "linux.uidMappings: host ids 5000-5009 are outside the ids allowed to you" \
        "names the field and the ids"
    assert "${#lines[@]}" -eq 1 "one line"

    bundle_set "$b" '.linux.uidMappings = [ { containerID: 0, hostID: $u, size: 1 } ]
        | .linux.gidMappings = [ { containerID: 0, hostID: 5000, size: 10 } ]' \
        --argjson u "$(id -u)"
    run_rl 125 oci create --bundle "$b" "$id" </dev/null
    assert "$output" =~ "linux.gidMappings: host ids 5000-5009" "gidMappings too"
    _sec_nothing_left
}
