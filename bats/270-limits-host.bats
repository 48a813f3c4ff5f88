#!/usr/bin/env bats
# shellcheck disable=SC2154 # bats variables
#
# Resource limits on a host that cannot enforce them (no cgroup v2 subtree with the
# controllers delegated to the user, as on this CI machine): asking for a limit is an error
# that says why and how to fix it, and leaves nothing; asking for none runs. Where the
# controllers are delegated (the cgroup v2 guest, tests/vm), 400-cgroups.bats covers limits.

load helpers

setup_file() {
    image_fixtures_check
}

setup() {
    image_fixtures_setup
    ctr_registries_conf
    run_rl pull -q "$IMG_BUSYBOX"
    local info
    info=$("$RL" --root "$RL_ROOT" info --format json 3>&-)
    if jq -e '.host.cgroup.delegated and (.host.cgroup.controllers | index("memory"))' \
        <<<"$info" >/dev/null; then
        skip "this host delegates the memory controller: limits are tested in 400-cgroups.bats"
    fi
}

teardown() {
    ctr_cleanup
    image_store_cleanup
}

@test "limits: asked for where they cannot be enforced, an error that says why; none asked, it runs" {
    run_rl run --rm "$IMG_BUSYBOX" echo no limits
    assert "$output" == "no limits"
    local opt
    for opt in "--memory 256m" "--cpus 1.5" "--pids-limit 100" "--cpuset-cpus 0" \
        "--memory-reservation 64m" "--cpu-shares 512" "--blkio-weight 300"; do
        # shellcheck disable=SC2086 # OPT is two words
        run_rl 125 run --rm $opt "$IMG_BUSYBOX" true
        assert "$output" =~ "resource limits: " "$opt: refused"
        assert "$output" =~ "cgroup" "$opt: names the cgroup problem"
        # shellcheck disable=SC2086
        run_rl 125 create $opt "$IMG_BUSYBOX" true
    done
    run_rl ps -a -q
    assert "$output" == "" "nothing is left"
    # --cgroups=disabled runs without a cgroup, and refuses limits.
    run_rl run --rm --cgroups=disabled "$IMG_BUSYBOX" echo ok
    assert "$output" == "ok"
    run_rl 125 run --rm --cgroups=disabled --memory 64m "$IMG_BUSYBOX" true
    assert "$output" =~ "resource limits need a cgroup"
}

@test "limits: rl update and rl stats of a container without a cgroup say why" {
    run_rl run -d --name nocg "$IMG_BUSYBOX" sleep 100
    run_rl 125 update --memory 256m nocg
    assert "$output" =~ "cgroup" "update: why"
    run_rl 125 stats --no-stream nocg
    assert "$output" =~ "has no cgroup" "stats: why"
    run_rl inspect --format '{{.HostConfig.Memory}} {{.State.OOMKilled}}' nocg
    assert "$output" == "0 false"
}

@test "limits: bad values are refused before anything is done" {
    local bad
    for bad in "--memory 1m:minimum memory limit" "--memory abc:--memory" \
        "--memory-swap 1g:needs --memory" "--memory 64m --memory-swap 32m:at least --memory" \
        "--cpus 0:not a number of CPUs" "--cpus abc:not a number of CPUs" \
        "--cpu-shares 1:2 to 262144" "--cpu-weight 20000:1 to 10000" \
        "--cpuset-cpus 3-1:not a list" "--cpuset-mems x:not a list" \
        "--pids-limit abc:--pids-limit" "--blkio-weight 5:10 to 1000" \
        "--cpus 1 --cpu-quota 50000:cannot be set together" "--cgroups=maybe:--cgroups"; do
        # shellcheck disable=SC2086 # the options are words
        run_rl 125 run --rm ${bad%%:*} "$IMG_BUSYBOX" true
        assert "$output" =~ "${bad#*:}" "${bad%%:*}"
    done
    run_rl 125 update nosuch
    assert "$output" =~ "no limit to change"
    run_rl 125 update --memory 64m nosuch
    assert "$output" =~ "nosuch"
    run_rl ps -a -q
    assert "$output" == ""
}

@test "limits: --cgroup-manager: bad values, and systemd where no user manager answers" {
    run_rl 125 --cgroup-manager=upstart ps
    assert "$output" =~ "--cgroup-manager: 'upstart' is not systemd or cgroupfs"
    # No D-Bus user bus for the test: asking systemd for a scope fails, saying so.
    DBUS_SESSION_BUS_ADDRESS=unix:path=$BATS_TEST_TMPDIR/no-bus \
        run_rl 125 --cgroup-manager=systemd run --rm --memory 64m "$IMG_BUSYBOX" true
    assert "$output" =~ "cgroup-manager=systemd: " "names the option"
    assert "$output" =~ "libsystemd|systemd user manager" "and what is missing"
    # Without limits there is nothing to ask for.
    run_rl --cgroup-manager=systemd run --rm "$IMG_BUSYBOX" echo fine
    assert "$output" == "fine"
    run_rl ps -a -q
    assert "$output" == ""
}
