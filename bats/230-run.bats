#!/usr/bin/env bats
# shellcheck disable=SC2154,SC2016,SC2030,SC2031 # bats variables; single-quoted scripts
#
# rl run: images from the local registry become containers; the image config and the flags
# become the process, its environment, user, mounts and security settings.

load helpers

setup_file() {
    image_fixtures_check
}

setup() {
    image_fixtures_setup
    ctr_registries_conf
    # Pulled quietly here: what the tests compare is the containers' output.
    case "$BATS_TEST_DESCRIPTION" in
    *"pulled when missing"*) ;;
    *) run_rl pull -q "$IMG_BUSYBOX" "$IMG_APP" "$IMG_APPUSER" ;;
    esac
}

teardown() {
    ctr_cleanup
    image_store_cleanup
}

# ---------------------------------------------------------------- the basics

@test "run: output, exit status, and the image's command" {
    run_rl run --rm "$IMG_BUSYBOX" echo hello world
    assert "$output" =~ "hello world" "the command's output"
    run_rl 3 run --rm "$IMG_BUSYBOX" sh -c 'exit 3'
    run_rl 0 run --rm "$IMG_BUSYBOX" true
    run_rl 1 run --rm "$IMG_BUSYBOX" false
    # The image's ENTRYPOINT and CMD.
    run_rl run --rm "$IMG_APP"
    assert "${lines[-1]}" == "hello from app" "ENTRYPOINT + CMD"
    # Arguments replace CMD and keep the ENTRYPOINT.
    run_rl run --rm "$IMG_APP" sh -c 'cat /tmp/entry.log'
    assert "$output" == "entry: sh -c cat /tmp/entry.log" "the entrypoint ran first"
}

@test "run: the process is pulled when missing, and --pull=never refuses" {
    run_rl 125 run --rm --pull=never "$IMG_BUSYBOX" true
    assert "$output" =~ "image not known" "--pull=never without the image"
    run_rl run --rm -q "$IMG_BUSYBOX" true
    run_rl run --rm --pull=never "$IMG_BUSYBOX" echo ok
    assert "$output" == "ok"
    run_rl run --rm --pull=always -q "$IMG_BUSYBOX" echo again
    assert "$output" == "again"
    run_rl 125 run --rm --pull=sometimes "$IMG_BUSYBOX" true
    assert "$output" =~ "pull policy"
}

@test "run: exec failures exit 126 and 127 and leave nothing behind" {
    run_rl pull -q "$IMG_BUSYBOX"
    run_rl 127 run --rm "$IMG_BUSYBOX" /no/such/command
    assert "$output" =~ "/no/such/command" "names the command"
    run_rl 126 run --rm "$IMG_BUSYBOX" /etc/passwd
    run_rl 127 run --name gone "$IMG_BUSYBOX" nosuchcommand
    run_rl ps -a -q
    assert "$output" == "" "no container record after a failed start"
}

@test "run: bad input is refused with exit 125 and nothing left behind" {
    run_rl pull -q "$IMG_BUSYBOX"
    run_rl 125 run --rm "$IMG_BUSYBOX:nosuchtag" true
    run_rl 125 run --rm "UPPER/case" true
    assert "$output" =~ "UPPER/case"
    run_rl 125 run --rm -v :/x "$IMG_BUSYBOX" true
    assert "$output" =~ "volume"
    run_rl 125 run --rm -v /tmp:relative "$IMG_BUSYBOX" true
    run_rl 125 run --rm --ulimit nofile=x "$IMG_BUSYBOX" true
    assert "$output" =~ "nofile=x"
    run_rl 125 run --rm --ulimit nosuch=1 "$IMG_BUSYBOX" true
    run_rl 125 run --rm -u nosuchuser "$IMG_BUSYBOX" true
    assert "$output" =~ "unable to find user nosuchuser"
    run_rl 125 run --rm -w /no/such/dir "$IMG_BUSYBOX" true
    assert "$output" =~ 'workdir "/no/such/dir" does not exist'
    run_rl 125 run --rm --cap-add NOSUCHCAP "$IMG_BUSYBOX" true
    run_rl 125 run --rm --security-opt nosuch "$IMG_BUSYBOX" true
    run_rl 125 run --rm --stop-signal NOSUCH "$IMG_BUSYBOX" true
    run_rl 125 run --rm --network bogus "$IMG_BUSYBOX" true
    run_rl 125 run --rm --nosuchflag "$IMG_BUSYBOX" true
    run_rl 125 run --rm=maybe "$IMG_BUSYBOX" true
    assert "$output" =~ "--rm: 'maybe' is not a boolean"
    run_rl 125 run --rm
    assert "$output" =~ "missing image"
    run_rl 125 run --rm -p abc "$IMG_BUSYBOX" true
    run_rl 125 run --rm --name 'bad name' "$IMG_BUSYBOX" true
    run_rl ps -a -q
    assert "$output" == "" "no container records"
    [ ! -d "$RL_ROOT/containers" ] || [ -z "$(ls "$RL_ROOT/containers" | grep -v '\.lock$')" ] \
        || die "container directories were left: $(ls "$RL_ROOT/containers")"
    run_rl volume ls -q
    assert "$output" == "" "no volumes"
}

@test "run: names are unique and --replace takes the old one's place" {
    run_rl run --name one "$IMG_BUSYBOX" true
    run_rl 125 run --name one "$IMG_BUSYBOX" true
    assert "$output" =~ 'the container name "one" is already in use'
    run_rl ps -a --format '{{.Names}}'
    assert "$output" == "one" "only the first container exists"
    run_rl run --replace --name one "$IMG_BUSYBOX" echo second
    run_rl ps -a --format '{{.Names}} {{.Command}}'
    assert "$output" =~ "^one .*echo second" "the new container took the name"
    run_rl rm one
}

# ---------------------------------------------------------------- the process

@test "run: environment from the image, --env, --env-file and the host" {
    printf '%s\n' '# a comment' '' 'FROMFILE=file value' 'FOO=from-file' >"$BATS_TEST_TMPDIR/env"
    HOSTVAR=from-host HOSTPRE_A=1 HOSTPRE_B=2 run_rl run --rm --env-file "$BATS_TEST_TMPDIR/env" \
        -e FOO=from-flag -e HOSTVAR -e 'HOSTPRE_*' -e EMPTY= "$IMG_APP" env
    assert "$output" =~ "FOO=from-flag" "-e wins over the file and the image"
    assert "$output" =~ "FROMFILE=file value" "--env-file"
    assert "$output" =~ "HOSTVAR=from-host" "-e KEY takes the host's value"
    assert "$output" =~ "HOSTPRE_A=1" "-e PREFIX* takes the host's variables"
    assert "$output" =~ "HOSTPRE_B=2"
    assert "$output" =~ "EMPTY=" 
    assert "$output" =~ "PATH=/usr/local/sbin" "the image's PATH"
    assert "$output" =~ "HOME=/root" "HOME of root"
    assert "$output" =~ "HOSTNAME=" "HOSTNAME"
    run_rl run --rm "$IMG_APP" env
    assert "$output" =~ "FOO=bar" "the image's ENV"
    run_rl 125 run --rm --env-file /no/such/file "$IMG_APP" env
}

@test "run: --workdir, the image's WORKDIR, --entrypoint and --hostname" {
    run_rl run --rm "$IMG_APP" pwd
    assert "${lines[-1]}" == "/work" "the image's WORKDIR"
    run_rl run --rm -w /tmp "$IMG_APP" pwd
    assert "${lines[-1]}" == "/tmp"
    run_rl run --rm --entrypoint /bin/echo "$IMG_APP" direct
    assert "$output" == "direct" "--entrypoint replaces the image's"
    run_rl run --rm --entrypoint '["/bin/sh","-c","echo json $0"]' "$IMG_APP"
    assert "$output" == "json /bin/sh" "a JSON --entrypoint, without the image's CMD"
    run_rl run --rm --entrypoint '' "$IMG_APP" echo no entrypoint
    assert "$output" == "no entrypoint"
    run_rl run --rm --hostname myhost "$IMG_BUSYBOX" sh -c 'hostname; cat /etc/hostname; grep myhost /etc/hosts'
    assert "${lines[0]}" == "myhost"
    assert "${lines[1]}" == "myhost" "/etc/hostname"
    assert "${lines[2]}" =~ "myhost" "/etc/hosts names it"
    run_rl run --rm --name hn "$IMG_BUSYBOX" hostname
    assert "$output" =~ ^[0-9a-f]{12}$ "the default host name is the short id"
}

@test "run: --user by name, uid and group, with supplementary groups from the image" {
    run_rl run --rm "$IMG_APP" id
    assert "${lines[-1]}" == "uid=0(root) gid=0(root) groups=29(audio)" "root's groups from /etc/group"
    run_rl run --rm -u app "$IMG_APP" sh -c 'id; echo $HOME'
    assert "${lines[0]}" == "uid=1000(app) gid=1000(app) groups=29(audio),50(staff)" "-u app"
    assert "${lines[1]}" == "/home/app" "HOME from passwd"
    run_rl run --rm -u 1234:5678 "$IMG_APP" id
    assert "$output" =~ "^uid=1234 gid=5678" "numeric ids need no passwd entry"
    run_rl run --rm -u app:staff "$IMG_APP" id -g
    assert "$output" == "50"
    run_rl run --rm "$IMG_APPUSER" id -u
    assert "$output" == "1000" "the image's USER"
    run_rl run --rm --group-add 50 "$IMG_BUSYBOX" id -G
    assert "$output" =~ "50" "--group-add"
    run_rl 125 run --rm -u app:nosuchgroup "$IMG_APP" true
}

@test "run --userns=keep-id: the user's ids inside, the image's owners kept, no copy" {
    is_rootless || skip "keep-id is for rootless users (podman refuses it for root too)"
    local d=$BATS_TEST_TMPDIR/kid before after
    mkdir -p "$d"
    echo hi >"$d/f"
    before=$(du -s --block-size=1 "$RL_ROOT/layers" | cut -f1)
    run_rl run --rm --userns=keep-id -v "$d:/h" "$IMG_APP" \
        sh -c 'id -u; id -g; stat -c %u /bin /home/app /h/f; touch /h/new /tmp/t && echo written'
    assert "${lines[0]}" == "$(id -u)" "the user's uid"
    assert "${lines[1]}" == "$(id -g)" "the user's gid"
    assert "${lines[2]}" == "0" "the image's root files stay root's"
    assert "${lines[3]}" == "1000" "the image's uid 1000 stays 1000"
    assert "${lines[4]}" == "$(id -u)" "the user's files are the user's"
    assert "${lines[5]}" == "written"
    assert "$(stat -c %u "$d/new")" == "$(id -u)" "a file made inside belongs to the user"
    after=$(du -s --block-size=1 "$RL_ROOT/layers" | cut -f1)
    assert "$after" == "$before" "no copy of the image"
    run_rl run --rm --userns=keep-id "$IMG_APP" sh -c 'whoami; echo $HOME; grep -c "^root:" /etc/passwd'
    assert "${lines[0]}" == "$(id -un)" "the user has an entry in the container's passwd"
    assert "${lines[1]}" == "$HOME" "HOME as on the host"
    assert "${lines[2]}" == "1" "the image's entries are kept"
    run_rl run --rm --userns=keep-id -u 0 "$IMG_APP" id -u
    assert "$output" == "0" "-u still chooses"
    run_rl 125 run --rm --userns=nosuchmode "$IMG_APP" true
}

@test "run: fuse-overlayfs when the kernel cannot mount overlays (RL_ROOTFS_DRIVER forces it)" {
    RL_ROOTFS_DRIVER=fuse-overlayfs run_rl run --rm "$IMG_APP" sh -c \
        'grep " / " /proc/mounts | cut -d" " -f3; stat -c %u /home/app; echo x >/newfile && cat /newfile'
    assert "${lines[0]}" == "fuse.fuse-overlayfs" "the root is fuse-overlayfs"
    assert "${lines[1]}" == "1000" "owners as in the image"
    assert "${lines[2]}" == "x" "writable"
    RL_ROOTFS_DRIVER=fuse-overlayfs run_rl info
    assert "$output" =~ "driver: +fuse-overlayfs"
    run_rl run --rm "$IMG_BUSYBOX" sh -c 'grep " / " /proc/mounts | cut -d" " -f3'
    assert "$output" == "overlay" "this kernel's overlay otherwise"
    assert "$(cat "$RL_ROOT/cache/rootfs-driver")" == "overlay" "the choice is kept in the store"
}

@test "run: --init reaps zombies and forwards signals; without it the command is pid 1" {
    run_rl run --rm "$IMG_BUSYBOX" sh -c 'echo $$'
    assert "$output" == "1"
    run_rl run --rm=1 --init=true "$IMG_BUSYBOX" sh -c 'echo $$; cat /proc/1/comm'
    assert "${lines[0]}" == "2" "the command is pid 2 under --init"
    assert "${lines[1]}" == "rl-init"
    # An orphan that exits is reaped by init: no zombie stays.
    run_rl run --rm --init "$IMG_BUSYBOX" sh -c '(sleep 0.2 &) ; sleep 1; ps -o stat,comm | grep -c "^Z" || true'
    assert "${lines[-1]}" == "0" "no zombies under --init"
    run_rl 7 run --rm --init "$IMG_BUSYBOX" sh -c 'exit 7'
}

@test "run: ulimits, umask and oom-score-adj" {
    run_rl run --rm --ulimit nofile=100:200 --ulimit nproc=50 "$IMG_BUSYBOX" sh -c 'ulimit -n; ulimit -Hn; ulimit -u'
    assert "${lines[0]}" == "100"
    assert "${lines[1]}" == "200"
    assert "${lines[2]}" == "50"
    run_rl run --rm --umask 0077 "$IMG_BUSYBOX" sh -c 'umask'
    assert "$output" == "0077"
    run_rl run --rm --oom-score-adj 500 "$IMG_BUSYBOX" cat /proc/self/oom_score_adj
    assert "$output" == "500"
    run_rl 125 run --rm --ulimit nofile=200:100 "$IMG_BUSYBOX" true
}

# ---------------------------------------------------------------- security

@test "run: podman's capabilities, --cap-add, --cap-drop and --privileged" {
    run_rl run --rm "$IMG_BUSYBOX" grep CapEff /proc/self/status
    assert "$output" =~ "00000000800405fb" "podman's default set"
    run_rl run --rm --cap-drop all "$IMG_BUSYBOX" grep CapEff /proc/self/status
    assert "$output" =~ "0000000000000000"
    run_rl run --rm --cap-add NET_ADMIN --cap-drop chown "$IMG_BUSYBOX" grep CapEff /proc/self/status
    assert "$output" =~ "00000000800415fa" "+NET_ADMIN -CHOWN"
    run_rl run --rm -u 1000 "$IMG_BUSYBOX" grep -E 'CapEff|CapBnd' /proc/self/status
    assert "${lines[0]}" =~ "0000000000000000" "a non-root user has no effective capabilities"
    assert "${lines[1]}" =~ "00000000800405fb" "and podman's bounding set"
    run_rl run --rm --privileged "$IMG_BUSYBOX" sh -c 'grep -E "CapEff|Seccomp:" /proc/self/status'
    # All there are: a user namespace has them all, a host's root what it has itself.
    local all=000001ffffffffff
    is_rootless || all=$(awk '/^CapBnd/ { print $2 }' /proc/self/status)
    assert "${lines[0]}" =~ "$all" "all capabilities"
    assert "${lines[1]}" =~ "0" "no seccomp"
}

@test "run: seccomp, no-new-privileges, masked and read-only paths" {
    run_rl run --rm "$IMG_BUSYBOX" sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
    assert "${lines[0]}" =~ "NoNewPrivs:.0" "podman: no_new_privs off by default"
    assert "${lines[1]}" =~ "Seccomp:.2" "the default filter"
    run_rl run --rm --security-opt seccomp=unconfined --security-opt no-new-privileges \
        "$IMG_BUSYBOX" sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
    assert "${lines[0]}" =~ "NoNewPrivs:.1"
    assert "${lines[1]}" =~ "Seccomp:.0"
    # podman's profile lets a container make user namespaces (podman in podman).
    run_rl run --rm "$IMG_BUSYBOX" unshare -U true
    run_rl run --rm "$IMG_BUSYBOX" sh -c 'grep -c " /proc/keys " /proc/self/mountinfo; grep " /proc/sys " /proc/self/mountinfo | grep -c " ro,"'
    assert "${lines[0]}" == "1" "/proc/keys is masked (a mount over it)"
    assert "${lines[1]}" == "1" "/proc/sys is read-only"
    run_rl '?' run --rm --security-opt unmask=/proc/keys "$IMG_BUSYBOX" grep -c " /proc/keys " /proc/self/mountinfo
    assert "$output" == "0" "unmask"
    run_rl run --rm --security-opt mask=/etc/hostname "$IMG_BUSYBOX" cat /etc/hostname
    assert "$output" == "" "mask= hides a file"
}

@test "run: --read-only root with tmpfs on /tmp, /var/tmp and /run" {
    run_rl 1 run --rm --read-only "$IMG_BUSYBOX" touch /newfile
    assert "$output" =~ "Read-only file system"
    run_rl run --rm --read-only "$IMG_BUSYBOX" sh -c 'touch /tmp/a /var/tmp/b /run/c && echo ok'
    assert "$output" == "ok"
    run_rl 1 run --rm --read-only --read-only-tmpfs=false "$IMG_BUSYBOX" touch /tmp/a
}

# ---------------------------------------------------------------- filesystems

@test "run: changes stay in the container until it is removed" {
    run_rl run --name keep "$IMG_BUSYBOX" sh -c 'test -e /root/file && echo again; echo data >/root/file; rm -f /bin/cat'
    assert "$output" == "" "a new container"
    run_rl start -a keep
    assert "$output" == "again" "the second start sees the first one's change"
    run_rl rm keep
    run_rl run --rm "$IMG_BUSYBOX" sh -c 'test ! -e /root/file && test -e /bin/cat && echo clean'
    assert "$output" == "clean" "another container sees the image as it was"
}

@test "run: -v binds host paths, ro and rw, owned by the user" {
    local d=$BATS_TEST_TMPDIR/host
    mkdir -p "$d"
    echo from-host >"$d/in"
    run_rl run --rm -v "$d:/mnt" "$IMG_BUSYBOX" sh -c 'cat /mnt/in; echo out >/mnt/out'
    assert "$output" == "from-host"
    assert "$(cat "$d/out")" == "out" "written through the bind"
    assert "$(stat -c %u "$d/out")" == "$(id -u)" "container root writes as the user"
    run_rl 1 run --rm -v "$d:/mnt:ro" "$IMG_BUSYBOX" touch /mnt/x
    assert "$output" =~ "Read-only"
    run_rl run --rm -v "$d/in:/etc/motd:ro,z" "$IMG_BUSYBOX" cat /etc/motd
    assert "$output" == "from-host" "a file bind, z ignored"
    run_rl run --rm --mount "type=bind,source=$d,destination=/m2,readonly" "$IMG_BUSYBOX" sh -c 'cat /m2/in; touch /m2/y 2>/dev/null || echo ro'
    assert "${lines[1]}" == "ro" "--mount type=bind,readonly"
    run_rl 125 run --rm -v "$d:/mnt:U" "$IMG_BUSYBOX" true
    assert "$output" =~ "not supported yet" "U is refused, not ignored"
    run_rl 125 run --rm -v /no/such/dir:/mnt "$IMG_BUSYBOX" true
    assert "$output" =~ "/no/such/dir"
}

@test "run: named volumes are created on first use and survive the container" {
    run_rl run --rm -v vol1:/v "$IMG_BUSYBOX" sh -c 'echo kept >/v/f'
    run_rl volume ls -q
    assert "$output" == "vol1"
    run_rl run --rm --mount type=volume,source=vol1,target=/w "$IMG_BUSYBOX" cat /w/f
    assert "$output" == "kept"
    run_rl create --name user1 -v vol1:/v "$IMG_BUSYBOX" true
    run_rl 2 volume rm vol1
    assert "$output" =~ "volume vol1 is being used by the following container"
    run_rl volume ls --filter dangling=false -q
    assert "$output" == "vol1" "a used volume is not dangling"
    run_rl volume rm -f vol1
    run_rl ps -a -q
    assert "$output" == "" "volume rm -f removed the container that used it"
}

@test "run: the image's VOLUME gets an anonymous volume with the image's content" {
    run_rl run --name av "$IMG_APP" sh -c 'cat /data/seed.txt; echo new >/data/new'
    assert "${lines[-1]}" == "seed" "the volume starts with the image's files"
    run_rl volume ls -q
    assert "${#lines[@]}" -eq 1 "one anonymous volume"
    run_rl inspect --format '{{range .Mounts}}{{.Destination}} {{.Type}}{{end}}' av
    assert "$output" == "/data volume"
    run_rl rm -v av
    run_rl volume ls -q
    assert "$output" == "" "rm -v removes anonymous volumes"
    run_rl run --rm "$IMG_APP" true
    run_rl volume ls -q
    assert "$output" == "" "--rm removes them too"
}

@test "run: --tmpfs and --mount type=tmpfs" {
    run_rl run --rm --tmpfs /scratch:size=1m,mode=1777 "$IMG_BUSYBOX" sh -c 'grep " /scratch " /proc/mounts; stat -c %a /scratch'
    assert "${lines[0]}" =~ "tmpfs /scratch tmpfs" 
    assert "${lines[0]}" =~ "size=1024k"
    assert "${lines[1]}" == "1777"
    run_rl run --rm --mount type=tmpfs,destination=/t2,tmpfs-size=2m "$IMG_BUSYBOX" grep " /t2 " /proc/mounts
    assert "$output" =~ "size=2048k"
}

@test "run: /etc/hosts, /etc/resolv.conf and /run/.containerenv" {
    run_rl run --rm --name envtest "$IMG_BUSYBOX" sh -c 'cat /etc/hosts; echo ---; cat /run/.containerenv'
    assert "$output" =~ "127.0.0.1	localhost" "localhost"
    assert "$output" =~ "envtest" "the container's name in /etc/hosts"
    assert "$output" =~ 'name="envtest"' ".containerenv"
    run_rl run --rm --no-hosts "$IMG_BUSYBOX" cat /etc/hosts
    assert "$output" == "" "--no-hosts keeps the image's (empty) file"
}

# ---------------------------------------------------------------- terminals and stdin

@test "run: -i passes stdin, without -i the process reads /dev/null" {
    run bash -c "echo piped | timeout 30 '$RL' --root '$RL_ROOT' run --rm -i '$IMG_BUSYBOX' cat 3>&-"
    assert "$output" == "piped" "-i"
    run bash -c "echo piped | timeout 30 '$RL' --root '$RL_ROOT' run --rm '$IMG_BUSYBOX' cat 3>&-"
    assert "$status" -eq 0
    assert "$output" == "" "no -i: stdin is empty"
}

@test "run: -t gives the process a terminal" {
    run_rl run --rm -t "$IMG_BUSYBOX" sh -c 'tty; echo TERM=$TERM'
    assert "$output" =~ "/dev/pts/0" "a pty"
    assert "$output" =~ "TERM=xterm"
    run script -qec "timeout --foreground 30 '$RL' --root '$RL_ROOT' run --rm -it '$IMG_BUSYBOX' sh -c 'stty size'" /dev/null 3>&-
    assert "$status" -eq 0 "script(1) gives rl a terminal"
}

@test "run -it: the process reads what is typed on the terminal" {
    # ptydrive types once the process has said "ready" and been quiet for a moment.
    run "$BATS_TEST_DIRNAME/../tests/helpers/ptydrive.py" 'hello there\r' \
        "$RL" --root "$RL_ROOT" run -it --rm "$IMG_BUSYBOX" \
        sh -c 'echo ready; read line; echo "got:$line"; tty; exit 3' 3>&-
    assert "$output" =~ "got:hello there" "what was typed"
    assert "$output" =~ "/dev/pts/0" "on the container's terminal"
    assert "$output" !~ $'\r\r\n' "no doubled carriage returns (the terminal is raw)"
    assert "$status" -eq 3 "the process's exit status"
}

@test "run: -d returns the id once the container runs; logs keep its output" {
    run_rl run -d --name bg "$IMG_BUSYBOX" sh -c 'echo started; echo to-stderr >&2; sleep 100'
    assert "$output" =~ ^[0-9a-f]{64}$ "the full id"
    id=$output
    run_rl ps --format '{{.ID}} {{.Status}} {{.Names}}'
    assert "$output" =~ "^${id:0:12} Up .* bg$"
    for _ in $(seq 50); do
        "$RL" --root "$RL_ROOT" logs bg 2>&1 3>&- | grep -q to-stderr && break
        sleep 0.1
    done
    run_rl logs bg
    assert "$output" =~ "started"
    assert "$output" =~ "to-stderr"
    run_rl rm -f bg
    run_rl ps -a -q
    assert "$output" == ""
}

@test "run: --sysctl sets the container's namespaced sysctls, podman's default ping range" {
    run_rl run --rm "$IMG_BUSYBOX" cat /proc/sys/net/ipv4/ping_group_range
    assert "$output" =~ ^0[[:space:]]+0$ "podman's default: every group may ping"
    run_rl run --rm --sysctl net.ipv4.ip_unprivileged_port_start=0 --sysctl kernel.shmmni=100 \
        "$IMG_BUSYBOX" cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni
    assert "$output" == $'0\n100' "both written"
    # Only what belongs to the container's own namespaces.
    run_rl 125 run --rm --sysctl kernel.hostname=x "$IMG_BUSYBOX" true
    assert "$output" =~ "not a sysctl of the container's namespaces"
    run_rl 125 run --rm --network host --sysctl net.core.somaxconn=5 "$IMG_BUSYBOX" true
    assert "$output" =~ "host's network namespace"
    run_rl 125 run --rm --sysctl novalue "$IMG_BUSYBOX" true
    assert "$output" =~ "not KEY=VALUE"
    run_rl 125 run --rm --sysctl net.ipv4.no_such_knob=1 "$IMG_BUSYBOX" true
    assert "$output" =~ "no_such_knob" "a sysctl the kernel does not have"
    run_rl ps -a -q
    assert "$output" == "" "bad input leaves no container"
}
