# -*- bash -*-
# shellcheck shell=bash
# status, output and lines are bats' (and run_rl's) variables: set here, read by tests.
# shellcheck disable=SC2154,SC2034
# bats/helpers.bash: what every bats file of rl loads with `load helpers`.
#
# Environment (set by `make check-bats`; defaults for running bats by hand from the
# source tree after an in-tree build):
#   RL           the rl binary under test
#   RL_TESTINIT  the static rl-testinit binary, copied into every bundle
#   RL_BUSYBOX   a static busybox for bundles (default /bin/busybox, busybox-static)
#   RL_TIMEOUT   seconds before run_rl gives up on a command (default 60)
#   RL_ROOT      the --root that run_rl passes; basic_setup sets it per bats file

RL=${RL:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)/rl}
RL_TESTINIT=${RL_TESTINIT:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)/tests/helpers/rl-testinit}
RL_BUSYBOX=${RL_BUSYBOX:-/bin/busybox}
RL_TIMEOUT=${RL_TIMEOUT:-60}

# Applets linked to /bin/busybox in every bundle.
RL_BUSYBOX_APPLETS=(sh ls cat id echo sleep true false hostname mount readlink env ps kill
                    mkdir rm touch stat grep wc head test printf)

# Every container process of a bundle from make_bundle carries this in its environment, and
# leak_check looks for it. helpers.bash is loaded anew for each test, so each test (and
# setup_file) has its own mark.
RL_TEST_MARK=${RL_TEST_MARK:-rl-bats-$$-${RANDOM}}

# ---------------------------------------------------------------- failing and asserting

# die MESSAGE: fail the test with a message that stands out in bats' output.
die() {
    printf '#/vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\n' >&2
    printf '#| FAIL: %s\n' "$*" >&2
    printf '#\\^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n' >&2
    false
}

# assert ACTUAL OP EXPECTED [DESCRIPTION]
#   OP is one of == != (literal), =~ !~ (bash extended regex), -eq -ne -lt -le -gt -ge.
assert() {
    local actual=$1 op=$2 expected=$3 desc=${4:-}
    local ok=0

    [ $# -ge 3 ] || die "assert: needs ACTUAL OP EXPECTED [DESCRIPTION], got $# args"
    case "$op" in
    '==') [[ "$actual" == "$expected" ]] && ok=1 ;;
    '!=') [[ "$actual" != "$expected" ]] && ok=1 ;;
    '=~') [[ "$actual" =~ $expected ]] && ok=1 ;;
    '!~') [[ "$actual" =~ $expected ]] || ok=1 ;;
    -eq | -ne | -lt | -le | -gt | -ge)
        [[ "$actual" =~ ^-?[0-9]+$ ]] || die "assert: '$actual' is not an integer${desc:+ ($desc)}"
        [[ "$expected" =~ ^-?[0-9]+$ ]] || die "assert: '$expected' is not an integer"
        case "$op" in
        -eq) ((actual == expected)) && ok=1 ;;
        -ne) ((actual != expected)) && ok=1 ;;
        -lt) ((actual < expected)) && ok=1 ;;
        -le) ((actual <= expected)) && ok=1 ;;
        -gt) ((actual > expected)) && ok=1 ;;
        -ge) ((actual >= expected)) && ok=1 ;;
        esac
        ;;
    *) die "assert: unknown operator '$op'" ;;
    esac
    [ "$ok" = 1 ] && return 0

    {
        printf '#/vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\n'
        printf '#| FAIL: %s\n' "${desc:-assert $op}"
        printf '#| expected: %s %s\n' "$op" "'$expected'"
        local first=1 line
        while IFS= read -r line; do
            if [ "$first" = 1 ]; then
                printf '#|   actual:    %s\n' "'$line"
                first=0
            else
                printf '#|            > %s\n' "$line"
            fi
        done <<<"$actual'"
        printf '#\\^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n'
    } >&2
    false
}

# ---------------------------------------------------------------- running rl

# run_rl [RC|'?'] ARG...: run "$RL --root $RL_ROOT ARG..." like bats' run (it sets status,
# output and lines), with a timeout and fd 3 (bats' TAP stream) closed. The output goes
# through a file, not a pipe, so a container that keeps rl's stdout open (oci create,
# run -d) cannot make the test wait for it. Logs the command, its output and its exit
# status to stderr (bats shows both streams of a failing test, and "$(run_rl ...; echo
# "$output")" stays clean). Fails unless the exit status is RC (default 0); '?' accepts
# any. Leave --root out with `RL_ROOT='' run_rl ...`.
run_rl() {
    local expected_rc=0 out
    case "${1:-}" in
    [0-9] | [0-9][0-9] | [0-9][0-9][0-9])
        expected_rc=$1
        shift
        ;;
    '?')
        expected_rc=
        shift
        ;;
    esac
    local -a cmd=("$RL")
    [ -n "${RL_ROOT:-}" ] && cmd+=(--root "$RL_ROOT")
    cmd+=("$@")

    echo "\$ ${RL##*/}$(printf ' %q' "${cmd[@]:1}")" >&2
    out=$(mktemp "${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}/run_rl.XXXXXX")
    status=0
    timeout --foreground --kill=10 "$RL_TIMEOUT" "${cmd[@]}" >"$out" 2>&1 3>&- || status=$?
    output=$(cat "$out")
    rm -f "$out"
    # The same splitting as bats' run: empty lines are not in $lines.
    IFS=$'\n' read -d '' -r -a lines <<<"$output" || true

    [ -z "$output" ] || printf '%s\n' "$output" >&2
    if [ -z "$expected_rc" ] || [ "$status" -eq "$expected_rc" ]; then
        echo "[ rc=$status ]" >&2
        return 0
    fi
    echo "[ rc=$status (** EXPECTED $expected_rc **) ]" >&2
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        die "command timed out after ${RL_TIMEOUT}s: rl $*"
    fi
    die "exit status is $status, expected $expected_rc: rl $*"
}

# ---------------------------------------------------------------- small helpers

# safename: a name unique to this test, for container ids: c-$(safename).
safename() {
    echo "t${BATS_SUITE_TEST_NUMBER:-0}-${_RL_SAFENAME_SUFFIX}"
}

# random_string [LENGTH]: lower-case letters and digits (default 10).
random_string() {
    local n=${1:-10} s='' chars=abcdefghijklmnopqrstuvwxyz0123456789
    while [ "${#s}" -lt "$n" ]; do
        s+=${chars:$((RANDOM % 36)):1}
    done
    echo "$s"
}

_RL_SAFENAME_SUFFIX=$(random_string 8)

is_rootless() {
    [ "$(id -u)" -ne 0 ]
}

skip_if_rootless() {
    [ -n "${1:-}" ] || die "skip_if_rootless: give a reason"
    if is_rootless; then
        skip "rootless: $1"
    fi
}

skip_if_root() {
    [ -n "${1:-}" ] || die "skip_if_root: give a reason"
    if ! is_rootless; then
        skip "root: $1"
    fi
}

# wait_for_file FILE [SECONDS]: wait until FILE exists (default 10 s).
wait_for_file() {
    local file=$1 timeout=${2:-10} i
    for ((i = 0; i < timeout * 10; i++)); do
        [ -e "$file" ] && return 0
        sleep 0.1
    done
    die "timed out after ${timeout}s waiting for $file"
}

# wait_for_state ID STATUS [SECONDS]: wait until `rl oci state ID` says STATUS.
wait_for_state() {
    local id=$1 want=$2 timeout=${3:-10} i got=''
    for ((i = 0; i < timeout * 10; i++)); do
        got=$("$RL" ${RL_ROOT:+--root "$RL_ROOT"} oci state "$id" 2>/dev/null 3>&- \
            | jq -r .status 2>/dev/null) || true
        [ "$got" = "$want" ] && return 0
        sleep 0.1
    done
    die "timed out after ${timeout}s waiting for container $id to be '$want' (last: '$got')"
}

# wait_pid_gone PID: PID has exited (gone, or a zombie that nobody reaped yet), within 10 s.
wait_pid_gone() {
    local pid=$1 i st
    for ((i = 0; i < 100; i++)); do
        st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null) || return 0
        [ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ] && return 0
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------- setup and leaks

basic_setup() {
    RL_ROOT=${RL_ROOT:-$BATS_FILE_TMPDIR/root}
    mkdir -p "$RL_ROOT"
    export RL_ROOT
}

basic_teardown() {
    leak_check
}

setup() {
    basic_setup
}

teardown() {
    basic_teardown
}

# _rl_leaked_pids: pids of container processes still alive, found by RL_TEST_MARK in their
# environment. bats' own processes carry BATS_RUN_TMPDIR and are not containers.
_rl_leaked_pids() {
    local f
    grep -lsxzF "RL_TEST_MARK=$RL_TEST_MARK" /proc/[0-9]*/environ 2>/dev/null \
        | while read -r f; do
            grep -qszE '^BATS_RUN_TMPDIR=' "$f" 2>/dev/null && continue
            f=${f#/proc/}
            echo "${f%/environ}"
        done
}

# leak_check: after a test, no containers may remain in $RL_ROOT, no processes of
# the test's containers may run, and nothing may stay mounted under the test's temporary
# directories. Whatever is found is cleaned up; the test fails only if it had passed, so a
# failing test does not report its leftovers twice.
leak_check() {
    local leaks=() id pid mnt
    local tmp=${BATS_FILE_TMPDIR:-/nonexistent}

    if [ -n "${RL_ROOT:-}" ] && [ -d "$RL_ROOT" ] && [ -x "$RL" ]; then
        for id in $("$RL" --root "$RL_ROOT" oci list -q 2>/dev/null 3>&-); do
            leaks+=("container $id")
            timeout 20 "$RL" --root "$RL_ROOT" oci delete --force "$id" >/dev/null 2>&1 3>&- \
                || true
        done
    fi
    for pid in $(_rl_leaked_pids); do
        leaks+=("process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)")
        kill -KILL "$pid" 2>/dev/null || true
    done
    while read -r mnt; do
        [ -n "$mnt" ] || continue
        leaks+=("mount $mnt")
        umount -l "$mnt" 2>/dev/null || true
    done < <(awk -v p="$tmp/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r)

    [ ${#leaks[@]} -eq 0 ] && return 0
    printf '# leak_check: %s\n' "${leaks[@]}" >&2
    if [ "${BATS_TEST_COMPLETED:-}" = 1 ]; then
        die "leak_check: the test left ${#leaks[@]} thing(s) behind"
    fi
}

# ---------------------------------------------------------------- bundles

# _rl_make_base_rootfs: build this bats file's base rootfs, $BATS_FILE_TMPDIR/base-rootfs,
# unless it exists; make_bundle copies it. It is built in a temporary directory and renamed,
# so that concurrent tests of one file never see half of it.
_rl_make_base_rootfs() {
    local base=$BATS_FILE_TMPDIR/base-rootfs tmp a
    [ -d "$base" ] && return 0
    [ -x "$RL_BUSYBOX" ] || die "no static busybox at $RL_BUSYBOX (apt-get install busybox-static)"
    [ -x "$RL_TESTINIT" ] || die "no rl-testinit at $RL_TESTINIT (make check builds it)"
    tmp=$(mktemp -d "$BATS_FILE_TMPDIR/base-rootfs.XXXXXX") || return 1
    mkdir -p "$tmp"/{bin,etc,proc,dev,sys,tmp,root,home/user,run,var/tmp} || return 1
    chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
    chmod 755 "$tmp"
    cp "$RL_BUSYBOX" "$tmp/bin/busybox" || return 1
    for a in "${RL_BUSYBOX_APPLETS[@]}"; do
        ln -s busybox "$tmp/bin/$a" || return 1
    done
    cp "$RL_TESTINIT" "$tmp/bin/rl-testinit" || return 1
    cat >"$tmp/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
    cat >"$tmp/etc/group" <<'EOF'
root:x:0:
user:x:1000:
nogroup:x:65534:
EOF
    : >"$tmp/etc/hosts"
    : >"$tmp/etc/resolv.conf"
    mv -T "$tmp" "$base" 2>/dev/null || rm -rf "$tmp"
}

# _rl_spec_template: the config.json that make_bundle uses while `rl oci spec` is not
# available: a rootless runtime-spec 1.0 config with the usual defaults.
_rl_spec_template() {
    local uid gid
    uid=$(id -u)
    gid=$(id -g)
    jq -n --argjson uid "$uid" --argjson gid "$gid" --argjson rootless "$(is_rootless && echo true || echo false)" '
    {
      ociVersion: "1.0.2",
      process: {
        terminal: false,
        user: { uid: 0, gid: 0 },
        args: [ "/bin/sh" ],
        env: [ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm" ],
        cwd: "/",
        capabilities: {
          bounding: [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
          effective: [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
          permitted: [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
        },
        rlimits: [ { type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 } ],
        noNewPrivileges: true
      },
      root: { path: "rootfs", readonly: true },
      hostname: "rl",
      mounts: ([
        { destination: "/proc", type: "proc", source: "proc" },
        { destination: "/dev", type: "tmpfs", source: "tmpfs",
          options: [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
        { destination: "/dev/pts", type: "devpts", source: "devpts",
          options: [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" ] },
        { destination: "/dev/shm", type: "tmpfs", source: "shm",
          options: [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
        { destination: "/dev/mqueue", type: "mqueue", source: "mqueue",
          options: [ "nosuid", "noexec", "nodev" ] }
      ] + (if $rootless then [
        { destination: "/sys", type: "none", source: "/sys",
          options: [ "rbind", "nosuid", "noexec", "nodev", "ro" ] }
      ] else [
        { destination: "/sys", type: "sysfs", source: "sysfs",
          options: [ "nosuid", "noexec", "nodev", "ro" ] }
      ] end)),
      linux: ({
        namespaces: ([ { type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" },
                       { type: "cgroup" } ]
                     + (if $rootless then [ { type: "user" } ] else [ { type: "network" } ] end)),
        maskedPaths: [ "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
          "/sys/firmware", "/proc/scsi" ],
        readonlyPaths: [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
          "/proc/sysrq-trigger" ]
      } + (if $rootless then {
        uidMappings: [ { containerID: 0, hostID: $uid, size: 1 } ],
        gidMappings: [ { containerID: 0, hostID: $gid, size: 1 } ]
      } else {} end))
    }'
}

# make_bundle DIR: a bundle in DIR whose process runs `/bin/rl-testinit true`: DIR/rootfs
# (busybox with a few applets, rl-testinit, /etc/passwd with root, user (1000) and nobody)
# and DIR/config.json from `rl oci spec` (--rootless when not root), or from a built-in
# template when that fails. Change the config with bundle_set and bundle_args.
make_bundle() {
    local dir=$1
    [ -n "$dir" ] || die "make_bundle: no directory given" || return
    _rl_make_base_rootfs || return
    mkdir -p "$dir"
    rm -rf "$dir/rootfs" "$dir/config.json"
    cp -a "$BATS_FILE_TMPDIR/base-rootfs" "$dir/rootfs" || die "make_bundle: copy failed" || return

    local -a spec=("$RL" oci spec --bundle "$dir")
    is_rootless && spec+=(--rootless)
    if ! timeout 20 "${spec[@]}" >"$dir/spec.log" 2>&1 3>&- || ! [ -s "$dir/config.json" ]; then
        echo "# make_bundle: '${spec[*]}' failed, using the built-in template:" >&2
        sed 's/^/#   /' "$dir/spec.log" >&2
        _rl_spec_template >"$dir/config.json" || die "make_bundle: cannot write config.json"
    fi
    rm -f "$dir/spec.log"
    # shellcheck disable=SC2016 # $mark is jq's
    bundle_set "$dir" '.process.terminal = false
        | .process.args = ["/bin/rl-testinit", "true"]
        | .process.env = ((.process.env // []) + ["RL_TEST_MARK=" + $mark])' \
        --arg mark "$RL_TEST_MARK"
}

# bundle_set DIR JQ-FILTER [JQ-OPTION...]: edit DIR/config.json in place, e.g.
#   bundle_set "$b" '.process.args = ["/bin/rl-testinit", "id"]'
#   bundle_set "$b" '.hostname = $h' --arg h myhost
bundle_set() {
    local dir=$1 filter=$2
    shift 2
    jq "$@" "$filter" "$dir/config.json" >"$dir/config.json.tmp" \
        || die "bundle_set: jq '$filter' failed on $dir/config.json"
    mv -f "$dir/config.json.tmp" "$dir/config.json"
}

# bundle_args DIR ARG...: set the container's command line (process.args). Each ARG is
# passed with --arg, so ARGs like "-c" never reach jq's option parser.
bundle_args() {
    local dir=$1 i=0 list='' arg
    local -a jqargs=()
    shift
    for arg in "$@"; do
        jqargs+=(--arg "a$i" "$arg")
        list+="${list:+, }\$a$i"
        i=$((i + 1))
    done
    bundle_set "$dir" ".process.args = [$list]" "${jqargs[@]}"
}

# ---------------------------------------------------------------- image fixtures

# image_fixtures_check: in setup_file of the image tests. Skips when tests/fixtures.sh never
# ran (bats by hand), fails when RL_FIXTURES names fixtures that are not there (CI).
image_fixtures_check() {
    local env=${RL_FIXTURES:-/var/tmp/rl-fixtures}/env
    if [ ! -r "$env" ]; then
        [ -z "${RL_FIXTURES:-}" ] || die "RL_FIXTURES=$RL_FIXTURES has no env file: run tests/fixtures.sh"
        skip "no image fixtures: run 'bash tests/fixtures.sh' as root"
    fi
}

# image_fixtures_setup: in setup: the registries' and images' names (REG_*, IMG_*, ...) and
# a store of the test's own as RL_ROOT.
image_fixtures_setup() {
    # shellcheck source=/dev/null
    . "${RL_FIXTURES:-/var/tmp/rl-fixtures}/env"
    export RL_ROOT=$BATS_TEST_TMPDIR/store
}

# image_store_cleanup: in teardown. Layer files belong to the user's subordinate ids: only
# rl, in its user namespace, can remove them.
image_store_cleanup() {
    if [ -d "${RL_ROOT:-}" ]; then
        "$RL" --root "$RL_ROOT" rmi -a >/dev/null 2>&1 3>&- || true
    fi
}

# ctr_cleanup: in teardown of the container tests: every container of $RL_ROOT is removed
# (rl rm -af, which also proves that it works), its volumes pruned; no process that names
# $RL_ROOT (a monitor, or rl itself) and no runtime state of the removed containers may be
# left. A leftover fails a test that passed.
ctr_cleanup() {
    local pids ids id leaks=()
    local rt=${XDG_RUNTIME_DIR:-/nonexistent}/rl/containers
    [ -d "${RL_ROOT:-}" ] || return 0
    ids=$(timeout 30 "$RL" --root "$RL_ROOT" ps -a -q --no-trunc 2>/dev/null 3>&-) || true
    timeout 60 "$RL" --root "$RL_ROOT" rm -a -f >/dev/null 2>&1 3>&- || true
    timeout 60 "$RL" --root "$RL_ROOT" volume prune -f >/dev/null 2>&1 3>&- || true
    for id in $ids; do
        [ -e "$rt/$id" ] && leaks+=("runtime state $rt/$id") && rm -rf "${rt:?}/$id"
    done
    pids=$(pgrep -f -- "--root $RL_ROOT( |$)" || true)
    if [ -n "$pids" ]; then
        leaks+=("processes: $(ps -o pid=,args= -p "${pids//$'\n'/,}" | tr '\n' ';')")
        # shellcheck disable=SC2086 # one pid a word
        kill -KILL $pids 2>/dev/null || true
    fi
    [ ${#leaks[@]} -eq 0 ] && return 0
    printf '# ctr_cleanup: left behind: %s\n' "${leaks[@]}" >&2
    if [ "${BATS_TEST_COMPLETED:-}" = 1 ]; then
        die "ctr_cleanup: the test left ${#leaks[@]} thing(s) behind"
    fi
}

# ctr_registries_conf: the local plain-http registry is insecure for this test's rl (through
# XDG_CONFIG_HOME), so that run and create pull from it without --tls-verify=false.
ctr_registries_conf() {
    export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
    mkdir -p "$XDG_CONFIG_HOME/containers"
    printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REG_PLAIN" \
        >"$XDG_CONFIG_HOME/containers/registries.conf"
}
