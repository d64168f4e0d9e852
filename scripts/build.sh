#!/usr/bin/env bash
# Configures and builds into build/ (or $1). Extra args go to cmake.
# Fails on a build error and on any compiler warning.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
log=$(mktemp)
if ! cmake --build "$dir" -j"$(nproc)" >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; exit 1
fi
if grep -q "warning:" "$log"; then
  grep -B2 -A6 "warning:" "$log" >&2; rm -f "$log"
  echo "build: compiler warnings (see above)" >&2; exit 1
fi
rm -f "$log"
