#!/usr/bin/env bats
# shellcheck disable=SC2154 # bats variables
#
# registries.conf (containers-registries.conf(5)): insecure and blocked registries for pull
# and login, the files rl reads, and the store section of rl info.

load helpers

setup_file() {
    image_fixtures_check
}

setup() {
    image_fixtures_setup
    unset REGISTRY_AUTH_FILE CONTAINERS_REGISTRIES_CONF
    export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
    export REGISTRY_AUTH_FILE=$BATS_TEST_TMPDIR/auth.json
    CONF=$XDG_CONFIG_HOME/containers/registries.conf
    mkdir -p "${CONF%/*}"
}

teardown() {
    image_store_cleanup
}

# conf [FILE] < TEXT: write a registries.conf (default: the user's).
conf() {
    local file=${1:-$CONF}
    mkdir -p "${file%/*}"
    cat >"$file"
}

@test "registries.conf: insecure = true allows plain http without --tls-verify=false" {
    run_rl 125 pull -q "$IMG_BUSYBOX"
    assert "$output" =~ "ping registry $REG_PLAIN" "https by default"

    conf <<EOF
# the test registry speaks plain http
unqualified-search-registries = ["docker.io",
    "quay.io"]

[[registry]]
location = "$REG_PLAIN"
insecure = true

[[registry.mirror]]
location = "mirror.invalid"
insecure = false
EOF
    run_rl pull -q "$IMG_BUSYBOX"
    assert "$output" =~ '^[0-9a-f]{64}$' "pulled"
    run_rl image exists "$IMG_BUSYBOX"
}

@test "registries.conf: --tls-verify=true overrides insecure" {
    conf <<EOF
[[registry]]
location = "$REG_PLAIN"
insecure = true
EOF
    run_rl 125 pull -q --tls-verify=true "$IMG_BUSYBOX"
    assert "$output" =~ "ping registry $REG_PLAIN" "https is required again"
    assert "$output" =~ "wrong version number" "a TLS error"
}

@test "registries.conf: the longest prefix wins, at a '/' boundary" {
    conf <<EOF
[[registry]]
location = "$REG_PLAIN"
insecure = false

[[registry]]
prefix = "$REG_PLAIN/rl-test/busybox"
location = "$REG_PLAIN/rl-test/busybox"
insecure = true
EOF
    run_rl pull -q "$IMG_BUSYBOX"
    run_rl 125 pull -q "$IMG_ZSTD"
    assert "$output" =~ "ping registry $REG_PLAIN" "busybox-zstd is not below rl-test/busybox"
}

@test "registries.conf: blocked = true refuses pull and login" {
    conf <<EOF
[[registry]]
location = "$REG_PLAIN"
blocked = true
insecure = true

[[registry]]
location = "$REG_BASIC"
blocked = true
EOF
    run_rl 125 pull "$IMG_BUSYBOX"
    assert "$output" =~ "registry $REG_PLAIN is blocked in $CONF" "pull refused"
    run_rl 125 pull --tls-verify=false "$IMG_BUSYBOX"
    assert "$output" =~ "registry $REG_PLAIN is blocked in $CONF" "--tls-verify does not unblock"
    run_rl 125 login --tls-verify=false -u "$REG_USER" -p "$REG_PASS" "$REG_BASIC"
    assert "$output" =~ "registry $REG_BASIC is blocked in $CONF" "login refused"
    [ ! -e "$RL_ROOT/images.json" ] || die "a blocked pull wrote image records"
}

@test "registries.conf: insecure applies to login" {
    conf <<EOF
[[registry]]
location = "$REG_BASIC"
insecure = true
EOF
    run_rl login -u "$REG_USER" -p "$REG_PASS" "$REG_BASIC"
    assert "$output" == "Login Succeeded!"
    run_rl pull -q "$IMG_BASIC"
}

@test "registries.conf: a malformed file is an error naming FILE:LINE" {
    conf <<EOF
[[registry]]
location = "$REG_PLAIN"
insecure = yes
EOF
    run_rl 125 pull --tls-verify=false "$IMG_BUSYBOX"
    assert "$output" =~ "registries.conf: $CONF:3: invalid value 'yes'" "file and line"

    conf <<EOF
[[registry]
location = "$REG_PLAIN"
EOF
    run_rl 125 pull "$IMG_BUSYBOX"
    assert "$output" =~ "$CONF:1: expected ']]'" "bad table header"

    conf <<EOF
[[registry]]
location = "https://$REG_PLAIN"
EOF
    run_rl 125 pull "$IMG_BUSYBOX"
    assert "$output" =~ "$CONF:1: invalid location 'https://$REG_PLAIN'" "URI scheme"
}

@test "registries.conf: drop-ins apply on top; CONTAINERS_REGISTRIES_CONF replaces all" {
    conf <<EOF
[[registry]]
location = "$REG_PLAIN"
blocked = true
EOF
    conf "$XDG_CONFIG_HOME/containers/registries.conf.d/50-test.conf" <<EOF
[[registry]]
location = "$REG_PLAIN"
insecure = true
EOF
    run_rl pull -q "$IMG_BUSYBOX"
    run_rl rmi -a

    local single=$BATS_TEST_TMPDIR/single.conf
    conf "$single" <<EOF
[registries.block]
registries = ['$REG_PLAIN']
EOF
    CONTAINERS_REGISTRIES_CONF=$single run_rl 125 pull "$IMG_BUSYBOX"
    assert "$output" =~ "registry $REG_PLAIN is blocked in $single" "v1 format, one file"
}

@test "info: the store section, before and after a pull" {
    conf <<EOF
[[registry]]
location = "$REG_PLAIN"
insecure = true
EOF
    run_rl info
    assert "$output" =~ "store:"$'\n'"  path: +$RL_ROOT \(not created yet\)" "no store yet"
    assert "$output" =~ "driver: +overlay \(userxattr\)" "driver"
    assert "$output" =~ "images: +0"$'\n' "no images"
    assert "$output" =~ "registries: +$CONF" "registries.conf in use"
    [ ! -e "$RL_ROOT" ] || die "rl info created the store"
    run_rl info --format json
    assert "$(jq -c '.store | [.exists, .images, .layers, .layersBytes]' <<<"$output")" == \
        "[false,0,0,0]" "JSON: empty"

    run_rl pull -q "$IMG_BUSYBOX"
    run_rl info --format json
    assert "$(jq -r '.store.path' <<<"$output")" == "$RL_ROOT" "path"
    assert "$(jq -c '.store.graphDriver' <<<"$output")" == \
        '{"name":"overlay","options":["userxattr"]}' "graph driver"
    assert "$(jq -c '.store | [.exists, .images, .layers]' <<<"$output")" == "[true,1,1]" \
        "one image, one layer"
    assert "$(jq -r '.store.layersBytes' <<<"$output")" -gt 100000 "layer bytes counted"
    assert "$(jq -r '.store.registriesConf' <<<"$output")" == "$CONF" "registries.conf"
    run_rl info
    assert "$output" =~ "images: +1"$'\n'"  layers: +1, [0-9.]+ [kM]B" "text"
}
