#!/usr/bin/env bash
# tests/fuzz/run.sh: build the libFuzzer targets with clang (ASan+UBSan) against a configured
# build directory and run each for a while.
#
#   bash tests/fuzz/run.sh [BUILD_DIR] [SECONDS]      default /tmp/rl-fuzz, 60 s per target
#
# Targets: fuzz_ref (reference parse/format round trip), fuzz_manifest (manifests, image
# configs, WWW-Authenticate), fuzz_layer (tar extraction confined to a directory). Crashes
# are left as crash-* files in BUILD_DIR/fuzz.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${1:-/tmp/rl-fuzz}
SECS=${2:-60}
command -v clang >/dev/null || { echo "fuzz: clang is not installed (apt-get install clang)" >&2; exit 1; }
if [ ! -f "$B/config.h" ]; then
    mkdir -p "$B"
    (cd "$B" && "$SRC/configure" CC=clang >/dev/null)
fi
mkdir -p "$B/fuzz"
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
# shellcheck disable=SC2054,SC2207 # one comma-separated flag; pkg-config words
FLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -I"$B" -iquote "$SRC/lib" -iquote "$SRC/image"
    -include "$B/config.h" $(pkg-config --cflags jansson libcrypto libarchive libcurl))
# shellcheck disable=SC2207
LIBS=($(pkg-config --libs jansson libcrypto libarchive libcurl zlib libzstd libcap) -lpthread)
LIBSRC=("$SRC"/lib/{util,error,log,fs}.c "$SRC"/image/{ref,digest,manifest,auth,layer}.c)
for t in fuzz_ref fuzz_manifest fuzz_layer; do
    clang "${FLAGS[@]}" -o "$B/fuzz/$t" "$SRC/tests/fuzz/$t.c" "${LIBSRC[@]}" "${LIBS[@]}"
    echo "fuzz: $t for ${SECS}s"
    (cd "$B/fuzz" && "./$t" -max_total_time="$SECS" -max_len=65536 2>&1 | tail -3)
done
