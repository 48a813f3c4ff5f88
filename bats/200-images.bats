#!/usr/bin/env bats
# shellcheck disable=SC2154,SC2016,SC2030,SC2031 # bats variables; single-quoted scripts
#
# Images: pull from the local test registries (tests/fixtures.sh), the store, and the image
# verbs. Layer contents are checked from inside a container that `rl oci run` starts on an
# overlay of the pulled layers.

load helpers

setup_file() {
    image_fixtures_check
}

setup() {
    image_fixtures_setup
    OCI_ROOT=$BATS_TEST_TMPDIR/oci
    unset REGISTRY_AUTH_FILE
    export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
    export REGISTRY_AUTH_FILE=$BATS_TEST_TMPDIR/auth.json
}

teardown() {
    image_store_cleanup
}

pull() {
    run_rl "$@"
}

# The layer dirs of IMAGE, top first, as overlay wants them.
lowerdirs() {
    "$RL" --root "$RL_ROOT" image inspect --format '{{.GraphDriver.Data.LowerDir}}' "$1"
}

# in_image IMAGE CMD...: run CMD (busybox applets) in a container whose / is the image's
# bottom layer and whose /img is an overlay of all its layers.
in_image() {
    local img=$1 lower bottom bundle
    shift
    lower=$(lowerdirs "$img") || die "no layers for $img"
    bottom=${lower##*:}
    bundle=$BATS_TEST_TMPDIR/bundle
    mkdir -p "$bundle"
    if is_rootless; then
        "$RL" oci spec --rootless --bundle "$bundle" 3>&- || die "oci spec failed"
    else
        "$RL" oci spec --bundle "$bundle" 3>&- || die "oci spec failed"
    fi
    args=$(for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -s .)
    jq --arg root "$bottom" --arg lower "$lower" --argjson args "$args" '
        .root = {path: $root, readonly: true} | .process.terminal = false |
        .process.args = $args |
        .mounts += [{destination: "/img", type: "overlay", source: "overlay",
                     options: ["lowerdir=" + $lower, "userxattr"]}]' \
        <"$bundle/config.json" >"$bundle/config.json.new" || die "jq failed"
    mv "$bundle/config.json.new" "$bundle/config.json"
    RL_ROOT=$OCI_ROOT run_rl '?' oci run --bundle "$bundle" "c-$(safename)"
}

# ---------------------------------------------------------------- pull, images

@test "pull: an image from a plain-http registry, and images lists it" {
    pull pull --tls-verify=false "$IMG_BUSYBOX"
    assert "$output" =~ "Trying to pull $IMG_BUSYBOX" "progress on stderr"
    assert "$output" =~ "Writing manifest to image destination"
    id=${lines[-1]}
    assert "$id" =~ '^[0-9a-f]{64}$' "the image id ends the output"

    run_rl images
    assert "${lines[0]}" =~ '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$' "table header"
    assert "${lines[1]}" =~ "^127.0.0.1:5115/rl-test/busybox +latest +${id:0:12} +" "row"
    assert "${lines[1]}" =~ '[0-9.]+ (kB|MB)$' "human size"
}

@test "pull -q prints only the id; a second pull downloads nothing" {
    pull pull -q --tls-verify=false "$IMG_BUSYBOX"
    assert "$output" =~ '^[0-9a-f]{64}$' "-q: only the id"
    id=$output
    pull pull --tls-verify=false "$IMG_BUSYBOX"
    assert "$output" =~ "skipped: already exists" "layer not downloaded again"
    assert "${lines[-1]}" == "$id"
    n=$(find "$RL_ROOT/layers" -mindepth 1 -maxdepth 1 | wc -l)
    assert "$n" -eq 1 "one layer stored"
}

@test "pull: bad references and options are refused before any download" {
    run_rl 125 pull 'Not/Valid'
    assert "$output" =~ "invalid image reference 'Not/Valid'"
    run_rl 125 pull
    assert "$output" =~ "missing image name"
    run_rl 125 pull --tls-verify=maybe "$IMG_BUSYBOX"
    assert "$output" =~ "--tls-verify: 'maybe' is not a boolean"
    run_rl 125 pull --platform linux "$IMG_BUSYBOX"
    assert "$output" =~ "invalid platform 'linux'"
    run_rl 125 pull --bogus "$IMG_BUSYBOX"
    assert "$output" =~ "unknown option"
    [ ! -e "$RL_ROOT/images.json" ] || die "a refused pull wrote image records"
}

@test "pull: https is the default; a plain-http registry is named in the error" {
    run_rl 125 pull "$IMG_BUSYBOX"
    assert "$output" =~ "ping registry 127.0.0.1:5115"
    assert "$output" =~ "--tls-verify=false"
}

@test "pull: an unreachable registry fails with the reason" {
    run_rl 125 pull --tls-verify=false 127.0.0.1:1/x/y:z
    assert "$output" =~ "rl: pull 127.0.0.1:1/x/y:z: ping registry 127.0.0.1:1"
    assert "$output" =~ "onnect" "connection refused"
}

@test "pull: unknown repository or tag" {
    run_rl 125 pull --tls-verify=false "$REG_PLAIN/rl-test/busybox:nosuchtag"
    assert "$output" =~ "reading manifest nosuchtag in 127.0.0.1:5115/rl-test/busybox"
    assert "$output" =~ "manifest unknown"
}

@test "pull by digest, and images --digests / --no-trunc / -q / --format" {
    pull pull -q --tls-verify=false "$REG_PLAIN/rl-test/busybox@$BUSYBOX_DIGEST"
    id=$output
    run_rl images --digests
    assert "${lines[0]}" =~ DIGEST
    assert "$output" =~ "$BUSYBOX_DIGEST"
    run_rl images -q
    assert "$output" == "${id:0:12}"
    run_rl images -q --no-trunc
    assert "$output" == "sha256:$id"
    pull pull -q --tls-verify=false "$IMG_BUSYBOX"
    run_rl images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
    assert "$output" =~ "127.0.0.1:5115/rl-test/busybox:latest ${id:0:12}"
    run_rl images --format json
    echo "$output" | jq -e --arg id "$id" '.[0].Id == $id and (.[0].RepoDigests | length) >= 1' \
        || die "images --format json"
    run_rl images --noheading
    assert "${lines[0]}" !~ REPOSITORY
    run_rl images --format '{{.Dangling}} {{.Containers}} {{.Labels}}'
    assert "${lines[0]}" == "false 0 map[org.opencontainers.image.title:rl-test-busybox rl.test:busybox]"
    run_rl 125 images --format '{{.NoSuchField}}'
    assert "$output" =~ "can't evaluate field NoSuchField"
}

@test "image inspect: podman's fields, --format templates" {
    pull pull -q --tls-verify=false "$IMG_BUSYBOX"
    id=$output
    run_rl image inspect "$IMG_BUSYBOX"
    echo "$output" | jq -e --arg id "$id" '.[0].Id == $id and .[0].Os == "linux"
        and .[0].Architecture == "amd64" and .[0].Config.Cmd == ["/bin/sh"]
        and (.[0].RootFS.Layers | length) == 1 and .[0].Labels["rl.test"] == "busybox"' \
        || die "inspect JSON"
    run_rl inspect --format '{{.Id}} {{.Config.Cmd}}' "${id:0:12}"
    assert "$output" == "$id [/bin/sh]"
    run_rl 125 image inspect nosuchimage
    assert "$output" =~ "rl: nosuchimage: image not known"
    run_rl image exists "$IMG_BUSYBOX"
    run_rl 1 image exists nosuchimage
}

@test "tag, rmi by name and by id, rmi -f, rmi of an unknown image" {
    pull pull -q --tls-verify=false "$IMG_BUSYBOX"
    id=$output
    run_rl tag "$IMG_BUSYBOX" localhost/mine:1 other
    run_rl images --format '{{.Repository}}:{{.Tag}}'
    assert "$output" =~ "localhost/mine:1"
    assert "$output" =~ "localhost/other:latest" "local names belong to localhost, as in podman"
    run_rl image exists other
    run_rl 125 tag nosuchimage x
    assert "$output" =~ "nosuchimage: image not known"

    run_rl 125 rmi "${id:0:12}"
    assert "$output" =~ "several names"
    run_rl rmi localhost/mine:1
    assert "$output" == "Untagged: localhost/mine:1"
    run_rl image exists "$IMG_BUSYBOX"
    run_rl 1 rmi nosuchimage
    assert "$output" == "rl: nosuchimage: image not known"
    run_rl rmi -i nosuchimage
    run_rl rmi -f "$id"
    assert "$output" =~ "Deleted: $id"
    run_rl images -q
    assert "$output" == ""
    n=$(find "$RL_ROOT/layers" "$RL_ROOT/tmp" -mindepth 1 -maxdepth 1 | wc -l)
    assert "$n" -eq 0 "layers removed with the last image"
}

@test "image prune removes dangling images only" {
    pull pull -q --tls-verify=false "$IMG_BUSYBOX"
    keep=$output
    pull pull -q --tls-verify=false "$IMG_UNCOMPRESSED"
    gone=$output
    # Moving the name leaves the uncompressed image without one.
    run_rl tag "$IMG_BUSYBOX" "$IMG_UNCOMPRESSED"
    run_rl images
    assert "$output" =~ "<none>"
    run_rl image prune -f
    assert "$output" == "$gone"
    run_rl images -q --no-trunc
    assert "$output" == "sha256:$keep"
}

# ---------------------------------------------------------------- formats and platforms

@test "pull: zstd, Docker v2s2 and uncompressed layers" {
    for img in "$IMG_ZSTD" "$IMG_DOCKER" "$IMG_UNCOMPRESSED"; do
        pull pull -q --tls-verify=false "$img"
        lower=$(lowerdirs "$img")
        [ -x "${lower%%:*}/bin/busybox" ] || die "$img: no /bin/busybox in the layer"
    done
    run_rl image inspect --format '{{.ManifestType}}' "$IMG_DOCKER"
    assert "$output" == "application/vnd.docker.distribution.manifest.v2+json"
}

@test "pull: a multi-arch index gives the host's platform, or --platform's" {
    pull pull -q --tls-verify=false "$IMG_MULTIARCH"
    lower=$(lowerdirs "$IMG_MULTIARCH")
    assert "$(cat "${lower%%:*}/platform")" == amd64
    pull pull -q --tls-verify=false --platform linux/arm64 "$IMG_MULTIARCH"
    lower=$(lowerdirs "$IMG_MULTIARCH")
    assert "$(cat "${lower%%:*}/platform")" == arm64
    run_rl image inspect --format '{{.Architecture}}' "$IMG_MULTIARCH"
    assert "$output" == arm64
    run_rl 125 pull --tls-verify=false --platform linux/ppc64le "$IMG_MULTIARCH"
    assert "$output" =~ "no image for linux/ppc64le"
    assert "$output" =~ "linux/amd64"
}

# ---------------------------------------------------------------- layer contents

@test "layers: whiteouts, opaque dirs, hardlinks, modes, owners, xattrs, sparse, long names" {
    pull pull --tls-verify=false "$IMG_LAYERS"
    assert "$output" =~ "1 device node skipped" "the device node is counted"
    in_image "$IMG_LAYERS" sh -c '
        cd /img/rl || exit 1
        for f in deleted-later.txt deleted-dir opaque/old-file.txt opaque/old-sub; do
            [ -e "$f" ] && echo "PRESENT $f"
        done
        ls -a opaque | tr "\n" " "; echo
        cat keep.txt replaced.txt file-then-dir/inside.txt opaque/new-file.txt; echo
        stat -c "%n %a %u:%g %h %i" setuid setgid-dir sticky owned-1000 dir-1000 owned-nobody hardlink-a hardlink-b
        readlink symlink-abs; readlink symlink-rel
        stat -c "%n %F %Y" fifo old-mtime
        stat -c "%n %s %b" sparse
        cat dd*/ff*; echo'
    assert "$status" -eq 0 "container ran"
    assert "$output" !~ PRESENT "whited-out paths are hidden"
    assert "$output" =~ '(^|'$'\n'')\. \.\. new-file\.txt ' "opaque dir shows only the new file"
    assert "$output" =~ "keptv2insidenew"
    assert "$output" =~ "setuid 4755 0:0"
    assert "$output" =~ "setgid-dir 2775 0:0"
    assert "$output" =~ "sticky 1777 0:0"
    assert "$output" =~ "owned-1000 644 1000:1000"
    assert "$output" =~ "dir-1000 700 1000:1000"
    assert "$output" =~ "owned-nobody 644 65534:65534"
    a=$(echo "$output" | awk '$1 == "hardlink-a" { print $4 ":" $5 }')
    b=$(echo "$output" | awk '$1 == "hardlink-b" { print $4 ":" $5 }')
    assert "$a" == "$b" "hardlinks share an inode"
    assert "${a%%:*}" == 2 "link count"
    assert "$output" =~ "/rl/keep.txt"
    assert "$output" =~ "../rl/keep.txt"
    assert "$output" =~ "fifo fifo 981158400|fifo fifo [0-9]+"
    assert "$output" =~ "old-mtime regular file 981158400"
    blocks=$(echo "$output" | awk '$1 == "sparse" && $2 == 67108864 { print $3 }')
    assert "$blocks" -lt 100 "sparse file stays sparse (512-byte blocks)"
    assert "$output" =~ "long"
    lower=$(lowerdirs "$IMG_LAYERS")
    found=0
    IFS=: read -ra dirs <<<"$lower"
    for d in "${dirs[@]}"; do
        v=$(getfattr --only-values -n user.rltest "$d/rl/xattr-file" 2>/dev/null) && found=1 && break
    done
    assert "$found" -eq 1 "user xattr kept"
    assert "$v" == hello
}

# ---------------------------------------------------------------- authentication

@test "auth: Basic registry needs credentials; --creds, login and logout" {
    run_rl 125 pull --tls-verify=false "$IMG_BASIC"
    assert "$output" =~ "requires a login: run 'rl login 127.0.0.1:5116'"
    pull pull -q --tls-verify=false --creds "$REG_USER:$REG_PASS" "$IMG_BASIC"
    run_rl rmi -a

    run_rl 125 login --tls-verify=false -u "$REG_USER" -p wrong "$REG_BASIC"
    assert "$output" =~ "invalid username or password"
    [ ! -e "$REGISTRY_AUTH_FILE" ] || die "a failed login stored credentials"
    echo "$REG_PASS" | run_rl login --tls-verify=false -u "$REG_USER" --password-stdin "$REG_BASIC"
    run_rl login --tls-verify=false -u "$REG_USER" -p "$REG_PASS" "$REG_BASIC"
    assert "$output" == "Login Succeeded!"
    assert "$(stat -c %a "$REGISTRY_AUTH_FILE")" == 600
    jq -e --arg r "$REG_BASIC" '.auths[$r].auth' "$REGISTRY_AUTH_FILE" >/dev/null || die "auth.json"
    run_rl login --get-login "$REG_BASIC"
    assert "$output" == "$REG_USER"
    pull pull -q --tls-verify=false "$IMG_BASIC"
    run_rl logout "$REG_BASIC"
    assert "$output" == "Removed login credentials for $REG_BASIC"
    run_rl 125 logout "$REG_BASIC"
    assert "$output" == "rl: logout: not logged into $REG_BASIC"
    run_rl 125 login --get-login "$REG_BASIC"
    assert "$output" == "rl: not logged into $REG_BASIC"
}

@test "auth: credentials are read from ~/.docker/config.json too" {
    unset REGISTRY_AUTH_FILE
    export HOME=$BATS_TEST_TMPDIR/home XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
    mkdir -p "$HOME/.docker" "$XDG_RUNTIME_DIR"
    printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG_BASIC" \
        "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64)" >"$HOME/.docker/config.json"
    pull pull -q --tls-verify=false "$IMG_BASIC"
}

@test "auth: Bearer token service" {
    before=$(wc -l <"$TOKEN_LOG" 2>/dev/null || echo 0)
    pull pull -q --tls-verify=false "$IMG_TOKEN"
    after=$(wc -l <"$TOKEN_LOG")
    assert "$after" -gt "$before" "a token was requested"
    tail -n 1 "$TOKEN_LOG" | grep -q 'repository:rl-test/busybox:pull' || die "scope"
}

@test "tls: certificates are checked; --cert-dir and --tls-verify=false" {
    run_rl 125 pull "$IMG_TLS"
    assert "$output" =~ "certificate"
    mkdir -p "$BATS_TEST_TMPDIR/certs"
    cp "$REG_TLS_CA" "$BATS_TEST_TMPDIR/certs/ca.crt"
    pull pull -q --cert-dir "$BATS_TEST_TMPDIR/certs" "$IMG_TLS"
    run_rl rmi -a
    # podman's per-registry directory is read without an option.
    mkdir -p "$XDG_CONFIG_HOME/containers/certs.d/$REG_TLS"
    cp "$REG_TLS_CA" "$XDG_CONFIG_HOME/containers/certs.d/$REG_TLS/ca.crt"
    pull pull -q "$IMG_TLS"
    run_rl rmi -a
    pull pull -q --tls-verify=false "$IMG_TLS"
}

# ---------------------------------------------------------------- bad registries, bad layers

# No image, no layer, no work directory left behind.
assert_store_clean() {
    run_rl images -q
    assert "$output" == "" "no image recorded"
    n=$(find "$RL_ROOT/layers" "$RL_ROOT/tmp" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    assert "$n" -eq 0 "no layer or work directory left"
}

@test "bad registry: wrong digest, truncated blob, bad manifest, bad config, 500" {
    run_rl 125 pull --tls-verify=false "$REG_BAD/bad/wrong-digest"
    assert "$output" =~ "digest mismatch"
    assert_store_clean
    run_rl 125 pull --tls-verify=false "$REG_BAD/bad/truncated"
    assert "$output" =~ "artial|truncated|ends early"
    assert_store_clean
    run_rl 125 pull --tls-verify=false "$REG_BAD/bad/bad-manifest"
    assert "$output" =~ "manifest: "
    run_rl 125 pull --tls-verify=false "$REG_BAD/bad/bad-config"
    assert "$output" =~ "image config: rootfs"
    run_rl 125 pull --tls-verify=false "$REG_BAD/bad/500"
    assert "$output" =~ "internal server error"
    assert_store_clean
    # And the next pull works.
    pull pull -q --tls-verify=false "$IMG_BUSYBOX"
}

@test "bad registry: a dropped transfer is retried and resumed" {
    pull pull -q --tls-verify=false "$REG_BAD/bad/flaky"
    lower=$(lowerdirs "$REG_BAD/bad/flaky")
    [ -x "$lower/bin/busybox" ] || die "flaky pull incomplete"
}

@test "malicious layers: nothing is written outside the layer" {
    rm -f /tmp/rl-evil-* 2>/dev/null || true
    run_rl 125 pull --tls-verify=false "$IMG_EVIL_DOTDOT"
    assert "$output" =~ "path leaves the layer"
    assert_store_clean
    run_rl 125 pull --tls-verify=false "$IMG_EVIL_HARDLINK"
    assert "$output" =~ "target leaves the layer"
    run_rl 125 pull --tls-verify=false "$IMG_EVIL_HARDLINK_ABS"
    assert "$output" =~ "hardlink 'pw'"
    assert_store_clean
    for img in "$IMG_EVIL_ABS" "$IMG_EVIL_SYMLINK"; do
        pull pull -q --tls-verify=false "$img"
    done
    run_rl 125 pull --tls-verify=false "$IMG_EVIL_BOMB"
    assert "$output" =~ "decompression bomb"
    run_rl 125 pull --tls-verify=false "$IMG_EVIL_BOMB_ZSTD"
    assert "$output" =~ "decompression bomb"
    ls /tmp/rl-evil-* 2>/dev/null && die "a layer wrote outside its directory"
    lower=$(lowerdirs "$IMG_EVIL_ABS")
    [ -e "${lower%%:*}/tmp/rl-evil-abs" ] || die "the absolute name lands inside the layer"
}

# ---------------------------------------------------------------- concurrency

@test "two pulls of one image at once both succeed, with one copy stored" {
    "$RL" --root "$RL_ROOT" pull -q --tls-verify=false "$IMG_LAYERS" >"$BATS_TEST_TMPDIR/a" 2>&1 3>&- &
    pa=$!
    "$RL" --root "$RL_ROOT" pull -q --tls-verify=false "$IMG_LAYERS" >"$BATS_TEST_TMPDIR/b" 2>&1 3>&- &
    pb=$!
    wait "$pa" || die "first pull failed: $(cat "$BATS_TEST_TMPDIR/a")"
    wait "$pb" || die "second pull failed: $(cat "$BATS_TEST_TMPDIR/b")"
    run_rl images -q
    assert "${#lines[@]}" -eq 1 "one image"
    n=$(find "$RL_ROOT/layers" -mindepth 1 -maxdepth 1 | wc -l)
    want=$(lowerdirs "$IMG_LAYERS" | tr ':' '\n' | wc -l)
    assert "$n" -eq "$want" "each layer stored once"
}

@test "a pull killed midway leaves no partial image and does not block the next" {
    for delay in 0.02 0.05 0.1; do
        "$RL" --root "$RL_ROOT" pull -q --tls-verify=false "$IMG_LAYERS" >/dev/null 2>&1 3>&- &
        pid=$!
        sleep "$delay"
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        run_rl images -q
        assert "${#lines[@]}" -le 1
    done
    pull pull -q --tls-verify=false "$IMG_LAYERS"
    pull pull -q --tls-verify=false "$IMG_BUSYBOX"
    n=$(find "$RL_ROOT/tmp" -mindepth 1 -maxdepth 1 | wc -l)
    assert "$n" -eq 0 "stale work directories were removed"
}

@test "image verbs: --help, unknown subcommand" {
    for verb in pull images rmi tag login logout image; do
        run_rl "$verb" --help
        assert "$output" =~ "Usage: rl $verb"
    done
    run_rl image inspect --help
    run_rl 125 image frobnicate
    assert "$output" =~ "unknown command 'frobnicate'"
}

@test "single-id mode: a user without subordinate ids pulls, owners collapse, one warning" {
    skip_if_rootless "needs root to become a user without subordinate ids"
    grep -q '^nobody:' /etc/subuid && skip "nobody has subordinate ids here"
    local dir
    dir=$(mktemp -d /tmp/rl-single.XXXXXX)
    chmod 0755 "$dir"
    install -d -o 65534 -g 65534 -m 0700 "$dir/store"
    run timeout 120 setpriv --reuid=65534 --regid=65534 --clear-groups -- \
        env -i PATH=/usr/bin:/bin HOME="$dir" "$RL" --root "$dir/store" pull -q \
        --tls-verify=false "$IMG_LAYERS"
    echo "$output" >&2
    assert "$status" -eq 0 "the pull works"
    assert "$(grep -c 'no subordinate ids' <<<"$output")" -eq 1 "one warning"
    assert "$output" =~ "usermod --add-subuids" "the warning names the fix"
    lower=$(setpriv --reuid=65534 --regid=65534 --clear-groups -- env -i PATH=/usr/bin:/bin \
        "$RL" --root "$dir/store" image inspect --format '{{.GraphDriver.Data.LowerDir}}' \
        "$IMG_LAYERS" 2>/dev/null)
    owners=$(IFS=:; for d in $lower; do stat -c '%u' "$d"/rl/owned-1000 2>/dev/null || true; done)
    assert "$owners" == 65534 "uid 1000 of the image belongs to the user"
    setpriv --reuid=65534 --regid=65534 --clear-groups -- env -i PATH=/usr/bin:/bin \
        "$RL" --root "$dir/store" rmi -a >/dev/null 2>&1 || true
    rm -rf "$dir"
}

@test "pull on a terminal draws a progress bar per layer" {
    command -v script >/dev/null || skip "no script(1)"
    run timeout 60 script -qec "$RL --root $RL_ROOT pull --tls-verify=false $IMG_LAYERS" /dev/null
    echo "$output" >&2
    assert "$status" -eq 0
    assert "$output" =~ 'Copying blob [0-9a-f]{12} \[=+\]' "a finished bar"
    n=$(grep -oE 'Copying blob [0-9a-f]{12} \[' <<<"$output" | sort -u | wc -l)
    assert "$n" -eq 4 "one line per layer"
    assert "$output" =~ $'\e\[' "drawn with terminal escapes"
}

@test "history, images --sort, inspect --type" {
    pull_q() { run_rl pull -q --tls-verify=false "$1"; }
    pull_q "$IMG_BUSYBOX"
    id=${lines[-1]}
    pull_q "$IMG_LAYERS"
    run_rl history "$IMG_BUSYBOX"
    assert "${lines[0]}" =~ '^ID +CREATED +CREATED BY +SIZE +COMMENT' "table header"
    assert "${lines[1]}" =~ "^${id:0:12} " "the newest entry carries the image id"
    assert "$output" =~ "umoci repack" "the commands of the config's history"
    run_rl image history -q --no-trunc "$IMG_BUSYBOX"
    assert "${lines[0]}" == "$id"
    assert "${lines[1]}" == "<missing>"
    run_rl history --format json "$IMG_BUSYBOX"
    echo "$output" | jq -e 'length == 2 and .[1].SizeBytes > 0' >/dev/null || die "history json"
    run_rl 125 history nosuchimage
    assert "$output" == "rl: nosuchimage: image not known"

    # The busybox fixture was built today, the layers one years ago: newest first by default.
    run_rl images --format '{{.Repository}}'
    assert "${lines[0]}" == "127.0.0.1:5115/rl-test/busybox"
    run_rl images --sort repository --format '{{.Repository}}'
    assert "${lines[0]}" == "127.0.0.1:5115/rl-test/busybox"
    assert "${lines[1]}" == "127.0.0.1:5115/rl-test/layers"
    run_rl images --sort size --format '{{.Repository}}'
    assert "${lines[1]}" == "127.0.0.1:5115/rl-test/layers" "the bigger one last"
    run_rl 125 images --sort bogus
    assert "$output" =~ "unknown key 'bogus'"

    run_rl inspect --type image --format '{{.Id}}' "$IMG_BUSYBOX"
    assert "$output" == "$id"
    run_rl 125 inspect --type container x
    assert "$output" =~ "no container with name or ID \"x\" found"
}

@test "a registry that redirects blobs to storage: followed, without the credentials" {
    [ -n "${IMG_BAD_REDIRECT:-}" ] || die "the fixtures have no IMG_BAD_REDIRECT"
    pull_q() { run_rl pull -q --tls-verify=false "$@"; }
    pull_q "$IMG_BAD_REDIRECT"
    # Behind Basic auth: the storage (another host name) refuses any Authorization header,
    # so the registry's credentials must not follow the redirect.
    run_rl rmi -a
    run_rl 125 pull -q --tls-verify=false "$IMG_BAD_REDIRECT_AUTH"
    assert "$output" =~ "requires a login"
    pull_q --creds someone:secret "$IMG_BAD_REDIRECT_AUTH"
    lower=$("$RL" --root "$RL_ROOT" image inspect --format '{{.GraphDriver.Data.LowerDir}}' \
        "$IMG_BAD_REDIRECT_AUTH")
    [ -x "$lower/bin/busybox" ] || die "redirected layer not extracted"
}

@test "layers: a file capability (security.capability) is kept" {
    run_rl pull -q --tls-verify=false "$IMG_LAYERS"
    lower=$("$RL" --root "$RL_ROOT" image inspect --format '{{.GraphDriver.Data.LowerDir}}' \
        "$IMG_LAYERS")
    found=
    IFS=: read -ra dirs <<<"$lower"
    for d in "${dirs[@]}"; do
        if [ -e "$d/rl/cap-file" ]; then
            found=$(getfattr --absolute-names -e hex -n security.capability "$d/rl/cap-file" \
                2>/dev/null | sed -n 's/^security.capability=//p')
        fi
    done
    # v2 (0x02...) as root, v3 (0x03..., with the namespace's root id) in a user namespace;
    # either way cap_net_raw (bit 13: bytes 00 20 00 00) is permitted, with the effective bit.
    assert "$found" =~ '^0x0100000[23]00200000' "the capability is set"
}

@test "auth: --authfile is the only credentials file read" {
    local f=$BATS_TEST_TMPDIR/other-auth.json
    run_rl login --tls-verify=false --authfile "$f" -u "$REG_USER" -p "$REG_PASS" "$REG_BASIC"
    [ -s "$f" ] || die "login --authfile wrote nothing"
    [ ! -e "$REGISTRY_AUTH_FILE" ] || die "login --authfile also wrote the default file"
    run_rl 125 pull -q --tls-verify=false "$IMG_BASIC"
    assert "$output" =~ "requires a login" "the default file has no credentials"
    run_rl pull -q --tls-verify=false --authfile "$f" "$IMG_BASIC"
    # A valid default file does not count when --authfile names another one.
    cp "$f" "$REGISTRY_AUTH_FILE"
    run_rl rmi -a
    run_rl 125 pull -q --tls-verify=false --authfile "$BATS_TEST_TMPDIR/nosuch.json" "$IMG_BASIC"
    assert "$output" =~ "requires a login"
    run_rl login --get-login --authfile "$f" "$REG_BASIC"
    assert "$output" == "$REG_USER"
}
