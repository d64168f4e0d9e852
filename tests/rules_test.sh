#!/usr/bin/env bash
# Rule cases: for every CASEDIR/<case>.expected, ingest <case>.ndjson into a
# fresh store, run `findings --format json` (with --at when the case says so)
# and compare the keys of the findings of the rule under test with the
# expected keys, as multisets. Case format and key definitions:
# tests/rules/README.md.
#
# usage: bash tests/rules_test.sh COLLECTOR ANALYZER CASEDIR [CASE...]
#   CASE...  optional substrings: run only cases whose name contains one
# Exit status: 0 all passed, 1 any case failed, 2 usage error.
set -uo pipefail

if [ $# -lt 3 ]; then
  echo "usage: bash tests/rules_test.sh COLLECTOR ANALYZER CASEDIR [CASE...]" >&2
  exit 2
fi
collector=$1 analyzer=$2 casedir=$3
shift 3
filters=("$@")

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The collector loads its secret rules from schemas/; default to this tree's.
if [ -z "${GRANTLINE_SCHEMAS:-}" ]; then
  export GRANTLINE_SCHEMAS="$here/../schemas"
fi
for prog in "$collector" "$analyzer"; do
  if [ ! -x "$prog" ]; then echo "rules_test: not executable: $prog" >&2; exit 2; fi
done
if [ ! -d "$casedir" ]; then echo "rules_test: no such directory: $casedir" >&2; exit 2; fi
command -v python3 >/dev/null || { echo "rules_test: python3 is required" >&2; exit 2; }

# Run with a time limit when timeout(1) exists, so a hung analyzer fails the case.
limit=()
if command -v timeout >/dev/null; then limit=(timeout 120); fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# compare.py EXPECTED FINDINGS_NDJSON CASE -> prints "ok   CASE" or "FAIL CASE: ..."
cat >"$tmp/compare.py" <<'PY'
import json
import sys

GRANT_RULES = {"GL-001", "GL-002", "GL-003", "GL-016"}
CRED_RULES = {"GL-005", "GL-006", "GL-007", "GL-008", "GL-010"}
ACTION_RULES = {"GL-009", "GL-011", "GL-012", "GL-013", "GL-014"}  # key = evidence[0]


def key_of(rule, f):
    """The identifying key of finding f of the rule under test (DESIGN.md 3.1)."""
    if rule in GRANT_RULES:
        k = f.get("grant")
        return k if isinstance(k, str) else "<no grant field>"
    if rule in CRED_RULES:
        k = f.get("credential")
        return k if isinstance(k, str) else "<no credential field>"
    if rule == "GL-004":  # on a grant -> grant, on a credential -> credential
        if isinstance(f.get("grant"), str) and f["grant"]:
            return f["grant"]
        k = f.get("credential")
        return k if isinstance(k, str) else "<no grant or credential field>"
    ev = f.get("evidence")
    if isinstance(ev, list) and ev and isinstance(ev[0], str):
        return ev[0]
    return "<no evidence[0]>"


def read_expected(path):
    rule, keys, severities = None, [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if line.startswith("#"):
                body = line[1:].strip()
                name, _, value = body.partition(":")
                name, value = name.strip(), value.strip()
                if name == "rule":
                    rule = value
                elif name == "severity":
                    parts = value.rsplit(None, 1)
                    if len(parts) != 2:
                        raise ValueError("bad '# severity: KEY SEVERITY' line: %r" % line)
                    severities.append((parts[0], parts[1]))
                continue
            if line.strip():
                keys.append(line)
    if rule not in GRANT_RULES | CRED_RULES | ACTION_RULES | {"GL-004"}:
        raise ValueError("missing or unknown '# rule:' line (got %r)" % rule)
    return rule, keys, severities


def main(expected_path, findings_path, case):
    try:
        rule, want, severities = read_expected(expected_path)
    except (OSError, ValueError) as exc:
        print("FAIL %s: bad case file: %s" % (case, exc))
        return 1
    findings, bad = [], []
    with open(findings_path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("not an object")
                findings.append(obj)
            except ValueError as exc:
                bad.append("line %d is not a JSON object (%s): %s" % (n, exc, line.strip()[:200]))
    mine = [f for f in findings if f.get("rule") == rule]
    got = sorted(key_of(rule, f) for f in mine)
    want = sorted(want)
    problems = list(bad)
    if got != want:
        problems.insert(0, "expected %s got %s" % (want, got))
    for key, sev in severities:
        have = [f.get("severity") for f in mine if key_of(rule, f) == key]
        if not have or any(s != sev for s in have):
            problems.append("severity of %s: expected %s got %s" % (key, sev, have or "no finding"))
    if not problems:
        print("ok   %s" % case)
        return 0
    print("FAIL %s: %s" % (case, problems[0]))
    for p in problems[1:]:
        print("       %s" % p)
    for f in mine:
        print("       %s %s [%s] %s" % (rule, key_of(rule, f), f.get("severity"), f.get("detail")))
    if not mine:
        print("       (no %s findings; %d findings of other rules)" % (rule, len(findings)))
    return 1


sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
PY

pass=0 fail=0 total=0
shopt -s nullglob
for expected in "$casedir"/*.expected; do
  case=$(basename "$expected" .expected)
  if [ ${#filters[@]} -gt 0 ]; then
    hit=0
    for f in "${filters[@]}"; do [[ $case == *"$f"* ]] && hit=1; done
    [ $hit = 1 ] || continue
  fi
  total=$((total + 1))
  input="${expected%.expected}.ndjson"
  if [ ! -f "$input" ]; then
    echo "FAIL $case: no $case.ndjson next to $case.expected"; fail=$((fail + 1)); continue
  fi
  at=$(sed -n 's/^#[[:space:]]*at:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$expected" | head -n 1)

  work="$tmp/$case"
  mkdir -p "$work"
  "${limit[@]}" "$collector" --input "$input" --store "$work/store" -q >"$work/collector.out" 2>"$work/collector.err"
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL $case: collector exited $rc: $(tail -n 3 "$work/collector.err" | tr '\n' ' ')"
    fail=$((fail + 1)); continue
  fi
  q=$(sed -n 's/.*quarantined \([0-9][0-9]*\).*/\1/p' "$work/collector.err" | tail -n 1)
  if [ -n "$q" ] && [ "$q" != 0 ]; then
    echo "FAIL $case: the collector quarantined $q event(s): the case data is invalid"
    fail=$((fail + 1)); continue
  fi

  args=(findings --store "$work/store" --format json)
  [ -n "$at" ] && args+=(--at "$at")
  "${limit[@]}" "$analyzer" "${args[@]}" >"$work/findings.json" 2>"$work/analyzer.err"
  rc=$?
  if [ $rc -ne 0 ]; then
    if [ $rc = 2 ] && grep -qi "unknown command" "$work/analyzer.err"; then
      echo "FAIL $case: the analyzer does not support 'findings' yet (exit 2, unknown command)"
    else
      echo "FAIL $case: analyzer exited $rc: $(tail -n 3 "$work/analyzer.err" | tr '\n' ' ')"
    fi
    fail=$((fail + 1)); continue
  fi
  if python3 "$tmp/compare.py" "$expected" "$work/findings.json" "$case"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
  fi
done

if [ $total = 0 ]; then
  echo "rules: no cases found in $casedir${filters[*]:+ matching ${filters[*]}}"
  exit 1
fi
echo "rules: $pass passed, $fail failed, $total cases"
[ $fail = 0 ]
