#!/usr/bin/env bash
# Ingest benchmark (issue 2): N realistic events (~480 bytes) in a topic of a
# mock Kafka cluster running as its own process; measured in the same run:
#   kcat -C to /dev/null          (raw consume: the ceiling)
#   rsyslog imkafka -> omfile     (a real collector writing raw lines)
#   grantline-collector           (parse, validate, redact, index, chain, durable LMDB)
# Prints events/s, CPU seconds, bytes per stored event, and ratios.
# Usage: bench/ingest.sh [N]   (default 1000000)
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

echo "== rsyslog imkafka -> omfile (raw lines)"
mkdir -p "$work/rs"
cat > "$work/rs/rsyslog.conf" <<CONF
global(workDirectory="$work/rs")
module(load="imkafka")
template(name="raw" type="string" string="%msg%\n")
input(type="imkafka" topic="bench" broker="$b" consumergroup="rsyslog-bench"
      confParam=["auto.offset.reset=smallest"] ruleset="out")
ruleset(name="out") { action(type="omfile" file="$work/rs/out.log" template="raw") }
CONF
t0=$(now)
rsyslogd -n -f "$work/rs/rsyslog.conf" -i "$work/rs/pid" > "$work/rs/stderr" 2>&1 &
rs_pid=$!
tf=
while :; do
  c=0; [ -f "$work/rs/out.log" ] && c=$(wc -l < "$work/rs/out.log")
  [ -z "$tf" ] && [ "$c" -gt 0 ] && tf=$(now)
  [ "$c" -ge "$n" ] && break
  kill -0 "$rs_pid" 2>/dev/null || { echo "rsyslogd died:"; cat "$work/rs/stderr"; exit 1; }
  sleep 0.1
done
t1=$(now)
rs_cpu=$(cpu_of "$rs_pid")
kill "$rs_pid"; wait "$rs_pid" 2>/dev/null || true; rs_pid=
rs_s=$(echo "$t1 - $t0" | bc)
rs_busy=$(echo "$t1 - $tf" | bc)
echo "   $n lines in $rs_s s ($rs_busy s from the first line; polled every 0.1 s), cpu $rs_cpu s"

echo "== grantline-collector"
rm -rf "$work/store"
/usr/bin/time -f "%e %U %S %M" -o "$work/gl.time" \
  ./build/collector/grantline-collector --brokers "$b" --topic bench --group gl-bench \
    --store "$work/store" --exit-at-end --progress 5 -X session.timeout.ms=6000 2> "$work/gl.log" || {
  cat "$work/gl.log"; exit 1; }
grep summary "$work/gl.log"
read -r gl_s gl_u gl_sys gl_rss < "$work/gl.time"
gl_busy_rate=$(sed -n 's/.*(\([0-9]*\) ev\/s from the first message to the last stored).*/\1/p' "$work/gl.log")
stats=$(./build/analyzer/grantline-analyzer stats --store "$work/store" --format json)
stored=$(echo "$stats" | python3 -c 'import sys,json; print(json.load(sys.stdin)["events"])')
size=$(echo "$stats" | python3 -c 'import sys,json; print(json.load(sys.stdin)["size_bytes"])')

echo
echo "== results ($n events, $parts partitions, $(nproc) cores)"
rate() { echo "scale=0; $n / $1" | bc; }
rs_busy_rate=$(rate "$rs_busy")
printf "%-32s %8s %10s %10s %16s %10s\n" "pipeline" "seconds" "events/s" "vs rsyslog" "sustained ev/s" "vs rsyslog"
printf "%-32s %8.2f %10s %10.2f %16s %10s\n" "kcat -C raw consume" "$kcat_s" "$(rate "$kcat_s")" "$(echo "$rs_s / $kcat_s" | bc -l)" "-" "-"
printf "%-32s %8.2f %10s %10.2f %16s %10.2f\n" "rsyslog imkafka -> omfile" "$rs_s" "$(rate "$rs_s")" 1 "$rs_busy_rate" 1
printf "%-32s %8.2f %10s %10.2f %16s %10.2f\n" "grantline-collector (durable)" "$gl_s" "$(rate "$gl_s")" "$(echo "$rs_s / $gl_s" | bc -l)" "$gl_busy_rate" "$(echo "$gl_busy_rate / $rs_busy_rate" | bc -l)"
echo "(seconds include start-up: joining the consumer group takes ~3 s on the mock cluster;"
echo " sustained = from the first message to the last)"
echo "grantline-collector: cpu user $gl_u s + sys $gl_sys s, peak RSS $((gl_rss / 1024)) MiB (incl. mapped store pages)"
echo "stored $stored events (incl. exposure events), store $((size / 1048576)) MiB = $((size / stored)) bytes/event (input avg $avg)"
