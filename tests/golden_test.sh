#!/usr/bin/env bash
# Golden test: collector + analyzer on samples/ must give exactly the findings
# in tests/golden/agents.findings (rule, severity, workload, key), with stable
# finding ids across runs, and the same findings when the events are split
# over two stores that overlap (the analyzer deduplicates by event id).
set -uo pipefail
collector=$1 analyzer=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
extract() {
  python3 -c '
import sys, json
rows = []
for line in sys.stdin:
    f = json.loads(line)
    r = f["rule"]
    if r in ("GL-009", "GL-011", "GL-012", "GL-013", "GL-014", "GL-015"):
        k = f["evidence"][0]
    elif "grant" in f:
        k = f["grant"]
    else:
        k = f["credential"]
    rows.append("%s\t%s\t%s\t%s" % (r, f["severity"], f["workload"], k))
print("\n".join(sorted(rows)))'
}
"$collector" -q --input "$src/samples/agents.ndjson" --store "$tmp/one" 2>/dev/null
"$analyzer" findings --store "$tmp/one" --format json > "$tmp/f1.json"
extract < "$tmp/f1.json" > "$tmp/got"
if diff -u "$src/tests/golden/agents.findings" "$tmp/got"; then
  echo "ok   samples give the 24 expected findings"
else
  echo "FAIL findings differ from tests/golden/agents.findings (diff above)"; fails=$((fails + 1))
fi
"$analyzer" findings --store "$tmp/one" --format json > "$tmp/f2.json"
if cmp -s "$tmp/f1.json" "$tmp/f2.json"; then
  echo "ok   a re-run gives byte-identical output (stable finding ids)"
else
  echo "FAIL re-run output differs"; fails=$((fails + 1))
fi
n=$(python3 -c 'import sys,json; ids=[json.loads(l)["finding_id"] for l in open(sys.argv[1])]; print(len(ids)-len(set(ids)))' "$tmp/f1.json")
[ "$n" = 0 ] && echo "ok   finding ids are unique" || { echo "FAIL $n duplicate finding ids"; fails=$((fails + 1)); }

# two overlapping halves in two stores
total=$(wc -l < "$src/samples/agents.ndjson")
head -n $((total * 2 / 3)) "$src/samples/agents.ndjson" > "$tmp/a.ndjson"
tail -n $((total * 2 / 3)) "$src/samples/agents.ndjson" > "$tmp/b.ndjson"
"$collector" -q --input "$tmp/a.ndjson" --store "$tmp/sa" 2>/dev/null
"$collector" -q --input "$tmp/b.ndjson" --store "$tmp/sb" 2>/dev/null
"$analyzer" findings --store "$tmp/sa" --store "$tmp/sb" --format json > "$tmp/f3.json"
if cmp -s "$tmp/f1.json" "$tmp/f3.json"; then
  echo "ok   two overlapping stores analyzed as one give the same findings"
else
  echo "FAIL two stores differ from one:"; diff <(extract < "$tmp/f1.json") <(extract < "$tmp/f3.json")
  fails=$((fails + 1))
fi

# options
c=$("$analyzer" findings --store "$tmp/one" --format json --rule GL-005 | wc -l)
[ "$c" = 3 ] && echo "ok   --rule GL-005 gives 3" || { echo "FAIL --rule GL-005 gave $c"; fails=$((fails + 1)); }
c=$("$analyzer" findings --store "$tmp/one" --format json --min-severity critical | wc -l)
[ "$c" = 2 ] && echo "ok   --min-severity critical gives 2" || { echo "FAIL --min-severity critical gave $c"; fails=$((fails + 1)); }
c=$("$analyzer" findings --store "$tmp/one" --format json --workload agent:support-bot | wc -l)
[ "$c" = 6 ] && echo "ok   --workload agent:support-bot gives 6" || { echo "FAIL --workload gave $c"; fails=$((fails + 1)); }
"$analyzer" findings --store "$tmp/one" --fail-on critical >/dev/null 2>&1
[ $? = 1 ] && echo "ok   --fail-on critical exits 1" || { echo "FAIL --fail-on critical"; fails=$((fails + 1)); }
"$analyzer" findings --store "$tmp/one" --rule GL-007 --fail-on medium >/dev/null 2>&1
[ $? = 0 ] && echo "ok   --fail-on medium with only a low finding exits 0" || { echo "FAIL --fail-on medium"; fails=$((fails + 1)); }
# a policy that raises max_age past both stale credentials silences GL-006
printf '{"thresholds":{"max_age":"365d"},"severity":{"GL-005":"high"}}\n' > "$tmp/policy.json"
c=$("$analyzer" findings --store "$tmp/one" --format json --rule GL-006 --policy "$tmp/policy.json" | wc -l)
[ "$c" = 0 ] && echo "ok   --policy overrides max_age" || { echo "FAIL --policy max_age gave $c"; fails=$((fails + 1)); }
s=$("$analyzer" findings --store "$tmp/one" --format json --rule GL-005 --policy "$tmp/policy.json" | python3 -c 'import sys,json; print(",".join(sorted({json.loads(l)["severity"] for l in sys.stdin})))')
[ "$s" = high ] && echo "ok   --policy overrides a severity" || { echo "FAIL --policy severity gave $s"; fails=$((fails + 1)); }
printf '{"thresholds":{"max_agee":"1d"}}\n' > "$tmp/bad.json"
"$analyzer" findings --store "$tmp/one" --policy "$tmp/bad.json" >/dev/null 2>&1
[ $? = 2 ] && echo "ok   a policy with an unknown key is refused (exit 2)" || { echo "FAIL bad policy accepted"; fails=$((fails + 1)); }
# public_workloads: a policy's list replaces the default's; a malformed one is refused
"$collector" -q --input "$src/tests/rules/gl002-public-workload.ndjson" --store "$tmp/pub" 2>/dev/null
printf '{"public_workloads":[]}\n' > "$tmp/nopub.json"
s=$("$analyzer" findings --store "$tmp/pub" --format json --rule GL-002 --policy "$tmp/nopub.json" | python3 -c 'import sys,json; print(",".join(sorted({json.loads(l)["severity"] for l in sys.stdin})))')
[ "$s" = medium ] && echo "ok   --policy with no public workloads: GL-002 stays medium" || { echo "FAIL public_workloads [] gave $s"; fails=$((fails + 1)); }
printf '{"public_workloads":"system:anonymous"}\n' > "$tmp/badpub.json"
"$analyzer" findings --store "$tmp/pub" --policy "$tmp/badpub.json" >/dev/null 2>&1
[ $? = 2 ] && echo "ok   public_workloads that is no array is refused (exit 2)" || { echo "FAIL bad public_workloads accepted"; fails=$((fails + 1)); }
# --at before the leak is revoked: GL-010 still open, GL-009 not yet
c=$("$analyzer" findings --store "$tmp/one" --format json --at 2026-03-06T00:00:00Z --rule GL-010 | grep -c "still active")
[ "$c" = 1 ] && echo "ok   --at: the exposure is still open on 03-06" || { echo "FAIL --at GL-010"; fails=$((fails + 1)); }
c=$("$analyzer" findings --store "$tmp/one" --format json --at 2026-03-06T00:00:00Z --rule GL-009 | wc -l)
[ "$c" = 0 ] && echo "ok   --at: no use-after-retire before the revocation" || { echo "FAIL --at GL-009 gave $c"; fails=$((fails + 1)); }

# CEF with RFC 5424 framing: one line per finding, PRI, version 1, our app name
"$analyzer" findings --store "$tmp/one" --format cef --syslog > "$tmp/cef.txt" 2>/dev/null
c=$(grep -cE '^<1[0-9][0-9]>1 [0-9T:.-]+Z [^ ]+ grantline - GL-0[0-9]{2} - CEF:0\|grantline\|grantline\|[0-9.]+\|GL-0[0-9]{2}\|[a-z-]+\|(1|3|5|8|10)\|externalId=[0-9a-f]{32} ' "$tmp/cef.txt")
[ "$c" = 24 ] && echo "ok   --format cef --syslog: 24 well-formed RFC 5424 + CEF:0 lines" || { echo "FAIL cef/syslog lines: $c"; head -2 "$tmp/cef.txt"; fails=$((fails + 1)); }

# suppressions: an active one hides (and --show-suppressed shows it marked),
# an expired one hides nothing and warns, an incomplete one is refused
cat > "$tmp/supp.json" <<'JSON'
{"suppressions": [
 {"rule": "GL-005", "workload": "svc:billing-*", "reason": "static key, rotation in SEC-123", "owner": "iam@acme.example", "expires": "2999-12-31"},
 {"rule": "GL-007", "credential": "cred-meeting-*", "reason": "pilot decommissioning", "owner": "ml-platform", "expires": "2020-01-31"}
]}
JSON
c=$("$analyzer" findings --store "$tmp/one" --format json --suppressions "$tmp/supp.json" 2>"$tmp/supp.err" | wc -l)
[ "$c" = 23 ] && echo "ok   an active suppression hides its finding (23 left)" || { echo "FAIL suppression left $c"; fails=$((fails + 1)); }
grep -q "expired on 2020-01-31" "$tmp/supp.err" && echo "ok   an expired suppression warns" || { echo "FAIL no expiry warning"; fails=$((fails + 1)); }
c=$("$analyzer" findings --store "$tmp/one" --format json --suppressions "$tmp/supp.json" --show-suppressed 2>/dev/null | grep -c '"suppressed":{"reason":"static key, rotation in SEC-123","owner":"iam@acme.example","expires":"2999-12-31"}')
[ "$c" = 1 ] && echo "ok   --show-suppressed lists it with reason, owner and expiry" || { echo "FAIL --show-suppressed gave $c"; fails=$((fails + 1)); }
printf '{"suppressions":[{"rule":"GL-005","reason":"x","expires":"2999-01-01"}]}\n' > "$tmp/supp-bad.json"
"$analyzer" findings --store "$tmp/one" --suppressions "$tmp/supp-bad.json" >/dev/null 2>&1
[ $? = 2 ] && echo "ok   a suppression without an owner is refused" || { echo "FAIL ownerless suppression accepted"; fails=$((fails + 1)); }

# threads: thousands of workloads (hundreds of chunks, the ring wrapping,
# pages released on the way) give byte-identical output whatever -j is,
# and the same findings as workload-by-workload analysis with --workload
python3 "$src/bench/gen_events.py" 6000 > "$tmp/many.ndjson"
"$collector" -q --input "$tmp/many.ndjson" --store "$tmp/many" 2>/dev/null
"$analyzer" findings --store "$tmp/many" --format json -j 1 > "$tmp/m1.json"
"$analyzer" findings --store "$tmp/many" --format json -j 4 > "$tmp/m4.json"
"$analyzer" findings --store "$tmp/many" --format json -j 2 --rule GL-003 --rule GL-009 > "$tmp/m2r.json"
n1=$(wc -l < "$tmp/m1.json")
if [ "$n1" -gt 100 ] && cmp -s "$tmp/m1.json" "$tmp/m4.json"; then
  echo "ok   -j 1 and -j 4 give byte-identical output ($n1 findings)"
else
  echo "FAIL -j 1 vs -j 4 differ (or too few findings: $n1)"; fails=$((fails + 1))
fi
if grep -E '"rule":"GL-00(3|9)"' "$tmp/m1.json" | cmp -s - "$tmp/m2r.json"; then
  echo "ok   --rule with threads gives the same lines as the full run"
else
  echo "FAIL --rule with threads differs"; fails=$((fails + 1))
fi
w=$(python3 -c 'import sys,json; print(json.loads(open(sys.argv[1]).readline())["workload"])' "$tmp/m1.json")
"$analyzer" findings --store "$tmp/many" --format json --workload "$w" | sort > "$tmp/w1.json"
grep -F "\"workload\":\"$w\"" "$tmp/m1.json" | sort > "$tmp/w2.json"
if [ -s "$tmp/w1.json" ] && cmp -s "$tmp/w1.json" "$tmp/w2.json"; then
  echo "ok   --workload $w gives its findings of the full run"
else
  echo "FAIL --workload $w differs from the full run"; diff "$tmp/w1.json" "$tmp/w2.json" | head -5; fails=$((fails + 1))
fi

# findings on several threads while the collector writes into the same
# store and grows its map (from 1 MiB): every run completes
python3 "$src/bench/gen_events.py" 30000 | tail -n 24000 > "$tmp/more.ndjson"
head -n 6000 "$tmp/many.ndjson" > "$tmp/first.ndjson"
"$collector" -q --input "$tmp/first.ndjson" --store "$tmp/grow" --map-size 1 2>/dev/null
"$collector" -q --input "$tmp/more.ndjson" --store "$tmp/grow" --batch 500 2>/dev/null &
cpid=$!
bad=0 runs=0
while kill -0 "$cpid" 2>/dev/null || [ "$runs" -lt 3 ]; do
  "$analyzer" findings --store "$tmp/grow" --format json -j 2 > /dev/null 2> "$tmp/grow.err" || {
    bad=$((bad + 1)); cat "$tmp/grow.err"; }
  runs=$((runs + 1))
done
wait "$cpid"; crc=$?
if [ "$bad" = 0 ] && [ "$crc" = 0 ] && "$analyzer" verify --store "$tmp/grow" > /dev/null; then
  echo "ok   $runs findings runs beside a collector growing the store: all completed"
else
  echo "FAIL findings beside a growing store: $bad of $runs failed (collector $crc)"; fails=$((fails + 1))
fi

if [ "$fails" -ne 0 ]; then echo "$fails golden check(s) failed"; exit 1; fi
echo "all golden checks passed"
