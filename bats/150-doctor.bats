#!/usr/bin/env bats
# rl doctor and rl info: the host checks, their text and JSON output, and exit codes.

load helpers

# Every check rl doctor runs, in the order it prints them.
CHECKS=(subuid subgid newuidmap newgidmap userns overlay dev-fuse fuse-overlayfs dev-tun
    runtime-dir cgroup2 cgroup-delegation unprivileged-ports ping)

# The line of $output for check $1, or die.
check_line() {
    local line
    for line in "${lines[@]}"; do
        if [[ "$line" =~ ^(ok|warning|error)\ +$1\  ]]; then
            echo "$line"
            return 0
        fi
    done
    die "no line for check '$1' in: $output"
}

rl_version() {
    run_rl version --format json
    jq -r .version <<<"$output"
}

@test "doctor: exits 0 here and prints every check and a summary" {
    run_rl doctor
    for name in "${CHECKS[@]}"; do
        check_line "$name" >/dev/null
    done
    assert "${lines[-1]}" =~ "^rl can run rootless containers here: [0-9]+ ok, [0-9]+ warnings?, 0 errors$" \
        "summary line"
    local line
    for line in "${lines[@]}"; do
        if [[ "$line" =~ ^error ]]; then
            die "a check failed: $line"
        fi
    done
}

@test "doctor: a warning with a fix prints it on the next line" {
    run_rl doctor --format json
    local json=$output n
    run_rl doctor
    n=$(jq '[.[] | select(.status == "warning" and .fix != null)] | length' <<<"$json")
    if [ "$n" -eq 0 ]; then
        skip "no warning with a fix on this host"
    fi
    local i
    for ((i = 0; i < ${#lines[@]} - 1; i++)); do
        if [[ "${lines[i]}" =~ ^warning ]] && [[ "${lines[i + 1]}" =~ ^\ +fix:\  ]]; then
            return 0
        fi
    done
    die "no 'fix:' line after a warning"
}

@test "doctor --format json: an array of {name, status, message, fix}" {
    run_rl doctor --format json
    jq -e 'type == "array"' <<<"$output" >/dev/null || die "not a JSON array: $output"
    local names
    names=$(jq -r '.[].name' <<<"$output" | tr '\n' ' ')
    assert "$names" == "${CHECKS[*]} " "check names in order"
    assert "$(jq -r '[.[] | keys | join(",")] | unique | join(" ")' <<<"$output")" \
        == "fix,message,name,status" "every check has exactly these keys"
    assert "$(jq -r '[.[].status] | unique | map(select(. != "ok" and . != "warning")) | length' \
        <<<"$output")" == "0" "statuses are ok or warning on this host"
    assert "$(jq -r '[.[] | .fix | type] | unique | map(select(. != "string" and . != "null"))
        | length' <<<"$output")" == "0" "fix is a string or null"
    assert "$(jq -r '[.[] | .message | length > 0] | all' <<<"$output")" == "true" \
        "every check has a message"
}

@test "doctor: text and JSON agree, and the option spellings are equivalent" {
    run_rl doctor -f json
    local json=$output
    run_rl doctor --format=json
    assert "$(jq -c '[.[] | [.name, .status]]' <<<"$output")" == \
        "$(jq -c '[.[] | [.name, .status]]' <<<"$json")" "--format=json and -f json"
    run_rl doctor --format text
    local name status
    for name in "${CHECKS[@]}"; do
        status=$(jq -r --arg n "$name" '.[] | select(.name == $n) | .status' <<<"$json")
        assert "$(check_line "$name")" =~ "^$status +$name " "text status of $name"
    done
}

@test "doctor: rootless, the subid checks name the user" {
    skip_if_root "checks the subordinate ids of an unprivileged user"
    run_rl doctor
    assert "$(check_line subuid)" =~ "$(id -un)|$(id -u)" "subuid names the user"
    assert "$(check_line subgid)" =~ "$(id -un)|$(id -u)" "subgid names the user"
}

@test "doctor: rootless without XDG_RUNTIME_DIR falls back to /tmp/rl-UID" {
    skip_if_root "root keeps state in /run/rl"
    XDG_RUNTIME_DIR= run_rl doctor
    assert "$(check_line runtime-dir)" =~ "^warning +runtime-dir +XDG_RUNTIME_DIR is not set: rl falls back to the private directory /tmp/rl-$(id -u)$" \
        "fallback named"
    XDG_RUNTIME_DIR=/nonexistent/rl-test run_rl doctor
    assert "$(check_line runtime-dir)" =~ "XDG_RUNTIME_DIR=/nonexistent/rl-test: No such file" \
        "a missing XDG_RUNTIME_DIR is reported"
}

@test "doctor: as root, subids and id-map helpers are not needed" {
    skip_if_rootless "root-only verdicts"
    XDG_RUNTIME_DIR= run_rl doctor
    assert "$(check_line subuid)" =~ "^ok " "subuid is ok as root"
    assert "$(check_line newuidmap)" =~ "^ok " "newuidmap is ok as root"
    assert "$(check_line runtime-dir)" =~ "^ok +runtime-dir +/run/rl" "root state in /run/rl"
    assert "$(check_line unprivileged-ports)" =~ "^ok " "root may publish any port"
}

@test "doctor: exits 1 with an error line when user namespaces do not work" {
    # In a user namespace without any mapping, rl's ids are unmapped, and the kernel refuses
    # to nest another user namespace.
    unshare -U true 2>/dev/null || skip "unshare -U is not allowed here"
    run timeout 60 unshare -U "$RL" doctor
    assert "$status" == 1 "exit status"
    assert "$(check_line userns)" =~ "^error +userns +unshare\(CLONE_NEWUSER\)" "userns error"
    assert "${lines[-1]}" =~ "^rl cannot run containers here: .* [1-9][0-9]* errors?$" "summary"

    run timeout 60 sh -c 'unshare -U "$1" doctor 2>&1 >/dev/null' sh "$RL"
    assert "$output" == "" "nothing on stderr"

    run timeout 60 unshare -U "$RL" doctor --format json
    assert "$status" == 1 "exit status with --format json"
    assert "$(jq -r '.[] | select(.name == "userns") | .status' <<<"$output")" == "error" \
        "userns status in JSON"
}

@test "doctor: user.max_user_namespaces=0 is named with its sysctl fix" {
    unshare -Ur true 2>/dev/null || skip "unshare -Ur is not allowed here"
    # The limit is per user namespace: setting it in a private one changes nothing outside.
    run timeout 60 unshare -Ur sh -c \
        'echo 0 >/proc/sys/user/max_user_namespaces && exec "$1" doctor --format json' sh "$RL"
    if [ "$status" -ne 1 ]; then
        skip "could not lower user.max_user_namespaces in a user namespace"
    fi
    assert "$(jq -r '.[] | select(.name == "userns") | .message' <<<"$output")" =~ \
        "user.max_user_namespaces=0" "message names the sysctl"
    assert "$(jq -r '.[] | select(.name == "userns") | .fix' <<<"$output")" == \
        "sudo sysctl -w user.max_user_namespaces=28633" "fix"
}

@test "info: text shows the version, the kernel, the user and the checks" {
    local version
    version=$(rl_version)
    run_rl info
    assert "$output" =~ "version: +$version" "version"
    assert "$output" =~ "kernel: +Linux $(uname -r) " "kernel release"
    assert "$output" =~ "user: +$(id -un) \(uid $(id -u), gid $(id -g)\)" "user"
    assert "$output" =~ "uid map: +0 $(id -u) " "uid map starts with the user as root"
    assert "$output" =~ "overlay: +(kernel overlay|fuse-overlayfs|none)" "overlay backend"
    assert "$output" =~ "cgroup: +(unified|hybrid|legacy|none)" "cgroup mode"
    assert "$output" =~ "runtime dir: +/" "runtime dir"
    for name in "${CHECKS[@]}"; do
        assert "$output" =~ "  (ok|warning|error) +$name " "check $name"
    done
}

@test "info --format json: host, rl and checks" {
    local version
    version=$(rl_version)
    run_rl info --format json
    assert "$(jq -r 'keys | join(" ")' <<<"$output")" == "checks host rl store" "top-level keys"
    assert "$(jq -r .rl.version <<<"$output")" == "$version" "rl.version"
    assert "$(jq -r .rl.features <<<"$output")" =~ "JANSSON" "rl.features"
    assert "$(jq -r .host.kernel.release <<<"$output")" == "$(uname -r)" "host.kernel.release"
    assert "$(jq -r .host.user.uid <<<"$output")" == "$(id -u)" "host.user.uid"
    assert "$(jq -r .host.user.name <<<"$output")" == "$(id -un)" "host.user.name"
    assert "$(jq -r '.host.idmap.uid_map[0].host_id' <<<"$output")" == "$(id -u)" \
        "container root is the user"
    assert "$(jq -r .host.overlay <<<"$output")" =~ "^(overlay|fuse-overlayfs|none)$" \
        "host.overlay"
    assert "$(jq -r .host.cgroup.mode <<<"$output")" =~ "^(unified|hybrid|legacy|none)$" \
        "host.cgroup.mode"
    assert "$(jq -r '.host.runtime_dir.path' <<<"$output")" =~ "^/" "host.runtime_dir.path"
    assert "$(jq -r '[.checks[].name] | join(" ")' <<<"$output")" == "${CHECKS[*]}" "checks"
}

@test "info: the image store, and no store is created when there is none" {
    run_rl info
    assert "$output" =~ "store:"$'\n'"  path: +$RL_ROOT"$'\n' "the --root store"
    assert "$output" =~ "driver: +overlay \(userxattr\)" "driver"
    assert "$output" =~ "images: +0"$'\n'"  layers: +0, 0 B" "an empty store"
    assert "$output" =~ "registries: +" "registries.conf line"
    run_rl info --format json
    assert "$(jq -c '.store | [.path, .exists, .graphDriver.name, .images, .layers]' \
        <<<"$output")" == "[\"$RL_ROOT\",true,\"overlay\",0,0]" "JSON"

    local missing=$BATS_TEST_TMPDIR/no-store
    RL_ROOT=$missing run_rl info --format json
    assert "$(jq -c '.store | [.exists, .images]' <<<"$output")" == "[false,0]" "no store"
    [ ! -e "$missing" ] || die "rl info created the store"
}

@test "doctor and info: --help" {
    run_rl doctor --help
    assert "${lines[0]}" == "Usage: rl doctor [--format text|json]" "doctor usage"
    assert "$output" =~ "--format FORMAT" "doctor options"
    run_rl info -h
    assert "${lines[0]}" == "Usage: rl info [--format text|json]" "info usage"
    run_rl help doctor
    assert "${lines[0]}" == "Usage: rl doctor [--format text|json]" "rl help doctor"
}

@test "doctor and info: bad options and arguments exit 125" {
    run_rl 125 doctor --x
    assert "$output" == "rl: doctor: unknown option '--x'" "unknown long option"
    run_rl 125 doctor -z
    assert "$output" == "rl: doctor: unknown option '-z'" "unknown short option"
    run_rl 125 doctor extra
    assert "$output" == "rl: doctor: unexpected argument 'extra'" "extra argument"
    run_rl 125 doctor --format yaml
    assert "$output" == "rl: doctor: unknown format 'yaml': use text or json" "bad format"
    run_rl 125 doctor --format
    assert "$output" == "rl: doctor: option '--format' needs an argument" "missing value"
    run_rl 125 info --bogus=1
    assert "$output" == "rl: info: unknown option '--bogus'" "info: unknown option"
    run_rl 125 info json
    assert "$output" == "rl: info: unexpected argument 'json'" "info: extra argument"
}
