#!/usr/bin/env bash
# tests/fixtures.sh: registries and images for rl's pull/load/import tests, built WITHOUT rl
# (umoci, skopeo, GNU tar, openssl and tests/helpers/*.py).
#
# Run as root:
#
#   bash tests/fixtures.sh           build what is missing, (re)start the servers, write $FIXTURES/env
#   bash tests/fixtures.sh stop      stop the servers (by the pids in $FIXTURES/run/*.pid)
#   bash tests/fixtures.sh verify    skopeo inspect every image, curl the bad registry
#   bash tests/fixtures.sh clean     stop, then remove $FIXTURES
#
# Idempotent: a server that is running and healthy with an unchanged config is reused; the
# images are rebuilt (new digests) only when IMAGES_VERSION, tests/helpers/mkimage.py or the
# host's busybox changed, or a registry lost one of them (BIG=1 and no big image yet).
# One run at a time (flock $FIXTURES/run/lock). Bats tests source $FIXTURES/env (KEY=value
# lines; setup.sh passes RL_FIXTURES=$FIXTURES); see write_env for what it holds.
#
# Servers (127.0.0.1 only; logs and pids in $FIXTURES/run):
#   5115 REG_PLAIN  docker-registry, http, no auth
#   5116 REG_BASIC  docker-registry, http, htpasswd Basic auth (REG_USER/REG_PASS)
#   5117 REG_TOKEN  docker-registry, http, token auth; realm http://127.0.0.1:5118/token
#   5118 tokenserver.py: anonymous -> pull, Basic REG_USER:REG_PASS -> what was asked
#   5119 REG_TLS    docker-registry, https (cert from our own CA, REG_TLS_CA), no auth
#   5120 REG_BAD    badregistry.py: images broken on purpose (bad/*; see that file)
#
# Environment: FIXTURES (default /var/tmp/rl-fixtures), BIG=1 (also a ~100 MB image),
# FORCE=1 (rebuild the images even when up to date).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIXTURES=${FIXTURES:-/var/tmp/rl-fixtures}
BIG=${BIG:-0}
FORCE=${FORCE:-0}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

RUN=$FIXTURES/run       # pid files, server logs
PKI=$FIXTURES/pki       # CA, TLS and token certificates
BUILD=$FIXTURES/build   # rootfs, the OCI layout all images are made in
OCI=$BUILD/oci
ARCH=$FIXTURES/archives

REG_PLAIN=127.0.0.1:5115
REG_BASIC=127.0.0.1:5116
REG_TOKEN=127.0.0.1:5117
TOKEN_ADDR=127.0.0.1:5118
REG_TLS=127.0.0.1:5119
REG_BAD=127.0.0.1:5120
REG_USER=rluser
REG_PASS=rlpass
TOKEN_SERVICE=rl-test-registry
TOKEN_ISSUER=rl-test-issuer
PATH_ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Bump when make_rootfs, build_images, push_images or IMAGES change: the images are rebuilt
# when this, tests/helpers/mkimage.py or /bin/busybox changed (or an image is missing).
IMAGES_VERSION=1

# Each image: NAME TAG-IN-$OCI REPO (on REG_PLAIN) SKOPEO-OPTIONS (- for none)
IMAGES=(
    "BUSYBOX busybox rl-test/busybox:latest -"
    "APP app rl-test/app:latest -"
    "APPUSER app-user rl-test/app-user:latest -"
    "LAYERS layers rl-test/layers:latest -"
    "MULTIARCH multiarch rl-test/multiarch:latest --all"
    "ZSTD zstd rl-test/busybox-zstd:latest -"
    "DOCKER busybox rl-test/busybox-docker:latest --format=v2s2"
    "UNCOMPRESSED uncompressed rl-test/busybox-uncompressed:latest mkimage"
    "EVIL_DOTDOT evil-dotdot rl-test/evil-dotdot:latest -"
    "EVIL_ABS evil-abs rl-test/evil-abs:latest -"
    "EVIL_SYMLINK evil-symlink rl-test/evil-symlink:latest -"
    "EVIL_HARDLINK evil-hardlink rl-test/evil-hardlink:latest -"
    "EVIL_HARDLINK_ABS evil-hardlink-abs rl-test/evil-hardlink-abs:latest -"
    "EVIL_BOMB evil-bomb rl-test/evil-bomb:latest -"
    "EVIL_BOMB_ZSTD evil-bomb-zstd rl-test/evil-bomb-zstd:latest -"
)
[ "$BIG" != 1 ] || IMAGES+=("BIG big rl-test/big:latest -")

ACCEPT='application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json'
ACCEPT+=',application/vnd.docker.distribution.manifest.v2+json'
ACCEPT+=',application/vnd.docker.distribution.manifest.list.v2+json'

note() { printf 'fixtures.sh: %s\n' "$*" >&2; }
die() {
    note "$*"
    exit 1
}

# ------------------------------------------------------------------------------ servers

# http_code URL CURL-OPTIONS...: the status of GET URL ("000" when nothing answers).
http_code() {
    local url=$1
    shift
    curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" "$url" 2>/dev/null || true
}

# healthy NAME: the server answers as it should.
healthy() {
    case "$1" in
    plain) [ "$(http_code "http://$REG_PLAIN/v2/")" = 200 ] ;;
    basic) [ "$(http_code "http://$REG_BASIC/v2/" -u "$REG_USER:$REG_PASS")" = 200 ] ;;
    token) [ "$(http_code "http://$REG_TOKEN/v2/")" = 401 ] ;;
    tls) [ "$(http_code "https://$REG_TLS/v2/" --cacert "$PKI/ca.pem")" = 200 ] ;;
    tokenserver) [ "$(http_code "http://$TOKEN_ADDR/log")" = 200 ] ;;
    bad) [ "$(http_code "http://$REG_BAD/v2/")" = 200 ] ;;
    esac
}

# our_pid NAME: the pid of our running server NAME (its command line names $FIXTURES).
our_pid() {
    local pid
    pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$FIXTURES/" || return 1
    echo "$pid"
}

stop_server() {
    local name=$1 pid i
    if pid=$(our_pid "$name"); then
        kill "$pid" 2>/dev/null || true
        for i in $(seq 50); do
            [ -d "/proc/$pid" ] || break
            [ "$i" -lt 50 ] || kill -KILL "$pid" 2>/dev/null || true
            sleep 0.1
        done
        echo "stopped $name (pid $pid)"
    fi
    rm -f "$RUN/$name.pid" "$RUN/$name.stamp"
}

# start_server NAME STAMP CMD...: run CMD detached (setsid, own log) unless the server is
# already running, healthy, and was started with the same STAMP (a hash of its config).
start_server() {
    local name=$1 stamp=$2 pid i
    shift 2
    if pid=$(our_pid "$name") && [ "$(cat "$RUN/$name.stamp" 2>/dev/null)" = "$stamp" ] \
        && healthy "$name"; then
        echo "$name: running (pid $pid)"
        return 0
    fi
    stop_server "$name" >/dev/null
    if [ "$(http_code "http://$(server_addr "$name")/")" != 000 ]; then
        die "$name: something else listens on $(server_addr "$name") (see ss -ltnp)"
    fi
    printf '\n==== %s %s\n' "$(date -Is)" "$*" >>"$RUN/$name.log"
    setsid "$@" >>"$RUN/$name.log" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$RUN/$name.pid"
    for i in $(seq 100); do
        healthy "$name" && break
        [ -d "/proc/$pid" ] || break
        sleep 0.1
    done
    if ! healthy "$name"; then
        tail -20 "$RUN/$name.log" >&2
        die "$name did not come up; see $RUN/$name.log"
    fi
    echo "$stamp" >"$RUN/$name.stamp"
    echo "$name: started (pid $pid)"
}

server_addr() {
    case "$1" in
    plain) echo "$REG_PLAIN" ;;
    basic) echo "$REG_BASIC" ;;
    token) echo "$REG_TOKEN" ;;
    tls) echo "$REG_TLS" ;;
    tokenserver) echo "$TOKEN_ADDR" ;;
    bad) echo "$REG_BAD" ;;
    esac
}

SERVERS=(plain basic token tls tokenserver bad)

cmd_stop() {
    local s
    for s in "${SERVERS[@]}"; do stop_server "$s"; done
}

# ------------------------------------------------------------------------------ setup

make_pki() {
    mkdir -p "$PKI"
    if [ ! -s "$PKI/server.pem" ] || [ ! -s "$PKI/token.pem" ]; then
        rm -f "$PKI"/*
        openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
        openssl req -x509 -new -key "$PKI/ca.key" -subj /CN=rl-test-ca -days 3650 -sha256 \
            -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign -out "$PKI/ca.pem"
        openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/server.key" 2>/dev/null
        openssl req -new -key "$PKI/server.key" -subj /CN=127.0.0.1 -out "$PKI/server.csr"
        printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'extendedKeyUsage=serverAuth' \
            'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
            >"$PKI/server.ext"
        openssl x509 -req -in "$PKI/server.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
            -CAcreateserial -days 3650 -sha256 -extfile "$PKI/server.ext" \
            -out "$PKI/server.pem" 2>/dev/null
        # The token signing key (RS256) and its self-signed certificate: the token registry's
        # rootcertbundle, and the x5c header of the tokens.
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/token.key" -subj /CN=rl-test-token \
            -days 3650 -sha256 -out "$PKI/token.pem" 2>/dev/null
        # skopeo --cert-dir: *.crt are CAs.
        mkdir -p "$PKI/certs.d"
        cp "$PKI/ca.pem" "$PKI/certs.d/ca.crt"
        echo "made a CA, a TLS certificate for 127.0.0.1 and a token signing key in $PKI"
    fi
    # The registries run as docker-registry; nobody else needs the keys.
    chown root:docker-registry "$PKI/server.key" "$PKI/token.key" "$PKI/ca.key"
    chmod 0640 "$PKI/server.key" "$PKI/token.key" "$PKI/ca.key"
}

# registry_config NAME ADDR EXTRA-YAML: writes $FIXTURES/reg/NAME/config.yml.
registry_config() {
    local name=$1 addr=$2 extra=$3 dir=$FIXTURES/reg/$1
    install -d -m 0755 "$dir"
    install -d -m 0755 -o docker-registry -g docker-registry "$dir/storage"
    cat >"$dir/config.yml.tmp" <<EOF
# docker-registry (distribution 2.8) config for rl's tests: $name, written by tests/fixtures.sh
# pki: $(cat "$PKI/server.pem" "$PKI/token.pem" | sha256sum | cut -c1-16)
version: 0.1
log:
  level: info
  fields:
    service: registry-$name
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $addr
  secret: rl-fixtures-$name
  headers:
    X-Content-Type-Options: [nosniff]
$extra
EOF
    mv -f "$dir/config.yml.tmp" "$dir/config.yml"
}

start_registry() {
    local name=$1 cfg=$FIXTURES/reg/$1/config.yml
    start_server "$name" "$(sha256sum <"$cfg" | cut -c1-16)" \
        setpriv --reuid=docker-registry --regid=docker-registry --init-groups \
        /usr/bin/docker-registry serve "$cfg"
}

start_registries() {
    registry_config plain "$REG_PLAIN" ""
    htpasswd -Bbc "$FIXTURES/reg/htpasswd.tmp" "$REG_USER" "$REG_PASS" 2>/dev/null
    if ! htpasswd -vb "$FIXTURES/reg/htpasswd" "$REG_USER" "$REG_PASS" >/dev/null 2>&1; then
        mv -f "$FIXTURES/reg/htpasswd.tmp" "$FIXTURES/reg/htpasswd"
    fi
    rm -f "$FIXTURES/reg/htpasswd.tmp"
    registry_config basic "$REG_BASIC" "auth:
  htpasswd:
    realm: rl-test-basic
    path: $FIXTURES/reg/htpasswd"
    registry_config token "$REG_TOKEN" "auth:
  token:
    realm: http://$TOKEN_ADDR/token
    service: $TOKEN_SERVICE
    issuer: $TOKEN_ISSUER
    rootcertbundle: $PKI/token.pem"
    registry_config tls "$REG_TLS" "  tls:
    certificate: $PKI/server.pem
    key: $PKI/server.key"
    local r
    for r in plain basic token tls; do start_registry "$r"; done
    start_server tokenserver "$(cat "$FIXTURES/helpers/tokenserver.py" "$PKI/token.pem" \
        | sha256sum | cut -c1-16)" \
        "$PY" "$FIXTURES/helpers/tokenserver.py" --port "${TOKEN_ADDR##*:}" \
        --key "$PKI/token.key" --cert "$PKI/token.pem" --issuer "$TOKEN_ISSUER" \
        --service "$TOKEN_SERVICE" --user "$REG_USER" --password "$REG_PASS" \
        --log "$RUN/token-requests.log"
}

start_bad() {
    start_server bad "$(cat "$FIXTURES/helpers/badregistry.py" "$OCI/index.json" \
        | sha256sum | cut -c1-16)" \
        "$PY" "$FIXTURES/helpers/badregistry.py" --port "${REG_BAD##*:}" --layout "$OCI" \
        --tag busybox
}

# ------------------------------------------------------------------------------ images

make_rootfs() {
    local r=$BUILD/rootfs a
    rm -rf "$r"
    mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home,run,var/tmp}
    chmod 1777 "$r/tmp" "$r/var/tmp"
    chmod 0700 "$r/root"
    install -m 0755 /bin/busybox "$r/bin/busybox"
    for a in $("$r/bin/busybox" --list); do
        [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
    done
    printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
        'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$r/etc/passwd"
    printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$r/etc/group"
    : >"$r/etc/hosts"
    : >"$r/etc/resolv.conf"
    chown -R 0:0 "$r"
}

build_images() {
    local b=$BUILD/bundle
    rm -rf "$OCI" "$b" "$BUILD/work"
    make_rootfs
    umoci init --layout "$OCI"
    umoci new --image "$OCI:busybox"
    umoci unpack --image "$OCI:busybox" "$b" >/dev/null
    cp -a "$BUILD/rootfs/." "$b/rootfs/"
    umoci repack --image "$OCI:busybox" "$b" >/dev/null
    rm -rf "$b"
    umoci config --image "$OCI:busybox" --os linux --architecture amd64 \
        --author "rl tests/fixtures.sh" --config.cmd /bin/sh --config.env "$PATH_ENV" \
        --config.label org.opencontainers.image.title=rl-test-busybox \
        --config.label rl.test=busybox --config.exposedports 80/tcp --config.workingdir /
    # app: busybox plus what rl run reads from an image: users and groups, ENTRYPOINT and
    # CMD, ENV, WORKDIR, a VOLUME with content, STOPSIGNAL; app-user: the same as USER app.
    umoci tag --image "$OCI:busybox" app
    umoci unpack --image "$OCI:app" "$b" >/dev/null
    printf '%s\n' 'app:x:1000:1000:app:/home/app:/bin/sh' >>"$b/rootfs/etc/passwd"
    printf '%s\n' 'app:x:1000:' 'staff:x:50:app' 'audio:x:29:app,root' >>"$b/rootfs/etc/group"
    mkdir -p "$b/rootfs/home/app" "$b/rootfs/data" "$b/rootfs/work"
    echo seed >"$b/rootfs/data/seed.txt"
    chown -R 1000:1000 "$b/rootfs/home/app"
    printf '%s\n' '#!/bin/sh' 'echo "entry: $*" >/tmp/entry.log' 'exec "$@"' >"$b/rootfs/bin/entry.sh"
    chmod 0755 "$b/rootfs/bin/entry.sh"
    umoci repack --image "$OCI:app" "$b" >/dev/null
    rm -rf "$b"
    umoci config --image "$OCI:app" --config.entrypoint /bin/entry.sh \
        --config.cmd echo --config.cmd "hello from app" --config.env FOO=bar \
        --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --config.workingdir /work --config.volume /data --config.stopsignal SIGUSR1 \
        --config.label rl.test=app
    umoci config --image "$OCI:app" --tag app-user --config.user app
    umoci gc --layout "$OCI"
    echo "busybox: built with umoci in $OCI"
    local big=()
    [ "$BIG" != 1 ] || big=(--big)
    "$PY" "$FIXTURES/helpers/mkimage.py" build "$OCI" "$FIXTURES/layers-expect.txt" \
        "$BUILD/work" "${big[@]}"
    rm -rf "$BUILD/work"
    echo "hand-made images: $(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | join(" ")' \
        "$OCI/index.json")"

    # archives of busybox, and the rootfs for rl import
    rm -rf "$ARCH"
    mkdir -p "$ARCH"
    skopeo copy -q "oci:$OCI:busybox" "docker-archive:$ARCH/busybox-docker.tar:rl-test/busybox:latest"
    skopeo copy -q "oci:$OCI:busybox" "oci-archive:$ARCH/busybox-oci.tar:latest"
    skopeo copy -q "oci:$OCI:busybox" "oci:$ARCH/busybox-oci:latest"
    tar -C "$BUILD/rootfs" --numeric-owner --owner=0 --group=0 --sort=name -cf "$ARCH/rootfs.tar" .
    echo "archives: $(cd "$ARCH" && echo *)"
}

skopeo_push() {
    local src=$1 dst=$2
    shift 2
    skopeo copy -q --retry-times 2 "$@" "oci:$OCI:$src" "docker://$dst"
}

push_images() {
    local line name tag repo opt
    for line in "${IMAGES[@]}"; do
        read -r name tag repo opt <<<"$line"
        case "$opt" in
        -) skopeo_push "$tag" "$REG_PLAIN/$repo" --dest-tls-verify=false ;;
        mkimage) "$PY" "$FIXTURES/helpers/mkimage.py" push "$OCI" "$tag" "$REG_PLAIN/$repo" ;;
        *) skopeo_push "$tag" "$REG_PLAIN/$repo" --dest-tls-verify=false "$opt" ;;
        esac
        echo "pushed $name: $REG_PLAIN/$repo"
    done
    skopeo_push busybox "$REG_BASIC/rl-test/busybox:latest" --dest-tls-verify=false \
        --dest-creds "$REG_USER:$REG_PASS"
    skopeo_push busybox "$REG_TOKEN/rl-test/busybox:latest" --dest-tls-verify=false \
        --dest-creds "$REG_USER:$REG_PASS"
    skopeo_push busybox "$REG_TLS/rl-test/busybox:latest" --dest-cert-dir "$PKI/certs.d"
    echo "pushed busybox to $REG_BASIC, $REG_TOKEN (user $REG_USER) and $REG_TLS"
}

# have_manifest URL CURL-OPTIONS...: the registry has that manifest (HEAD 200).
have_manifest() {
    local url=$1
    shift
    [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' -I -H "Accept: $ACCEPT" "$@" "$url")" = 200 ]
}

token_for() {
    curl -fsS -m 5 "http://$TOKEN_ADDR/token?service=$TOKEN_SERVICE&scope=repository:$1:pull" \
        | jq -r .token
}

images_present() {
    local line name tag repo opt token
    for line in "${IMAGES[@]}"; do
        read -r name tag repo opt <<<"$line"
        have_manifest "http://$REG_PLAIN/v2/${repo%:*}/manifests/${repo##*:}" || return 1
    done
    have_manifest "http://$REG_BASIC/v2/rl-test/busybox/manifests/latest" \
        -u "$REG_USER:$REG_PASS" || return 1
    token=$(token_for rl-test/busybox) || return 1
    have_manifest "http://$REG_TOKEN/v2/rl-test/busybox/manifests/latest" \
        -H "Authorization: Bearer $token" || return 1
    have_manifest "https://$REG_TLS/v2/rl-test/busybox/manifests/latest" \
        --cacert "$PKI/ca.pem" || return 1
    [ -s "$ARCH/rootfs.tar" ] && [ -s "$ARCH/busybox-docker.tar" ] \
        && [ -s "$ARCH/busybox-oci.tar" ] && [ -s "$FIXTURES/layers-expect.txt" ]
}

# ------------------------------------------------------------------------------ env

manifest_digest() {
    jq -r --arg t "$1" \
        '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
        "$OCI/index.json"
}

write_env() {
    local line name tag repo opt layer
    layer=$(jq -r '.layers[0].digest' "$OCI/blobs/sha256/$(manifest_digest busybox | cut -d: -f2)")
    {
        echo "# rl test fixtures, written by tests/fixtures.sh on $(date -Is); source me."
        echo "FIXTURES=$FIXTURES"
        echo "# registries (127.0.0.1, plain http except REG_TLS)"
        echo "REG_PLAIN=$REG_PLAIN"
        echo "REG_BASIC=$REG_BASIC"
        echo "REG_TOKEN=$REG_TOKEN"
        echo "REG_TLS=$REG_TLS"
        echo "REG_BAD=$REG_BAD"
        echo "REG_USER=$REG_USER"
        echo "REG_PASS=$REG_PASS"
        echo "REG_TLS_CA=$PKI/ca.pem"
        echo "# tokens for REG_TOKEN: anonymous -> pull, REG_USER:REG_PASS -> pull,push;"
        echo "# every token request is one JSON line in TOKEN_LOG"
        echo "TOKEN_REALM=http://$TOKEN_ADDR/token"
        echo "TOKEN_SERVICE=$TOKEN_SERVICE"
        echo "TOKEN_LOG=$RUN/token-requests.log"
        echo "# images on REG_PLAIN (IMG_BUSYBOX also on the others: IMG_BASIC, IMG_TOKEN, IMG_TLS)"
        for line in "${IMAGES[@]}"; do
            read -r name tag repo opt <<<"$line"
            echo "IMG_$name=$REG_PLAIN/$repo"
        done
        # A big image built by an earlier BIG=1 run stays usable.
        if [ "$BIG" != 1 ] && have_manifest "http://$REG_PLAIN/v2/rl-test/big/manifests/latest"; then
            echo "IMG_BIG=$REG_PLAIN/rl-test/big:latest"
        fi
        echo "IMG_BASIC=$REG_BASIC/rl-test/busybox:latest"
        echo "IMG_TOKEN=$REG_TOKEN/rl-test/busybox:latest"
        echo "IMG_TLS=$REG_TLS/rl-test/busybox:latest"
        echo "# digests: the busybox manifest (OCI, as on REG_PLAIN/REG_BASIC/REG_TOKEN/REG_TLS),"
        echo "# its only layer (gzip), the multiarch index"
        echo "BUSYBOX_DIGEST=$(manifest_digest busybox)"
        echo "BUSYBOX_LAYER_DIGEST=$layer"
        echo "MULTIARCH_DIGEST=$(manifest_digest multiarch)"
        echo "# what IMG_LAYERS unpacks to (format in the file's header)"
        echo "LAYERS_EXPECT=$FIXTURES/layers-expect.txt"
        echo "# busybox saved: docker-archive (rl-test/busybox:latest), oci-archive and OCI"
        echo "# layout (ref name latest); a root filesystem tarball for rl import"
        echo "ARCHIVE_DOCKER=$ARCH/busybox-docker.tar"
        echo "ARCHIVE_OCI=$ARCH/busybox-oci.tar"
        echo "OCI_LAYOUT=$ARCH/busybox-oci"
        echo "ROOTFS_TAR=$ARCH/rootfs.tar"
        echo "# the bad registry (tests/helpers/badregistry.py), each :latest from busybox's blobs:"
        echo "# layer digest mismatch, layer cut short, manifest not JSON, config without rootfs,"
        echo "# always 500, layer dropped mid-body on odd non-Range requests (206 for Range),"
        echo "# layer stalls 30 s after 4 KiB; GET http://REG_BAD/_bad/log, /_bad/reset"
        echo "IMG_BAD_WRONG_DIGEST=$REG_BAD/bad/wrong-digest:latest"
        echo "IMG_BAD_TRUNCATED=$REG_BAD/bad/truncated:latest"
        echo "IMG_BAD_MANIFEST=$REG_BAD/bad/bad-manifest:latest"
        echo "IMG_BAD_CONFIG=$REG_BAD/bad/bad-config:latest"
        echo "IMG_BAD_500=$REG_BAD/bad/500:latest"
        echo "IMG_BAD_FLAKY=$REG_BAD/bad/flaky:latest"
        echo "IMG_BAD_SLOW=$REG_BAD/bad/slow:latest"
        echo "IMG_BAD_REDIRECT=$REG_BAD/bad/redirect:latest"
        echo "IMG_BAD_REDIRECT_AUTH=$REG_BAD/bad/redirect-auth:latest"
    } >"$FIXTURES/env.tmp"
    mv -f "$FIXTURES/env.tmp" "$FIXTURES/env"
}

# ------------------------------------------------------------------------------ verify

cmd_verify() {
    local line name tag repo opt fail=0 out
    # shellcheck source=/dev/null
    . "$FIXTURES/env"
    check() {
        local what=$1
        shift
        if out=$("$@" 2>&1); then
            echo "ok   $what"
        else
            echo "FAIL $what: $(echo "$out" | tail -2)"
            fail=1
        fi
    }
    for line in "${IMAGES[@]}"; do
        read -r name tag repo opt <<<"$line"
        check "IMG_$name" skopeo inspect --raw --tls-verify=false "docker://$REG_PLAIN/$repo"
    done
    check IMG_BUSYBOX-config skopeo inspect --tls-verify=false "docker://$IMG_BUSYBOX"
    local basic=$REG_BASIC/rl-test/busybox:latest token=$REG_TOKEN/rl-test/busybox:latest
    check IMG_BASIC skopeo inspect --tls-verify=false --creds "$REG_USER:$REG_PASS" "docker://$basic"
    check "IMG_BASIC needs creds" bash -c "! skopeo inspect --tls-verify=false --no-creds docker://$basic"
    check IMG_TOKEN skopeo inspect --tls-verify=false --creds "$REG_USER:$REG_PASS" "docker://$token"
    check "IMG_TOKEN anonymous" skopeo inspect --tls-verify=false --no-creds "docker://$token"
    check IMG_TLS skopeo inspect --cert-dir "$PKI/certs.d" "docker://$REG_TLS/rl-test/busybox:latest"
    check ARCHIVE_DOCKER skopeo inspect "docker-archive:$ARCHIVE_DOCKER"
    check ARCHIVE_OCI skopeo inspect "oci-archive:$ARCHIVE_OCI:latest"
    check OCI_LAYOUT skopeo inspect "oci:$OCI_LAYOUT:latest"
    check "env readable by rltest" runuser -u rltest -- cat "$FIXTURES/env"
    check "bad/wrong-digest" bash -c "curl -fsS http://$REG_BAD/v2/bad/wrong-digest/blobs/$BUSYBOX_LAYER_DIGEST \
        | sha256sum | grep -v ${BUSYBOX_LAYER_DIGEST#sha256:}"
    check "bad/bad-manifest" bash -c "! curl -fsS http://$REG_BAD/v2/bad/bad-manifest/manifests/latest | jq . "
    # The expectations hold for an independent unpacker (umoci, as root).
    rm -rf "$BUILD/verify"
    check "LAYERS_EXPECT (umoci unpack)" bash -c "umoci unpack --image '$OCI:layers' '$BUILD/verify' >/dev/null \
        && '$PY' -B '$FIXTURES/helpers/mkimage.py' check '$BUILD/verify/rootfs' '$LAYERS_EXPECT'"
    rm -rf "$BUILD/verify"
    check "bad/truncated" bash -c "[ \$(curl -s http://$REG_BAD/v2/bad/truncated/blobs/$BUSYBOX_LAYER_DIGEST | wc -c) \
        -lt \$(curl -s http://$REG_PLAIN/v2/rl-test/busybox/blobs/$BUSYBOX_LAYER_DIGEST | wc -c) ]"
    check "bad/flaky" bash -c "curl -s http://$REG_BAD/_bad/reset >/dev/null \
        && ! curl -s -o /dev/null http://$REG_BAD/v2/bad/flaky/blobs/$BUSYBOX_LAYER_DIGEST \
        && curl -fs http://$REG_BAD/v2/bad/flaky/blobs/$BUSYBOX_LAYER_DIGEST | sha256sum \
        | grep -q ${BUSYBOX_LAYER_DIGEST#sha256:} && curl -s http://$REG_BAD/_bad/reset >/dev/null"
    check "bad/500" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' http://$REG_BAD/v2/bad/500/manifests/latest) = 500 ]"
    [ "$fail" = 0 ] || die "verify failed"
}

# ------------------------------------------------------------------------------ main

cmd_up() {
    local want
    command -v docker-registry skopeo umoci jq htpasswd curl openssl zstd >/dev/null \
        || die "missing tools: apt-get install docker-registry skopeo umoci jq apache2-utils curl openssl zstd"
    [ -x /bin/busybox ] || die "no /bin/busybox: apt-get install busybox-static"
    id docker-registry >/dev/null 2>&1 || die "no user docker-registry (apt-get install docker-registry)"
    install -d -m 0755 "$FIXTURES" "$RUN" "$BUILD" "$FIXTURES/reg" "$FIXTURES/helpers"
    # One run at a time.
    exec 9>"$RUN/lock"
    flock -n 9 || {
        note "waiting for another fixtures.sh (lock $RUN/lock)"
        flock -w 600 9 || die "gave up waiting for $RUN/lock"
    }
    install -m 0644 "$SRC"/tests/helpers/{tokenserver,badregistry,mkimage}.py "$FIXTURES/helpers/"
    make_pki
    start_registries
    want=$(cat "$SRC/tests/helpers/mkimage.py" /bin/busybox <(echo "$IMAGES_VERSION") \
        | sha256sum | cut -c1-16)
    if [ "$FORCE" != 1 ] && [ "$(cat "$FIXTURES/images.stamp" 2>/dev/null)" = "$want" ] \
        && [ -s "$OCI/index.json" ] && images_present; then
        echo "images: up to date"
    else
        rm -f "$FIXTURES/images.stamp"
        build_images
        push_images
        echo "$want" >"$FIXTURES/images.stamp"
    fi
    start_bad
    write_env
    # Everything readable (the test user reads the env, archives, CA, layouts); the keys
    # stay 0640 root:docker-registry.
    chmod -R a+rX "$FIXTURES/env" "$FIXTURES/layers-expect.txt" "$ARCH" "$BUILD" "$RUN" \
        "$FIXTURES/helpers" "$PKI"/*.pem "$PKI/certs.d"
    chmod a+rX "$FIXTURES" "$PKI" "$FIXTURES/reg"
    echo "fixtures ready: $FIXTURES/env"
}

case "${1:-up}" in
up | stop | verify | clean) [ "$(id -u)" -eq 0 ] || die "run me as root" ;;
esac
case "${1:-up}" in
up) cmd_up ;;
stop) cmd_stop ;;
verify) cmd_verify ;;
clean)
    cmd_stop
    rm -rf "$FIXTURES"
    ;;
-h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' ;;
*) die "unknown command '$1' (see --help)" ;;
esac
