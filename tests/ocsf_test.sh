#!/usr/bin/env bash
# Every finding the analyzer emits as OCSF must validate against the real
# OCSF 1.8.0 definition files (tests/ocsf_validate.py resolves extends,
# $include, dictionary types and enums), with warnings (deprecated fields,
# profile-only attributes) counted as failures; resolved findings too.
set -uo pipefail
collector=$1 analyzer=$2 src=$3
# The OCSF definition files are the project's shared dataset, not part of the
# tree: OCSF_SCHEMA, else the shared/ folder beside the checkout.
schema=${OCSF_SCHEMA:-}
for d in "$src/../shared/datasets/ocsf-schema-v1.8.0" /work/shared/datasets/ocsf-schema-v1.8.0; do
  [ -z "$schema" ] && [ -f "$d/version.json" ] && schema=$d
done
if [ -z "$schema" ] || [ ! -f "$schema/version.json" ]; then
  echo "SKIP: OCSF 1.8.0 schema files not found (set OCSF_SCHEMA=DIR)"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$src/tests/ocsf_validate.py" "$schema" --self-test "$src/tests/data" || exit 1
"$collector" -q --input "$src/samples/agents.ndjson" --store "$tmp/s" 2>/dev/null || exit 1
"$analyzer" findings --store "$tmp/s" --format ocsf > "$tmp/f.ndjson" || exit 1
n=$(wc -l < "$tmp/f.ndjson")
[ "$n" -eq 24 ] || { echo "expected 24 OCSF findings, got $n"; exit 1; }
python3 "$src/tests/ocsf_validate.py" "$schema" "$tmp/f.ndjson" --strict || exit 1
# suppressed and resolved variants
printf '{"suppressions":[{"rule":"*","reason":"test","owner":"ci","expires":"2999-01-01"}]}\n' > "$tmp/supp.json"
"$analyzer" findings --store "$tmp/s" --format ocsf --suppressions "$tmp/supp.json" --show-suppressed \
  > "$tmp/sup.ndjson" 2>/dev/null || exit 1
python3 "$src/tests/ocsf_validate.py" "$schema" "$tmp/sup.ndjson" --strict || exit 1
"$analyzer" findings --store "$tmp/s" --new-only --state "$tmp/state" > /dev/null 2>&1 || exit 1
printf '{"id":"fix-1","ts":"2026-03-15T04:00:00Z","type":"credential.revoked","workload":"agent:meeting-summarizer","credential":{"id":"cred-meeting-summarizer-pilot"}}\n' > "$tmp/fix.ndjson"
"$collector" -q --input "$tmp/fix.ndjson" --store "$tmp/s" 2>/dev/null || exit 1
"$analyzer" findings --store "$tmp/s" --format ocsf --new-only --state "$tmp/state" > "$tmp/res.ndjson" 2>/dev/null || exit 1
r=$(grep -c '"status_id":4' "$tmp/res.ndjson")
[ "$r" -eq 2 ] || { echo "expected 2 resolved findings, got $r"; exit 1; }
python3 "$src/tests/ocsf_validate.py" "$schema" "$tmp/res.ndjson" --strict || exit 1
echo "ocsf: all emitted findings validate against OCSF 1.8.0"
