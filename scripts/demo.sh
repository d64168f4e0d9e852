#!/usr/bin/env bash
# The main job end to end on the embedded default: installs what is missing,
# builds, starts librdkafka's mock Kafka cluster on loopback, produces the
# samples into a topic with kcat (keyed by workload), collects them with
# grantline-collector into a new store (./demo-store) and prints a summary;
# then CloudTrail and Kubernetes audit samples, mapped, into ./demo-store-audit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh build

store=${STORE:-./demo-store}
topic=nhi-events
rm -rf "$store"
work=$(mktemp -d)
trap 'kill "$mock_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== starting librdkafka mock cluster (Kafka protocol on 127.0.0.1)"
./build/tools/grantline-mock-kafka --topic "$topic,audit-logs" --partitions 4 > "$work/boot" &
mock_pid=$!
for _ in $(seq 50); do [ -s "$work/boot" ] && break; sleep 0.1; done
brokers=$(head -n1 "$work/boot")
echo "   brokers: $brokers"

echo "== producing samples/agents.ndjson and samples/malformed.ndjson with kcat (key = workload)"
python3 scripts/key_by_workload.py samples/agents.ndjson samples/malformed.ndjson > "$work/keyed"
kcat -P -b "$brokers" -t "$topic" -K $'\t' -l "$work/keyed"
echo "   $(wc -l < "$work/keyed") messages produced"

echo "== collecting into $store"
./build/collector/grantline-collector --brokers "$brokers" --topic "$topic" --group grantline-demo \
    --store "$store" --exit-at-end -X session.timeout.ms=6000 --progress 2

echo "== store summary (grantline-analyzer stats)"
./build/analyzer/grantline-analyzer stats --store "$store"
./build/analyzer/grantline-analyzer quarantine --store "$store" > "$work/quarantine.txt"
echo "== quarantined inputs (first 6 of $(grep -c '^[0-9]' "$work/quarantine.txt"))"
head -n 18 "$work/quarantine.txt"
echo "== hash chain"
./build/analyzer/grantline-analyzer verify --store "$store"
echo "== planted secrets found in the store files: $(grep -c -F -f samples/planted_secrets.txt "$store"/*.mdb | awk -F: '{s+=$2} END {print s+0}')"
echo "== findings (grantline-analyzer findings)"
./build/analyzer/grantline-analyzer findings --store "$store" > "$work/findings.txt"
grep -E '^GL-' "$work/findings.txt" | awk '{print $1, $2, $3}' | sort | uniq -c

# Other audit formats as they are: CloudTrail, Kubernetes and Vault audit records
# through the same cluster, mapped by schemas/mappings/ into a store of their own.
audit=${AUDIT_STORE:-./demo-store-audit}
rm -rf "$audit"
echo "== producing samples/cloudtrail.ndjson, k8s-audit.ndjson and vault-audit.ndjson into topic audit-logs"
cat samples/cloudtrail.ndjson samples/k8s-audit.ndjson samples/vault-audit.ndjson > "$work/audit"
# keyed by source, as a shipper would: one partition per log keeps its order
# (a Vault response entry after its request entry)
awk '{ k = /"eventVersion"/ ? "cloudtrail" : /"auditID"/ ? "k8s" : "vault"; print k "\t" $0 }' \
    "$work/audit" > "$work/audit.keyed"
kcat -P -b "$brokers" -t audit-logs -K $'\t' -l "$work/audit.keyed"
echo "   $(wc -l < "$work/audit") messages produced"
echo "== collecting them into $audit (mappings: CloudTrail, Kubernetes audit, Vault audit)"
./build/collector/grantline-collector --brokers "$brokers" --topic audit-logs --group grantline-demo-audit \
    --store "$audit" --exit-at-end -X session.timeout.ms=6000 --progress 0
echo "== the role ci-deployer's session, from CloudTrail (grantline-analyzer timeline)"
./build/analyzer/grantline-analyzer timeline --store "$audit" \
    --workload arn:aws:iam::111122223333:role/ci-deployer | cut -c1-150
echo "== the service account ci:deployer in Kubernetes and in Vault, one timeline"
./build/analyzer/grantline-analyzer timeline --store "$audit" \
    --workload system:serviceaccount:ci:deployer | grep -v '^ *!!' | cut -c1-150
echo
echo "Explore:"
echo "  ./build/analyzer/grantline-analyzer findings --store $store"
echo "  ./build/analyzer/grantline-analyzer timeline --store $store --workload agent:sql-runner"
echo "  ./build/analyzer/grantline-analyzer timeline --store $store --workload agent:sql-runner --format html > sql-runner.html"
echo "  ./build/analyzer/grantline-analyzer report --store $store --format html > report.html"
echo "  ./build/analyzer/grantline-analyzer events --store $audit --workload system:serviceaccount:ci:deployer"
