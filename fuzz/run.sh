#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# SECONDS (default 60), seeded with the samples and the test vectors.
# Needs clang and libclang-rt-14-dev (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=build-fuzz
mkdir -p "$out/corpus"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_XOPEN_SOURCE=700 -Iinclude"
srcs="lib/arena.c lib/buf.c lib/error.c lib/event.c lib/jtree.c lib/log.c lib/mapping.c lib/glob.c lib/redact.c lib/schemas.c lib/tstamp.c"
clang++ $flags -std=c++17 $(pkg-config --cflags simdjson) -c lib/json_parse.cpp \
  -o "$out/json_parse.o"
# linked by clang++: the C++ shim needs the C++ parts of the sanitizer runtimes
clang++ $flags -DGL_RULES="\"$PWD/schemas/secrets.rules\"" -DGL_SOURCE_SCHEMAS="\"$PWD/schemas\"" \
  -DGL_INSTALL_SCHEMAS="\"/usr/share/grantline/schemas\"" -DGL_INSTALL_BINDIR="\"/usr/bin/\"" \
  -DGL_VERSION="\"fuzz\"" \
  -x c fuzz/fuzz_decode.c $srcs -x none "$out/json_parse.o" -o "$out/fuzz_decode" \
  $(pkg-config --cflags --libs msgpack libpcre2-8 simdjson libcrypto libxxhash)
# seeds: every sample, valid, invalid and malformed line as its own file
i=0
for f in samples/agents.ndjson samples/malformed.ndjson samples/cloudtrail.ndjson \
         samples/k8s-audit.ndjson samples/vault-audit.ndjson tests/data/valid_events.ndjson; do
  while IFS= read -r line; do i=$((i + 1)); printf '%s' "$line" > "$out/corpus/seed-$i"; done < "$f"
done
cut -f2- tests/data/invalid_events.tsv | while IFS= read -r line; do
  i=$((i + 1)); printf "%s" "$line" > "$out/corpus/inv-$i"; done
# FUZZ_RUNS makes a run deterministic (fixed seed and count): the test suite
# uses that, so CI never fails on a new random input; exploring is manual.
limit=(-max_total_time="$secs")
[ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS" -seed=20261129)
"$out/fuzz_decode" "${limit[@]}" -max_len=8192 -timeout=5 -rss_limit_mb=1024 \
  "$out/corpus" 2>&1 | tail -n 5
exit "${PIPESTATUS[0]}"
