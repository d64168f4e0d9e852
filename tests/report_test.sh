#!/usr/bin/env bash
# 'report' end to end: collector + report on samples/ in all four formats.
# JSON: its tallies add up and agree with 'findings --format json' on the same
# store (tests/report_check.py json). HTML: one self-contained page (no
# script, nothing external, well-formed inline SVG, print CSS). Markdown:
# sections and table shapes. OSCAL: valid against NIST's own 1.0.6
# assessment-results JSON Schema, references resolve, one observation per
# finding, and mutated copies are rejected (tests/oscal_check.py). Also:
# re-runs are byte-identical (SOURCE_DATE_EPOCH) and OSCAL uuids stable, two
# overlapping stores give the single-store report, --framework, --evidence,
# --suppressions, --at, hostile workload names, an empty store, usage errors.
#
# Usage: report_test.sh COLLECTOR ANALYZER SOURCE_DIR [PYTHON]
# The OSCAL schema is the project's shared reference, not part of the tree:
# $OSCAL_SCHEMA, else ../shared/reference/oscal-1.0.6/ beside the checkout.
# Without it (or without python3-jsonschema) the schema validation is skipped
# and the test exits 77 (ctest SKIP_RETURN_CODE) if everything else passed.
set -uo pipefail
collector=$1 analyzer=$2 src=$3 python=${4:-python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gl-report.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0 skipped=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
status() { "$@" >/dev/null 2>&1; echo $?; }
rc() { "$python" "$src/tests/report_check.py" "$@"; }

schema=${OSCAL_SCHEMA:-}
for f in "$src/../shared/reference/oscal-1.0.6/oscal_assessment-results_schema.json" \
         /work/shared/reference/oscal-1.0.6/oscal_assessment-results_schema.json; do
  [ -z "$schema" ] && [ -f "$f" ] && schema=$f
done
if ! "$python" -c 'import jsonschema' 2>/dev/null; then
  echo "SKIP OSCAL schema validation: python3-jsonschema is not installed"; schema=
  skipped=1
elif [ -z "$schema" ] || [ ! -f "$schema" ]; then
  echo "SKIP OSCAL schema validation: oscal_assessment-results_schema.json 1.0.6 not found" \
       "(set OSCAL_SCHEMA=FILE)"; schema=
  skipped=1
fi

s=$tmp/store
"$collector" -q --input "$src/samples/agents.ndjson" --store "$s" 2>/dev/null ||
  { echo "FAIL collector on samples"; exit 1; }
"$analyzer" findings --store "$s" --format json > "$tmp/findings.json" ||
  { echo "FAIL findings on samples"; exit 1; }

export SOURCE_DATE_EPOCH=1773600000 # fixed report time: byte-identical re-runs
for fmt in md html json oscal; do
  "$analyzer" report --store "$s" --format "$fmt" > "$tmp/r.$fmt" 2>"$tmp/r.$fmt.err"
  check "report --format $fmt exits 0" test $? = 0
  check "report --format $fmt writes something, nothing on stderr" \
    test -s "$tmp/r.$fmt" -a ! -s "$tmp/r.$fmt.err"
  "$analyzer" report --store "$s" --format "$fmt" > "$tmp/r2.$fmt" 2>/dev/null
  check "report --format $fmt is byte-identical on a re-run" cmp -s "$tmp/r.$fmt" "$tmp/r2.$fmt"
done
check "default format is md" bash -c "'$analyzer' report --store '$s' | cmp -s - '$tmp/r.md'"

check "json: parses, tallies add up, agrees with findings" rc json "$tmp/r.json" "$tmp/findings.json"

# the audit samples (CloudTrail, Kubernetes, Vault, mapped): calls their
# authority authenticated count as bound, as GL-011 reads them
cat "$src/samples/cloudtrail.ndjson" "$src/samples/k8s-audit.ndjson" "$src/samples/vault-audit.ndjson" |
  "$collector" -q --input - --store "$tmp/audit" 2>/dev/null
"$analyzer" findings --store "$tmp/audit" --format json > "$tmp/audit.f"
"$analyzer" report --store "$tmp/audit" --format json > "$tmp/audit.json"
check "json on the mapped audit samples: tallies add up, unbound actions = GL-011" \
  rc json "$tmp/audit.json" "$tmp/audit.f"
"$python" - "$tmp/audit.json" <<'PY2'
import json, sys
ba = json.load(open(sys.argv[1]))["metrics"]["bound_actions"]
# two calls no authority vouched for (the anonymous request, the failed
# login); 8 without a key the stream saw issued, bound by their authority
# (the admin's impersonation of the service account among them)
assert ba["actions"] - ba["bound"] == 2 and ba["by_authority"] == 8, ba
PY2
check "json on the mapped audit samples: authority-bound calls are counted apart" test $? = 0
check "html: self-contained, inline SVG charts, print CSS" rc html "$tmp/r.html"
check "md: sections and table shapes" rc md "$tmp/r.md"
"$python" - "$tmp/r.json" <<'PY' && ok "json: the samples' figures" || fail "json: the samples' figures"
import json, sys
d = json.load(open(sys.argv[1]))
sc, m = d["scope"], d["metrics"]
want = {
    "events analysed": (sc["events_analysed"], 503),  # samples/README.md: 494 + 9 derived exposures
    "workloads": (sc["workloads"], 7),
    "credential.exposed": (sc["events_by_type"]["credential.exposed"], 10),
    "findings": (d["summary"]["findings"], 24),
    "exposed issued credentials": (m["remediation_lag"]["exposed_credentials"], 1),
    "exposed secrets never issued": (m["remediation_lag"]["exposed_untracked"], 9),
    # exposed 2026-03-04T10:15:00Z (evt-000143), revoked 2026-03-07T14:40:00Z (evt-000281)
    "remediation lag of cred-zendesk-api-sb-01": (m["remediation_lag"]["max"], 275100),
    "credentials issued without expiry": (m["credentials"]["no_expiry"], 2),
    "AU-9 (chain verified)": ([c["status"] for c in d["controls"] if c["id"] == "NIST-800-53:AU-9"], ["no findings"]),
}
bad = ["%s: %r, expected %r" % (k, g, w) for k, (g, w) in want.items() if g != w]
print("\n".join("  " + b for b in bad))
sys.exit(1 if bad else 0)
PY

if [ -n "$schema" ]; then
  check "oscal: valid against NIST's 1.0.6 schema, one observation per finding, mutations rejected" \
    "$python" "$src/tests/oscal_check.py" "$schema" "$tmp/r.oscal" --findings "$tmp/findings.json" --self-test
fi
unset SOURCE_DATE_EPOCH
"$analyzer" report --store "$s" --format oscal > "$tmp/r3.oscal" 2>/dev/null
"$python" - "$tmp/r.oscal" "$tmp/r3.oscal" <<'PY' && ok "oscal: uuids stable across runs (only last-modified moves)" || fail "oscal: uuids changed between runs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    d["assessment-results"]["metadata"].pop("last-modified")
sys.exit(0 if a == b else 1)
PY

# the events split over two stores are one store to the report: split
# (lines 1-250, 251-498) and overlapping (1-300, 200-498; deduplicated by
# event id, except the redaction-derived exposures, whose ids and credential
# fingerprints each store derives with its own key)
head -n 250 "$src/samples/agents.ndjson" > "$tmp/a.ndjson"
tail -n +251 "$src/samples/agents.ndjson" > "$tmp/b.ndjson"
head -n 300 "$src/samples/agents.ndjson" > "$tmp/c.ndjson"
tail -n +200 "$src/samples/agents.ndjson" > "$tmp/d.ndjson"
for x in a b c d; do "$collector" -q --input "$tmp/$x.ndjson" --store "$tmp/s$x" 2>/dev/null; done
"$analyzer" report --store "$tmp/sa" --store "$tmp/sb" --format json > "$tmp/ab.json"
check "two stores splitting the events give the single-store report" \
  rc same "$tmp/r.json" "$tmp/ab.json"
"$analyzer" report --store "$tmp/sc" --store "$tmp/sd" --format json > "$tmp/cd.json"
check "two overlapping stores give the single-store report (duplicates removed)" \
  rc same "$tmp/r.json" "$tmp/cd.json" --ignore-derived

# --framework: only that framework's controls; unknown ones are usage errors
"$analyzer" report --store "$s" --format json --framework owasp-nhi,owasp-agentic > "$tmp/fw.json"
"$python" - "$tmp/fw.json" <<'PY' && ok "--framework owasp-nhi,owasp-agentic lists only those controls" || fail "--framework filter"
import json, sys
d = json.load(open(sys.argv[1]))
fws = {c["framework"] for c in d["controls"]}
sys.exit(0 if fws == {"OWASP-NHI", "OWASP-ASI"} and len(d["controls"]) == 20 else 1)
PY
check "--framework nosuch exits 2" test "$(status "$analyzer" report --store "$s" --framework nosuch)" = 2
check "--format oscal without NIST 800-53 exits 2" \
  test "$(status "$analyzer" report --store "$s" --format oscal --framework csf)" = 2
check "--format pdf exits 2" test "$(status "$analyzer" report --store "$s" --format pdf)" = 2
check "without --store exits 2" test "$(status "$analyzer" report)" = 2
check "missing store exits 3" test "$(status "$analyzer" report --store "$tmp/nothing")" = 3
check "--help exits 0" test "$(status "$analyzer" report --help)" = 0
check "--fail-on critical exits 1 on the samples" \
  test "$(status "$analyzer" report --store "$s" --fail-on critical)" = 1

# --evidence bounds the listed findings, not the counts
"$analyzer" report --store "$s" --format json --evidence 1 > "$tmp/ev1.json"
"$python" - "$tmp/ev1.json" "$tmp/r.json" <<'PY' && ok "--evidence 1 keeps the most severe finding per control, counts unchanged" || fail "--evidence 1"
import json, sys
a, full = (json.load(open(p)) for p in sys.argv[1:3])
bad = 0
for c, f in zip(a["controls"], full["controls"]):
    bad += c["findings"] != f["findings"] or len(c["evidence"]) != min(1, f["findings"])
    bad += bool(c["evidence"]) and c["evidence"][0] != f["evidence"][0]
sys.exit(1 if bad else 0)
PY

# suppressed findings are counted apart and are no evidence
printf '{"suppressions":[{"rule":"GL-005","reason":"static keys, SEC-1","owner":"iam","expires":"2999-12-31"}]}\n' \
  > "$tmp/supp.json"
"$analyzer" report --store "$s" --format json --suppressions "$tmp/supp.json" > "$tmp/sup.json"
check "--suppressions: 3 GL-005 findings suppressed, the rest add up" \
  rc json "$tmp/sup.json" "$tmp/findings.json" --suppressed 3

# a control whose only findings are suppressed is a risk accepted, never "satisfied"
printf '{"suppressions":[{"rule":"GL-013","reason":"reviewed, TKT-9","owner":"iam","expires":"2999-12-31"}]}\n' \
  > "$tmp/supp13.json"
"$analyzer" report --store "$s" --format json --suppressions "$tmp/supp13.json" > "$tmp/sup13.json"
"$python" - "$tmp/sup13.json" <<'PY' && ok "suppressed-only control (AC-5, GL-013): risk accepted" || fail "risk accepted"
import json, sys
d = json.load(open(sys.argv[1]))
c = [c for c in d["controls"] if c["control"] == "AC-5"][0]
sys.exit(0 if c["status"] == "risk accepted" and d["summary"]["controls"]["risk_accepted"] >= 1 else 1)
PY
if [ -n "$schema" ]; then
  "$analyzer" report --store "$s" --format oscal --suppressions "$tmp/supp13.json" > "$tmp/sup13.oscal"
  check "risk accepted: oscal valid" "$python" "$src/tests/oscal_check.py" "$schema" "$tmp/sup13.oscal"
  "$python" - "$tmp/sup13.oscal" <<'PY' && ok "risk accepted: AC-5 objective not-satisfied (other), not satisfied" || fail "oscal risk accepted"
import json, sys
d = json.load(open(sys.argv[1]))
fs = [f for f in d["assessment-results"]["results"][0]["findings"] if f["target"]["target-id"] == "ac-5_obj"]
st = fs[0]["target"]["status"]
sys.exit(0 if st == {"state": "not-satisfied", "reason": "other"} else 1)
PY
fi

# --at: an earlier horizon cuts the events
"$analyzer" report --store "$s" --format json --at 2026-03-05T00:00:00Z > "$tmp/at.json"
"$python" - "$tmp/at.json" <<'PY' && ok "--at sets the horizon and cuts later events" || fail "--at"
import json, sys
d = json.load(open(sys.argv[1]))
sc = d["scope"]
sys.exit(0 if sc["horizon"] == "2026-03-05T00:00:00Z" and sc["horizon_source"] == "--at"
         and 0 < sc["events_analysed"] < 503 else 1)
PY

# "as of T" counts only what existed by T (a workload first seen later is not yet one)
"$analyzer" events --store "$s" > "$tmp/all-events.ndjson"
"$python" - "$tmp/at.json" "$tmp/all-events.ndjson" <<'PY' && ok "--at: inventory counts only what existed by T" || fail "--at inventory"
import json, sys
from datetime import datetime
sc = json.load(open(sys.argv[1]))["scope"]
T = datetime.fromisoformat("2026-03-05T00:00:00+00:00")
ws, cs, ts = set(), set(), set()
for line in open(sys.argv[2]):
    e = json.loads(line)
    if datetime.fromisoformat(e["ts"].replace("Z", "+00:00")) > T:
        continue
    ws.add(e["workload"])
    if e.get("delegate"):
        ws.add(e["delegate"])
    for c in ((e.get("credential") or {}).get("id"), e.get("previous")):
        if c:
            cs.add(c)
    if e.get("task"):
        ts.add(e["task"])
got = (sc["workloads"], sc["credentials"], sc["tasks"])
sys.exit(0 if got == (len(ws), len(cs), len(ts)) else print(got, (len(ws), len(cs), len(ts))) or 1)
PY

# hostile names: markup in workload, task and credential ids stays text
cat > "$tmp/hostile.ndjson" <<'EOF'
{"id":"h1","ts":"2026-03-01T10:00:00Z","type":"identity.issued","workload":"<img src=x onerror=alert(1)>|a","credential":{"id":"c-<script>"}}
{"id":"h2","ts":"2026-03-01T10:01:00Z","type":"action.performed","workload":"<img src=x onerror=alert(1)>|a","task":"t</svg><script>x()</script>","permission":{"action":"s3:Get*","resource":"https://evil.example/x.png"},"decision":"allow"}
{"id":"h3","ts":"2026-03-01T10:02:00Z","type":"access.granted","workload":"w \"quoted\" & 'single'","permission":{"action":"*"}}
EOF
"$collector" -q --input "$tmp/hostile.ndjson" --store "$tmp/sh" 2>/dev/null
for fmt in md html json oscal; do
  "$analyzer" report --store "$tmp/sh" --format "$fmt" > "$tmp/h.$fmt" 2>/dev/null
  check "hostile names: --format $fmt exits 0" test $? = 0
done
check "hostile names: html stays self-contained, SVG well-formed" rc html "$tmp/h.html"
check "hostile names: md tables keep their shape" rc md "$tmp/h.md"
check "hostile names: json parses" "$python" -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/h.json"
if [ -n "$schema" ]; then
  check "hostile names: oscal valid" "$python" "$src/tests/oscal_check.py" "$schema" "$tmp/h.oscal"
fi

# an empty store is a report with nothing in it, not an error
: > "$tmp/empty.ndjson"
"$collector" -q --input "$tmp/empty.ndjson" --store "$tmp/se" 2>/dev/null
for fmt in md html json oscal; do
  "$analyzer" report --store "$tmp/se" --format "$fmt" > "$tmp/e.$fmt" 2>/dev/null
  check "empty store: --format $fmt exits 0" test $? = 0
done
check "empty store: json parses" "$python" -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/e.json"
"$python" - "$tmp/e.json" <<'PY' && ok "empty store: every control not assessed" || fail "empty store statuses"
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["controls"] and all(c["status"] == "not assessed" for c in d["controls"]) else 1)
PY
# only quarantined input: nothing analysed, said on stderr and in the report
"$collector" -q --input "$src/samples/malformed.ndjson" --store "$tmp/sq" 2>/dev/null
"$analyzer" report --store "$tmp/sq" > "$tmp/q.md" 2>"$tmp/q.err"
check "only quarantined input: the report warns that no event was analysed" \
  test "$(grep -c 'no event was analysed' "$tmp/q.err")" = 1 -a "$(grep -c 'No event was analysed' "$tmp/q.md")" = 1
if [ -n "$schema" ]; then
  check "empty store: oscal valid" "$python" "$src/tests/oscal_check.py" "$schema" "$tmp/e.oscal"
fi

if [ "$fails" -ne 0 ]; then echo "$fails report check(s) failed"; exit 1; fi
if [ "$skipped" -ne 0 ]; then echo "report checks passed; OSCAL schema validation skipped"; exit 77; fi
echo "all report checks passed"
