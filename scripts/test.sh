#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test twice: a normal build
# and an AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
jobs=$(nproc)

echo "== build (RelWithDebInfo, -Wall -Wextra, warnings are errors)"
bash scripts/build.sh build -DGL_WERROR=ON
echo "== tests"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== build (ASan + UBSan)"
bash scripts/build.sh build-asan -DGL_SANITIZE=ON -DGL_WERROR=ON -DCMAKE_BUILD_TYPE=Debug
echo "== tests under ASan + UBSan"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j"$jobs")
echo "== all tests passed"
