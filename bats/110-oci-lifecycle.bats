#!/usr/bin/env bats
# rl oci create/start/state/kill/delete/exec/list: the container lifecycle, checked through
# rl's state and from the host (processes, state directory).

load helpers

# _lc_create ID BUNDLE [OPTION...]: `rl oci create` with the container's stdio on
# $BATS_TEST_TMPDIR/ID.out (a created container keeps rl's stdio: never bats' own).
_lc_create() {
    local id=$1 bundle=$2
    shift 2
    echo "\$ ${RL##*/} --root $RL_ROOT oci create --bundle $bundle $* $id" >&2
    timeout --foreground --kill=10 "$RL_TIMEOUT" "$RL" --root "$RL_ROOT" oci create \
        --bundle "$bundle" "$@" "$id" >"$BATS_TEST_TMPDIR/$id.out" 2>&1 3>&- </dev/null \
        || die "oci create $id failed: $(cat "$BATS_TEST_TMPDIR/$id.out")"
}

# _lc_status ID: the status field of `rl oci state ID`.
_lc_status() {
    run_rl oci state "$1"
    jq -r .status <<<"$output"
}

# _lc_pid ID: the pid field of `rl oci state ID`.
_lc_pid() {
    run_rl oci state "$1"
    jq -r .pid <<<"$output"
}

# _lc_wait_output ID REGEX [N]: wait until N (default 1) lines of the container's output
# (from _lc_create) match REGEX.
_lc_wait_output() {
    local f=$BATS_TEST_TMPDIR/$1.out i n
    for ((i = 0; i < 100; i++)); do
        n=$(grep -cE "$2" "$f" 2>/dev/null) || true
        [ "${n:-0}" -ge "${3:-1}" ] && return 0
        sleep 0.1
    done
    die "timed out waiting for '$2' in the output of $1: $(cat "$f")"
}

# _lc_pause_ready ID: wait until `rl-testinit pause`, the container's pid 1, has its signal
# handlers (before that, pid 1 drops signals): it prints "signal WINCH" and goes on.
_lc_pause_ready() {
    local id=$1 i
    for ((i = 0; i < 50; i++)); do
        "$RL" --root "$RL_ROOT" oci kill "$id" WINCH 3>&- || die "oci kill $id WINCH failed"
        grep -q "signal WINCH" "$BATS_TEST_TMPDIR/$id.out" && return 0
        sleep 0.2
    done
    die "rl-testinit pause in $id never printed 'signal WINCH'"
}

# _lc_nothing_left: no container listed, no state directory, no process of this test.
_lc_nothing_left() {
    run_rl oci list -q
    assert "$output" == "" "rl oci list -q is empty"
    run ls -A "$RL_ROOT"
    assert "$output" == "" "no state directory is left in $RL_ROOT"
    local pids
    pids=$(grep -lsxzF "RL_TEST_MARK=$RL_TEST_MARK" /proc/[0-9]*/environ 2>/dev/null \
        | xargs -r grep -LszE '^BATS_RUN_TMPDIR=' 2>/dev/null || true)
    assert "$pids" == "" "no process of the container runs"
}

@test "oci lifecycle: create, start, kill, delete" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit pause
    _lc_create "$id" "$b"

    run_rl oci state "$id"
    assert "$(jq -r .status <<<"$output")" == "created" "status after create"
    assert "$(jq -r .id <<<"$output")" == "$id" "id"
    assert "$(jq -r .bundle <<<"$output")" == "$b" "bundle"
    assert "$(jq -r .ociVersion <<<"$output")" =~ "^1\." "ociVersion"
    local pid
    pid=$(jq -r .pid <<<"$output")
    assert "$pid" -gt 0 "pid of a created container"
    [ -d "$RL_ROOT/$id" ] || die "no state directory $RL_ROOT/$id"
    # Created: the process is there, waiting; the payload has not run.
    kill -0 "$pid" || die "created container pid $pid does not exist on the host"
    assert "$(tr '\0' ' ' <"/proc/$pid/cmdline")" !~ "rl-testinit pause" "not exec'd before start"

    run_rl oci start "$id"
    assert "$(_lc_status "$id")" == "running" "status after start"
    assert "$(_lc_pid "$id")" == "$pid" "the same pid"
    local i
    for ((i = 0; i < 50; i++)); do
        [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" =~ "rl-testinit pause" ]] && break
        sleep 0.1
    done
    assert "$(tr '\0' ' ' <"/proc/$pid/cmdline")" =~ "rl-testinit pause" "exec'd by start"

    _lc_pause_ready "$id"
    run_rl oci kill "$id"
    _lc_wait_output "$id" "signal TERM"
    wait_for_state "$id" stopped
    run_rl oci state "$id"
    assert "$(jq -r .pid <<<"$output")" == "0" "a stopped container has pid 0"
    wait_pid_gone "$pid" || die "pid $pid still runs"
    run_rl oci list -q
    assert "$output" == "$id" "a stopped container is still listed"

    run_rl oci delete "$id"
    run_rl 125 oci state "$id"
    assert "$output" =~ "container '$id' does not exist" "state after delete"
    _lc_nothing_left
}

@test "oci lifecycle: start, delete and kill in the wrong state fail" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit sleep 100
    _lc_create "$id" "$b"
    run_rl oci start "$id"

    run_rl 125 oci start "$id"
    assert "$output" =~ "running" "start of a running container says why"
    assert "${#lines[@]}" -eq 1 "one line"

    run_rl 125 oci delete "$id"
    assert "$output" =~ "is running" "delete of a running container without --force"
    assert "$(_lc_status "$id")" == "running" "still running after the refused delete"

    local pid
    pid=$(_lc_pid "$id")
    run_rl oci delete --force "$id"
    wait_pid_gone "$pid" || die "pid $pid still runs after delete --force"
    run_rl 125 oci state "$id"
    assert "$output" =~ "does not exist" "deleted"

    # A stopped container: no signal, no start; delete works.
    bundle_args "$b" /bin/rl-testinit true
    _lc_create "$id" "$b"
    run_rl oci start "$id"
    wait_for_state "$id" stopped
    run_rl 125 oci kill "$id" KILL
    assert "$output" =~ "container '$id' is not running" "kill of a stopped container"
    run_rl 125 oci start "$id"
    assert "$output" =~ "stopped" "start of a stopped container"
    run_rl oci delete "$id"
    _lc_nothing_left
}

@test "oci delete: a created container is deleted, its process killed" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit write /tmp/should-not-run yes
    bundle_set "$b" '.root.readonly = false'
    _lc_create "$id" "$b"
    local pid
    pid=$(_lc_pid "$id")
    run_rl oci delete "$id"
    wait_pid_gone "$pid" || die "the created container's process $pid still runs"
    [ ! -e "$b/rootfs/tmp/should-not-run" ] || die "the process ran although never started"
    _lc_nothing_left
}

@test "oci kill: signal names and numbers" {
    local b=$BATS_TEST_TMPDIR/b id sig
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit pause
    for sig in KILL SIGKILL 9 kill; do
        id=c-$(safename)-$sig
        _lc_create "$id" "$b"
        run_rl oci start "$id"
        run_rl oci kill "$id" "$sig"
        wait_for_state "$id" stopped
        run_rl oci delete "$id"
    done

    # Caught signals, by name and number: pause prints them.
    id=c-$(safename)
    _lc_create "$id" "$b"
    run_rl oci start "$id"
    _lc_pause_ready "$id"
    local n
    n=$(grep -c "signal WINCH" "$BATS_TEST_TMPDIR/$id.out")
    run_rl oci kill "$id" SIGWINCH
    _lc_wait_output "$id" "signal WINCH" $((n + 1))
    run_rl oci kill "$id" 18
    _lc_wait_output "$id" "signal CONT"
    run_rl oci kill "$id" usr2
    _lc_wait_output "$id" "signal USR2"
    wait_for_state "$id" stopped

    id=c-$(safename)-x
    _lc_create "$id" "$b"
    for sig in NOSUCHSIG SIGFOO 0 -1 65 9x ''; do
        run_rl 125 oci kill "$id" "$sig"
        assert "$output" =~ "unknown signal '$sig'" "unknown signal '$sig'"
        assert "${#lines[@]}" -eq 1 "one line for '$sig'"
    done
    assert "$(_lc_status "$id")" == "created" "a refused kill changes nothing"
    run_rl oci delete --force "$id"
    run_rl oci delete "c-$(safename)"
}

@test "oci kill --all: every process of the container" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    # As pid 1, sh ignores SIGTERM (no handler); its children do not.
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit sleep 100 & echo child $!; /bin/rl-testinit sleep 100 & echo child $!; wait; echo done'
    _lc_create "$id" "$b"
    run_rl oci start "$id"
    _lc_wait_output "$id" "^child [0-9]+" 2

    run_rl oci kill "$id" TERM
    sleep 0.5
    assert "$(_lc_status "$id")" == "running" "pid 1 ignores TERM, the children do not get it"

    # The children, seen from the host: in the container's pid namespace.
    local pid nspid children=()
    pid=$(_lc_pid "$id")
    nspid=$(readlink "/proc/$pid/ns/pid")
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$nspid" ] && [ "${p#/proc/}" != "$pid" ] \
            && children+=("${p#/proc/}")
    done
    assert "${#children[@]}" -eq 2 "two more processes in the container"

    run_rl oci kill --all "$id" TERM
    wait_for_state "$id" stopped
    for p in "${children[@]}"; do
        wait_pid_gone "$p" || die "process $p of the container survived kill --all"
    done
    assert "$(cat "$BATS_TEST_TMPDIR/$id.out")" =~ "done" "sh saw its children die"
    run_rl oci delete "$id"
    _lc_nothing_left
}

@test "oci list: table, json and quiet" {
    local b=$BATS_TEST_TMPDIR/b id1=c-$(safename)-a id2=c-$(safename)-b
    run_rl oci list
    assert "${#lines[@]}" -eq 1 "only a header without containers"
    assert "${lines[0]}" =~ "^ID +PID +STATUS +BUNDLE +CREATED +OWNER" "header"
    run_rl oci list --format json
    assert "$(jq -r 'length' <<<"$output")" == "0" "an empty json array"

    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit sleep 100
    _lc_create "$id1" "$b"
    _lc_create "$id2" "$b"
    run_rl oci start "$id2"
    local pid2
    pid2=$(_lc_pid "$id2")

    run_rl oci list
    assert "${#lines[@]}" -eq 3 "a header and two lines"
    assert "${lines[1]}" =~ "^$id1 +[0-9]+ +created +$b " "the created container"
    assert "${lines[2]}" =~ "^$id2 +$pid2 +running +$b " "the running container"
    assert "${lines[2]}" =~ " $(id -un)\$" "owner"

    run_rl oci list -q
    assert "$output" == "$id1"$'\n'"$id2" "ids only"
    run_rl oci list --quiet
    assert "$output" == "$id1"$'\n'"$id2" "--quiet"

    run_rl oci list --format json
    assert "$(jq -r 'map(.id) | join(" ")' <<<"$output")" == "$id1 $id2" "ids in json"
    assert "$(jq -r 'map(.status) | join(" ")' <<<"$output")" == "created running" "statuses"
    assert "$(jq -r '.[1].pid' <<<"$output")" == "$pid2" "pid in json"
    assert "$(jq -r '.[0].bundle' <<<"$output")" == "$b" "bundle in json"
    run_rl oci list -f json
    assert "$(jq -r 'length' <<<"$output")" == "2" "-f json"

    run_rl 125 oci list --format yaml
    assert "$output" =~ "unknown format 'yaml'" "bad format"

    run_rl oci delete --force "$id1"
    run_rl oci delete --force "$id2"
    _lc_nothing_left
}

@test "oci exec: into a running container" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.process.env += ["FROM_CONFIG=1"]'
    bundle_args "$b" /bin/rl-testinit pause
    _lc_create "$id" "$b"
    run_rl oci start "$id"

    run_rl oci exec "$id" /bin/rl-testinit echo hello
    assert "$output" == "hello" "output of exec"
    run_rl 7 oci exec "$id" /bin/rl-testinit exit 7
    run_rl oci exec "$id" /bin/rl-testinit hostname
    assert "$output" == "$(jq -r .hostname "$b/config.json")" "the container's uts namespace"
    run_rl oci exec "$id" /bin/rl-testinit getppid
    assert "$output" == "0" "the container's pid namespace (the parent is outside)"
    run_rl oci exec "$id" /bin/sh -c 'ls /proc | grep -c "^[0-9]"'
    assert "$output" -le 4 "sees the container's processes only"
    run_rl oci exec "$id" rl-testinit echo via-path
    assert "$output" == "via-path" "the command is looked up in PATH"

    run_rl oci exec -e FOO=bar --env BAZ=a=b "$id" /bin/rl-testinit env
    assert "$output" =~ $'(^|\n)FOO=bar(\n|$)' "-e"
    assert "$output" =~ $'(^|\n)BAZ=a=b(\n|$)' "--env"
    assert "$output" =~ $'(^|\n)FROM_CONFIG=1(\n|$)' "the config's env is kept"
    run_rl oci exec -e FROM_CONFIG=2 "$id" /bin/rl-testinit getenv FROM_CONFIG
    assert "$output" == "2" "-e replaces a variable of the config"

    run_rl oci exec --cwd /home/user "$id" /bin/rl-testinit cwd
    assert "$output" == "/home/user" "--cwd"
    run_rl oci exec "$id" /bin/rl-testinit cwd
    assert "$output" == "/" "the config's cwd"

    run_rl oci exec --user 1000:1000 "$id" /bin/rl-testinit id
    assert "$output" =~ "^uid=1000 gid=1000" "--user UID:GID"
    run_rl oci exec -u 1000 "$id" /bin/rl-testinit id
    assert "$output" =~ "^uid=1000 gid=0" "--user UID"
    run_rl oci exec "$id" /bin/rl-testinit id
    assert "$output" =~ "^uid=0 gid=0" "the config's user"

    run_rl 127 oci exec "$id" /bin/no-such-command
    assert "$output" =~ "no-such-command" "names the missing command"
    run_rl 125 oci exec "$id"
    assert "$output" =~ "no command given" "exec without a command"

    run_rl oci delete --force "$id"
    _lc_nothing_left
}

@test "oci exec: --user, seen from the host" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) pidfile=$BATS_TEST_TMPDIR/exec.pid
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit pause
    _lc_create "$id" "$b"
    run_rl oci start "$id"

    run_rl oci exec --detach --pid-file "$pidfile" --user 1000:1000 "$id" /bin/rl-testinit sleep 100
    local pid host_uid host_gid
    pid=$(cat "$pidfile")
    assert "$pid" -gt 0 "exec --pid-file"
    if is_rootless; then
        local sub
        sub=$(awk -F: -v n="$(id -un)" -v u="$(id -u)" '($1 == n || $1 == u) { print $2; exit }' /etc/subuid)
        host_uid=$((sub + 999))
        sub=$(awk -F: -v n="$(id -un)" -v u="$(id -u)" '($1 == n || $1 == u) { print $2; exit }' /etc/subgid)
        host_gid=$((sub + 999))
    else
        host_uid=1000 host_gid=1000
    fi
    assert "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" == "$host_uid" "uid on the host"
    assert "$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")" == "$host_gid" "gid on the host"
    assert "$(readlink "/proc/$pid/ns/pid")" == "$(readlink "/proc/$(_lc_pid "$id")/ns/pid")" \
        "in the container's pid namespace"
    assert "$(readlink "/proc/$pid/ns/mnt")" == "$(readlink "/proc/$(_lc_pid "$id")/ns/mnt")" \
        "in the container's mount namespace"

    run_rl oci delete --force "$id"
    wait_pid_gone "$pid" || die "the exec'd process $pid survived delete --force"
    _lc_nothing_left
}

@test "oci exec --process FILE" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) proc=$BATS_TEST_TMPDIR/process.json
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit pause
    _lc_create "$id" "$b"
    run_rl oci start "$id"

    jq -n '{ args: ["/bin/sh", "-c", "/bin/rl-testinit id; /bin/rl-testinit cwd; echo $PROC_VAR; exit 9"],
             env: ["PROC_VAR=from-process-json", "PATH=/bin"],
             cwd: "/tmp", user: { uid: 1000, gid: 1000 } }' >"$proc"
    run_rl 9 oci exec --process "$proc" "$id"
    assert "${lines[0]}" =~ "^uid=1000 gid=1000" "process.user"
    assert "${lines[1]}" == "/tmp" "process.cwd"
    assert "${lines[2]}" == "from-process-json" "process.env"

    echo '{ "args": "not-an-array" }' >"$proc"
    run_rl 125 oci exec -p "$proc" "$id"
    assert "$output" =~ "process.args" "a bad process.json names the field"
    echo '{ "args": [' >"$proc"
    run_rl 125 oci exec -p "$proc" "$id"
    assert "$output" =~ "$proc" "not JSON: names the file"
    run_rl 125 oci exec -p "$BATS_TEST_TMPDIR/no-such-file" "$id"
    assert "$output" =~ "no-such-file" "a missing file is named"

    run_rl oci delete --force "$id"
    _lc_nothing_left
}

@test "oci exec --tty: a terminal under script" {
    type -P script >/dev/null || skip "no script(1) to give rl a terminal"
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) cmd
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit pause
    _lc_create "$id" "$b"
    run_rl oci start "$id"

    cmd=$(printf '%q ' timeout --foreground --kill=10 "$RL_TIMEOUT" "$RL" --root "$RL_ROOT" oci exec --tty "$id" \
        /bin/sh -c '/bin/rl-testinit isatty 0; /bin/rl-testinit isatty 1; exit 3')
    run script -qec "$cmd" /dev/null </dev/null
    echo "$output" >&2
    assert "$status" -eq 3 "exit status through the terminal"
    assert "$(tr -d '\r\0' <<<"$output" | sed 's/\^@//g' | xargs)" == "yes yes" "stdin and stdout are a tty"

    run_rl oci exec "$id" /bin/rl-testinit isatty 1
    assert "$output" == "no" "no tty without --tty"
    run_rl oci delete --force "$id"
    _lc_nothing_left
}

@test "oci exec: a container that is not running" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    _lc_create "$id" "$b"
    run_rl 125 oci exec "$id" /bin/rl-testinit true
    assert "$output" =~ "container '$id' is not running" "exec into a created container"
    run_rl oci start "$id"
    wait_for_state "$id" stopped
    run_rl 125 oci exec "$id" /bin/rl-testinit true
    assert "$output" =~ "container '$id' is not running" "exec into a stopped container"
    run_rl oci delete "$id"
    _lc_nothing_left
}

@test "oci create: an id that exists already" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit sleep 100
    _lc_create "$id" "$b"
    local pid
    pid=$(_lc_pid "$id")
    run_rl 125 oci create --bundle "$b" "$id"
    assert "$output" =~ "container '$id' already exists" "create with an existing id"
    assert "${#lines[@]}" -eq 1 "one line"
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "container '$id' already exists" "run with an existing id"
    # The first container is untouched.
    assert "$(_lc_status "$id")" == "created" "the existing container is still there"
    assert "$(_lc_pid "$id")" == "$pid" "with its pid"
    run_rl oci delete "$id"
    _lc_nothing_left
}

@test "oci: invalid container ids are refused" {
    local b=$BATS_TEST_TMPDIR/b id
    make_bundle "$b"
    for id in '' . .. .hidden -dash 'a/b' '../escape' 'sp ace' 'semi;colon' 'star*' \
        "$(printf 'x%.0s' {1..129})"; do
        run_rl 125 oci create --bundle "$b" -- "$id"
        assert "$output" =~ "invalid container id" "create '$id'"
        run_rl 125 oci run --bundle "$b" -- "$id"
        assert "$output" =~ "invalid container id" "run '$id'"
        run_rl 125 oci state -- "$id"
        assert "$output" =~ "invalid container id" "state '$id'"
    done
    run_rl 125 oci delete ../etc
    run_rl 125 oci kill ../etc KILL
    run_rl 125 oci start ../etc
    run_rl 125 oci exec ../etc /bin/true
    # Valid: letters, digits, '_', '.', '-', up to 128 characters.
    id="A-z_0.9$(printf 'x%.0s' {1..121})"
    run_rl oci run --bundle "$b" "$id"
    _lc_nothing_left
    [ ! -e "$BATS_TEST_TMPDIR/escape" ] || die "an id escaped the state root"
}

@test "oci create: process.terminal without --console-socket fails clearly" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.process.terminal = true'
    run_rl 125 oci create --bundle "$b" "$id" </dev/null
    assert "$output" =~ "process.terminal.*--console-socket" "names the field and the option"
    assert "${#lines[@]}" -eq 1 "one line"
    run_rl 125 oci run --detach --bundle "$b" "$id" </dev/null
    assert "$output" =~ "process.terminal.*--console-socket" "run --detach needs it too"
    _lc_nothing_left
}

@test "oci create --console-socket: the pty master is sent to the socket" {
    type -P python3 >/dev/null || skip "no python3 for the console socket receiver"
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    local sock=$BATS_TEST_TMPDIR/console.sock recv=$BATS_TEST_TMPDIR/received
    make_bundle "$b"
    bundle_set "$b" '.process.terminal = true'
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit isatty 0; echo hello-from-the-pty'
    # The receiver: accept one connection, take the fd from SCM_RIGHTS, copy what the
    # container writes to the pty to a file until the container closes it.
    cat >"$BATS_TEST_TMPDIR/recv.py" <<'EOF'
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
open(out + ".ready", "w").close()
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
with open(out, "wb") as f:
    f.write(b"got %d fd(s): %s\n" % (len(fds), msg))
    f.flush()
    while True:
        try:
            data = os.read(fds[0], 4096)
        except OSError:
            break
        if not data:
            break
        f.write(data)
        f.flush()
open(out + ".done", "w").close()
EOF
    timeout 60 python3 "$BATS_TEST_TMPDIR/recv.py" "$sock" "$recv" 3>&- &
    local recvpid=$!
    wait_for_file "$recv.ready"
    _lc_create "$id" "$b" --console-socket "$sock"
    assert "$(_lc_status "$id")" == "created" "created with a console socket"
    run_rl oci start "$id"
    wait_for_file "$recv.done" 20
    wait "$recvpid" || true
    cat "$recv" >&2
    assert "$(head -1 "$recv")" == "got 1 fd(s): /dev/ptmx" "one fd received"
    assert "$(tr -d '\r' <"$recv")" =~ $'\nyes\nhello-from-the-pty' "the container wrote to the pty"
    assert "$(cat "$BATS_TEST_TMPDIR/$id.out")" == "" "nothing went to create's stdio"
    wait_for_state "$id" stopped
    run_rl oci delete "$id"

    # A socket nobody listens on: create fails and leaves nothing behind.
    run_rl 125 oci create --bundle "$b" --console-socket "$BATS_TEST_TMPDIR/nobody.sock" "$id" </dev/null
    assert "$output" =~ "console socket '$BATS_TEST_TMPDIR/nobody.sock'" "names the socket"
    _lc_nothing_left
}

@test "oci --log FILE --log-format json: errors as JSON" {
    local log=$BATS_TEST_TMPDIR/log.json id=c-$(safename)
    run_rl 125 oci --log "$log" --log-format json state "$id"
    assert "$output" =~ "does not exist" "the error is still on stderr"
    [ -s "$log" ] || die "nothing written to $log"
    cat "$log" >&2
    assert "$(wc -l <"$log")" -eq 1 "one line"
    assert "$(jq -r .level "$log")" == "error" "level"
    assert "$(jq -r .msg "$log")" =~ "container '$id' does not exist" "msg"
    assert "$(jq -r .time "$log")" =~ "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$" "time is RFC 3339 UTC"
    assert "$(tail -c1 "$log" | od -An -c | tr -d " ")" == "\\n" "each record ends with a newline"

    # Appended, and the other order of the options.
    run_rl 125 oci --log-format json --log "$log" kill "$id"
    assert "$(wc -l <"$log")" -eq 2 "appended"
    assert "$(tail -1 "$log" | jq -r .msg)" =~ "container '$id' does not exist" "second msg"

    local text=$BATS_TEST_TMPDIR/log.txt
    run_rl 125 oci --log "$text" delete "$id"
    assert "$(cat "$text")" =~ "error: .*container '$id' does not exist" "text format"
    ! jq -e . "$text" >/dev/null 2>&1 || die "the text log is JSON"

    run_rl 125 oci --log-format xml state "$id"
    assert "$output" =~ "unknown format 'xml'" "bad --log-format"
}

@test "oci: nothing is left behind after delete" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_args "$b" /bin/sh -c '/bin/rl-testinit sleep 100 & /bin/rl-testinit sleep 100'
    _lc_create "$id" "$b"
    run_rl oci start "$id"
    run_rl oci exec --detach "$id" /bin/rl-testinit sleep 100
    local pid
    pid=$(_lc_pid "$id")
    local n
    n=$(grep -lsxzF "RL_TEST_MARK=$RL_TEST_MARK" /proc/[0-9]*/environ | wc -l)
    assert "$n" -ge 3 "the container's processes carry the test's mark"
    run_rl oci delete --force "$id"
    wait_pid_gone "$pid" || die "pid $pid survived"
    local i
    for ((i = 0; i < 50; i++)); do
        n=$(grep -lsxzF "RL_TEST_MARK=$RL_TEST_MARK" /proc/[0-9]*/environ \
            | xargs -r grep -LszE '^BATS_RUN_TMPDIR=' | wc -l)
        [ "$n" -eq 0 ] && break
        sleep 0.1
    done
    _lc_nothing_left
    run awk -v b="$b" 'index($5, b) == 1' /proc/self/mountinfo
    assert "$output" == "" "nothing of the bundle is mounted on the host"
}

@test "oci exec: many execs in a row all succeed" {
    # The exec'd process is a grandchild of rl: its pid (from the child) and its readiness
    # (from the grandchild) must both reach rl, in whichever order they arrive.
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename) i fails=0 out rc
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit pause
    _lc_create "$id" "$b"
    run_rl oci start "$id"
    for ((i = 0; i < 300; i++)); do
        out=$("$RL" --root "$RL_ROOT" oci exec "$id" /bin/rl-testinit exit 3 2>&1 3>&-) && rc=0 || rc=$?
        if [ "$rc" -ne 3 ] || [ -n "$out" ]; then
            fails=$((fails + 1))
            echo "exec $i: rc=$rc: $out" >&2
        fi
    done
    assert "$fails" -eq 0 "every exec exits 3 and prints nothing"
    run_rl oci delete --force "$id"
    _lc_nothing_left
}
