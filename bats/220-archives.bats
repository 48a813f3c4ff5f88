#!/usr/bin/env bats
# shellcheck disable=SC2154,SC2030,SC2031 # bats variables; the fixture variables come from env
#
# rl save, rl load and rl import: formats, ids kept across save and load, podman interop,
# bad archives.

load helpers

setup_file() {
    image_fixtures_check
}

setup() {
    image_fixtures_setup
}

teardown() {
    image_store_cleanup
}

pull_q() {
    run_rl pull -q --tls-verify=false "$1"
}

@test "save and load: docker-archive and oci-archive keep the image id and name" {
    pull_q "$IMG_LAYERS"
    id=${lines[-1]}
    for fmt in docker-archive oci-archive; do
        run_rl save --format "$fmt" -o "$BATS_TEST_TMPDIR/$fmt.tar" "$IMG_LAYERS"
        [ -s "$BATS_TEST_TMPDIR/$fmt.tar" ] || die "no archive written"
    done
    tar -tf "$BATS_TEST_TMPDIR/docker-archive.tar" | grep -qx manifest.json || die "docker-archive layout"
    tar -tf "$BATS_TEST_TMPDIR/oci-archive.tar" | grep -qx oci-layout || die "oci-archive layout"
    for fmt in docker-archive oci-archive; do
        run_rl rmi -a
        run_rl load -i "$BATS_TEST_TMPDIR/$fmt.tar"
        assert "$output" =~ "Loaded image: $IMG_LAYERS"
        run_rl images -q --no-trunc
        assert "$output" == "sha256:$id" "$fmt: same id after save and load"
    done
    # What was loaded is the same tree: saving again gives the same layers.
    run_rl save -o "$BATS_TEST_TMPDIR/again.tar" "$IMG_LAYERS"
    a=$(tar -xOf "$BATS_TEST_TMPDIR/docker-archive.tar" manifest.json | jq -c '.[0].Layers')
    b=$(tar -xOf "$BATS_TEST_TMPDIR/again.tar" manifest.json | jq -c '.[0].Layers')
    assert "$a" == "$b"
}

@test "save to standard output, load from standard input" {
    pull_q "$IMG_BUSYBOX"
    id=$output
    "$RL" --root "$RL_ROOT" save "$IMG_BUSYBOX" >"$BATS_TEST_TMPDIR/s.tar" 3>&- || die "save to stdout"
    run_rl rmi -a
    "$RL" --root "$RL_ROOT" load <"$BATS_TEST_TMPDIR/s.tar" 3>&- || die "load from stdin"
    run_rl images -q --no-trunc
    assert "$output" == "sha256:$id"
    gzip -c "$BATS_TEST_TMPDIR/s.tar" >"$BATS_TEST_TMPDIR/s.tar.gz"
    run_rl rmi -a
    run_rl load -q -i "$BATS_TEST_TMPDIR/s.tar.gz"
    assert "$output" == "" "-q prints nothing"
    run_rl image exists "$IMG_BUSYBOX"
}

@test "load: archives made by skopeo (docker-archive, oci-archive without a name)" {
    run_rl load -i "$ARCHIVE_DOCKER"
    assert "$output" =~ "Loaded image: "
    run_rl load -i "$ARCHIVE_OCI"
    assert "$output" =~ "Loaded image: sha256:[0-9a-f]{64}" "a bare tag is not a name"
}

@test "podman load reads rl save, rl load reads podman save, ids equal" {
    command -v podman >/dev/null || skip "podman is not installed"
    is_rootless || skip "podman's rootful store is not touched by the tests"
    local p=$BATS_TEST_TMPDIR/podman
    local -a podman=(podman --root "$p/root" --runroot "$p/run" --storage-driver vfs
        --cgroup-manager cgroupfs --events-backend file)
    mkdir -p "$p"
    pull_q "$IMG_BUSYBOX"
    id=$output
    run_rl save -o "$BATS_TEST_TMPDIR/rl.tar" "$IMG_BUSYBOX"
    HOME=$p "${podman[@]}" load -i "$BATS_TEST_TMPDIR/rl.tar" 3>&- || die "podman load"
    pid=$(HOME=$p "${podman[@]}" images --no-trunc --format '{{.ID}}' 3>&-)
    assert "$pid" == "sha256:$id" "podman sees the same id"
    HOME=$p "${podman[@]}" save --format oci-archive -o "$BATS_TEST_TMPDIR/p.tar" "$IMG_BUSYBOX" 3>&- \
        || die "podman save"
    run_rl rmi -a
    run_rl load -i "$BATS_TEST_TMPDIR/p.tar"
    # podman rewrites the config when it converts to OCI: the id is that of its archive.
    m=$(tar -xOf "$BATS_TEST_TMPDIR/p.tar" index.json | jq -r '.manifests[0].digest')
    want=$(tar -xOf "$BATS_TEST_TMPDIR/p.tar" "blobs/sha256/${m#sha256:}" | jq -r .config.digest)
    run_rl images -q --no-trunc
    assert "$output" == "$want"
    HOME=$p "${podman[@]}" unshare rm -rf "$p/root" "$p/run" 3>&- || true
}

@test "import: a rootfs tarball becomes a one-layer image with --change" {
    run_rl import -m "from bats" -c 'CMD ["/bin/sh", "-c", "echo hi"]' -c 'ENV A=b' \
        -c 'WORKDIR /tmp' -c 'LABEL x=y' -c 'EXPOSE 8080' "$ROOTFS_TAR" localhost/imported:1
    id=${lines[-1]}
    assert "$id" =~ '^[0-9a-f]{64}$'
    run_rl image inspect --format '{{.Config.Cmd}}|{{.Config.WorkingDir}}|{{.Labels.x}}' localhost/imported:1
    assert "$output" == "[/bin/sh -c echo hi]|/tmp|y"
    run_rl image inspect localhost/imported:1
    echo "$output" | jq -e '.[0].Config.Env | index("A=b") != null' >/dev/null || die "Env"
    echo "$output" | jq -e '.[0].Config.ExposedPorts["8080/tcp"] != null' >/dev/null || die "EXPOSE"
    echo "$output" | jq -e '(.[0].RootFS.Layers | length) == 1' >/dev/null || die "one layer"
    lower=$("$RL" --root "$RL_ROOT" image inspect --format '{{.GraphDriver.Data.LowerDir}}' localhost/imported:1)
    [ -x "$lower/bin/busybox" ] || die "the rootfs is in the layer"
    # From standard input, without a name: a dangling image.
    "$RL" --root "$RL_ROOT" import -q - <"$ROOTFS_TAR" >"$BATS_TEST_TMPDIR/id" 3>&- || die "import -"
    assert "$(cat "$BATS_TEST_TMPDIR/id")" =~ '^[0-9a-f]{64}$'
    # Saved and loaded, an imported image keeps its id too.
    run_rl save -o "$BATS_TEST_TMPDIR/i.tar" localhost/imported:1
    run_rl rmi -f localhost/imported:1
    run_rl load -i "$BATS_TEST_TMPDIR/i.tar"
    run_rl image inspect --format '{{.Id}}' localhost/imported:1
    assert "$output" == "$id"
}

@test "bad input: archives, options, names" {
    run_rl 125 load -i "$BATS_TEST_TMPDIR/nosuchfile"
    assert "$output" =~ "load: open"
    echo "not a tar" >"$BATS_TEST_TMPDIR/junk"
    run_rl 125 load -i "$BATS_TEST_TMPDIR/junk"
    assert "$output" =~ "rl: load: "
    tar -C "$BATS_TEST_TMPDIR" -cf "$BATS_TEST_TMPDIR/empty.tar" id 2>/dev/null || \
        tar -C / -cf "$BATS_TEST_TMPDIR/empty.tar" etc/hostname
    run_rl 125 load -i "$BATS_TEST_TMPDIR/empty.tar"
    assert "$output" =~ "not an image archive"
    run_rl 125 save --format tarball -o x.tar "$IMG_BUSYBOX"
    assert "$output" =~ "unknown format 'tarball'"
    run_rl 125 save -o "$BATS_TEST_TMPDIR/x.tar" nosuchimage
    assert "$output" == "rl: save: nosuchimage: image not known"
    [ ! -e "$BATS_TEST_TMPDIR/x.tar" ] || die "a failed save left a file"
    run_rl 125 save
    assert "$output" =~ "missing image name"
    run_rl 125 import
    assert "$output" =~ "need a tarball"
    run_rl 125 import -c 'FROBNICATE x' "$ROOTFS_TAR"
    assert "$output" =~ "unsupported instruction 'FROBNICATE'"
    run_rl 125 import -c 'CMD ["unclosed' "$ROOTFS_TAR"
    assert "$output" =~ "not a JSON array"
    run_rl 125 import "$ROOTFS_TAR" 'Bad/Name'
    assert "$output" =~ "invalid image reference"
    run_rl 125 import http://example.invalid/x.tar
    assert "$output" =~ "URLs are not supported"
    run_rl images -q
    assert "$output" == "" "nothing stored by failed commands"
}

@test "load: a docker-archive whose layer does not match its diff_id stores nothing" {
    pull_q "$IMG_BUSYBOX"
    run_rl save -o "$BATS_TEST_TMPDIR/s.tar" "$IMG_BUSYBOX"
    run_rl rmi -a
    mkdir "$BATS_TEST_TMPDIR/x"
    tar -C "$BATS_TEST_TMPDIR/x" -xf "$BATS_TEST_TMPDIR/s.tar"
    layer=$(jq -r '.[0].Layers[0]' "$BATS_TEST_TMPDIR/x/manifest.json")
    # Another valid tar in place of the layer.
    tar -C / -cf "$BATS_TEST_TMPDIR/x/$layer" etc/hostname
    tar -C "$BATS_TEST_TMPDIR/x" -cf "$BATS_TEST_TMPDIR/bad.tar" .
    run_rl 125 load -i "$BATS_TEST_TMPDIR/bad.tar"
    assert "$output" =~ "digest mismatch"
    run_rl images -q
    assert "$output" == ""
    n=$(find "$RL_ROOT/layers" "$RL_ROOT/tmp" -mindepth 1 -maxdepth 1 | wc -l)
    assert "$n" -eq 0 "no layer or work directory left"
}

@test "save, load, import: --help" {
    for verb in save load import; do
        run_rl "$verb" --help
        assert "$output" =~ "Usage: rl $verb"
    done
    run_rl 125 load --bogus
    assert "$output" =~ "unknown option"
}
