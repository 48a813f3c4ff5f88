#!/usr/bin/env bats
# shellcheck disable=SC2154,SC2016 # bats variables; single-quoted templates
#
# Named volumes: rl volume create, ls, inspect, rm, prune and exists, against podman's output
# and messages. Each test has a store of its own.

load helpers

HEADER='DRIVER      VOLUME NAME'
PRUNE_WARNING='WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:'
PRUNE_QUESTION='Are you sure you want to continue? [y/N] '
BAD_NAME='names must match [a-zA-Z0-9][a-zA-Z0-9_.-]* and have at most 255 characters'

setup() {
    RL_ROOT=$BATS_TEST_TMPDIR/store
    export RL_ROOT
}

teardown() {
    # Files of the user's subordinate ids: only rl, in its user namespace, removes them.
    if [ -d "$RL_ROOT" ]; then
        "$RL" --root "$RL_ROOT" volume rm -a -f >/dev/null 2>&1 3>&- || true
    fi
    basic_teardown
}

# has_line TEXT: $output has a line that is exactly TEXT.
has_line() {
    local l
    for l in "${lines[@]}"; do
        [ "$l" = "$1" ] && return 0
    done
    die "no line '$1' in the output"
}

# as_container CMD...: run CMD as root of the user's namespace (rl's mapping: 0 is the user,
# 1... the subordinate ids), as a container's process would; plain root when root.
as_container() {
    if is_rootless; then
        unshare --map-root-user --map-auto "$@"
    else
        "$@"
    fi
}

# The host uid that is uid 1000 in the user's namespace.
host_uid_1000() {
    local start
    if ! is_rootless; then
        echo 1000
        return
    fi
    start=$(awk -F: -v u="$(id -un)" -v n="$(id -u)" '$1 == u || $1 == n { print $2; exit }' /etc/subuid)
    [ -n "$start" ] || return 1
    echo $((start + 999))
}

# ---------------------------------------------------------------- create, ls, inspect

@test "volume create prints the name; ls and inspect show the volume" {
    run_rl volume ls
    assert "$output" == "" "no volumes: no output at all, as podman"
    run_rl volume create v1
    assert "$output" == "v1" "create prints the name"
    run_rl volume ls
    assert "$output" == "$HEADER"$'\n'"local       v1" "podman's table"

    run_rl volume inspect v1
    mp=$RL_ROOT/volumes/v1/_data
    assert "$(jq -r '.[0] | [.Name, .Driver, .Mountpoint, .Scope, .MountCount] | join(" ")' <<<"$output")" \
        == "v1 local $mp local 0" "inspect: Name Driver Mountpoint Scope MountCount"
    assert "$(jq -c '.[0] | [.Labels, .Options]' <<<"$output")" == '[{},{}]' "no labels, no options"
    assert "$(jq -r '.[0] | keys_unsorted | join(" ")' <<<"$output")" \
        == "Name Driver Mountpoint CreatedAt Labels Scope Options MountCount" "podman's keys, in order"
    assert "$(jq -r '.[0].CreatedAt' <<<"$output")" =~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z$' \
        "CreatedAt is RFC 3339"
    assert "$(stat -c '%u %a' "$mp")" == "$(id -u) 755" "_data belongs to the user (container root), 0755"
    assert "$(stat -c '%a' "$RL_ROOT/volumes/v1")" == "700" "the volume's directory is private"
}

@test "volume create without a name makes a random one; -l labels" {
    run_rl volume create
    assert "$output" =~ '^[0-9a-f]{64}$' "64 hex digits"
    name=$output
    run_rl volume create ''
    assert "$output" =~ '^[0-9a-f]{64}$' "an empty name is no name, as podman"
    assert "$output" != "$name" "two random names differ"

    run_rl volume create --label app=web -l tier -l 'note=a b=c' lab
    run_rl volume inspect --format '{{json .Labels}}' lab
    assert "$output" == '{"app":"web","tier":"","note":"a b=c"}' "labels with and without values"
    run_rl volume inspect --format '{{.Labels}}' lab
    assert "$output" == 'map[app:web note:a b=c tier:]' "a Go map, keys sorted"
    run_rl 125 volume create --label =x nolabel
    assert "$output" == "rl: volume create: --label '=x': the name is empty"
}

@test "volume create: an existing volume, and --ignore" {
    run_rl volume create -l keep=1 dup
    run_rl 125 volume create dup
    assert "$output" == "rl: volume with name dup already exists: volume already exists" "podman's message"
    run_rl volume create --ignore -l other=2 dup
    assert "$output" == "dup" "--ignore prints the name"
    run_rl volume inspect --format '{{json .Labels}}' dup
    assert "$output" == '{"keep":"1"}' "--ignore leaves the volume as it was"
    run_rl volume ls -q
    assert "$output" == "dup"
}

@test "volume create: bad names are refused" {
    long=$(printf 'a%.0s' {1..256})
    for name in 'bad name' .x _x -x 'a/b' '../x' "$long"; do
        run_rl 125 volume create -- "$name"
        assert "$output" == "rl: invalid volume name '$name': $BAD_NAME" "'${name:0:20}' is refused"
    done
    run_rl 125 volume create 'é'
    assert "$output" == "rl: invalid volume name '\xc3\xa9': $BAD_NAME" "bytes outside ASCII are shown escaped"
    run_rl volume create "$(printf 'a%.0s' {1..255})"
    assert "${#output}" -eq 255 "255 characters are fine"
    run_rl volume create x_y.z-1
    assert "$output" == "x_y.z-1"
    run_rl volume ls -q
    assert "${#lines[@]}" -eq 2 "only the two good ones exist"
    [ -z "$(find "$RL_ROOT/volumes" -mindepth 1 -maxdepth 1 -name '.tmp-*')" ] || die "work directories left"
}

@test "volume create -o: o=uid=N,gid=N sets the owner; other options are refused" {
    run_rl 125 volume create -o type=tmpfs t1
    assert "$output" == "rl: volume option 'type=tmpfs' is not supported (the local driver takes only o=uid=N,gid=N)"
    run_rl 125 volume create -o device=tmpfs -o o=size=1m t1
    assert "$output" =~ "^rl: volume option '(device=tmpfs|o=size=1m)' is not supported"
    run_rl 125 volume create -o o=size=5 t1
    assert "$output" == "rl: volume option 'o=size=5' is not supported (the local driver takes only o=uid=N,gid=N)"
    run_rl 125 volume create -o nocopy t1
    assert "$output" == "rl: volume option 'nocopy=' is not supported (the local driver takes only o=uid=N,gid=N)"
    run_rl 125 volume create -o o=uid=x t1
    assert "$output" == "rl: volume option 'o=uid': 'x' is not an id"
    run_rl 125 volume create --driver nfs t1
    assert "$output" == "rl: volume create: driver 'nfs' is not supported: rl has only the local driver"
    run_rl volume ls -q
    assert "$output" == "" "nothing was created"

    run_rl volume create --driver local -o o=uid=1000,gid=1000 owned
    run_rl volume inspect owned
    assert "$(jq -c '.[0] | [.Options, .UID, .GID]' <<<"$output")" == '[{"o":"uid=1000,gid=1000"},1000,1000]' \
        "inspect: the options, UID and GID"
    if uid=$(host_uid_1000); then
        assert "$(stat -c '%u %g' "$RL_ROOT/volumes/owned/_data")" == "$uid $uid" \
            "_data belongs to uid 1000 of the user's namespace"
    fi
}

@test "volume ls: -q, -n, --format json, templates and tables" {
    run_rl volume create -l a=b -l c bb
    run_rl volume create aa
    run_rl volume ls -q
    assert "$output" == "aa"$'\n'"bb" "sorted names"
    run_rl volume list --noheading
    assert "$output" == "local       aa"$'\n'"local       bb" "--noheading, list is ls"
    run_rl volume ls -n --format table
    assert "$output" == "local       aa"$'\n'"local       bb" "-n, --format table is the default"
    run_rl volume ls --format '{{.Name}} {{.Driver}} {{.Labels}} {{.Scope}} {{.Options}}'
    assert "$output" == "aa local map[] local map[]"$'\n'"bb local map[a:b c:] local map[]" "a template"
    run_rl volume ls --format 'table {{.Name}} {{.Driver}}'
    assert "$output" == "VOLUME NAME  DRIVER"$'\n'"aa           local"$'\n'"bb           local" \
        "blanks of a table template make columns, as podman"
    run_rl volume ls --format 'table {{.Name}}:{{.Driver}}'
    assert "$output" == "VOLUME NAME:DRIVER"$'\n'"aa:local"$'\n'"bb:local"
    run_rl volume ls -n --format 'table {{.Name}}\t{{.MountCount}}'
    assert "$output" == "aa          0"$'\n'"bb          0" "-n drops a table template's header"
    run_rl volume ls --format '{{.Mountpoint}}|{{.CreatedAt}}'
    assert "${lines[0]}" =~ "^$RL_ROOT/volumes/aa/_data\|[0-9-]{10} [0-9:]{8}(\.[0-9]+)? \+0000 UTC$" \
        "Mountpoint, and CreatedAt as Go prints a time"
    run_rl volume ls --format '{{json .Labels}}'
    assert "$output" == '{}'$'\n''{"a":"b","c":""}' "{{json .X}}"
    run_rl volume ls --format json
    assert "$(jq -r 'map(.Name) | join(" ")' <<<"$output")" == "aa bb" "json: an array"
    assert "$(jq -c '.[1].Labels' <<<"$output")" == '{"a":"b","c":""}' "json: labels"
    run_rl 125 volume ls -q --format json
    assert "$output" == "rl: quiet and format flags cannot be used together"
    run_rl 125 volume ls --format '{{.Nope}}'
    assert "$output" == "rl: volume ls: --format: template: can't evaluate field Nope"
    run_rl 125 volume ls extra
    assert "$output" == "rl: volume ls: takes no arguments (see 'rl volume ls --help')"
    run_rl 125 volume ls --bogus
    assert "$output" == "rl: volume ls: unknown option or missing value '--bogus' (see 'rl volume ls --help')"
}

@test "volume ls --filter: name, label, driver, dangling" {
    for v in aa ab bb b1 lab1; do
        run_rl volume create "$v"
    done
    run_rl volume create -l app=web -l tier www
    run_rl volume ls -q --filter name=b1
    assert "$output" == "b1"$'\n'"lab1" "name= is a regular expression, not anchored"
    run_rl volume ls -q -f name=^a
    assert "$output" == "aa"$'\n'"ab"
    run_rl volume ls -q -f name=aa -f name=bb
    assert "$output" == "aa"$'\n'"bb" "filters with the same key: either"
    run_rl volume ls -q --filter label=app
    assert "$output" == "www"
    run_rl volume ls -q --filter label=app=web --filter label=tier
    assert "$output" == "www" "label filters: all must match"
    run_rl volume ls -q --filter label=app=web --filter label=nope
    assert "$output" == "" "a label that is missing"
    run_rl volume ls --filter label=app=db
    assert "$output" == "" "no match: not even a header"
    run_rl volume ls -q --filter label=app --filter name=^a
    assert "$output" == "" "different keys: all must match"
    run_rl volume ls -q --filter driver=local --filter name=^w
    assert "$output" == "www"
    run_rl volume ls -q --filter driver=nfs
    assert "$output" == ""
    run_rl volume ls -q --filter dangling=true --filter name=^a
    assert "$output" == "aa"$'\n'"ab" "dangling=true: no container uses them"
    run_rl volume ls -q --filter dangling=false
    assert "$output" == ""
    run_rl 125 volume ls --filter dangling=x
    assert "$output" == 'rl: "x" is not a valid value for the "dangling" filter - must be true or false'
    run_rl 125 volume ls --filter foo=bar
    assert "$output" == 'rl: "foo" is an invalid volume filter'
    run_rl 125 volume ls --filter foo
    assert "$output" == 'rl: filter input must be in the form of filter=value: foo is invalid'
    run_rl 125 volume ls --filter 'name=('
    assert "$output" =~ "^rl: filter 'name=\(': " "a bad regular expression"
}

@test "volume inspect: several, --all, --format, unknown volumes" {
    run_rl volume create i1
    run_rl volume create i2
    run_rl volume inspect i1 i2
    assert "$(jq -r 'map(.Name) | join(" ")' <<<"$output")" == "i1 i2"
    run_rl volume inspect --all
    assert "$(jq -r 'map(.Name) | join(" ")' <<<"$output")" == "i1 i2" "--all"
    run_rl volume inspect -f json i1
    assert "$(jq -r '.[0].Name' <<<"$output")" == "i1" "-f json"
    run_rl volume inspect --format '{{.Name}} {{.Mountpoint}} {{.UID}}' i2 i1
    assert "$output" == "i2 $RL_ROOT/volumes/i2/_data 0"$'\n'"i1 $RL_ROOT/volumes/i1/_data 0"
    run_rl volume inspect --format '{{.CreatedAt}}' i1
    assert "$output" =~ '^[0-9-]{10} [0-9:]{8}(\.[0-9]+)? \+0000 UTC$' "CreatedAt as Go prints a time"

    run_rl 125 volume inspect nope
    assert "$output" == "rl: inspecting object: no such volume nope"$'\n'"[]" "podman's message and an empty array"
    run_rl 125 volume inspect i1 nope
    has_line "rl: inspecting object: no such volume nope"
    assert "$(grep -v '^rl:' <<<"$output" | jq -r 'map(.Name) | join(" ")')" == "i1" "the known one is shown"
    run_rl 125 volume inspect
    assert "$output" == "rl: provide one or more volume names or use --all"
    run_rl 125 volume inspect -a i1
    assert "$output" == "rl: provide one or more volume names or use --all"
    run_rl volume rm -a
    run_rl volume inspect --all
    assert "$output" == "[]" "--all without volumes"
}

@test "volume rm: names, -a, -f, unknown volumes and their exit status" {
    for v in r1 r2 r3 r4; do
        run_rl volume create "$v"
    done
    run_rl volume rm r1
    assert "$output" == "r1" "rm prints the name"
    [ ! -e "$RL_ROOT/volumes/r1" ] || die "r1's directory is still there"
    run_rl volume remove -f r2
    assert "$output" == "r2" "remove is rm; -f with no container"
    run_rl 1 volume rm nope
    assert "$output" == 'rl: no volume with name "nope" found: no such volume' "podman's message, exit 1"
    run_rl 1 volume rm nope r3 nope2
    assert "${#lines[@]}" -eq 3 "one line each"
    has_line 'r3'
    has_line 'rl: no volume with name "nope" found: no such volume'
    has_line 'rl: no volume with name "nope2" found: no such volume'
    run_rl 1 volume rm '../r4'
    assert "$output" == 'rl: no volume with name "../r4" found: no such volume'
    run_rl 125 volume rm
    assert "$output" == "rl: choose either one or more volumes or all"
    run_rl 125 volume rm -a r4
    assert "$output" == "rl: choose either one or more volumes or all"
    run_rl 125 volume rm -t x r4
    assert "$output" == "rl: volume rm: --time: 'x' is not a number of seconds"
    run_rl volume create r5
    run_rl volume rm -a -t 0
    assert "$output" == "r4"$'\n'"r5" "-a removes every volume"
    run_rl volume rm -a
    assert "$output" == "" "-a without volumes"
    run_rl volume ls -q
    assert "$output" == ""
}

@test "volume data survives; rm removes files of the user's subordinate ids" {
    if is_rootless && ! unshare --map-root-user --map-auto true 2>/dev/null; then
        skip "unshare --map-auto cannot map the user's subordinate ids"
    fi
    run_rl volume create data
    mp=$RL_ROOT/volumes/data/_data
    echo kept >"$mp/file"
    run_rl volume create --ignore data
    run_rl volume ls -q
    assert "$output" == "data"
    assert "$(cat "$mp/file")" == "kept" "the data is still there"

    # What a container running as uid 1000 would leave: a tree the user cannot remove.
    as_container sh -c "mkdir -p '$mp/deep/er' && echo x >'$mp/deep/er/f' && chown -R 1000:1000 '$mp/deep' && chmod 500 '$mp/deep/er'"
    if is_rootless; then
        run rm -rf "$mp/deep"
        assert "$status" -ne 0 "the user alone cannot remove the container's files"
    fi
    run_rl volume rm data
    assert "$output" == "data"
    [ ! -e "$RL_ROOT/volumes/data" ] || die "the volume's files are still there"
    [ -z "$(find "$RL_ROOT/volumes" -mindepth 1 -maxdepth 1 -name '.rm-*')" ] || die "leftovers"
}

@test "volume prune: asks, removes unused volumes, --filter" {
    run_rl volume create p1
    run_rl volume create -l keep=yes p2
    run_rl volume prune <<<"n"
    assert "$output" == "$PRUNE_WARNING"$'\n'"p1"$'\n'"p2"$'\n'"$PRUNE_QUESTION" "n keeps them"
    run_rl volume ls -q
    assert "$output" == "p1"$'\n'"p2"
    run_rl 125 volume prune </dev/null
    assert "$output" == "$PRUNE_WARNING"$'\n'"p1"$'\n'"p2"$'\n'"${PRUNE_QUESTION}rl: volume prune: no answer on standard input (use -f)" \
        "no answer is an error"
    run_rl volume prune --filter label=keep=yes <<<"y"
    assert "$output" == "$PRUNE_WARNING"$'\n'"p2"$'\n'"${PRUNE_QUESTION}p2" "y removes what the filter selects"
    run_rl volume ls -q
    assert "$output" == "p1"
    run_rl volume create p3
    run_rl volume prune -f --filter dangling=false
    assert "$output" == "" "prune never removes a volume in use, whatever the filters say"
    run_rl volume prune -f
    assert "$output" == "p1"$'\n'"p3" "-f does not ask"
    run_rl volume prune <<<"y"
    assert "$output" == "$PRUNE_WARNING"$'\n'"No dangling volumes found" "nothing to prune"
    run_rl volume prune -f
    assert "$output" == ""
    run_rl 125 volume prune -f --filter foo=bar
    assert "$output" == 'rl: "foo" is an invalid volume filter'
    run_rl 125 volume prune extra
    assert "$output" == "rl: volume prune: takes no arguments (see 'rl volume prune --help')"
}

@test "volume exists: exit 0 or 1, silently" {
    run_rl volume create e1
    run_rl volume exists e1
    assert "$output" == ""
    run_rl 1 volume exists nope
    assert "$output" == ""
    run_rl 1 volume exists 'not a name'
    assert "$output" == ""
    run_rl 125 volume exists
    assert "$output" == "rl: volume exists: accepts 1 arg(s), received 0"
    run_rl 125 volume exists e1 e2
    assert "$output" == "rl: volume exists: accepts 1 arg(s), received 2"
}

@test "a damaged volume: inspect says so, ls shows it, rm removes it" {
    run_rl volume create broken
    echo '{not json' >"$RL_ROOT/volumes/broken/volume.json"
    run_rl 125 volume inspect broken
    assert "$output" =~ "^rl: inspecting object: volume 'broken' is damaged: '$RL_ROOT/volumes/broken/volume.json': line 1: " \
        "inspect names the volume and the file"
    run_rl volume ls
    assert "${lines[0]}" =~ "^rl: warning: volume 'broken' is damaged: '$RL_ROOT/volumes/broken/volume.json': line 1: .*; listed without it$" \
        "ls warns"
    has_line "local       broken"
    run_rl volume exists broken
    run_rl volume rm broken
    has_line "broken"
    run_rl volume ls
    assert "$output" == ""
}

@test "volume --help and each command's --help" {
    run_rl volume --help
    assert "${lines[0]}" == "Usage: rl volume COMMAND [OPTIONS] [ARG...]"
    for sub in create exists inspect 'ls, list' prune 'rm, remove'; do
        assert "$output" =~ $'\n'"  $sub  " "rl volume --help lists $sub"
    done
    for sub in create ls list inspect rm remove prune exists; do
        run_rl volume "$sub" --help
        case $sub in
        list) want='ls' ;;
        remove) want='rm' ;;
        *) want=$sub ;;
        esac
        assert "${lines[0]}" =~ "^Usage: rl volume $want( |$)" "rl volume $sub --help"
    done
    run_rl 125 volume
    assert "${lines[-1]}" == "rl: volume: missing command"
    run_rl 125 volume bogus
    assert "$output" == "rl: volume: unknown command 'bogus' (see 'rl volume --help')"
}
