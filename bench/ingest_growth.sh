#!/usr/bin/env bash
# Ingest into a grown store (issue 2): how much slower the collector gets once
# the store already holds PREFILL events. Measured in the same run, from a
# file (no Kafka, so only the store differs):
#   baseline  the last N events into a new store (before and after, best kept)
#   grown     the same N events into a store holding the PREFILL events before them
# Prints events/s, writer CPU, bytes written per event and the ratio grown / new.
# Usage: bench/ingest_growth.sh [PREFILL] [N]   (default 4000000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
prefill=${1:-4000000}
n=${2:-1000000}
bash scripts/deps.sh --bench
bash scripts/build.sh build
out=bench/out
mkdir -p "$out"
total=$((prefill + n))
data=$out/events-$total.ndjson
[ -s "$data" ] || { echo "== generating $total events" >&2; python3 bench/gen_events.py "$total" > "$data"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -n "$prefill" "$data" > "$work/prefill.ndjson"
tail -n "$n" "$data" > "$work/last.ndjson"

# run STORE INPUT: prints "rate writer_cpu bytes_written"
run() {
  sync
  ./build/collector/grantline-collector --input "$2" --store "$1" -v 2> "$work/log" &
  local pid=$! wb=0 l
  while kill -0 "$pid" 2>/dev/null; do
    l=$(awk '/^write_bytes/ {print $2}' "/proc/$pid/io" 2>/dev/null) && [ -n "$l" ] && wb=$l
    sleep 0.2
  done
  wait "$pid"
  local rate cpu
  rate=$(sed -n 's/.*(\([0-9]*\) ev\/s from the first message to the last stored).*/\1/p' "$work/log")
  cpu=$(sed -n 's/.*store commits (\([0-9.]*\) s CPU).*/\1/p' "$work/log")
  echo "$rate $cpu $wb"
}

echo "== baseline: $n events into a new store" >&2
rm -rf "$work/new"; read -r r1 c1 w1 < <(run "$work/new" "$work/last.ndjson")
echo "   $r1 ev/s, writer CPU $c1 s, $((w1 / n)) bytes written per event" >&2
echo "== filling a store with the $prefill events before them" >&2
t0=$(date +%s.%N)
run "$work/grown" "$work/prefill.ndjson" > /dev/null
echo "   $(echo "$(date +%s.%N) - $t0" | bc) s" >&2
echo "== grown: the same $n events into it" >&2
read -r rg cg wg < <(run "$work/grown" "$work/last.ndjson")
echo "   $rg ev/s, writer CPU $cg s, $((wg / n)) bytes written per event" >&2
echo "== baseline again" >&2
rm -rf "$work/new"; read -r r2 c2 w2 < <(run "$work/new" "$work/last.ndjson")
echo "   $r2 ev/s, writer CPU $c2 s, $((w2 / n)) bytes written per event" >&2
if [ "$r2" -gt "$r1" ]; then r1=$r2; c1=$c2; w1=$w2; fi

echo
echo "== results ($n events from a file, $(nproc) cores)"
printf "%-40s %12s %12s %14s\n" "store" "events/s" "writer CPU" "bytes written"
printf "%-40s %12s %11ss %14s\n" "new (best of two)" "$r1" "$c1" "$((w1 / n))/event"
printf "%-40s %12s %11ss %14s\n" "holding $prefill events" "$rg" "$cg" "$((wg / n))/event"
echo "ratio grown / new: $(echo "scale=2; $rg / $r1" | bc)x events/s, $(echo "scale=2; $wg / $w1" | bc)x bytes written"
