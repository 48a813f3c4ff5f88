#!/usr/bin/env bats
# shellcheck disable=SC2154,SC2016 # bats variables; single-quoted scripts
#
# rl cp, rl export and rl top: files in and out of running and stopped containers, tar
# streams, symlinks that must not lead out of the container, and the process table.

load helpers

setup_file() {
    image_fixtures_check
}

setup() {
    image_fixtures_setup
    ctr_registries_conf
    run_rl pull -q "$IMG_BUSYBOX"
    HOSTDIR=$BATS_TEST_TMPDIR/host
    mkdir -p "$HOSTDIR/dir/sub"
    echo file-one >"$HOSTDIR/one"
    echo file-two >"$HOSTDIR/dir/sub/two"
    ln -s two "$HOSTDIR/dir/sub/link"
}

teardown() {
    ctr_cleanup
    image_store_cleanup
}

# ctr_wait NAME FILE: wait until FILE exists in the running container NAME (its setup ran).
ctr_wait() {
    local _
    for _ in $(seq 50); do
        "$RL" --root "$RL_ROOT" exec "$1" test -e "$2" 3>&- 2>/dev/null && return 0
        sleep 0.1
    done
    die "$2 did not appear in container $1"
}

@test "cp into and out of a running container: files, directories, owners" {
    run_rl run -d --name r1 "$IMG_BUSYBOX" sh -c 'mkdir -p /srv/sub; echo in-ctr >/srv/sub/f; echo top >/srv/t; touch /ready; sleep 1000'
    ctr_wait r1 /ready

    # Host to container: into a directory, under a new name, onto a file.
    run_rl cp "$HOSTDIR/one" r1:/tmp/
    assert "$output" == "" "cp prints nothing"
    run_rl exec r1 cat /tmp/one
    assert "$output" == "file-one"
    run_rl exec r1 stat -c %u:%g /tmp/one
    assert "$output" == "0:0" "copied in: the container's root owns it"
    run_rl cp "$HOSTDIR/one" r1:/tmp/renamed
    run_rl exec r1 cat /tmp/renamed
    assert "$output" == "file-one" "a missing destination is the new name"
    echo replaced >"$BATS_TEST_TMPDIR/new"
    run_rl cp "$BATS_TEST_TMPDIR/new" r1:/srv/t
    run_rl exec r1 cat /srv/t
    assert "$output" == "replaced" "a file onto a file overwrites it"

    # A directory, recursively, with its symlink.
    run_rl cp "$HOSTDIR/dir" r1:/tmp
    run_rl exec r1 sh -c 'cat /tmp/dir/sub/two; readlink /tmp/dir/sub/link; stat -c %u /tmp/dir/sub'
    assert "${lines[0]}" == "file-two"
    assert "${lines[1]}" == "two" "symlinks are copied as symlinks"
    assert "${lines[2]}" == "0"

    # Container to host.
    run_rl cp r1:/srv/sub/f "$BATS_TEST_TMPDIR/out-f"
    assert "$(cat "$BATS_TEST_TMPDIR/out-f")" == "in-ctr"
    assert "$(stat -c %u "$BATS_TEST_TMPDIR/out-f")" == "$(id -u)" "copied out: the user owns it"
    mkdir "$BATS_TEST_TMPDIR/out"
    run_rl cp r1:/srv "$BATS_TEST_TMPDIR/out"
    assert "$(cat "$BATS_TEST_TMPDIR/out/srv/sub/f")" == "in-ctr" "a directory into an existing one"
    assert "$(stat -c %u "$BATS_TEST_TMPDIR/out/srv/sub")" == "$(id -u)"

    # `rl container cp` is the same verb.
    run_rl container cp r1:/srv/t "$BATS_TEST_TMPDIR/via-container"
    assert "$(cat "$BATS_TEST_TMPDIR/via-container")" == "replaced"
}

@test "cp into and out of created and exited containers" {
    run_rl create --name s1 "$IMG_BUSYBOX" sh -c 'cat /tmp/one /tmp/dir/sub/two; echo made-inside >/tmp/made'
    run_rl cp "$HOSTDIR/one" s1:/tmp/
    run_rl cp "$HOSTDIR/dir" s1:/tmp/
    run_rl start -a s1
    assert "${lines[0]}" == "file-one" "copied into a created container"
    assert "${lines[1]}" == "file-two"
    run_rl cp s1:/tmp/made "$BATS_TEST_TMPDIR/made"
    assert "$(cat "$BATS_TEST_TMPDIR/made")" == "made-inside" "copied out of an exited container"
    run_rl cp s1:/tmp/dir/sub/link "$BATS_TEST_TMPDIR/followed"
    assert "$(cat "$BATS_TEST_TMPDIR/followed")" == "file-two" "a symlink as the source is followed"
    run_rl inspect --format '{{.State.Status}}' s1
    assert "$output" == "exited" "copies leave the container as it was"
    run_rl start -a s1
    assert "${lines[0]}" == "file-one" "it starts again after a copy"

    # A stopped container's volume gets what is copied into it, as when it runs.
    run_rl create --name s2 -v "cpvol-$(safename):/data" "$IMG_BUSYBOX" cat /data/one
    run_rl cp "$HOSTDIR/one" s2:/data/
    run_rl start -a s2
    assert "$output" == "file-one" "copied into the volume"
}

@test "cp of a directory's contents with DIR/., and the destination rules" {
    run_rl run -d --name d1 "$IMG_BUSYBOX" sh -c 'mkdir -p /srv/a/b /existing; echo x >/srv/a/b/x; echo f >/afile; touch /ready; sleep 1000'
    ctr_wait d1 /ready

    run_rl cp "$HOSTDIR/dir/." d1:/existing
    run_rl exec d1 sh -c 'ls /existing; cat /existing/sub/two'
    assert "${lines[0]}" == "sub" "DIR/. copies what is in DIR, not DIR"
    assert "${lines[1]}" == "file-two"
    run_rl cp "$HOSTDIR/dir/." d1:/newdir
    run_rl exec d1 cat /newdir/sub/two
    assert "$output" == "file-two" "DIR/. onto a missing path creates it"
    run_rl cp "$HOSTDIR/dir" d1:/newdir2
    run_rl exec d1 cat /newdir2/sub/two
    assert "$output" == "file-two" "DIR onto a missing path: the copy gets that name"

    mkdir "$BATS_TEST_TMPDIR/contents"
    run_rl cp d1:/srv/a/. "$BATS_TEST_TMPDIR/contents"
    assert "$(ls "$BATS_TEST_TMPDIR/contents")" == "b"
    run_rl cp d1:/srv "$BATS_TEST_TMPDIR/srvcopy"
    assert "$(cat "$BATS_TEST_TMPDIR/srvcopy/a/b/x")" == "x"

    run_rl 125 cp "$HOSTDIR/dir" d1:/afile
    assert "$output" =~ "destination must be a directory when copying a directory"
    touch "$BATS_TEST_TMPDIR/plainfile"
    run_rl 125 cp d1:/srv "$BATS_TEST_TMPDIR/plainfile"
    assert "$output" =~ "destination must be a directory when copying a directory"
    run_rl 125 cp d1:/afile /dev/null
    assert "$output" =~ 'invalid destination: "/dev/null" must be a directory or a regular file'
}

@test "cp with - streams a tar archive from stdin and to stdout" {
    run_rl run -d --name t1 "$IMG_BUSYBOX" sh -c 'mkdir -p /data/d /own; echo streamed >/data/d/f; touch /ready; sleep 1000'
    ctr_wait t1 /ready

    tar -C "$HOSTDIR" -czf "$BATS_TEST_TMPDIR/in.tgz" dir one
    run bash -c "'$RL' --root '$RL_ROOT' cp - t1:/tmp <'$BATS_TEST_TMPDIR/in.tgz' 3>&-"
    assert "$status" -eq 0 "cp - of a gzip'd tar: $output"
    run_rl exec t1 sh -c 'cat /tmp/one /tmp/dir/sub/two; stat -c %u /tmp/one'
    assert "$output" == $'file-one\nfile-two\n0'

    tar --owner=1042 --group=1043 -C "$HOSTDIR" -cf "$BATS_TEST_TMPDIR/owned.tar" one
    run bash -c "'$RL' --root '$RL_ROOT' cp -a=false - t1:/own <'$BATS_TEST_TMPDIR/owned.tar' 3>&-"
    assert "$status" -eq 0 "$output"
    run_rl exec t1 stat -c %u:%g /own/one
    assert "$output" == "1042:1043" "--archive=false keeps the archive's owners"

    run bash -c "'$RL' --root '$RL_ROOT' cp t1:/data - 3>&- | tar -tf -"
    assert "$status" -eq 0
    assert "$output" =~ "data/d/f" "cp CTR:DIR - writes a tar of DIR"
    run bash -c "'$RL' --root '$RL_ROOT' cp t1:/data/d/f - 3>&- | tar -xOf -"
    assert "$output" == "streamed"

    run bash -c "echo not-a-tar | '$RL' --root '$RL_ROOT' cp - t1:/tmp 3>&-"
    assert "$status" -eq 125
    assert "$output" =~ "source must be a \(compressed\) tar archive when copying from stdin"
    run bash -c "'$RL' --root '$RL_ROOT' cp - t1:/tmp/one <'$BATS_TEST_TMPDIR/owned.tar' 3>&-"
    assert "$status" -eq 125
    assert "$output" =~ "destination must be a directory when copying from stdin"
}

@test "cp resolves symlinks inside the container: no way out" {
    local mark
    mark=escape-$(safename)
    run_rl run -d --name e1 "$IMG_BUSYBOX" sh -c "ln -s / /escape; ln -s ../../../../.. /tmp/up; mkdir /tmp/d; ln -s / /tmp/d/root; echo inside >/$mark; touch /ready; sleep 1000"
    ctr_wait e1 /ready

    # Into the container through symlinks that point at its root.
    run_rl cp "$HOSTDIR/one" "e1:/escape/tmp/$mark"
    run_rl exec e1 cat "/tmp/$mark"
    assert "$output" == "file-one" "/escape/tmp is the container's /tmp"
    assert "$(ls "/tmp/$mark" 2>&1)" =~ "No such file" "nothing written on the host"
    run_rl cp "$HOSTDIR/one" "e1:/tmp/up/tmp/up-$mark"
    run_rl exec e1 cat "/tmp/up-$mark"
    assert "$output" == "file-one"
    assert "$(ls "/tmp/up-$mark" 2>&1)" =~ "No such file"
    run_rl cp "$HOSTDIR/one" "e1:../../../../tmp/dots-$mark"
    run_rl exec e1 cat "/tmp/dots-$mark"
    assert "$output" == "file-one" ".. stops at the container's root"
    assert "$(ls "/tmp/dots-$mark" 2>&1)" =~ "No such file"

    # Out of the container: what the links name inside it.
    run_rl cp "e1:/escape/$mark" "$BATS_TEST_TMPDIR/a"
    assert "$(cat "$BATS_TEST_TMPDIR/a")" == "inside"
    run_rl cp "e1:/tmp/up/../../$mark" "$BATS_TEST_TMPDIR/b"
    assert "$(cat "$BATS_TEST_TMPDIR/b")" == "inside"
    run_rl cp e1:/escape/etc/passwd "$BATS_TEST_TMPDIR/passwd"
    run_rl exec e1 cat /etc/passwd
    assert "$(cat "$BATS_TEST_TMPDIR/passwd")" == "$output" "the container's passwd, not the host's"
    # A symlink inside a copied directory stays a symlink.
    run_rl cp e1:/tmp/d "$BATS_TEST_TMPDIR/d"
    assert "$(readlink "$BATS_TEST_TMPDIR/d/root")" == "/" "not followed"

    # The same in a stopped container.
    run_rl stop -t 0 e1
    run_rl cp "$HOSTDIR/one" "e1:/escape/tmp/stopped-$mark"
    assert "$(ls "/tmp/stopped-$mark" 2>&1)" =~ "No such file"
    run_rl cp "e1:/tmp/up/tmp/stopped-$mark" "$BATS_TEST_TMPDIR/c"
    assert "$(cat "$BATS_TEST_TMPDIR/c")" == "file-one"
}

@test "cp errors: missing source, missing parent, no container" {
    run_rl create --name m1 "$IMG_BUSYBOX" true
    run_rl 125 cp m1:/no/such/file "$BATS_TEST_TMPDIR/x"
    assert "$output" =~ '"/no/such/file" could not be found on container m1'
    run_rl 125 cp "$BATS_TEST_TMPDIR/nonexistent" m1:/tmp
    assert "$output" =~ "\"$BATS_TEST_TMPDIR/nonexistent\" could not be found on the host"
    run_rl 125 cp "$HOSTDIR/one" m1:/IdoNotExist/file
    assert "$output" =~ '"/IdoNotExist/file" could not be found on container m1'
    run_rl 125 cp "$HOSTDIR/one" m1:/IdoNotExist/
    assert "$output" =~ '"/IdoNotExist/" could not be found on container m1'
    run_rl 125 cp m1:/etc/passwd "$BATS_TEST_TMPDIR/no/such/dir/x"
    assert "$output" =~ "could not be found on the host"
    run_rl 125 cp "$HOSTDIR/one" "$BATS_TEST_TMPDIR/x"
    assert "$output" =~ "CONTAINER:PATH"
    run_rl 125 cp "$HOSTDIR/one" nosuch:/tmp
    assert "$output" =~ 'no container with name or ID "nosuch" found'
    run_rl 125 cp "$HOSTDIR/one"
}

@test "export writes the root filesystem of running and stopped containers" {
    run_rl create --name x1 "$IMG_BUSYBOX" sh -c 'echo exported >/etc/marker; sleep 1000'
    run bash -c "'$RL' --root '$RL_ROOT' export x1 3>&- | tar -tvf -"
    assert "$status" -eq 0
    assert "$output" =~ " bin/busybox" "the image's files"
    assert "$output" =~ "0/0 +[0-9]+ [-0-9]+ [0-9:]+ bin/busybox" "owners as in the container"

    run_rl start x1
    for _ in $(seq 50); do
        "$RL" --root "$RL_ROOT" exec x1 test -e /etc/marker 3>&- 2>/dev/null && break
        sleep 0.1
    done
    run_rl export -o "$BATS_TEST_TMPDIR/x1.tar" x1
    assert "$(tar -xOf "$BATS_TEST_TMPDIR/x1.tar" etc/marker)" == "exported" "the container's changes"
    run tar -tf "$BATS_TEST_TMPDIR/x1.tar"
    assert "$output" =~ "bin/busybox"
    assert "$output" !~ $'\nproc/[0-9]' "no /proc of the running container"
    run_rl container export -o "$BATS_TEST_TMPDIR/x1b.tar" x1
    assert "$(tar -xOf "$BATS_TEST_TMPDIR/x1b.tar" etc/marker)" == "exported"
    run_rl 125 export
    run_rl 125 export nosuch -o "$BATS_TEST_TMPDIR/n.tar"
    assert "$output" =~ 'no container with name or ID "nosuch" found'
}

@test "top lists the container's processes with podman's headers" {
    run_rl run -d --name p1 "$IMG_BUSYBOX" sh -c 'touch /ready; exec sleep 1000'
    ctr_wait p1 /ready
    run_rl exec -d p1 sleep 999
    for _ in $(seq 50); do
        "$RL" --root "$RL_ROOT" top p1 args 3>&- 2>/dev/null | grep -q "sleep 999" && break
        sleep 0.1
    done

    run_rl top p1
    assert "${lines[0]}" =~ "^USER +PID +PPID +%CPU +ELAPSED +TTY +TIME +COMMAND$" "podman's default columns"
    assert "${lines[1]}" =~ "^root +1 +0 +[0-9.]+ +[0-9a-z.]+ +\? +[0-9a-z.]+ +sleep 1000$" "the init"
    assert "$output" =~ "sleep 999" "an exec'd process is in the table"
    assert "${#lines[@]}" -eq 3 "only the container's processes"

    run_rl top p1 pid,hpid args
    assert "${lines[0]}" =~ "^PID +HPID +COMMAND$"
    run_rl container top p1 %p %a
    assert "${lines[0]}" =~ "^PID +COMMAND$" "AIX codes, rl container top"

    run_rl 125 top p1 nosuchdescriptor
    assert "$output" =~ "'nosuchdescriptor': unknown descriptor"
    run_rl top --list-descriptors
    assert "$output" =~ $'\nhuser\n' "--list-descriptors"

    run_rl stop -t 0 p1
    run_rl 125 top p1
    assert "$output" =~ "top can only be used on running containers"
    run_rl create --name p2 "$IMG_BUSYBOX" true
    run_rl 125 top p2
    assert "$output" =~ "top can only be used on running containers"
    run_rl 125 top nosuch
    assert "$output" =~ 'no container with name or ID "nosuch" found'
}
