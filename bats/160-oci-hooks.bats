#!/usr/bin/env bats
# Runtime-spec hooks: each stage runs at its point of the lifecycle with the state on stdin.

load helpers

# _hook_script: a hook that appends "STAGE <its stdin>" to $HOOKLOG.
_hook_script() {
    HOOKLOG=$BATS_TEST_TMPDIR/hooks.log
    HOOK=$BATS_TEST_TMPDIR/hook.sh
    : >"$HOOKLOG"
    chmod 0666 "$HOOKLOG"
    cat >"$HOOK" <<HOOK_EOF
#!/bin/sh
printf '%s %s\n' "\$1" "\$(cat)" >>$HOOKLOG
exit \${HOOK_EXIT:-0}
HOOK_EOF
    chmod 0755 "$HOOK"
}

# _with_hooks DIR STAGE...: one hook per STAGE, given the stage name as $1.
_with_hooks() {
    local dir=$1 stage
    shift
    for stage in "$@"; do
        bundle_set "$dir" '.hooks[$s] = [{"path": $p, "args": ["hook.sh", $s]}]' \
            --arg s "$stage" --arg p "$HOOK"
    done
}

@test "oci run: hooks run in lifecycle order with the state on stdin" {
    _hook_script
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    _with_hooks "$b" prestart createRuntime poststart poststop
    run_rl oci run --bundle "$b" "$id"

    run cut -d' ' -f1 "$HOOKLOG"
    assert "$(echo $output)" == "prestart createRuntime poststart poststop" "stage order"
    local line
    line=$(grep '^createRuntime ' "$HOOKLOG" | cut -d' ' -f2-)
    assert "$(jq -r .id <<<"$line")" == "$id" "state id on stdin"
    assert "$(jq -r .status <<<"$line")" == "creating" "status during createRuntime"
    assert "$(jq -r .pid <<<"$line")" -gt 0 "pid during createRuntime"
    assert "$(jq -r .bundle <<<"$line")" == "$b" "bundle on stdin"
    line=$(grep '^poststop ' "$HOOKLOG" | cut -d' ' -f2-)
    assert "$(jq -r .status <<<"$line")" == "stopped" "status in poststop"
}

@test "oci create/start/delete: poststart on start, poststop on delete" {
    _hook_script
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit sleep 30
    _with_hooks "$b" createRuntime poststart poststop
    # A created container keeps the caller's stdio: give it none, or bats waits for it.
    timeout 30 "$RL" --root "$RL_ROOT" oci create --bundle "$b" "$id" </dev/null >/dev/null 2>&1 \
        || die "oci create failed"
    run cut -d' ' -f1 "$HOOKLOG"
    assert "$(echo $output)" == "createRuntime" "only createRuntime after create"
    run_rl oci start "$id"
    run cut -d' ' -f1 "$HOOKLOG"
    assert "$(echo $output)" == "createRuntime poststart" "poststart after start"
    run_rl oci delete --force "$id"
    run cut -d' ' -f1 "$HOOKLOG"
    assert "$(echo $output)" == "createRuntime poststart poststop" "poststop after delete"
}

@test "oci run: a failing createRuntime hook stops the container before it starts" {
    _hook_script
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit write /tmp/should-not-run x
    bundle_set "$b" '.hooks.createRuntime = [{"path": $p, "args": ["hook.sh", "cr"], "env": ["HOOK_EXIT=3"]}]' \
        --arg p "$HOOK"
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "hook createRuntime\[0\] '$HOOK' failed: exit status 3" "names the hook"
    run_rl oci list -q
    assert "$output" == "" "nothing left behind"
}

@test "oci run: a hook that exceeds its timeout is killed" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.hooks.prestart = [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]'
    local start=$SECONDS
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "timed out after 1 s" "timeout reported"
    assert "$((SECONDS - start))" -lt 10 "did not wait for the hook"
}

@test "oci run: createContainer and startContainer run in the container's mount namespace" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    # startContainer resolves its path in the container: rl-testinit writes a file there
    # that the process then reads.
    bundle_set "$b" '.root.readonly = false
        | .hooks.startContainer = [{"path": "/bin/rl-testinit", "args": ["rl-testinit", "write", "/tmp/started", "yes"]}]'
    bundle_args "$b" /bin/rl-testinit cat /tmp/started
    run_rl oci run --bundle "$b" "$id"
    assert "$output" =~ "yes" "startContainer ran inside before the process"
    [ ! -e /tmp/started ] || [ "$(cat /tmp/started)" != yes ] || die "hook ran on the host"
}

@test "oci run: poststart failure is a warning, the container goes on" {
    _hook_script
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_args "$b" /bin/rl-testinit exit 4
    bundle_set "$b" '.hooks.poststart = [{"path": $p, "args": ["hook.sh", "ps"], "env": ["HOOK_EXIT=1"]}]' \
        --arg p "$HOOK"
    run_rl 4 oci run --bundle "$b" "$id"
    assert "$output" =~ "warning: hook poststart\[0\]" "warned"
}

@test "oci: bad hooks are refused naming the field" {
    local b=$BATS_TEST_TMPDIR/b id=c-$(safename)
    make_bundle "$b"
    bundle_set "$b" '.hooks.prestart = [{"path": "relative/hook"}]'
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "hooks.prestart\[0\].path: must be an absolute path" "relative path"

    bundle_set "$b" '.hooks = {"beforeEverything": []}'
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "hooks.beforeEverything: unknown hook stage" "unknown stage"

    bundle_set "$b" '.hooks = {"poststop": [{"path": "/bin/true", "timeout": 0}]}'
    run_rl 125 oci run --bundle "$b" "$id"
    assert "$output" =~ "hooks.poststop\[0\].timeout: must be a positive integer" "bad timeout"
    run_rl oci list -q
    assert "$output" == "" "nothing left behind"
}
