#!/usr/bin/env bash
# Build and run the JSON parser benchmark (see docs/JSON.md).
#
#   bash bench/json/run.sh                 # full run: throughput + robustness probes
#   bash bench/json/run.sh --no-probes     # throughput only
#   bash bench/json/run.sh --events 50000 --runs 1 --only yajl
#
# Needs (Debian 12): gcc g++ pkg-config libjansson-dev libyajl-dev libjson-c-dev
# libcjson-dev libmsgpack-dev, and optionally libsimdjson-dev.
# Compiles with gcc/g++ -O2 straight from pkg-config (no CMake) into
# $BUILD_DIR (default: bench/json/build, ignored by git) and runs the binary.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${BUILD_DIR:-$here/build}
mkdir -p "$build"

# jansson must come before json-c on the link line: see jsonc_part.c
need="jansson yajl json-c libcjson msgpack"
for m in $need; do
    if ! pkg-config --exists "$m"; then
        echo "run.sh: pkg-config module '$m' missing; install with:" >&2
        echo "  apt-get install -y libjansson-dev libyajl-dev libjson-c-dev libcjson-dev libmsgpack-dev libsimdjson-dev" >&2
        exit 1
    fi
done

CC=${CC:-gcc}
CXX=${CXX:-g++}
cflags="-O2 -g -std=gnu11 -Wall -Wextra $(pkg-config --cflags $need)"
libs="$(pkg-config --libs $need) -lm"
defs=""
objs=""
link=$CC

# Rebuild only when a source (or this script) is newer than the binary.
stale=1
if [ -x "$build/json_parsers" ] && [ -z "${FORCE_BUILD:-}" ]; then
    stale=0
    for f in "$here"/*.c "$here"/*.h "$here"/*.cpp "$here/run.sh"; do
        if [ "$f" -nt "$build/json_parsers" ]; then
            stale=1
        fi
    done
fi

if [ "$stale" = 1 ]; then
    jobs=()
    if pkg-config --exists simdjson; then
        sjflags="-O2 -g -std=c++17 -Wall -Wextra $(pkg-config --cflags simdjson)"
        defs="-DHAVE_SIMDJSON"
        objs="$build/sj_base.o"
        "$CXX" $sjflags -DSJ_PREFIX=sj_base_ -c "$here/simdjson_shim.cpp" -o "$build/sj_base.o" &
        jobs+=($!)
        # The ondemand front end is compiled into the shim, so its SIMD kernel is
        # chosen by the compiler flags (haswell needs AVX2, BMI1/2 and PCLMUL;
        # -march=x86-64-v3 lacks PCLMUL); build a second copy for such CPUs.
        if grep -qw avx2 /proc/cpuinfo && grep -qw bmi2 /proc/cpuinfo && grep -qw pclmulqdq /proc/cpuinfo; then
            defs="$defs -DHAVE_SIMDJSON_HASWELL"
            objs="$objs $build/sj_hsw.o"
            "$CXX" $sjflags -march=haswell -DSJ_PREFIX=sj_hsw_ -c "$here/simdjson_shim.cpp" \
                -o "$build/sj_hsw.o" &
            jobs+=($!)
        fi
        libs="$libs $(pkg-config --libs simdjson)"
        link=$CXX
    else
        echo "run.sh: libsimdjson-dev not installed: simdjson rows skipped" >&2
    fi

    "$CC" $cflags $defs -c "$here/json_parsers.c" -o "$build/json_parsers.o"
    "$CC" $cflags -c "$here/jsonc_part.c" -o "$build/jsonc_part.o"
    for j in "${jobs[@]}"; do
        wait "$j"
    done
    $link -o "$build/json_parsers" "$build/json_parsers.o" "$build/jsonc_part.o" $objs $libs
    echo "run.sh: built $build/json_parsers" >&2
fi

exec "$build/json_parsers" "$@"
