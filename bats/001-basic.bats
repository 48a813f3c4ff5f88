#!/usr/bin/env bats
# The command line itself: help, version, errors, the rl-oci name, the setuid refusal.

load helpers

# _commands TEXT: the command names listed under "Commands:" in a --help text.
_commands() {
    awk '/^Commands:/ { on = 1; next } on && /^[[:space:]]*$/ { exit } on { print $1 }' <<<"$1"
}

@test "rl --help" {
    run_rl --help
    assert "${lines[0]}" =~ "^Usage: rl " "first line is the usage"
    assert "$output" =~ "Commands:" "lists the commands"
    assert "$output" =~ "--root" "lists the global options"

    run_rl help
    assert "${lines[0]}" =~ "^Usage: rl " "rl help is rl --help"
}

@test "rl with no command is a usage error" {
    RL_ROOT='' run_rl 125
    assert "$output" =~ "Usage: rl " "prints the usage"
}

@test "rl version" {
    run_rl version
    assert "$output" =~ "rl version [0-9]+\.[0-9]+" "version line"

    run_rl --version
    assert "$output" =~ "rl version [0-9]+\.[0-9]+" "--version"

    run_rl version --format json
    echo "$output" | jq -e . >/dev/null || die "rl version --format json: not JSON: $output"
    assert "$(jq -r .version <<<"$output")" =~ "^[0-9]+\.[0-9]+" ".version in the JSON"

    run_rl 125 version --format bogus
}

@test "every command has --help" {
    run_rl --help
    local cmds
    cmds=$(_commands "$output")
    assert "$cmds" =~ "oci" "rl --help lists oci"

    local cmd
    for cmd in $cmds; do
        run_rl "$cmd" --help
        assert "$output" =~ "Usage: rl $cmd" "rl $cmd --help prints its usage"
        run_rl help "$cmd"
        assert "$output" =~ "Usage: rl $cmd" "rl help $cmd prints its usage"
    done
}

@test "rl oci --help and every oci command's --help" {
    run_rl oci --help
    assert "${lines[0]}" =~ "^Usage: rl oci" "rl oci usage"
    local subs
    subs=$(_commands "$output")
    local sub
    for sub in create start run state kill delete exec list spec; do
        grep -qx "$sub" <<<"$subs" || die "rl oci --help does not list '$sub'"
    done
    for sub in $subs; do
        run_rl oci "$sub" --help
        assert "$output" =~ "Usage: rl oci $sub" "rl oci $sub --help prints its usage"
    done
}

@test "unknown command: exit 125 and one line" {
    run_rl 125 no-such-command
    assert "${#lines[@]}" -eq 1 "one line of output"
    assert "$output" =~ "^rl: unknown command" "names the problem"

    run_rl 125 oci no-such-command
    assert "$output" =~ "unknown command" "oci: names the problem"
}

@test "unknown global option: exit 125" {
    run_rl 125 --no-such-option version
    run_rl 125 --log-level bogus version
    assert "$output" =~ "bogus" "names the bad level"
    run_rl 125 --log-format bogus version
}

@test "--log-level and --debug are accepted" {
    local level
    for level in error warning info debug; do
        run_rl --log-level "$level" version
    done
    run_rl --debug version
}

@test "rl-oci is rl oci" {
    ln -s "$RL" "$BATS_TEST_TMPDIR/rl-oci"
    run_rl oci --help
    local want=$output

    RL=$BATS_TEST_TMPDIR/rl-oci RL_ROOT='' run_rl --help
    assert "$output" == "$want" "rl-oci --help is rl oci --help"

    RL=$BATS_TEST_TMPDIR/rl-oci RL_ROOT='' run_rl spec --help
    assert "$output" =~ "Usage: rl oci spec" "rl-oci spec --help"

    RL=$BATS_TEST_TMPDIR/rl-oci RL_ROOT='' run_rl 125 no-such-command
}

# _setid_rl MODE: a copy of rl owned by root with MODE (u+s or g+s) in a directory that
# an unprivileged user can reach; prints its path.
_setid_rl() {
    local dir
    dir=$(mktemp -d /var/tmp/rl-setid.XXXXXX)
    chmod 755 "$dir"
    cp "$RL" "$dir/rl"
    chown root:root "$dir/rl"
    chmod 755 "$dir/rl"
    chmod "$1" "$dir/rl"
    echo "$dir/rl"
}

@test "rl refuses to run setuid or setgid" {
    skip_if_rootless "only root can make a setuid copy of rl"
    local user=${RL_TEST_USER:-nobody} bin mode
    id "$user" >/dev/null 2>&1 || skip "no user $user"
    for mode in u+s g+s; do
        bin=$(_setid_rl "$mode")
        if findmnt -no OPTIONS -T "$bin" | grep -qw nosuid; then
            rm -rf "${bin%/rl}"
            skip "$(dirname "$bin") is on a nosuid mount"
        fi
        run timeout 20 setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" \
            --clear-groups "$bin" version
        rm -rf "${bin%/rl}"
        echo "$output"
        assert "$status" -eq 125 "$mode: exit status"
        assert "$output" =~ "refusing to run setuid" "$mode: says why"
    done
}
