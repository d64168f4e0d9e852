#!/usr/bin/env bash
# Analyzer benchmark (issue 3): a 1M-event store (bench/gen_events.py), then
#   timeline p50/p99 over 100 random workloads vs SQLite with the same events,
#   findings over the whole store: wall time and peak RSS, against a bare
#   msgpack scan of every stored event measured in the same run.
# Usage: bench/analyzer.sh [N]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
bash scripts/deps.sh --bench
bash scripts/build.sh build
out=bench/out
mkdir -p "$out"
data=$out/events-$n.ndjson
[ -s "$data" ] || python3 bench/gen_events.py "$n" > "$data"
store=$out/store-$n
# the cached store is rebuilt whenever the store's code changed
layout=$(cat lib/store.c collector/*.c | sha1sum | cut -c1-12)
if [ ! -f "$store/data.mdb" ] || [ "$(cat "$store.layout" 2>/dev/null)" != "$layout" ]; then
  rm -rf "$store"
  echo "== ingesting $n events into $store" >&2
  t0=$(date +%s.%N)
  ./build/collector/grantline-collector --input "$data" --store "$store" -q
  echo "file ingest: $(echo "scale=2; $(date +%s.%N) - $t0" | bc) s" >&2
  echo "$layout" > "$store.layout"
fi
db=$out/events-$n.sqlite
if [ ! -s "$db" ]; then
  echo "== loading the same events into SQLite" >&2
  python3 - "$data" "$db" <<'PY'
import json, sqlite3, sys
src, path = sys.argv[1], sys.argv[2]
con = sqlite3.connect(path)
con.execute("CREATE TABLE events (id TEXT PRIMARY KEY, ts INTEGER, type TEXT, workload TEXT, json TEXT)")
def rows():
    for line in open(src):
        e = json.loads(line)
        yield (e["id"], e["ts"], e["type"], e["workload"], line)
con.executemany("INSERT INTO events VALUES (?,?,?,?,?)", rows())
con.execute("CREATE INDEX events_workload_ts ON events (workload, ts)")
con.execute("CREATE INDEX events_ts ON events (ts)")
con.commit()
PY
fi
cc -O2 -o "$out/analyzer_bench" bench/analyzer_bench.c -Iinclude -Ianalyzer \
   -DGL_SCHEMAS="\"$PWD/schemas\"" build/analyzer/libgl_analysis.a build/lib/libgrantline.a \
   $(pkg-config --cflags --libs lmdb msgpack libpcre2-8 simdjson libcrypto libxxhash sqlite3) -lstdc++
"$out/analyzer_bench" "$store" "$db" 100 | tee "$out/analyzer_bench.txt"
scan_ms=$(sed -n 's/^BARE_SCAN_MS //p' "$out/analyzer_bench.txt")
# findings, timed alone (nothing else running; NDJSON to /dev/null, so the
# figure is the analysis, not the file system), then once more into a file
# for its memory: peak RSS (VmHWM: heap and the store's mapped pages)
# best of three, like the bare scan it is compared with
f_s=
for _ in 1 2 3; do
  t0=$(date +%s.%N)
  ./build/analyzer/grantline-analyzer findings --store "$store" --format json > /dev/null
  t=$(echo "$(date +%s.%N) - $t0" | bc)
  if [ -z "$f_s" ] || [ "$(echo "$t < $f_s" | bc)" = 1 ]; then f_s=$t; fi
done
/usr/bin/time -f "%M" -o "$out/findings.rss" \
  ./build/analyzer/grantline-analyzer findings --store "$store" --format json > "$out/findings.json"
rss_kb=$(tail -1 "$out/findings.rss")
echo "findings over the store: $(wc -l < "$out/findings.json") findings in $f_s s ($(nproc) CPUs), peak RSS $((rss_kb / 1024)) MiB"
view_ms=$(sed -n 's/^VIEW_SCAN_MS //p' "$out/analyzer_bench.txt")
echo "ratio findings / bare msgpack-c scan: $(echo "scale=2; $f_s * 1000 / $scan_ms" | bc)x (target <= 3x; memory target < 256 MiB)"
echo "ratio findings / scan with the analyzer's own record reader: $(echo "scale=2; $f_s * 1000 / $view_ms" | bc)x"
