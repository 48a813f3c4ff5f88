#!/usr/bin/env bats
# shellcheck disable=SC2154,SC2030,SC2031 # bats variables; RL_VM* come from tests/vm/run-in-vm.sh
#
# cgroup v2: tests that need a pure cgroup v2 hierarchy with a subtree delegated to the
# user. They run in the guest of tests/vm (tests/setup.sh step "vm"), where run-in-vm.sh sets
#   RL_VM              qemu or uml (only in the guest)
#   RL_VM_CGROUP       the delegated cgroup's directory (user@UID.service, as with systemd)
#   RL_VM_CGROUP_LEAF  the cgroup this suite runs in, a leaf below RL_VM_CGROUP
# Elsewhere every test skips. The guest has no network: images come from `rl import` or
# `rl load`, never from the fixtures' registries. setup_file imports a busybox image, $IMG,
# into this file's store ($RL_ROOT) for the tests that run containers.

load helpers

IMG=localhost/rl-vm/busybox:latest

in_vm() {
    [ -n "${RL_VM:-}" ] && [ -n "${RL_VM_CGROUP:-}" ]
}

# vm_controllers: the controllers the delegated cgroup must offer. UML has no cpuset.
vm_controllers() {
    echo memory cpu pids io
    [ "$RL_VM" = uml ] || echo cpuset
}

# has_word LIST WORD: WORD is one of the blank-separated words of LIST.
has_word() {
    [[ " $1 " == *" $2 "* ]]
}

# child_cgroup: a new child cgroup of the delegated one, for this test; its path in $cg.
child_cgroup() {
    cg=$RL_VM_CGROUP/t-$(safename)
    mkdir "$cg" || die "the user cannot mkdir $cg"
}

setup_file() {
    in_vm || return 0
    export RL_ROOT=$BATS_FILE_TMPDIR/root
    mkdir -p "$RL_ROOT"
    # A root filesystem of the host's static busybox and rl-testinit, made into an image
    # without any registry.
    local r=$BATS_FILE_TMPDIR/rootfs a
    mkdir -p "$r"/{bin,etc,proc,dev,sys,tmp,root,run}
    chmod 1777 "$r/tmp"
    cp "$RL_BUSYBOX" "$r/bin/busybox"
    for a in "${RL_BUSYBOX_APPLETS[@]}"; do
        ln -s busybox "$r/bin/$a"
    done
    cp "$RL_TESTINIT" "$r/bin/rl-testinit"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
        >"$r/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
    tar -C "$r" --numeric-owner --owner=0 --group=0 -cf "$BATS_FILE_TMPDIR/rootfs.tar" . \
        || die "cannot make the rootfs tarball"
    run_rl import -q -c 'CMD ["/bin/sh"]' "$BATS_FILE_TMPDIR/rootfs.tar" "$IMG"
}

setup() {
    in_vm || skip "needs the cgroup v2 guest (tests/vm)"
    basic_setup
}

teardown() {
    in_vm || return 0
    local c
    # What a failed test left in the delegated cgroup: its processes, then the cgroup.
    for c in "$RL_VM_CGROUP"/t-*/; do
        [ -d "$c" ] || continue
        echo 1 >"$c/cgroup.kill" 2>/dev/null || true
        sleep 0.2
        # Cgroups a test made inside it (leaves, a user manager's slices), deepest first.
        find "$c" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
        rmdir "$c" 2>/dev/null || sleep 0.5
        rmdir "$c" 2>/dev/null || echo "# teardown: cannot remove $c" >&2
    done
    ctr_cleanup
    basic_teardown
}

# ---------------------------------------------------------------- the guest itself

@test "vm: cgroup2 alone is mounted at /sys/fs/cgroup, with every controller" {
    local fs mounts ctl name enabled missing=''
    fs=$(stat -f -c %T /sys/fs/cgroup)
    assert "$fs" == cgroup2fs "/sys/fs/cgroup is a cgroup2 file system"
    mounts=$(awk '$3 ~ /^cgroup/ { print $2, $3 }' /proc/mounts)
    assert "$mounts" == "/sys/fs/cgroup cgroup2" "one cgroup mount, no v1 hierarchy"
    ctl=$(cat /sys/fs/cgroup/cgroup.controllers)
    # Every controller the kernel has, by its v2 name (v1-only ones have none).
    while read -r name _ _ enabled; do
        case "$name" in
        '#'* | cpuacct | devices | freezer | net_cls | net_prio | perf_event) continue ;;
        blkio) name=io ;;
        esac
        [ "$enabled" = 1 ] || continue
        has_word "$ctl" "$name" || missing+=" $name"
    done </proc/cgroups
    assert "$missing" == "" "controllers missing from the root's cgroup.controllers ($ctl)"
    for name in $(vm_controllers); do
        has_word "$ctl" "$name" || die "no $name controller in '$ctl'"
    done
}

@test "vm: the delegated cgroup belongs to the user and offers the controllers" {
    local d=$RL_VM_CGROUP f c ctl sub
    [ -d "$d" ] || die "RL_VM_CGROUP=$d is not a directory"
    assert "$(stat -c %u "$d")" == "$(id -u)" "$d belongs to the user"
    [ -w "$d" ] || die "$d is not writable"
    for f in cgroup.procs cgroup.threads cgroup.subtree_control; do
        [ -w "$d/$f" ] || die "$d/$f is not writable by the user"
    done
    [ ! -w "$d/memory.max" ] || die "$d's own limits must stay root's, as with systemd"
    ctl=$(cat "$d/cgroup.controllers")
    sub=$(cat "$d/cgroup.subtree_control")
    for c in $(vm_controllers); do
        has_word "$ctl" "$c" || die "$c is not in $d/cgroup.controllers ($ctl)"
        has_word "$sub" "$c" || die "$c is not in $d/cgroup.subtree_control ($sub)"
    done
}

@test "vm: the tests run in a leaf cgroup of the delegated one" {
    local own
    own=$(sed -n 's/^0:://p' /proc/self/cgroup)
    assert "/sys/fs/cgroup$own" == "$RL_VM_CGROUP_LEAF" "/proc/self/cgroup"
    assert "$RL_VM_CGROUP_LEAF" =~ "^$RL_VM_CGROUP/[^/]+$" "a child of the delegated cgroup"
    assert "$(cat "$RL_VM_CGROUP_LEAF/cgroup.subtree_control")" == "" "no controllers below"
    assert "$(stat -c %u "$RL_VM_CGROUP_LEAF")" == "$(id -u)" "the leaf belongs to the user"
    assert "$(cat "$RL_VM_CGROUP/cgroup.procs")" == "" "no process in the delegated cgroup itself"
}

@test "vm: the user makes a child cgroup, limits it, moves a process in and removes it" {
    local pid
    child_cgroup
    echo 64M >"$cg/memory.max" || die "write memory.max"
    assert "$(cat "$cg/memory.max")" == 67108864 "memory.max"
    echo 20 >"$cg/pids.max" || die "write pids.max"
    assert "$(cat "$cg/pids.max")" == 20 "pids.max"
    echo "50000 100000" >"$cg/cpu.max" || die "write cpu.max"
    sleep 60 3>&- &
    pid=$!
    echo "$pid" >"$cg/cgroup.procs" || die "move $pid into $cg"
    assert "$(cat "/proc/$pid/cgroup")" == "0::${cg#/sys/fs/cgroup}" "the process moved"
    assert "$(cat "$cg/cgroup.procs")" == "$pid" "$cg/cgroup.procs"
    kill "$pid"
    wait "$pid" || true
    rmdir "$cg" || die "rmdir $cg"
    [ ! -e "$cg" ] || die "$cg is still there"
}

@test "vm: the guest kernel enforces pids.max and memory.max in the user's cgroups" {
    local events
    child_cgroup
    echo 3 >"$cg/pids.max"
    run sh -c "echo \$\$ >'$cg/cgroup.procs' && for i in 1 2 3 4 5 6; do sleep 1 & done; wait"
    events=$(awk '$1 == "max" { print $2 }' "$cg/pids.events")
    assert "$events" -gt 0 "pids.events counts the refused forks ($output)"
    echo max >"$cg/pids.max"
    echo 16M >"$cg/memory.max"
    echo 0 >"$cg/memory.swap.max" 2>/dev/null || true
    # dd fills a 64 MiB buffer: the cgroup's OOM killer ends it.
    run sh -c "echo \$\$ >'$cg/cgroup.procs' && exec dd if=/dev/zero of=/dev/null bs=64M count=1"
    assert "$status" -eq 137 "dd was killed (SIGKILL): $output"
    events=$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")
    assert "$events" -ge 1 "memory.events counts the OOM kill"
}

@test "vm: user namespaces, /dev/net/tun and /dev/fuse work for the user" {
    run unshare -Ur id -u
    assert "$status" -eq 0 "unshare -Ur: $output"
    assert "$output" == 0 "root in the user namespace"
    run unshare -Urn sh -c 'ip tuntap add dev tap0 mode tap && ip -o link show tap0'
    assert "$status" -eq 0 "a tap device in a user+network namespace: $output"
    [ -c /dev/fuse ] || die "no /dev/fuse"
    (exec 4<>/dev/fuse) || die "the user cannot open /dev/fuse"
}

# ---------------------------------------------------------------- rl in the guest

@test "vm: rl info finds cgroup v2 and the delegation" {
    local cg
    run_rl info --format json
    cg=$(jq -c .host.cgroup <<<"$output")
    assert "$(jq -r .mode <<<"$cg")" == unified "cgroup mode: $cg"
    assert "$(jq -r .mount <<<"$cg")" == /sys/fs/cgroup "cgroup mount"
    assert "$(jq -r .dir <<<"$cg")" == "$RL_VM_CGROUP_LEAF" "this process's cgroup"
    assert "$(jq -r .delegated <<<"$cg")" == true "delegated"
    assert "$(jq -r '[.checks[] | select(.name | startswith("cgroup")) | .status] | unique | join(" ")' \
        <<<"$output")" == ok "the cgroup checks pass"
}

@test "vm: rl runs a container from an image imported in the guest" {
    run_rl run --rm --network none "$IMG" echo ok
    assert "$output" == ok "the container's output"
    run_rl 3 run --rm --network none "$IMG" sh -c 'exit 3'
}

@test "vm: rl loads the fixtures' archive and runs it without a registry" {
    local env=${RL_FIXTURES:-/var/tmp/rl-fixtures}/env
    [ -r "$env" ] || skip "no fixtures (tests/fixtures.sh) at ${env%/env}"
    # shellcheck source=/dev/null
    . "$env"
    [ -r "${ARCHIVE_DOCKER:-}" ] || skip "the fixtures have no ARCHIVE_DOCKER"
    run_rl load -i "$ARCHIVE_DOCKER"
    assert "$output" =~ "Loaded image: " "rl load names the image"
    local name=${lines[-1]##*Loaded image: }
    run_rl run --rm --pull=never --network none "$name" echo loaded
    assert "$output" == loaded "the container's output"
    run_rl rmi "$name"
}

# ---------------------------------------------------------------- rl's limits

# ctr_cgroups: the containers' cgroups (rl-ID) in the delegated subtree, one a line.
ctr_cgroups() {
    find "$RL_VM_CGROUP" -maxdepth 2 -type d -name 'rl-[0-9a-f]*' 2>/dev/null | sort
}

@test "limits: memory, cpus, pids and cpuset are written to the container's own cgroup" {
    local want_cpuset=""
    [ "$RL_VM" = uml ] || want_cpuset="--cpuset-cpus 0"
    # shellcheck disable=SC2086 # WANT_CPUSET is words or nothing
    run_rl run --rm -m 32m --memory-reservation 16m --cpus 0.5 --pids-limit 50 --cpu-shares 512 \
        $want_cpuset "$IMG" sh -c 'cd /sys/fs/cgroup; cat memory.max memory.swap.max memory.low \
        cpu.max pids.max cpu.weight; cat /proc/self/cgroup; [ -e cpuset.cpus ] && cat cpuset.cpus'
    assert "${lines[0]}" == "33554432" "memory.max"
    assert "${lines[1]}" == "33554432" "memory.swap.max: podman's default, as much as --memory"
    assert "${lines[2]}" == "16777216" "memory.low"
    assert "${lines[3]}" == "50000 100000" "cpu.max"
    assert "${lines[4]}" == "50" "pids.max"
    assert "${lines[5]}" == "20" "cpu.weight from 512 shares"
    assert "${lines[6]}" == "0::/" "the process is in its cgroup, the root of its namespace"
    [ -z "$want_cpuset" ] || assert "${lines[7]}" == "0" "cpuset.cpus"
    run ctr_cgroups
    assert "$output" == "" "the cgroup is gone with the container"
}

@test "limits: podman's default pids limit, and none with --pids-limit -1" {
    run_rl run --rm "$IMG" cat /sys/fs/cgroup/pids.max
    assert "$output" == "2048"
    run_rl run --rm --pids-limit -1 "$IMG" cat /sys/fs/cgroup/pids.max
    assert "$output" == "max"
}

@test "limits: the OOM killer ends a container over --memory; exit 137 and OOMKilled" {
    # tail keeps the endless line of /dev/zero in memory until it is killed.
    run_rl 137 run --name hog -m 16m --memory-swap 16m "$IMG" busybox tail /dev/zero
    run_rl inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' hog
    assert "$output" == "true 137"
    run_rl rm hog
    run_rl run --name fine -m 16m "$IMG" true
    run_rl inspect --format '{{.State.OOMKilled}}' fine
    assert "$output" == "false" "no OOM, no flag"
}

@test "limits: pids.max stops a fork bomb" {
    # ash gives up the whole script when it cannot fork: the forks are in a subshell.
    run_rl run --rm --pids-limit 8 "$IMG" sh -c \
        '(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do sleep 3 & done) 2>/dev/null
         cat /sys/fs/cgroup/pids.current /sys/fs/cgroup/pids.events'
    assert "${lines[0]}" -le 8 "at most 8 processes at once"
    assert "${lines[1]}" =~ ^max\ [1-9] "the kernel refused the forks beyond (pids.events)"
}

@test "limits: cpu.max throttles a busy container" {
    run_rl run --rm --cpus 0.2 "$IMG" sh -c \
        'timeout 2 sh -c "while :; do :; done"; grep -E "^(nr_throttled|throttled_usec)" /sys/fs/cgroup/cpu.stat'
    local throttled
    throttled=$(grep '^nr_throttled ' <<<"$output" | cut -d' ' -f2)
    assert "${throttled:-0}" -gt 0 "nr_throttled grew"
}

@test "limits: rl update changes a running container's limits; exec joins its cgroup; stats move" {
    run_rl run -d --name u -m 64m --pids-limit 100 "$IMG" sh -c 'while :; do :; done'
    run_rl exec u cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /proc/self/cgroup
    assert "$output" == $'67108864\n100\n0::/' "exec sees the limits from inside the cgroup"
    run_rl update --memory 128m --pids-limit 200 --cpus 0.5 u
    run_rl exec u cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max
    assert "$output" == $'134217728\n200\n50000 100000' "the new limits, at once"
    run_rl inspect --format '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}' u
    assert "$output" == "134217728 200" "kept in the record"
    run_rl stats --no-stream --format json u
    local cpu pids
    cpu=$(jq -r '.[0].cpu_percent' <<<"$output" | tr -d %)
    pids=$(jq -r '.[0].pids' <<<"$output")
    assert "$(jq -r '.[0].name' <<<"$output")" == "u"
    assert "$pids" -ge 1 "pids counted"
    run awk -v c="$cpu" 'BEGIN { exit !(c > 1) }'
    assert "$status" -eq 0 "a busy loop uses CPU ($cpu%)"
    run_rl stats --no-stream u
    assert "${lines[0]}" =~ "^ID +NAME +CPU % +MEM USAGE / LIMIT" "the table's header"
    assert "${lines[1]}" =~ " / 134" "the memory limit in the table"
    run ctr_cgroups
    assert "${#lines[@]}" -eq 1 "one cgroup while it runs"
    run_rl rm -f u
    run ctr_cgroups
    assert "$output" == "" "removed with the container"
}

@test "limits: rl oci applies linux.resources and cgroupsPath; delete removes the cgroup" {
    local b=$BATS_TEST_TMPDIR/bundle cg
    make_bundle "$b"
    bundle_set "$b" '.process.args = ["/bin/sh", "-c", "cat /proc/self/cgroup"]
        | .linux.resources = {"memory": {"limit": 33554432}, "pids": {"limit": 20},
                              "cpu": {"quota": 25000, "period": 100000}}
        | .linux.cgroupsPath = "oci-test/c1"'
    run_rl oci create --bundle "$b" oci1
    cg=$(find "$RL_VM_CGROUP" -path '*/oci-test/c1' -type d)
    [ -n "$cg" ] || die "no cgroup oci-test/c1 under $RL_VM_CGROUP"
    run cat "$cg/memory.max" "$cg/pids.max" "$cg/cpu.max" "$cg/cgroup.procs"
    assert "${lines[0]}" == "33554432" "memory.max"
    assert "${lines[1]}" == "20" "pids.max"
    assert "${lines[2]}" == "25000 100000" "cpu.max"
    assert "${lines[3]}" =~ ^[0-9]+$ "the created process is in it"
    run_rl oci start oci1
    run_rl oci delete -f oci1
    run find "$RL_VM_CGROUP" -path '*oci-test*'
    assert "$output" == "" "the cgroup and the parent rl made are gone"
}

@test "limits: rl alone in a delegated cgroup (a systemd scope of its own) keeps containers inside it" {
    local cg id
    child_cgroup
    # As `systemd-run --user --scope -p Delegate=yes rl run ...` would start it: alone in $cg.
    # shellcheck disable=SC2016 # expanded by the inner shell
    id=$(sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --root "$3" run -d --name inner -m 32m "$4" sleep 60' \
        sh "$cg" "$RL" "$RL_ROOT" "$IMG" 3>&-)
    [ -n "$id" ] || die "rl run -d printed no id"
    [ -d "$cg/rl-monitor" ] || die "rl did not move itself into $cg/rl-monitor: $(ls "$cg")"
    run cat "$cg/rl-$id/memory.max"
    assert "$output" == "33554432" "the container's cgroup is inside, with its limit"
    run cat "$cg/rl-monitor/cgroup.procs"
    assert "$output" =~ ^[0-9]+$ "the monitor is in the leaf"
    run_rl rm -f inner
    [ ! -e "$cg/rl-$id" ] || die "the container's cgroup is left"
}

@test "limits: --cgroup-manager=systemd asks a systemd user manager for a scope with Delegate=yes" {
    local sd=/lib/systemd/systemd rt=$BATS_TEST_TMPDIR/rt cg id unit ccg
    [ -x "$sd" ] && command -v dbus-daemon >/dev/null || skip "no systemd or dbus-daemon here"
    # A user manager of the test's own, in a delegated cgroup of its own, on a private bus.
    child_cgroup
    mkdir -m 700 "$rt"
    dbus-daemon --session --address="unix:path=$rt/bus" --fork --print-pid=3 3>"$rt/dbus.pid" \
        || die "dbus-daemon did not start"
    export DBUS_SESSION_BUS_ADDRESS=unix:path=$rt/bus
    # shellcheck disable=SC2016 # expanded by the inner shell
    XDG_RUNTIME_DIR=$rt sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --user' sh "$cg" "$sd" \
        >"$rt/systemd.log" 2>&1 3>&- &
    # Ready when it owns its name on the bus (asking before would start bus activation).
    for _ in $(seq 300); do
        busctl --user list --no-legend 2>/dev/null \
            | awk '$1 == "org.freedesktop.systemd1" && $2 ~ /^[0-9]+$/ { ok = 1 } END { exit !ok }' \
            && break
        sleep 0.1
    done
    busctl --user list --no-legend 2>/dev/null \
        | awk '$1 == "org.freedesktop.systemd1" && $2 ~ /^[0-9]+$/ { ok = 1 } END { exit !ok }' \
        || die "systemd --user did not start: $(cat "$rt/systemd.log")"
    id=$(XDG_RUNTIME_DIR=$rt "$RL" --root "$RL_ROOT" --cgroup-manager=systemd run -d --name sdc \
        -m 32m "$IMG" sleep 60 3>&-) \
        || die "rl run --cgroup-manager=systemd failed; systemd: $(tail -5 "$rt/systemd.log")"
    # The monitor is in rl-PID.scope (a leaf of it), the container beside it, with its limit.
    run find "$cg" -type d -name "rl-$id"
    [ -n "$output" ] || die "no cgroup rl-$id under the user manager's tree: $(find "$cg" -type d)"
    ccg=$output
    unit=$(dirname "$ccg")
    assert "$(basename "$unit")" =~ ^rl-[0-9]+\.scope$ "in a transient scope of rl's"
    assert "$(cat "$ccg/memory.max")" == "33554432" "the container's limit"
    assert "$(cat "$unit/rl-monitor/cgroup.procs")" =~ ^[0-9]+$ "the monitor in its leaf"
    run busctl --user get-property org.freedesktop.systemd1 \
        "/org/freedesktop/systemd1/unit/$(basename "$unit" | sed 's/-/_2d/g; s/\./_2e/g')" \
        org.freedesktop.systemd1.Scope Delegate
    assert "$output" == "b true" "systemd delegated the scope"
    run_rl rm -f sdc
    [ ! -e "$ccg" ] || die "the container's cgroup is left"
    # A manager that does not answer: a clear error with --cgroup-manager=systemd.
    kill "$(cat "$rt/dbus.pid")"
    run_rl 125 --cgroup-manager=systemd run --rm -m 32m "$IMG" true
    assert "$output" =~ "cgroup-manager=systemd: .*systemd user manager" "says what is missing"
    # Stop the manager; teardown removes what is left of its cgroups.
    echo 1 >"$cg/cgroup.kill"
    for _ in $(seq 50); do
        [ -z "$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] && break
        sleep 0.1
    done
    find "$cg" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
}
