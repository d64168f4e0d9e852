#!/usr/bin/env bash
# Ingest benchmark (issue 2): N realistic events (~480 bytes) in a topic of a
# mock Kafka cluster running as its own process; measured in the same run:
#   kcat -C to /dev/null          (raw consume: the ceiling)
#   rsyslog imkafka -> omfile     (a real collector writing raw lines)
#   grantline-collector           (parse, validate, redact, index, chain, durable LMDB)
# rsyslog and the collector alternate for ROUNDS rounds (default 3); the best
# of each is compared. Prints events/s, CPU seconds, bytes per stored event,
# and ratios.
# Usage: [ROUNDS=n] bench/ingest.sh [N]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
parts=${PARTITIONS:-128}
bash scripts/deps.sh --bench
bash scripts/build.sh build
out=bench/out
mkdir -p "$out"
data=$out/events-$n.keyed
[ -s "$data" ] || python3 bench/gen_events.py "$n" --keyed > "$data"
avg=$(awk -F'\t' '{s+=length($2)} END {printf "%.0f", s/NR}' "$data")

work=$(mktemp -d)
cleanup() {
  [ -n "${rs_pid:-}" ] && kill "$rs_pid" 2>/dev/null
  kill "$mock_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
./build/tools/grantline-mock-kafka --topic bench --partitions "$parts" > "$work/boot" &
mock_pid=$!
for _ in $(seq 50); do [ -s "$work/boot" ] && break; sleep 0.1; done
b=$(head -n1 "$work/boot")

now() { date +%s.%N; }
cpu_of() { awk '{print $14/100 + $15/100}' "/proc/$1/stat" 2>/dev/null || echo 0; }

echo "== producing $n events (avg $avg bytes) into $parts partitions"
t0=$(now)
kcat -P -b "$b" -t bench -K $'\t' -l -X linger.ms=50 -X batch.num.messages=10000 \
     -X queue.buffering.max.messages=1000000 "$data"
t1=$(now)
echo "   produced in $(echo "$t1 - $t0" | bc) s"

echo "== kcat -C raw consume to /dev/null"
t0=$(now)
got=$(kcat -C -b "$b" -t bench -o beginning -e -q -f '%s\n' | wc -l)
t1=$(now)
kcat_s=$(echo "$t1 - $t0" | bc)
if [ "$got" -ne "$n" ]; then echo "topic holds $got of $n events: mock cluster dropped data" >&2; exit 1; fi
echo "   $got events in $kcat_s s"

# rsyslog and the collector each run ROUNDS times (default 3), alternating,
# each with a new consumer group reading the whole topic; the best round of
# each is compared (this shared 2-core machine's noise moved rsyslog's
# sustained rate between 190,000 and 300,000 events/s from one run to the
# next). Each round starts after a sync, without the previous one's dirty
# pages: the kernel writing back rsyslog's 500 MB file competed with the
# collector's fsyncs (its sys time 1.1 -> 2.5 s).
rounds=${ROUNDS:-3}
want=$(LC_ALL=C awk -F'\t' '{s += length($2) + 1} END {print s}' "$data")
mkdir -p "$work/rs"

# rsyslog runs twice a round: with librdkafka's defaults, as a user would
# start it, and with a prefetch queue of 1M messages / 128 MiB: librdkafka
# 2.0.2's fetcher pauses up to 1 s each time its queue fills (64 MiB at the
# defaults), which throttles rsyslog; the large queue covers the pause. The
# faster of the two is the fair comparison. grantline-collector used these settings
# until it woke the fetcher itself (collector/fetch_nudge.h); it now queues
# 50,000 messages, ~300 MB less memory on this backlog.
tuned='"queued.min.messages=1000000", "queued.max.messages.kbytes=131072"'

run_rsyslog() { # run_rsyslog ROUND default|tuned: sets rs_s, rs_busy, rs_cpu
  local extra=""
  [ "$2" = tuned ] && extra=", $tuned"
  cat > "$work/rs/rsyslog.conf" <<CONF
global(workDirectory="$work/rs")
module(load="imkafka")
template(name="raw" type="string" string="%msg%\n")
input(type="imkafka" topic="bench" broker="$b" consumergroup="rsyslog-bench-$1-$2"
      confParam=["auto.offset.reset=smallest"$extra] ruleset="out")
ruleset(name="out") { action(type="omfile" file="$work/rs/out.log" template="raw") }
CONF
  rm -f "$work/rs/out.log"
  sync
  local t0 t1 tf= c
  t0=$(now)
  rsyslogd -n -f "$work/rs/rsyslog.conf" -i "$work/rs/pid" > "$work/rs/stderr" 2>&1 &
  rs_pid=$!
  # Polled by size (stat), not by counting lines: wc -l over a file growing
  # to 500 MB ten times a second took CPU from rsyslog. Done when every byte
  # of every line is there; the line count is checked after.
  while :; do
    c=0; [ -f "$work/rs/out.log" ] && c=$(stat -c %s "$work/rs/out.log")
    [ -z "$tf" ] && [ "$c" -gt 0 ] && tf=$(now)
    [ "$c" -ge "$want" ] && break
    kill -0 "$rs_pid" 2>/dev/null || { echo "rsyslogd died:"; cat "$work/rs/stderr"; exit 1; }
    sleep 0.1
  done
  t1=$(now)
  rs_cpu=$(cpu_of "$rs_pid")
  kill "$rs_pid"; wait "$rs_pid" 2>/dev/null || true; rs_pid=
  local lines
  lines=$(wc -l < "$work/rs/out.log")
  [ "$lines" -eq "$n" ] || { echo "rsyslog wrote $lines lines of $n" >&2; exit 1; }
  rm -f "$work/rs/out.log"
  rs_s=$(echo "$t1 - $t0" | bc)
  rs_busy=$(echo "$t1 - $tf" | bc)
  echo "   rsyslog ($2) round $1: $n lines in $rs_s s ($rs_busy s from the first line; polled every 0.1 s), cpu $rs_cpu s"
}

run_grantline() { # run_grantline ROUND: sets gl_s gl_u gl_sys gl_rss gl_busy_rate
  rm -rf "$work/store"
  sync
  /usr/bin/time -f "%e %U %S %M" -o "$work/gl.time" \
    ./build/collector/grantline-collector --brokers "$b" --topic bench --group "gl-bench-$1" \
      --store "$work/store" --exit-at-end --progress 5 -v -X session.timeout.ms=6000 \
      2> "$work/gl.log" || { cat "$work/gl.log"; exit 1; }
  read -r gl_s gl_u gl_sys gl_rss < "$work/gl.time"
  gl_busy_rate=$(sed -n 's/.*(\([0-9]*\) ev\/s from the first message to the last stored).*/\1/p' "$work/gl.log")
  echo "   grantline round $1: $(grep summary "$work/gl.log" | head -1 | grep -o 'read [0-9]*, stored [0-9]*, duplicates [0-9]*, quarantined [0-9]*'), $gl_s s, $gl_busy_rate ev/s sustained"
  grep -o 'writer thread .*' "$work/gl.log" | sed 's/^/     /'
}

min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
rsd_s= rsd_busy= rst_s= rst_busy= best_gl_s= best_gl_rate=
for r in $(seq "$rounds"); do
  echo "== round $r: rsyslog imkafka -> omfile (raw lines), twice, then grantline-collector"
  run_rsyslog "$r" default
  rsd_s=$(min "$rsd_s" "$rs_s"); rsd_busy=$(min "$rsd_busy" "$rs_busy")
  run_rsyslog "$r" tuned
  rst_s=$(min "$rst_s" "$rs_s"); rst_busy=$(min "$rst_busy" "$rs_busy")
  run_grantline "$r"
  if [ -z "$best_gl_s" ] || [ "$(echo "$gl_s < $best_gl_s" | bc)" = 1 ]; then
    best_gl_s=$gl_s; best_gl_cpu="user $gl_u s + sys $gl_sys s"; best_gl_rss=$gl_rss
  fi
  if [ -z "$best_gl_rate" ] || [ "$gl_busy_rate" -gt "$best_gl_rate" ]; then best_gl_rate=$gl_busy_rate; fi
done
gl_s=$best_gl_s gl_busy_rate=$best_gl_rate
stats=$(./build/analyzer/grantline-analyzer stats --store "$work/store" --format json)
stored=$(echo "$stats" | python3 -c 'import sys,json; print(json.load(sys.stdin)["events"])')
size=$(echo "$stats" | python3 -c 'import sys,json; print(json.load(sys.stdin)["size_bytes"])')

echo
echo "== results ($n events, $parts partitions, $(nproc) cores)"
rate() { echo "scale=0; $n / $1" | bc; }
ratio() { printf "%.2f" "$(echo "$1 / $2" | bc -l)"; }
printf "%-46s %8s %10s %16s\n" "pipeline" "seconds" "events/s" "sustained ev/s"
printf "%-46s %8.2f %10s %16s\n" "kcat -C raw consume" "$kcat_s" "$(rate "$kcat_s")" "-"
printf "%-46s %8.2f %10s %16s\n" "rsyslog imkafka -> omfile (librdkafka defaults)" "$rsd_s" "$(rate "$rsd_s")" "$(rate "$rsd_busy")"
printf "%-46s %8.2f %10s %16s\n" "rsyslog imkafka -> omfile (1M-message prefetch)" "$rst_s" "$(rate "$rst_s")" "$(rate "$rst_busy")"
printf "%-46s %8.2f %10s %16s\n" "grantline-collector (durable)" "$gl_s" "$(rate "$gl_s")" "$gl_busy_rate"
# the fair comparison: rsyslog at whichever setting ran faster this time
# (the large queue usually; not always on this noisy machine)
rs_best_s=$(echo "if ($rsd_s < $rst_s) $rsd_s else $rst_s" | bc)
rs_best_busy=$(echo "if ($rsd_busy < $rst_busy) $rsd_busy else $rst_busy" | bc)
echo "grantline vs rsyslog, 1M-message prefetch:    $(ratio "$rst_s" "$gl_s")x with start-up, $(ratio "$gl_busy_rate" "$(rate "$rst_busy")")x sustained"
echo "grantline vs rsyslog, librdkafka defaults:    $(ratio "$rsd_s" "$gl_s")x with start-up, $(ratio "$gl_busy_rate" "$(rate "$rsd_busy")")x sustained"
echo "grantline vs rsyslog's faster setting:        $(ratio "$rs_best_s" "$gl_s")x with start-up, $(ratio "$gl_busy_rate" "$(rate "$rs_best_busy")")x sustained   <- the fair comparison"
echo "(best of $rounds rounds each; seconds include start-up: joining the consumer group takes"
echo " ~3 s on the mock cluster; sustained = from the first message to the last stored)"
echo "grantline-collector (fastest round): cpu $best_gl_cpu, peak RSS $((best_gl_rss / 1024)) MiB (incl. mapped store pages)"
echo "stored $stored events (incl. exposure events), store $((size / 1048576)) MiB = $((size / stored)) bytes/event (input avg $avg)"
