#!/usr/bin/env bats
# rl oci run: a bundle in the foreground (and --detach), as seen from inside the container
# and from the host: exit status, stdio, ids, pid namespace, hostname, env, cwd, pid file.

load helpers

# _run_split ARG...: run "rl --root $RL_ROOT ARG..." with its stdout and stderr kept apart,
# in $RUN_STDOUT and $RUN_STDERR; $status is its exit status.
_run_split() {
    local out=$BATS_TEST_TMPDIR/split.out err=$BATS_TEST_TMPDIR/split.err
    echo "\$ ${RL##*/} --root $RL_ROOT $*" >&2
    status=0
    timeout --foreground --kill=10 "$RL_TIMEOUT" "$RL" --root "$RL_ROOT" "$@" \
        >"$out" 2>"$err" 3>&- </dev/null || status=$?
    RUN_STDOUT=$(cat "$out")
    RUN_STDERR=$(cat "$err")
    printf '[stdout] %s\n[stderr] %s\n[ rc=%s ]\n' "$RUN_STDOUT" "$RUN_STDERR" "$status" >&2
}

# _run_subid FILE: "START COUNT" of the first range of the current user in FILE (/etc/subuid).
_run_subid() {
    awk -F: -v name="$(id -un)" -v uid="$(id -u)" \
        '($1 == name || $1 == uid) { print $2, $3; exit }' "$1"
}

# _run_nothing_left: no container in $RL_ROOT, no state directory left.
_run_nothing_left() {
    run_rl oci list -q
    assert "$output" == "" "rl oci list -q is empty"
    run ls -A "$RL_ROOT"
    assert "$output" == "" "no state directory is left in $RL_ROOT"
}

@test "oci run: the exit status of the process passes through" {
    local b=$BATS_TEST_TMPDIR/b
    make_bundle "$b"
    run_rl oci run --bundle "$b" "c-$(safename)"
    assert "$output" == "" "rl-testinit true prints nothing"

    bundle_args "$b" /bin/rl-testinit exit 3
    run_rl 3 oci run --bundle "$b" "c-$(safename)"

    bundle_args "$b" /bin/rl-testinit false
    run_rl 1 oci run --bundle "$b" "c-$(safename)"

    bundle_args "$b" /bin/rl-testinit exit 255
    run_rl 255 oci run --bundle "$b" "c-$(safename)"
    _run_nothing_left
}

@test "oci run: a process killed by a signal exits 128+signal" {
    local b=$BATS_TEST_TMPDIR/b
    make_bundle "$b"
    # The init of a pid namespace ignores signals it has no handler for, even its own: run in
    # the host's pid namespace (and so without a /proc of its own) to really die of one.
    # Masking paths needs a /proc in the container: none to mask either.
    bundle_set "$b" '.linux.namespaces |= map(select(.type != "pid"))
        | .mounts |= map(select(.destination != "/proc"))
        | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
    bundle_args "$b" /bin/sh -c 'kill -KILL $$; echo still alive'
    run_rl 137 oci run --bundle "$b" "c-$(safename)"
    assert "$output" !~ "still alive" "the process died of SIGKILL"

    bundle_args "$b" /bin/sh -c 'kill -USR1 $$; echo still alive'
    run_rl 138 oci run --bundle "$b" "c-$(safename)"
    assert "$output" !~ "still alive" "the process died of SIGUSR1"

    bundle_args "$b" /bin/sh -c 'kill -TERM $$; echo still alive'
    run_rl 143 oci run --bundle "$b" "c-$(safename)"
    _run_nothing_left
}

@test "oci run: signals sent to rl are forwarded to the container" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) out=$BATS_TEST_TMPDIR/out
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit pause
    "$RL" --root "$RL_ROOT" oci run --bundle "$b" "$id" >"$out" 2>&1 3>&- </dev/null &
    local rlpid=$!
    wait_for_state "$id" running
    # pause prints each signal it gets and goes on after SIGWINCH; send it until pause has
    # its handlers set up and says so.
    local i
    for ((i = 0; i < 50; i++)); do
        kill -WINCH "$rlpid"
        grep -q "signal WINCH" "$out" && break
        sleep 0.2
    done
    kill -TERM "$rlpid"
    local rc=0
    wait "$rlpid" || rc=$?
    cat "$out" >&2
    assert "$rc" -eq 143 "rl exits 128+SIGTERM, the container's status"
    assert "$(cat "$out")" =~ "signal WINCH" "the container got SIGWINCH"
    assert "$(cat "$out")" =~ "signal TERM" "the container got SIGTERM"
    _run_nothing_left
}

@test "oci run: stdout and stderr pass through separately" {
    local b=$BATS_TEST_TMPDIR/b
    make_bundle "$b"
    bundle_args "$b" /bin/sh -c 'echo to-stdout; echo to-stderr >&2; exit 5'
    _run_split oci run --bundle "$b" "c-$(safename)"
    assert "$status" -eq 5 "exit status"
    assert "$RUN_STDOUT" == "to-stdout" "stdout of the container is rl's stdout"
    assert "$RUN_STDERR" == "to-stderr" "stderr of the container is rl's stderr"
}

@test "oci run: stdin passes through when process.terminal is false" {
    local b=$BATS_TEST_TMPDIR/b
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit cat -
    run_rl oci run --bundle "$b" "c-$(safename)" <<<"hello from the host"
    assert "$output" == "hello from the host" "the container read rl's stdin"

    bundle_args "$b" /bin/rl-testinit isatty 0
    run_rl oci run --bundle "$b" "c-$(safename)" </dev/null
    assert "$output" == "no" "stdin is not a terminal"
}

@test "oci run: the user namespace maps the caller's ids" {
    local b=$BATS_TEST_TMPDIR/b
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit uidmap
    run_rl oci run --bundle "$b" "c-$(safename)"
    local uidmap=$output
    bundle_args "$b" /bin/rl-testinit gidmap
    run_rl oci run --bundle "$b" "c-$(safename)"
    local gidmap=$output

    if ! is_rootless; then
        # Root without a user namespace in the config: the host's (initial) map.
        assert "$(echo $uidmap)" == "0 0 4294967295" "uid_map as root"
        assert "$(echo $gidmap)" == "0 0 4294967295" "gid_map as root"
        return
    fi
    local -a sub
    read -r -a sub <<<"$(_run_subid /etc/subuid)"
    [ ${#sub[@]} -eq 2 ] || skip "no subordinate uids for $(id -un) in /etc/subuid"
    assert "$(sed -n 1p <<<"$uidmap" | xargs)" == "0 $(id -u) 1" "uid 0 is the caller"
    assert "$(sed -n 2p <<<"$uidmap" | xargs)" == "1 ${sub[0]} ${sub[1]}" \
        "uid 1 and up are the subordinate uids"
    read -r -a sub <<<"$(_run_subid /etc/subgid)"
    assert "$(sed -n 1p <<<"$gidmap" | xargs)" == "0 $(id -g) 1" "gid 0 is the caller's gid"
    assert "$(sed -n 2p <<<"$gidmap" | xargs)" == "1 ${sub[0]} ${sub[1]}" \
        "gid 1 and up are the subordinate gids"

    bundle_args "$b" /bin/rl-testinit id
    run_rl oci run --bundle "$b" "c-$(safename)"
    assert "$output" =~ "^uid=0 gid=0" "root in the container"
}

@test "oci run: the process is pid 1 of its own pid namespace" {
    local b=$BATS_TEST_TMPDIR/b
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit getpid
    run_rl oci run --bundle "$b" "c-$(safename)"
    assert "$output" == "1" "pid inside"

    bundle_args "$b" /bin/sh -c 'ls /proc | grep -c "^[0-9]"'
    run_rl oci run --bundle "$b" "c-$(safename)"
    # sh, and the ls and grep of the pipeline.
    assert "$output" -le 3 "only the container's processes are in its /proc"
}

@test "oci run: hostname from config.json, the host's is untouched" {
    local b=$BATS_TEST_TMPDIR/b host
    host=$(hostname)
    make_bundle "$b"
    bundle_set "$b" '.hostname = "rl-test-host"'
    bundle_args "$b" /bin/rl-testinit hostname
    run_rl oci run --bundle "$b" "c-$(safename)"
    assert "$output" == "rl-test-host" "hostname inside"
    assert "$(hostname)" == "$host" "the host's hostname did not change"
}

@test "oci run: env and cwd from config.json" {
    local b=$BATS_TEST_TMPDIR/b
    make_bundle "$b"
    bundle_set "$b" '.process.env += ["RL_FOO=bar baz", "RL_EMPTY="] | .process.cwd = "/home/user"'
    bundle_args "$b" /bin/rl-testinit env
    run_rl oci run --bundle "$b" "c-$(safename)"
    assert "$output" =~ $'(^|\n)RL_FOO=bar baz(\n|$)' "RL_FOO from process.env"
    assert "$output" =~ $'(^|\n)RL_EMPTY=(\n|$)' "an empty value"
    assert "$output" =~ $'(^|\n)PATH=' "PATH from process.env"
    assert "$output" !~ "BATS_" "nothing of the caller's environment leaks in"

    bundle_args "$b" /bin/rl-testinit cwd
    run_rl oci run --bundle "$b" "c-$(safename)"
    assert "$output" == "/home/user" "process.cwd"

    # A relative command is looked up in the container's PATH.
    bundle_args "$b" rl-testinit echo found
    run_rl oci run --bundle "$b" "c-$(safename)"
    assert "$output" == "found" "args[0] found in \$PATH"
}

@test "oci run: --pid-file is written with the container's pid" {
    local b=$BATS_TEST_TMPDIR/b pidfile=$BATS_TEST_TMPDIR/pid out=$BATS_TEST_TMPDIR/out
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit pause
    local id=c-$(safename)
    "$RL" --root "$RL_ROOT" oci run --pid-file "$pidfile" --bundle "$b" "$id" \
        >"$out" 2>&1 3>&- </dev/null &
    local rlpid=$!
    wait_for_state "$id" running
    local pid
    pid=$(cat "$pidfile")
    assert "$pid" =~ "^[0-9]+$" "the pid file holds a pid"
    run_rl oci state "$id"
    assert "$(jq -r .pid <<<"$output")" == "$pid" "the pid file holds the state's pid"
    [ -d "/proc/$pid" ] || die "pid $pid from the pid file is not running"
    assert "$(tr '\0' ' ' <"/proc/$pid/cmdline")" =~ "rl-testinit pause" "it is the container"
    kill -TERM "$rlpid"
    local rc=0
    wait "$rlpid" || rc=$?
    assert "$rc" -eq 143 "exit status after SIGTERM"
    _run_nothing_left
}

@test "oci run: the state directory is removed after the container exits" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    run_rl oci run --bundle "$b" "$id"
    _run_nothing_left
    run_rl 125 oci state "$id"
    assert "$output" =~ "does not exist" "the container is gone"

    # The id can be used again at once.
    run_rl oci run --bundle "$b" "$id"
    bundle_args "$b" /bin/rl-testinit exit 7
    run_rl 7 oci run --bundle "$b" "$id"
    _run_nothing_left
}

@test "oci run: the bundle defaults to the current directory" {
    local b=$BATS_TEST_TMPDIR/b
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit echo from-cwd
    cd "$b"
    run_rl oci run "c-$(safename)"
    assert "$output" == "from-cwd" "ran the bundle in ."
}

@test "oci run --detach: running, seen from the host, then kill and delete" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit pause
    run_rl oci run --detach --bundle "$b" "$id"
    assert "$output" == "" "run --detach prints nothing"

    run_rl oci state "$id"
    assert "$(jq -r .status <<<"$output")" == "running" "status after run --detach"
    local pid
    pid=$(jq -r .pid <<<"$output")
    assert "$pid" -gt 0 "pid in the state"
    assert "$(jq -r .bundle <<<"$output")" == "$b" "bundle in the state"
    assert "$(jq -r .id <<<"$output")" == "$id" "id in the state"

    # From the host: the process runs, in namespaces of its own.
    kill -0 "$pid" || die "container pid $pid is not running"
    assert "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" "own pid namespace"
    assert "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" "own mount namespace"
    assert "$(readlink "/proc/$pid/ns/uts")" != "$(readlink /proc/self/ns/uts)" "own uts namespace"
    if is_rootless; then
        assert "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" \
            "own user namespace"
        assert "$(awk '$1 == 0 { print $2 }' "/proc/$pid/uid_map")" == "$(id -u)" \
            "uid 0 inside is the caller on the host"
        local sub
        sub=$(_run_subid /etc/subuid)
        [ -z "$sub" ] || assert "$(awk '$1 == 1 { print $2, $3 }' "/proc/$pid/uid_map")" == "$sub" \
            "uid 1 inside is the first subordinate uid"
    fi
    assert "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" == "$(id -u)" \
        "the container's uid 0 is the caller's uid on the host"

    run_rl oci kill "$id" KILL
    wait_for_state "$id" stopped
    run_rl oci delete "$id"
    wait_pid_gone "$pid" || die "pid $pid still runs after kill and delete"
    _run_nothing_left
}

@test "oci run: process.terminal true gives the process a terminal" {
    type -P script >/dev/null || skip "no script(1) to give rl a terminal"
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.process.terminal = true'
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit isatty 0; /bin/rl-testinit isatty 1; /bin/rl-testinit isatty 2; exit 4'
    local rc=0 cmd
    cmd=$(printf '%q ' timeout --foreground --kill=10 "$RL_TIMEOUT" "$RL" --root "$RL_ROOT" oci run --bundle "$b" "$id")
    run script -qec "$cmd" /dev/null </dev/null
    echo "$output" >&2
    assert "$status" -eq 4 "script passes rl's exit status through"
    assert "$(tr -d '\r\0' <<<"$output" | sed 's/\^@//g' | xargs)" == "yes yes yes" "stdin, stdout, stderr are a tty"

    # Without a terminal around rl, the pty is still relayed.
    bundle_args "$b" /bin/rl-testinit isatty 1
    run_rl oci run --bundle "$b" "c-$(safename)" </dev/null
    assert "$(tr -d '\r\0' <<<"$output")" == "yes" "the container's stdout is a pty"
    _run_nothing_left
}

@test "oci run: command not found exits 127 with one line" {
    local b=$BATS_TEST_TMPDIR/b
    make_bundle "$b"
    bundle_args "$b" /bin/no-such-command
    _run_split oci run --bundle "$b" "c-$(safename)"
    assert "$status" -eq 127 "exit status of a missing command"
    assert "$RUN_STDOUT" == "" "nothing on stdout"
    assert "$(wc -l <<<"$RUN_STDERR")" -eq 1 "one line on stderr"
    assert "$RUN_STDERR" =~ "^rl: .*/bin/no-such-command" "names the command"

    bundle_args "$b" no-such-command
    _run_split oci run --bundle "$b" "c-$(safename)"
    assert "$status" -eq 127 "exit status of a command not in \$PATH"
    assert "$(wc -l <<<"$RUN_STDERR")" -eq 1 "one line on stderr"
    assert "$RUN_STDERR" =~ "^rl: .*no-such-command" "names the command"
    _run_nothing_left
}

@test "oci run: command not executable exits 126 with one line" {
    local b=$BATS_TEST_TMPDIR/b
    make_bundle "$b"
    printf '#!/bin/sh\necho should not run\n' >"$b/rootfs/bin/not-executable"
    chmod 0644 "$b/rootfs/bin/not-executable"
    bundle_args "$b" /bin/not-executable
    _run_split oci run --bundle "$b" "c-$(safename)"
    assert "$status" -eq 126 "exit status of a file without x permission"
    assert "$RUN_STDOUT" == "" "nothing on stdout"
    assert "$(wc -l <<<"$RUN_STDERR")" -eq 1 "one line on stderr"
    assert "$RUN_STDERR" =~ "^rl: .*/bin/not-executable.*ermission denied" "names the command and why"

    bundle_args "$b" /etc
    _run_split oci run --bundle "$b" "c-$(safename)"
    assert "$status" -eq 126 "exit status of a directory"
    assert "$(wc -l <<<"$RUN_STDERR")" -eq 1 "one line on stderr"
    assert "$RUN_STDERR" =~ "^rl: .*'/etc'" "names the directory"
    _run_nothing_left
}

@test "oci run: device rules alone, or a cgroupsPath without limits, run without a cgroup" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) cg=rl-bats-$(safename) p found
    make_bundle "$b"
    # Device rules restrict nothing rootless (no device node can be made): accepted.
    bundle_set "$b" '.linux.resources = { devices: [{ allow: false, access: "rwm" },
        { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }] }'
    bundle_args "$b" /bin/rl-testinit echo ran
    run_rl oci run --bundle "$b" "$id"
    assert "$output" == "ran" "devices only: it runs"
    # Empty entries ask for nothing either.
    bundle_set "$b" '.linux.resources += { memory: {}, cpu: null, pids: { limit: null } }'
    run_rl oci run --bundle "$b" "$id"
    assert "$output" == "ran" "empty entries: it runs"
    # A cgroupsPath alone makes no cgroup: there is nothing to limit.
    for p in "$cg" "$cg/sub" "/$cg"; do
        bundle_set "$b" '.linux.cgroupsPath = $p' --arg p "$p"
        run_rl oci run --bundle "$b" "$id"
        assert "$output" == "ran" "cgroupsPath '$p': it runs"
    done
    bundle_args "$b" /bin/rl-testinit sleep 100
    run_rl oci create --bundle "$b" "$id"
    run_rl oci state "$id"
    assert "$(jq -r '[keys[] | select(test("cgroup"; "i"))] | length' <<<"$output")" == 0 \
        "oci state is unchanged"
    run_rl oci delete --force "$id"
    found=$(find /sys/fs/cgroup -name "$cg*" -print -quit 2>/dev/null || true)
    assert "$found" == "" "no cgroup was made"
    _run_nothing_left
}
