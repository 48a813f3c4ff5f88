#!/usr/bin/env bats
# shellcheck disable=SC2154 # bats variables
#
# rl images --filter: podman's keys (dangling, reference, label, before, since, id), how
# several filters combine, and the errors.

load helpers

setup_file() {
    image_fixtures_check
}

setup() {
    image_fixtures_setup
    unset REGISTRY_AUTH_FILE CONTAINERS_REGISTRIES_CONF
    export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
    export REGISTRY_AUTH_FILE=$BATS_TEST_TMPDIR/auth.json
}

teardown() {
    image_store_cleanup
}

# Pull busybox, then the multi-arch image, then the uncompressed one (in that order: before
# and since go by the time an image was added), and name busybox localhost/mine:1 too.
pull_three() {
    run_rl pull -q --tls-verify=false "$IMG_BUSYBOX"
    BUSYBOX=$output
    run_rl pull -q --tls-verify=false "$IMG_MULTIARCH"
    MULTI=$output
    run_rl pull -q --tls-verify=false "$IMG_UNCOMPRESSED"
    UNCOMP=$output
    run_rl tag "$IMG_BUSYBOX" localhost/mine:1
}

# names FILTER...: the sorted repository:tag of each row that `rl images` lists.
names() {
    local args=() f
    for f in "$@"; do
        args+=(--filter "$f")
    done
    run_rl images "${args[@]}" --format '{{.Repository}}:{{.Tag}}'
    LC_ALL=C sort <<<"$output" | tr '\n' ' ' | sed 's/ $//'
}

@test "images --filter reference: globs on the name with or without registry" {
    pull_three
    assert "$(names reference=busybox)" == \
        "$REG_PLAIN/rl-test/busybox:latest localhost/mine:1" "the last component"
    assert "$(names reference=mine:1)" == "$REG_PLAIN/rl-test/busybox:latest localhost/mine:1" \
        "an image is listed with all its names"
    assert "$(names 'reference=*/rl-test/*')" == \
        "$REG_PLAIN/rl-test/busybox-uncompressed:latest $REG_PLAIN/rl-test/busybox:latest $REG_PLAIN/rl-test/multiarch:latest localhost/mine:1" \
        "registry/rl-test/anything"
    assert "$(names 'reference=rl-test/multi*')" == "$REG_PLAIN/rl-test/multiarch:latest" \
        "without the registry"
    assert "$(names "reference=$IMG_MULTIARCH")" == "$REG_PLAIN/rl-test/multiarch:latest" \
        "the full name"
    assert "$(names 'reference=busy*:latest')" == \
        "$REG_PLAIN/rl-test/busybox-uncompressed:latest $REG_PLAIN/rl-test/busybox:latest localhost/mine:1" \
        "a glob with a tag"
    assert "$(names reference=busybox:nosuchtag)" == "" "a tag that no name has"
    assert "$(names 'reference=rl-*')" == "" "'*' does not cross '/'"
    assert "$(names reference=multiarch reference=busybox-uncompressed)" == \
        "$REG_PLAIN/rl-test/busybox-uncompressed:latest $REG_PLAIN/rl-test/multiarch:latest" \
        "two reference filters: either matches"
}

@test "images --filter dangling, id, label; -q and json follow the filters" {
    pull_three
    run_rl tag "$IMG_BUSYBOX" "$IMG_UNCOMPRESSED"
    run_rl images -q --no-trunc --filter dangling=true
    assert "$output" == "sha256:$UNCOMP" "dangling=true: the image without a name"
    run_rl images -q --no-trunc -f dangling=false
    assert "$(sort <<<"$output" | tr '\n' ' ')" == \
        "$(printf 'sha256:%s\n' "$BUSYBOX" "$MULTI" | sort | tr '\n' ' ')" "dangling=false"

    run_rl images -q -f "id=${MULTI:0:6}"
    assert "$output" == "${MULTI:0:12}" "id=PREFIX"
    run_rl images -q -f "id=sha256:${MULTI:0:20}"
    assert "$output" == "${MULTI:0:12}" "id=sha256:PREFIX"
    run_rl images -q -f id=ffffffffffffffff
    assert "$output" == "" "no such id"

    run_rl images -q -f label=rl.test=busybox -f "id=$BUSYBOX"
    assert "$output" == "${BUSYBOX:0:12}" "label=KEY=VALUE and id"
    run_rl images -q -f label=rl.test -f label=org.opencontainers.image.title -f "id=$BUSYBOX"
    assert "$output" == "${BUSYBOX:0:12}" "label=KEY, twice: both must match"
    run_rl images -q -f label=rl.test -f label=nosuchlabel
    assert "$output" == "" "label filters are all required"
    run_rl images -q -f label=rl.test=other
    assert "$output" == "" "a label with another value"

    run_rl images --format json -f "reference=$IMG_MULTIARCH"
    assert "$(jq -r '[.[].Id] | join(" ")' <<<"$output")" == "$MULTI" "--format json"
}

@test "images --filter before, since (the order images were added)" {
    pull_three
    run_rl images -q --no-trunc -f "before=$IMG_MULTIARCH"
    assert "$output" == "sha256:$BUSYBOX" "before"
    run_rl images -q --no-trunc -f "since=$IMG_MULTIARCH"
    assert "$output" == "sha256:$UNCOMP" "since"
    run_rl images -q --no-trunc -f "after=${MULTI:0:12}"
    assert "$output" == "sha256:$UNCOMP" "after is since; an id names the image"
    run_rl images -q --no-trunc -f "since=$IMG_BUSYBOX" -f "before=$IMG_UNCOMPRESSED"
    assert "$output" == "sha256:$MULTI" "between"
    run_rl 125 images -f before=nosuchimage
    assert "$output" == "rl: images: filter 'before=nosuchimage': nosuchimage: image not known"
}

@test "images --filter: bad filters are errors; -a lists everything" {
    run_rl 125 images --filter x=1
    assert "$output" == "rl: images: invalid filter 'x'" "unknown key"
    run_rl 125 images -f dangling
    assert "$output" =~ "invalid filter 'dangling': expected dangling=VALUE" "no value"
    run_rl 125 images -f dangling=maybe
    assert "$output" =~ "use dangling=true or false"
    run_rl 125 images -f
    assert "$output" =~ "unknown option or missing value" "-f needs a value"

    pull_three
    run_rl images -q
    local without=$output
    run_rl images -a -q
    assert "$output" == "$without" "-a changes nothing: rl has no intermediate images"
    run_rl images --help
    assert "$output" =~ "--filter KEY=VALUE"
}
