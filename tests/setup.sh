#!/usr/bin/env bash
# tests/setup.sh: set up a Debian 12 machine for rl, build it and run every test.
#
# Run as root, from anywhere (the source tree is the directory above this script):
#
#   bash tests/setup.sh                  everything below, in this order
#   bash tests/setup.sh --build-only     deps user build
#   bash tests/setup.sh STEP...          only these steps, e.g. "build unit"
#
# Steps:
#   deps       apt-get the build and test dependencies (skipped when all are installed)
#   user       the unprivileged test user $TEST_USER (default rltest): subuid/subgid
#              100000:65536, /run/user/UID (0700), /dev/fuse and /dev/net/tun mode 0666
#   build      copy the source tree to $BUILD_DIR/src (so that $TEST_USER can read it and
#              the tree itself stays clean), autogen.sh, configure --enable-werror, make
#   fixtures   tests/fixtures.sh: local registries and test images under $FIXTURES, built
#              without rl (the bats runs get RL_FIXTURES=$FIXTURES)
#   unit       make check-unit
#   bats-user  the bats suite as $TEST_USER (rootless)
#   bats-root  the bats suite as root
#   vm         the cgroup v2 tests (the bats files numbered 4NN) as $TEST_USER in a throw-away
#              guest kernel with a pure cgroup v2 hierarchy and a delegated subtree:
#              tests/vm/setup.sh (qemu, Debian's kernel unpacked in $RL_VM_DIR), then
#              tests/vm/run-in-vm.sh. Where no guest can run, the summary says why and the
#              tests count as skipped (VM_REQUIRED=1: as a failure)
#   format     make format-check
#   lint       shellcheck the shell scripts: bats/*.bash tests/*.sh tests/vm/*.sh
#              tests/vm/initramfs-init .ci/run completions/*.bash
#   asan       unit tests built with ASan+UBSan in $BUILD_DIR/asan
#
# Idempotent. Test steps run even when an earlier test step failed; the script exits 1 if
# anything failed and ends with one line "N passed, N failed, N skipped" counting unit tests
# (both builds), bats tests (both users, and the guest), format-check and lint as one test
# each; a failed setup or build step counts as one failure. Logs are in $BUILD_DIR/logs.
#
# Environment: BUILD_DIR (default /var/tmp/rl-build), FIXTURES (default /var/tmp/rl-fixtures),
# TEST_USER, JOBS (default nproc), BATS_TIMEOUT (seconds per bats run, default 900),
# UNIT_TIMEOUT (seconds per unit test program, default 120), BATS_FILES (instead of
# Makefile.am's BATS_TESTS, e.g. "bats/001-basic.bats"), SKIP_APT=1 (never call apt-get),
# RL_VM_DIR (the guest's kernel and initramfs, default $BUILD_DIR/vm), VM_TIMEOUT (seconds
# for the whole guest run, default BATS_TIMEOUT), VM_BATS_FILES (instead of the 4NN files),
# VM_REQUIRED=1 (a guest that cannot run is a failure, not a skip).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-/var/tmp/rl-build}
FIXTURES=${FIXTURES:-/var/tmp/rl-fixtures}
TEST_USER=${TEST_USER:-rltest}
SUBID_START=100000
SUBID_COUNT=65536
JOBS=${JOBS:-$(nproc)}
BATS_TIMEOUT=${BATS_TIMEOUT:-900}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-120}
# Each unit test program runs under a timeout: a hung test is an error, not a hung CI.
UNIT_LOG_COMPILER="timeout --kill-after=10 $UNIT_TIMEOUT"

B=$BUILD_DIR/build        # the main build (configure --enable-werror)
A=$BUILD_DIR/asan         # the sanitizer build
RESULTS=$BUILD_DIR/results
LOGS=$BUILD_DIR/logs

PACKAGES=(
    # build
    autoconf automake pkg-config gcc make libc6-dev libcap-dev libseccomp-dev libjansson-dev
    libssl-dev libcurl4-openssl-dev libarchive-dev zlib1g-dev libzstd-dev libslirp-dev
    libglib2.0-dev git
    # tests
    bats jq uidmap busybox-static clang-format iproute2 util-linux procps crun bubblewrap
    hyperfine shellcheck python3 docker-registry skopeo umoci zstd apache2-utils curl attr podman
    fuse-overlayfs iperf3
)

ALL_STEPS=(deps user build fixtures unit bats-user bats-root vm format lint asan)
# The lines of `make check` output worth showing: failures and automake's summary.
CHECK_REGEX='^(FAIL|XPASS|ERROR):|^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):|Error [0-9]|error:'

section() { printf '\n==== %s ====\n' "$*"; }
note() { printf 'setup.sh: %s\n' "$*" >&2; }
die() {
    note "$*"
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# record STEP PASSED FAILED SKIPPED: the counts behind the summary line.
record() {
    echo "$2 $3 $4" >"$RESULTS/$1"
}

# make_var DIR VAR: the value of a variable of DIR's generated Makefile.
make_var() {
    # shellcheck disable=SC2016 # $(VAR) is make's, not the shell's
    printf 'rl-setup-print:\n\t@echo $(%s)\n' "$2" \
        | make -s --no-print-directory -C "$1" -f Makefile -f - rl-setup-print
}

test_uid() { id -u "$TEST_USER"; }

# logged LOG REGEX CMD...: run CMD with its output in LOG; show the lines that match REGEX
# (all when REGEX is empty) as they come. Returns CMD's exit status.
logged() {
    local log=$1 regex=${2:-.} rc
    shift 2
    set +e
    "$@" 2>&1 | tee "$log" | grep --line-buffered -E "$regex"
    rc=${PIPESTATUS[0]}
    set -e
    return "$rc"
}

# ------------------------------------------------------------------------------ deps
step_deps() {
    local missing=() p
    if [ "${SKIP_APT:-}" = 1 ] || ! command -v apt-get >/dev/null; then
        note "not using apt-get (SKIP_APT=1 or no apt-get); assuming dependencies are installed"
        return 0
    fi
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "all ${#PACKAGES[@]} packages are installed"
        return 0
    fi
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -q
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
}

# ------------------------------------------------------------------------------ user
step_user() {
    local uid f dev
    if ! id "$TEST_USER" >/dev/null 2>&1; then
        useradd -m -s /bin/bash "$TEST_USER"
        echo "created user $TEST_USER"
    fi
    uid=$(test_uid)
    for f in /etc/subuid /etc/subgid; do
        touch "$f"
        if ! grep -q "^$TEST_USER:" "$f" && ! grep -q "^$uid:" "$f"; then
            echo "$TEST_USER:$SUBID_START:$SUBID_COUNT" >>"$f"
            echo "added $TEST_USER:$SUBID_START:$SUBID_COUNT to $f"
        fi
    done
    # There may be no logind to create the runtime directory; make it as logind would.
    install -d -m 0700 -o "$TEST_USER" -g "$(id -g "$TEST_USER")" "/run/user/$uid"
    # Some VMs create these 0600; distributions normally make them 0666.
    for dev in /dev/fuse /dev/net/tun; do
        if [ -c "$dev" ]; then chmod 0666 "$dev"; fi
    done
    echo "user $TEST_USER: uid $uid, $(grep "^$TEST_USER:" /etc/subuid | head -1) in /etc/subuid," \
        "XDG_RUNTIME_DIR /run/user/$uid"
    if ! runuser -u "$TEST_USER" -- unshare -U true 2>/dev/null; then
        note "warning: $TEST_USER cannot create a user namespace (kernel.unprivileged_userns_clone?)"
    fi
}

# ------------------------------------------------------------------------------ build

# copy_tree: the sources, without build products, into $BUILD_DIR/src. A git work tree
# gives its tracked and untracked-but-not-ignored files (uncommitted work is tested too).
copy_tree() {
    local dst=$BUILD_DIR/src
    rm -rf "$dst"
    mkdir -p "$dst"
    if command -v git >/dev/null && git -c safe.directory='*' -C "$SRC" rev-parse --git-dir \
        >/dev/null 2>&1; then
        git -c safe.directory='*' -C "$SRC" ls-files -z -c -o --exclude-standard \
            | (cd "$SRC" && tar --null -T - --ignore-failed-read --no-recursion -cf - 2>/dev/null) \
            | tar -C "$dst" -xf -
    else
        tar -C "$SRC" --exclude-vcs --exclude-vcs-ignores --exclude=autom4te.cache -cf - . \
            | tar -C "$dst" -xf -
    fi
    # automake does not install tap-driver.sh; use the system's when the tree has none.
    if [ ! -f "$dst/build-aux/tap-driver.sh" ]; then
        local driver='' d
        for d in /usr/share/automake-*/tap-driver.sh; do
            [ -f "$d" ] && driver=$d
        done
        [ -n "$driver" ] || die "no build-aux/tap-driver.sh in the tree and none from automake"
        note "build-aux/tap-driver.sh is not in the tree; using $driver"
        mkdir -p "$dst/build-aux"
        cp "$driver" "$dst/build-aux/tap-driver.sh"
    fi
    echo "copied $SRC to $dst ($(find "$dst" -type f | wc -l) files)"
}

step_build() {
    rm -rf "$B" "$A"
    copy_tree
    (cd "$BUILD_DIR/src" && ./autogen.sh) >"$LOGS/autogen.log" 2>&1 \
        || { cat "$LOGS/autogen.log"; die "autogen.sh failed"; }
    mkdir -p "$B"
    (cd "$B" && "$BUILD_DIR/src/configure" --enable-werror) >"$LOGS/configure.log" 2>&1 \
        || { tail -40 "$LOGS/configure.log"; die "configure failed; see $LOGS/configure.log"; }
    sed -n '/^  rl [0-9]/,$p' "$LOGS/configure.log"
    logged "$LOGS/make.log" 'warning:|error:|Error [0-9]|undefined reference' make -C "$B" -j"$JOBS" \
        || die "make failed; see $LOGS/make.log"
    logged "$LOGS/make-testinit.log" 'warning:|error:|Error [0-9]' \
        make -C "$B" tests/helpers/rl-testinit tests/helpers/rl-udpecho \
        || die "make tests/helpers/rl-testinit tests/helpers/rl-udpecho failed"
    "$B/rl" version
    # Everything the test user runs or reads must be reachable.
    chmod -R a+rX "$BUILD_DIR"
    runuser -u "$TEST_USER" -- test -x "$B/rl" \
        || die "$TEST_USER cannot run $B/rl: make the parents of $BUILD_DIR searchable"
}

# ------------------------------------------------------------------------------ fixtures
step_fixtures() {
    logged "$LOGS/fixtures.log" '' env FIXTURES="$FIXTURES" bash "$SRC/tests/fixtures.sh"
}

# ------------------------------------------------------------------------------ unit tests

# unit_tests BUILD: the UNIT_TESTS of Makefile.am whose source exists; the others are
# reported and counted as skipped.
unit_tests() {
    local t present=()
    UNIT_MISSING=()
    for t in $(make_var "$1" UNIT_TESTS); do
        if [ -f "$BUILD_DIR/src/$t.c" ]; then
            present+=("$t")
        else
            UNIT_MISSING+=("$t")
        fi
    done
    if [ ${#UNIT_MISSING[@]} -gt 0 ]; then
        note "listed in Makefile.am but no source yet (counted as skipped): ${UNIT_MISSING[*]}"
    fi
    UNIT_PRESENT=("${present[@]}")
}

# count_trs BUILD STEP: count the automake .trs results of the unit tests; a test with no
# .trs (it did not build or run) is one failure. Prints the logs of failing tests.
count_trs() {
    local dir=$1 step=$2 t pass=0 fail=0 skip=${#UNIT_MISSING[@]} p f s
    for t in "${UNIT_PRESENT[@]}"; do
        if [ ! -f "$dir/$t.trs" ]; then
            echo "NO RESULT: $t (did not build or run)"
            fail=$((fail + 1))
            continue
        fi
        read -r p f s < <(awk '
            /^:test-result: (PASS)/ { p++ } /^:test-result: (FAIL|XPASS|ERROR)/ { f++ }
            /^:test-result: (SKIP|XFAIL)/ { s++ } END { print p + 0, f + 0, s + 0 }' "$dir/$t.trs")
        pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
        if [ "$f" -gt 0 ]; then
            echo "---- $t.log: failures, diagnostics and stderr"
            grep -v -E '^(ok [0-9]|(PASS|FAIL|SKIP|XFAIL|XPASS): )' "$dir/$t.log" | head -100
        fi
    done
    record "$step" "$pass" "$fail" "$skip"
    echo "$step: $pass passed, $fail failed, $skip skipped"
    [ "$fail" -eq 0 ]
}

step_unit() {
    local rc=0
    unit_tests "$B"
    # automake expands UNIT_TESTS into check_PROGRAMS, so both are overridden.
    logged "$LOGS/check-unit.log" "$CHECK_REGEX" make -C "$B" -j"$JOBS" check-unit \
        UNIT_TESTS="${UNIT_PRESENT[*]}" \
        check_PROGRAMS="${UNIT_PRESENT[*]} tests/helpers/rl-testinit tests/helpers/rl-udpecho" \
        LOG_COMPILER="$UNIT_LOG_COMPILER" || rc=1
    count_trs "$B" unit || rc=1
    return "$rc"
}

step_asan() {
    local rc=0
    unit_tests "$B"
    rm -rf "$A"
    mkdir -p "$A"
    # No --enable-werror: -O1 and the sanitizers bring their own warnings. rl-testinit is
    # linked -static, which the sanitizers do not support, so only the unit tests are built.
    (cd "$A" && "$BUILD_DIR/src/configure" \
        CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer') \
        >"$LOGS/asan-configure.log" 2>&1 || die "configure (asan) failed; see $LOGS/asan-configure.log"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    logged "$LOGS/asan.log" "$CHECK_REGEX" make -C "$A" -j"$JOBS" check-unit \
        UNIT_TESTS="${UNIT_PRESENT[*]}" check_PROGRAMS="${UNIT_PRESENT[*]}" \
        LOG_COMPILER="$UNIT_LOG_COMPILER" || rc=1
    count_trs "$A" asan || rc=1
    return "$rc"
}

# ------------------------------------------------------------------------------ bats

# bats_files: BATS_FILES, or Makefile.am's BATS_TESTS, that exist.
bats_files() {
    local f missing=()
    BATS_PRESENT=()
    for f in ${BATS_FILES:-$(make_var "$B" BATS_TESTS)}; do
        if [ -f "$BUILD_DIR/src/$f" ]; then
            BATS_PRESENT+=("$BUILD_DIR/src/$f")
        else
            missing+=("$f")
        fi
    done
    if [ ${#missing[@]} -gt 0 ]; then
        note "listed in Makefile.am but not written yet: ${missing[*]}"
    fi
}

# count_tap FILE STEP: count a bats --tap output; tests of the plan that never reported
# (bats died) are failures.
count_tap() {
    local p f s
    read -r p f s < <(awk '
        /^ok / { if ($0 ~ / # [Ss][Kk][Ii][Pp]/) s++; else p++ }
        /^not ok / { f++ }
        /^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0 }
        END { n = p + f + s; if (plan > n) f += plan - n; print p + 0, f + 0, s + 0 }' "$1")
    record "$2" "$p" "$f" "$s"
    echo "$2: $p passed, $f failed, $s skipped"
    [ "$f" -eq 0 ]
}

# run_bats USER STEP: the bats suite as USER (root or $TEST_USER), with a clean environment.
run_bats() {
    local user=$1 step=$2 home uid rc=0
    local -a runas=()
    bats_files
    [ ${#BATS_PRESENT[@]} -gt 0 ] || die "no bats files to run"
    home=$(getent passwd "$user" | cut -d: -f6)
    uid=$(id -u "$user")
    [ "$user" = root ] || runas=(runuser -u "$user" --)
    mkdir -p "/run/user/$uid"
    cd "$B"
    logged "$LOGS/$step.tap" '' "${runas[@]}" env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 TERM=dumb \
        XDG_RUNTIME_DIR="/run/user/$uid" \
        RL="$B/rl" RL_TESTINIT="$B/tests/helpers/rl-testinit" \
        RL_UDPECHO="$B/tests/helpers/rl-udpecho" RL_SRCDIR="$BUILD_DIR/src" \
        RL_FIXTURES="$FIXTURES" \
        timeout --kill-after=30 "$BATS_TIMEOUT" bats --tap "${BATS_PRESENT[@]}" || rc=1
    count_tap "$LOGS/$step.tap" "$step" || rc=1
    return "$rc"
}

step_bats-user() {
    run_bats "$TEST_USER" bats-user
}

step_bats-root() {
    run_bats root bats-root
}

# ------------------------------------------------------------------------------ vm

# vm_bats_files: the bats files the guest runs: VM_BATS_FILES, else those of BATS_FILES or
# Makefile.am's BATS_TESTS that are numbered 4NN (the cgroup v2 tests), and exist.
vm_bats_files() {
    local f
    VM_BATS_PRESENT=()
    for f in ${VM_BATS_FILES:-${BATS_FILES:-$(make_var "$B" BATS_TESTS)}}; do
        [ -n "${VM_BATS_FILES:-}" ] || [[ $f == bats/4[0-9][0-9]-*.bats ]] || continue
        [ -f "$BUILD_DIR/src/$f" ] && VM_BATS_PRESENT+=("$BUILD_DIR/src/$f")
    done
}

# vm_unavailable TESTS WHY: no guest here. Said in the step's output and in the summary; the
# tests count as skipped, or as one failure with VM_REQUIRED=1.
vm_unavailable() {
    echo "vm: cannot run the guest: $2" | tee "$RESULTS/vm.why"
    if [ "${VM_REQUIRED:-}" = 1 ]; then
        record vm 0 1 "$1"
        return 1
    fi
    record vm 0 0 "$1"
}

step_vm() {
    local vmdir=${RL_VM_DIR:-$BUILD_DIR/vm} n rc=0 why
    [ -x "$B/rl" ] || die "no $B/rl: the vm step needs the build step"
    vm_bats_files
    if [ ${#VM_BATS_PRESENT[@]} -eq 0 ]; then
        echo "vm: no bats/4NN-*.bats files to run"
        record vm 0 0 0
        return 0
    fi
    n=$(cat "${VM_BATS_PRESENT[@]}" | grep -c '^@test ' || true)
    case "$B/" in
    /tmp/* | /run/* | /dev/shm/*)
        vm_unavailable "$n" "BUILD_DIR=$BUILD_DIR is on a file system the guest replaces (tmpfs)"
        return
        ;;
    esac
    if ! logged "$LOGS/vm-setup.log" '' bash "$SRC/tests/vm/setup.sh" "$vmdir"; then
        vm_unavailable "$n" "tests/vm/setup.sh failed: $(tail -1 "$LOGS/vm-setup.log")"
        return
    fi
    # The guest sees this host's "/" read-only, so the build, bats and the fixtures' files
    # are there; the fixtures' registries are not (no network): the 4NN tests never pull.
    cd "$B"
    logged "$LOGS/vm.tap" '' env RL_VM_DIR="$vmdir" bash "$SRC/tests/vm/run-in-vm.sh" \
        -u "$TEST_USER" -C "$B" -t "${VM_TIMEOUT:-$BATS_TIMEOUT}" \
        -e RL="$B/rl" -e RL_TESTINIT="$B/tests/helpers/rl-testinit" \
        -e RL_UDPECHO="$B/tests/helpers/rl-udpecho" -e RL_SRCDIR="$BUILD_DIR/src" \
        -e RL_FIXTURES="$FIXTURES" \
        -- bats --tap "${VM_BATS_PRESENT[@]}" || rc=$?
    # 125 before bats printed its plan: the guest did not get as far as running the tests.
    if [ "$rc" -eq 125 ] && ! grep -qE '^1\.\.[0-9]+$' "$LOGS/vm.tap"; then
        why=$(grep '^run-in-vm: ' "$LOGS/vm.tap" | grep -v 'the command started' | head -1)
        vm_unavailable "$n" "${why#run-in-vm: }"
        return
    fi
    count_tap "$LOGS/vm.tap" vm || rc=1
    [ "$rc" -eq 0 ]
}

# ------------------------------------------------------------------------------ format
step_format() {
    if make -s -C "$B" format-check >"$LOGS/format-check.log" 2>&1; then
        cat "$LOGS/format-check.log"
        record format 1 0 0
    else
        head -30 "$LOGS/format-check.log"
        echo "..."
        echo "files that need clang-format:"
        grep -o '^[^:]*\.[ch]:' "$LOGS/format-check.log" | sort -u | sed 's/:$//; s/^/  /'
        note "'make format' in a build directory fixes them"
        record format 0 1 0
        return 1
    fi
}

# ------------------------------------------------------------------------------ shellcheck
step_lint() {
    local -a files=()
    local f
    for f in "$BUILD_DIR"/src/{bats/*.bash,tests/*.sh,tests/vm/*.sh,tests/vm/initramfs-init} \
        "$BUILD_DIR"/src/{.ci/run,completions/*.bash}; do
        [ -f "$f" ] && files+=("$f")
    done
    if shellcheck "${files[@]}"; then
        echo "shellcheck: ${#files[@]} files clean"
        record lint 1 0 0
    else
        record lint 0 1 0
        return 1
    fi
}

# ------------------------------------------------------------------------------ main

# run_step STEP: run one step in a subshell with errexit in force (it would be off inside
# an `if`), time it, and make sure that a failed step counts at least one failure.
run_step() {
    local step=$1 start=$SECONDS rc p f s result
    section "$step"
    set +e
    (
        set -e
        "step_$step"
    )
    rc=$?
    set -e
    if [ "$rc" -ne 0 ]; then
        FAILED_STEPS+=("$step")
        if [ -f "$RESULTS/$step" ]; then
            read -r p f s <"$RESULTS/$step"
            [ "$f" -gt 0 ] || record "$step" "$p" 1 "$s"
        else
            record "$step" 0 1 0
        fi
    fi
    if [ "$rc" -ne 0 ]; then
        result=FAILED
    elif [ -f "$RESULTS/$step.why" ]; then
        result="NOT RUN ($(cat "$RESULTS/$step.why"))"
    else
        result=ok
    fi
    printf -- '---- %s: %s (%ds)\n' "$step" "$result" $((SECONDS - start))
    return "$rc"
}

summary() {
    local f p n s tp=0 tf=0 ts=0
    section "summary"
    for f in "${STEPS[@]}"; do
        [ -f "$RESULTS/$f" ] || continue
        read -r p n s <"$RESULTS/$f"
        printf '  %-10s %4d passed %4d failed %4d skipped\n' "$f" "$p" "$n" "$s"
        tp=$((tp + p)) tf=$((tf + n)) ts=$((ts + s))
    done
    [ ${#FAILED_STEPS[@]} -eq 0 ] || echo "  failed steps: ${FAILED_STEPS[*]}"
    for f in "${STEPS[@]}"; do
        [ ! -f "$RESULTS/$f.why" ] || echo "  NOTE $(cat "$RESULTS/$f.why")"
    done
    echo "  logs: $LOGS; total time $((SECONDS / 60))m$((SECONDS % 60))s"
    echo "$tp passed, $tf failed, $ts skipped"
}

main() {
    local step
    STEPS=()
    FAILED_STEPS=()
    while [ $# -gt 0 ]; do
        case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
        --build-only) STEPS+=(deps user build) ;;
        -*) die "unknown option '$1' (see --help)" ;;
        *)
            declare -F "step_$1" >/dev/null || die "unknown step '$1' (see --help)"
            STEPS+=("$1")
            ;;
        esac
        shift
    done
    [ ${#STEPS[@]} -gt 0 ] || STEPS=("${ALL_STEPS[@]}")
    [ "$(id -u)" -eq 0 ] || die "run me as root (I install packages and run tests as $TEST_USER)"

    mkdir -p "$BUILD_DIR" "$LOGS"
    chmod 755 "$BUILD_DIR"
    rm -rf "$RESULTS"
    mkdir -p "$RESULTS"
    echo "rl setup: source $SRC, build $BUILD_DIR, test user $TEST_USER, steps: ${STEPS[*]}"

    for step in "${STEPS[@]}"; do
        if ! run_step "$step"; then
            case "$step" in
            deps | user | build)
                note "step '$step' failed; the steps after it need it, stopping"
                break
                ;;
            esac
        fi
    done
    summary
    [ ${#FAILED_STEPS[@]} -eq 0 ]
}

main "$@"
