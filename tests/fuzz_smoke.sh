#!/usr/bin/env bash
# Fuzz smoke: builds fuzz/fuzz_decode with clang (libFuzzer + ASan + UBSan)
# and runs FUZZ_RUNS (default 300,000) inputs with a fixed seed from the
# sample and test-vector seeds, plus the inputs that once crashed
# (tests/data/fuzz_regressions). Deterministic: same inputs every run.
# Skipped (exit 77) when clang's libFuzzer is not installed.
set -uo pipefail
src=$1
if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "SKIP: clang with libFuzzer not installed (apt-get install clang libclang-rt-14-dev)"; exit 77
fi
cd "$src" || exit 1
out=$(FUZZ_RUNS="${FUZZ_RUNS:-300000}" bash fuzz/run.sh 2>&1)
rc=$?
echo "$out" | tail -n 3
[ $rc -eq 0 ] || { echo "fuzzer found a problem (artifact written in $src)"; exit 1; }
for f in tests/data/fuzz_regressions/*; do
  [ -e "$f" ] || continue
  build-fuzz/fuzz_decode "$f" >/dev/null 2>&1 || { echo "regression input $f fails again"; exit 1; }
done
echo "fuzz smoke passed"
