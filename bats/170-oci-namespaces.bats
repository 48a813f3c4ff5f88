#!/usr/bin/env bats
# Namespaces joined by path, and what the container sees of them.

load helpers

# _ns_detached B ID: run bundle B detached (sleeping) and print its pid.
_ns_detached() {
    local b=$1 id=$2
    bundle_args "$b" /bin/rl-testinit sleep 60
    timeout 30 "$RL" --root "$RL_ROOT" oci run --detach --bundle "$b" "$id" </dev/null >/dev/null 2>&1 \
        || die "detached run of $id failed"
    "$RL" --root "$RL_ROOT" oci state "$id" | jq -r .pid
}

@test "oci namespaces: join another container's user, network and pid namespaces by path" {
    local a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b ida=c-$(safename)-a idb=c-$(safename)-b
    make_bundle "$a"
    make_bundle "$b"
    local pid
    pid=$(_ns_detached "$a" "$ida")
    assert "$pid" -gt 0 "first container runs"

    # The second container joins the first one's namespaces and makes its own mount, uts
    # and ipc namespaces inside the joined user namespace.
    bundle_set "$b" 'del(.linux.uidMappings, .linux.gidMappings)
        | .linux.namespaces = [{"type": "user", "path": ("/proc/" + $p + "/ns/user")},
                               {"type": "network", "path": ("/proc/" + $p + "/ns/net")},
                               {"type": "pid", "path": ("/proc/" + $p + "/ns/pid")},
                               {"type": "mount"}, {"type": "uts"}, {"type": "ipc"}]' \
        --arg p "$pid"
    bundle_args "$b" /bin/sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/user; ls /proc | grep -c "^[0-9]"; exit 5'
    run_rl 5 oci run --bundle "$b" "$idb"
    assert "${lines[0]}" == "$(readlink /proc/"$pid"/ns/net)" "same network namespace"
    assert "${lines[1]}" == "$(readlink /proc/"$pid"/ns/user)" "same user namespace"
    assert "${lines[2]}" -ge 2 "sees the first container's processes in the joined pid namespace"

    run_rl oci delete --force "$ida"
}

@test "oci namespaces: a namespace path that does not exist is named" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.linux.namespaces += [{"type": "network", "path": "/proc/999999999/ns/net"}]
        | .linux.namespaces |= (map(select(.type != "network" or has("path"))))'
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "open network namespace '/proc/999999999/ns/net'" "names the path"
    run_rl oci list -q
    assert "$output" == "" "nothing left behind"
}

@test "oci namespaces: hostname needs a uts namespace" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.hostname = "box" | .linux.namespaces |= map(select(.type != "uts"))'
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "hostname: needs a new uts namespace" "explains"
}

@test "oci namespaces: no network namespace shares the host's, a new one has only lo" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    # /proc/net/dev, not /sys/class/net: rootless, /sys is the host's, bound read-only.
    bundle_args "$b" /bin/sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
    run_rl oci run --bundle "$b" "$id"
    assert "$output" == "lo" "a new network namespace has only lo"

    bundle_set "$b" '.linux.namespaces |= map(select(.type != "network"))'
    bundle_args "$b" /bin/sh -c 'readlink /proc/self/ns/net'
    run_rl oci run --bundle "$b" "$id"
    assert "$output" == "$(readlink /proc/self/ns/net)" "the host's network namespace"
}

@test "oci: masked paths work without a /proc mount" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    echo secret >"$b/rootfs/etc/secret"
    bundle_set "$b" '.mounts |= map(select(.destination != "/proc"))
        | .linux.maskedPaths += ["/etc/secret"]'
    bundle_args "$b" /bin/rl-testinit cat /etc/secret
    run_rl oci run --bundle "$b" "$id"
    assert "$output" !~ "secret" "the file is masked"
}

@test "oci ps: the container's processes, as a table or json" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit sleep 60 & exec /bin/rl-testinit sleep 60'
    timeout 30 "$RL" --root "$RL_ROOT" oci run --detach --bundle "$b" "$id" </dev/null >/dev/null 2>&1 \
        || die "detached run failed"
    local pid
    pid=$("$RL" --root "$RL_ROOT" oci state "$id" | jq -r .pid)
    # The background child may take a moment to appear.
    local i n=0
    for i in $(seq 50); do
        run_rl oci ps --format json "$id"
        n=$(jq length <<<"$output")
        [ "$n" -ge 2 ] && break
        sleep 0.1
    done
    assert "$n" -eq 2 "two processes"
    assert "$(jq ".[] | select(. == $pid)" <<<"$output")" == "$pid" "the init is listed"
    run_rl oci ps "$id"
    assert "${lines[0]}" =~ "PID +CMD" "table header"
    assert "$output" =~ "rl-testinit sleep 60" "commands shown"
    run_rl 125 oci ps --format yaml "$id"
    assert "$output" =~ "unknown format 'yaml'" "bad format"
    run_rl oci kill --all "$id" KILL
    run_rl oci delete --force "$id"
    run_rl 125 oci ps "$id"
    assert "$output" =~ "does not exist" "gone"
}

@test "oci kill --all without a pid namespace signals only the container's processes" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.linux.namespaces |= map(select(.type != "pid"))
        | .mounts |= map(select(.destination != "/proc"))'
    bundle_args "$b" /bin/rl-testinit sleep 60
    # A process of the same user outside the container, in the same pid namespace.
    sleep 120 &
    local bystander=$!
    timeout 30 "$RL" --root "$RL_ROOT" oci run --detach --bundle "$b" "$id" </dev/null >/dev/null 2>&1 \
        || die "detached run failed"
    run_rl oci ps --format json "$id"
    assert "$(jq length <<<"$output")" -eq 1 "only the container's own process"
    run_rl oci kill --all "$id" KILL
    run_rl oci delete --force "$id"
    kill -0 "$bystander" || die "kill --all reached a process outside the container"
    kill "$bystander"
}
