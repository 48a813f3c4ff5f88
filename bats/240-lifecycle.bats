#!/usr/bin/env bats
# shellcheck disable=SC2154,SC2016,SC2030,SC2031 # bats variables; single-quoted scripts
#
# The container lifecycle after create/run: start, stop, kill, rm, ps, wait, logs, inspect,
# exec, restart, rename, prune; monitors that die; many containers at once.

load helpers

setup_file() {
    image_fixtures_check
}

setup() {
    image_fixtures_setup
    ctr_registries_conf
    run_rl pull -q "$IMG_BUSYBOX"
}

teardown() {
    ctr_cleanup
    image_store_cleanup
}

# status_of NAME: the container's State.Status
status_of() {
    "$RL" --root "$RL_ROOT" inspect --format '{{.State.Status}}' "$1" 3>&-
}

@test "create, start -a, ps -a, wait and rm" {
    run_rl create --name c1 "$IMG_BUSYBOX" sh -c 'echo created-output; exit 4'
    assert "$output" =~ ^[0-9a-f]{64}$
    assert "$(status_of c1)" == "created"
    run_rl ps -a --format '{{.Names}} {{.Status}}'
    assert "$output" == "c1 Created"
    run_rl ps -q
    assert "$output" == "" "ps without -a shows only running containers"
    run_rl 4 start -a c1
    assert "$output" == "created-output"
    assert "$(status_of c1)" == "exited"
    run_rl wait c1
    assert "$output" == "4" "wait prints the exit code"
    run_rl ps -a --format '{{.Status}}'
    assert "$output" =~ "^Exited \(4\) "
    run_rl logs c1
    assert "$output" == "created-output" "logs of a foreground run"
    run_rl rm c1
    assert "$output" == "c1"
    run_rl 125 inspect --type container c1
    assert "$output" =~ "no container with name or ID \"c1\" found"
}

@test "start of a detached container, stop, restart and the stop signal" {
    run_rl run -d --name s1 "$IMG_BUSYBOX" sh -c 'trap "echo got-term; exit 0" TERM; echo up; while :; do sleep 0.1; done'
    assert "$(status_of s1)" == "running"
    run_rl 2 rm s1
    assert "$output" =~ "cannot remove container" "rm of a running container without -f"
    run_rl stop s1
    assert "$output" == "s1"
    assert "$(status_of s1)" == "exited"
    run_rl inspect --format '{{.State.ExitCode}}' s1
    assert "$output" == "0" "the trap ran"
    run_rl logs s1
    assert "$output" =~ "got-term"
    run_rl start s1
    assert "$output" == "s1"
    assert "$(status_of s1)" == "running"
    run_rl restart -t 2 s1
    assert "$(status_of s1)" == "running"
    run_rl stop s1
    run_rl stop s1
    assert "$output" == "s1" "stopping a stopped container is fine"
}

@test "stop of a process that ignores SIGTERM ends with SIGKILL after the timeout" {
    run_rl run -d --name stubborn "$IMG_BUSYBOX" sh -c 'trap "" TERM; while :; do sleep 0.1; done'
    local t0=$SECONDS
    run_rl stop -t 1 stubborn
    assert "$(( SECONDS - t0 ))" -le 8 "did not wait for ever"
    run_rl inspect --format '{{.State.ExitCode}}' stubborn
    assert "$output" == "137" "SIGKILL"
    # --stop-timeout and --stop-signal are the container's defaults.
    run_rl run -d --name usr1 --stop-signal USR1 --stop-timeout 5 "$IMG_BUSYBOX" sh -c 'trap "exit 9" USR1; while :; do sleep 0.1; done'
    run_rl inspect --format '{{.Config.StopSignal}} {{.Config.StopTimeout}}' usr1
    assert "$output" == "SIGUSR1 5"
    run_rl stop usr1
    run_rl inspect --format '{{.State.ExitCode}}' usr1
    assert "$output" == "9" "the stop signal reached the trap"
}

@test "kill sends signals; kill of a stopped container is refused" {
    run_rl run -d --name k1 "$IMG_BUSYBOX" sh -c 'trap "exit 10" USR2; while :; do sleep 0.1; done'
    run_rl kill -s USR2 k1
    assert "$output" == "k1"
    run_rl wait k1
    assert "$output" == "10"
    run_rl 125 kill k1
    assert "$output" =~ "can only kill running containers"
    run_rl 125 kill -s NOSUCH k1
    run_rl run -d --name k2 "$IMG_BUSYBOX" sleep 100
    run_rl kill k2
    run_rl wait k2
    assert "$output" == "137"
}

@test "exec joins a running container; its status passes through" {
    run_rl run -d --name e1 -e CTRVAR=inherited "$IMG_BUSYBOX" sh -c 'echo marker >/tmp/m; sleep 100'
    for _ in $(seq 50); do
        "$RL" --root "$RL_ROOT" exec e1 test -e /tmp/m 3>&- 2>/dev/null && break
        sleep 0.1
    done
    run_rl exec e1 cat /tmp/m
    assert "$output" == "marker" "the same filesystem"
    run_rl exec e1 sh -c 'echo $CTRVAR; hostname; ls /proc | grep -c "^[0-9]"'
    assert "${lines[0]}" == "inherited" "the container's environment"
    run_rl exec e1 sh -c 'ps -o pid,comm | grep -w sleep'
    assert "$output" =~ "sleep" "the same pid namespace"
    run_rl 5 exec e1 sh -c 'exit 5'
    run_rl 127 exec e1 /no/such
    run_rl exec -e NEW=1 -w /tmp -u 65534 e1 sh -c 'echo $NEW; pwd; id -u'
    assert "${lines[0]}" == "1"
    assert "${lines[1]}" == "/tmp"
    assert "${lines[2]}" == "65534"
    run bash -c "echo via-stdin | timeout 20 '$RL' --root '$RL_ROOT' exec -i e1 cat 3>&-"
    assert "$output" == "via-stdin" "exec -i"
    run_rl exec -d e1 sh -c 'echo detached >/tmp/d'
    for _ in $(seq 50); do
        "$RL" --root "$RL_ROOT" exec e1 test -e /tmp/d 3>&- 2>/dev/null && break
        sleep 0.1
    done
    run_rl exec e1 cat /tmp/d
    assert "$output" == "detached"
    run_rl exec -t e1 tty
    assert "$output" =~ "/dev/pts/"
    run_rl stop -t 0 e1
    run_rl 125 exec e1 true
    assert "$output" =~ "running containers"
}

@test "logs: --tail, --since, -t, -f, and stderr kept apart" {
    run_rl run -d --name l1 "$IMG_BUSYBOX" sh -c 'for i in 1 2 3 4 5; do echo line$i; done; echo err >&2; sleep 1; echo late'
    run_rl wait l1
    run_rl logs l1
    assert "${lines[0]}" == "line1"
    assert "${lines[-1]}" == "late"
    run_rl logs --tail 2 l1
    assert "$output" =~ "err"
    assert "${lines[-1]}" == "late"
    assert "${#lines[@]}" -eq 2 "--tail 2"
    run_rl logs -t --tail 1 l1
    assert "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[-+Z0-9:]*\ late$ "-t"
    run bash -c "'$RL' --root '$RL_ROOT' logs l1 2>/dev/null 3>&-"
    assert "$output" !~ "err" "stderr goes to stderr"
    run_rl logs --since 2099-01-01T00:00:00Z l1
    assert "$output" == "" "--since in the future"
    run_rl 125 logs --since yesterday-ish l1
    run_rl run -d --name l2 "$IMG_BUSYBOX" sh -c 'echo a; sleep 1; echo b'
    run_rl logs -f l2
    assert "$output" == $'a\nb' "-f follows until the exit"
}

@test "inspect: podman's shape and Go templates" {
    run_rl run -d --name i1 -l team=core "$IMG_BUSYBOX" sleep 100
    run_rl inspect i1
    echo "$output" | jq -e '.[0] | .Id and .Name == "i1" and .State.Running == true
        and .State.Status == "running" and .State.Pid > 0 and (.State.StartedAt | length > 0)
        and .Config.Labels.team == "core" and .HostConfig.AutoRemove == false
        and (.Mounts | type == "array") and .State.OOMKilled == false' >/dev/null \
        || die "inspect JSON lacks podman's fields"
    run_rl inspect --format '{{.Name}} {{.State.Running}} {{.Config.Labels.team}}' i1
    assert "$output" == "i1 true core"
    run_rl container inspect --format '{{.State.Status}}' i1
    assert "$output" == "running"
    run_rl inspect --format '{{.Id}}' "$IMG_BUSYBOX"
    assert "$output" =~ ^[0-9a-f]{64}$ "an image by name, after containers"
    run_rl 125 inspect nosuchthing
    assert "$output" =~ "no such object"
    run_rl kill i1
    run_rl wait i1
    run_rl inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' i1
    assert "$output" == "exited 137 false"
}

@test "ps: formats, filters, --no-trunc, -n and -q" {
    run_rl run -d --name p1 -l app=one "$IMG_BUSYBOX" sleep 100
    run_rl 3 run --name p2 "$IMG_BUSYBOX" sh -c 'exit 3'
    run_rl ps
    assert "${lines[0]}" =~ ^"CONTAINER ID  IMAGE  +COMMAND  +CREATED  +STATUS  +PORTS  +NAMES" "the header"
    assert "${#lines[@]}" -eq 2 "one running container"
    run_rl ps -a --format json
    echo "$output" | jq -e 'length == 2 and (.[0].Names | type == "array") and (.[0].Id | length == 64)' >/dev/null \
        || die "ps --format json"
    run_rl ps -a --filter status=exited --format '{{.Names}}'
    assert "$output" == "p2"
    run_rl ps -a --filter label=app=one --format '{{.Names}}'
    assert "$output" == "p1"
    run_rl ps -a --filter name=p --format '{{.Names}}'
    assert "${#lines[@]}" -eq 2
    run_rl ps -a --filter name=p1 --filter name=p2 --format '{{.Names}}'
    assert "${#lines[@]}" -eq 2 "two filters of one key: either matches"
    run_rl ps -a --filter name=p1 --filter status=exited -q
    assert "$output" == "" "filters of different keys: all must match"
    run_rl ps -a --filter exited=3 -q
    assert "${#output}" -eq 12
    run_rl ps -a -q --no-trunc -n 1
    assert "${#output}" -eq 64 "-n 1 --no-trunc"
    run_rl ps -a --format 'table {{.Names}}\t{{.Status}}'
    assert "${lines[0]}" =~ ^NAMES "a table template has a header"
    run_rl 125 ps --filter bogus=1
    run_rl 125 ps --filter status=sleeping
    run_rl 125 ps --format '{{.NoSuchField}}'
}

@test "rename, container exists, container prune, rm -a" {
    run_rl create --name before "$IMG_BUSYBOX" true
    run_rl rename before after
    run_rl container exists after
    run_rl 1 container exists before
    run_rl create --name other "$IMG_BUSYBOX" true
    run_rl 125 rename after other
    assert "$output" =~ "already in use"
    run_rl container prune -f
    assert "${#lines[@]}" -eq 2 "both created containers pruned"
    run_rl ps -aq
    assert "$output" == ""
    run_rl run -d --name r1 "$IMG_BUSYBOX" sleep 100
    run_rl container prune -f
    run_rl ps -aq
    assert "${#lines[@]}" -eq 1 "prune keeps running containers"
    run_rl rm -a -f
    run_rl ps -aq
    assert "$output" == ""
    run_rl 1 rm nosuch
    assert "$output" =~ 'no container with name or ID "nosuch" found: no such container$'
    run_rl rm -i nosuch
    run_rl 125 container
    assert "$output" =~ "container: missing command"
    run_rl 125 container bogus
    assert "$output" =~ "container: unknown command 'bogus'"
    run_rl container ls -a -q
}

@test "--all: stop and kill act on running containers, restart --all --running only on them" {
    run_rl run -d --name a1 "$IMG_BUSYBOX" sleep 100
    run_rl run -d --name a2 "$IMG_BUSYBOX" sleep 100
    run_rl create --name a3 "$IMG_BUSYBOX" true
    run_rl stop -a -t 0
    assert "${#lines[@]}" -eq 2 "two running containers stopped"
    run_rl ps -q
    assert "$output" == ""
    run_rl start a1
    run_rl restart --all --running -t 0
    assert "$output" == "$("$RL" --root "$RL_ROOT" inspect --format '{{.Id}}' a1 3>&-)" "only the running one"
    assert "$(status_of a3)" == "created" "a created container stays created"
    run_rl kill -a
    assert "${#lines[@]}" -eq 1
    run_rl 125 restart --running a1
    assert "$output" =~ "--running goes with --all"
    run_rl 125 stop -t soon a1
    assert "$output" =~ "stop: --time: 'soon' is not a number of seconds"
}

@test "rmi of an image that containers use: refused, or -f removes them; prune keeps it" {
    run_rl create --name uses "$IMG_BUSYBOX" true
    run_rl 2 rmi "$IMG_BUSYBOX"
    assert "$output" =~ "image used by [0-9a-f]{64}: image is in use by a container"
    run_rl image prune -a -f
    run_rl image exists "$IMG_BUSYBOX"
    run_rl start -a uses
    run_rl rmi -f "$IMG_BUSYBOX"
    run_rl ps -aq
    assert "$output" == "" "rmi -f removed the container"
    run_rl 1 image exists "$IMG_BUSYBOX"
}

@test "--rm removes the container after a failure too" {
    run_rl 2 run --rm --name gone "$IMG_BUSYBOX" sh -c 'exit 2'
    run_rl ps -aq
    assert "$output" == ""
    run_rl run -d --rm --name gone2 "$IMG_BUSYBOX" sh -c 'exit 3'
    for _ in $(seq 50); do
        [ -z "$("$RL" --root "$RL_ROOT" ps -aq 3>&-)" ] && break
        sleep 0.1
    done
    run_rl ps -aq
    assert "$output" == "" "a detached --rm container removes itself"
}

@test "rm -f, restart and kill reach a container whose process is not container root" {
    run_rl run -d --name nobody -u 65534 "$IMG_BUSYBOX" sleep 1000
    run_rl inspect --format '{{.State.Pid}}' nobody
    local pid=$output
    run_rl restart -t 1 nobody
    wait_pid_gone "$pid" || die "restart left the old process running"
    run_rl inspect --format '{{.State.Pid}}' nobody
    pid=$output
    run_rl rm -f nobody
    wait_pid_gone "$pid" || die "rm -f left the process running"
    [ -z "$(pgrep -f -- "--root $RL_ROOT")" ] || die "a monitor is left"
}

@test "a killed monitor leaves an exited container, not a running ghost" {
    run_rl run -d --name ghost "$IMG_BUSYBOX" sleep 1000
    run_rl inspect --format '{{.State.ConmonPid}} {{.State.Pid}}' ghost
    read -r mon pid <<<"$output"
    [ "$mon" -gt 0 ] || die "no monitor pid"
    kill -9 "$mon"
    wait_pid_gone "$pid" || die "the container outlived its monitor"
    run_rl ps -a --format '{{.Names}} {{.State}}'
    assert "$output" == "ghost exited"
    run_rl inspect --format '{{.State.ExitCode}}' ghost
    assert "$output" == "137"
    run_rl start ghost
    assert "$(status_of ghost)" == "running" "it can start again"
}

@test "many containers at once: 20 concurrent run -d all succeed, names stay unique" {
    local i pids=()
    for i in $(seq 20); do
        "$RL" --root "$RL_ROOT" run -d --name "many$i" "$IMG_BUSYBOX" sleep 100 \
            >"$BATS_TEST_TMPDIR/out$i" 2>&1 3>&- &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || die "run -d #$((i + 1)) failed: $(cat "$BATS_TEST_TMPDIR/out$((i + 1))")"
    done
    run_rl ps -q
    assert "${#lines[@]}" -eq 20 "all are running"
    for i in $(seq 5); do
        "$RL" --root "$RL_ROOT" run -d --name same "$IMG_BUSYBOX" true >/dev/null 2>&1 3>&- &
    done
    wait || true
    run_rl ps -a --filter name=same -q
    assert "${#lines[@]}" -eq 1 "one name, one container"
}
