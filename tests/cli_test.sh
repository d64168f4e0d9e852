#!/usr/bin/env bash
# Command-line contract: --help/--version, exit codes, file ingest with the
# samples (accounting identity, no planted secret in the store, replay adds
# nothing, resume from the stored position), analyzer output formats.
set -uo pipefail
collector=$1 analyzer=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}
status() { "$@" >/dev/null 2>&1; echo $?; }

check "collector --help exits 0" test "$(status "$collector" --help)" = 0
check "collector --help has examples" bash -c "'$collector' --help | grep -q Examples"
check "collector --version" bash -c "'$collector' --version | grep -q '^grantline-collector '"
check "collector without --store exits 2" test "$(status "$collector" --input x)" = 2
check "collector bad option exits 2" test "$(status "$collector" --nope)" = 2
check "collector no source exits 2" test "$(status "$collector" --store "$tmp/s0")" = 2
for bad in "--batch-ms abc" "--batch-ms -5" "--batch 10x" "--batch 0" "--max-message -1" "--progress abc" "--map-size 0"; do
  # shellcheck disable=SC2086
  check "collector $bad exits 2" test "$(status "$collector" $bad --input "$tmp/none" --store "$tmp/s0")" = 2
done
check "collector missing input exits 3" test "$(status "$collector" --input "$tmp/none" --store "$tmp/s0")" = 3
check "collector missing input creates no store" test ! -e "$tmp/s0"
check "collector input that is a directory exits 3" test "$(status "$collector" --input "$tmp" --store "$tmp/s0")" = 3
# --kafka-config: refusals come before any store or connection, and a
# value that may be a password (a mistyped key's too) never reaches stderr
printf 'bootstrap.servers=127.0.0.1:9\nsasl.pasword = hunter2-secret\n' > "$tmp/typo.conf"
printf 'bootstrap.servers=127.0.0.1:9\nsession.timeout.ms\n' > "$tmp/noeq.conf"
chmod 600 "$tmp/typo.conf" "$tmp/noeq.conf"
"$collector" -F "$tmp/typo.conf" -t t -g g -s "$tmp/sk1" -e 2>"$tmp/kc.err"
check "collector --kafka-config with an unknown key exits 2" test $? = 2
check "... names the key, not its value, and creates no store" \
  test "$(grep -c 'sasl.pasword=(hidden)' "$tmp/kc.err")" = 1 \
  -a "$(grep -c hunter2 "$tmp/kc.err")" = 0 -a ! -e "$tmp/sk1"
"$collector" -F "$tmp/noeq.conf" -t t -g g -s "$tmp/sk1" 2>"$tmp/kc.err"
check "collector --kafka-config with a line without '=' exits 2, naming file and line" \
  test $? = 2 -a "$(grep -c 'noeq.conf:2: expected key=value' "$tmp/kc.err")" = 1
check "collector --kafka-config missing exits 2" \
  test "$(status "$collector" -F "$tmp/none.conf" -t t -g g -s "$tmp/sk1")" = 2
check "collector without --brokers or bootstrap.servers exits 2, no store" \
  test "$(status "$collector" -t t -g g -s "$tmp/sk1")" = 2 -a ! -e "$tmp/sk1"
"$collector" -X sasl.password=hunter2-secret -X security.protocol=NOPE -b 127.0.0.1:9 -t t -g g \
  -s "$tmp/sk1" 2>"$tmp/kc.err"
check "collector: a bad -X value is shown, a password never" \
  test "$(grep -c 'NOPE' "$tmp/kc.err")" -ge 1 -a "$(grep -c hunter2 "$tmp/kc.err")" = 0
"$collector" -X 'sasl.password:hunter2-secret' -b 127.0.0.1:9 -t t -g g -s "$tmp/sk1" 2>"$tmp/kc.err"
check "collector: -X with ':' for '=' exits 2 without echoing it" \
  test $? = 2 -a "$(grep -c hunter2 "$tmp/kc.err")" = 0 -a ! -e "$tmp/sk1"
"$collector" -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=NOPE -b 127.0.0.1:9 -t t -g g \
  -s "$tmp/sk1" -e 2>"$tmp/kc.err"
check "collector: a setting librdkafka refuses only when making a client exits 2, no store" \
  test $? = 2 -a ! -e "$tmp/sk1" -a "$(grep -c 'Unsupported SASL mechanism' "$tmp/kc.err")" = 1
# brokers that refuse connections: each failure is logged once (librdkafka
# logs it, and without an error callback logs it again as ERROR), and
# SIGTERM stops the collector while it still waits for the cluster's id
"$collector" -b 127.0.0.1:1 -t t -g g -s "$tmp/sdown" 2>"$tmp/down.err" &
pid=$!
sleep 3
kill -TERM "$pid"
t0=$(date +%s)
wait "$pid"
rc=$?
check "collector: SIGTERM while the brokers are unreachable stops it at once, exit 0" \
  test "$rc" = 0 -a $(( $(date +%s) - t0 )) -le 2
check "collector: a refused connection is logged once, not again as ERROR" \
  test "$(grep -c 'Connect to ipv4#127.0.0.1:1 failed' "$tmp/down.err")" -ge 1 \
  -a "$(grep -c 'rdkafka: ERROR' "$tmp/down.err")" = 0
printf 'bootstrap.servers=127.0.0.1:9\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanisms=NOPE\n' \
  > "$tmp/open.conf"
chmod 644 "$tmp/open.conf"
"$collector" -q -F "$tmp/open.conf" -t t -g g -s "$tmp/sk1" -e 2>"$tmp/kc.err"
check "collector -q still warns that a --kafka-config file is readable by others" \
  test "$(grep -c 'open.conf is readable by its group or others' "$tmp/kc.err")" = 1
printf 'bootstrap.servers=\n' > "$tmp/empty.conf"
check "collector: an empty bootstrap.servers is no broker (exit 2)" \
  test "$(status "$collector" -F "$tmp/empty.conf" -t t -g g -s "$tmp/sk1" -e)" = 2 -a ! -e "$tmp/sk1"
check "collector: -X with --input exits 2" \
  test "$(status "$collector" -X client.id=x --input /dev/null -s "$tmp/sk1")" = 2
"$analyzer" findings --store "$tmp/none" --sink kafka://127.0.0.1:9/t -F "$tmp/typo.conf" 2>"$tmp/kc.err"
check "analyzer findings: a refused sink setting exits 2 before reading stores, value hidden" \
  test $? = 2 -a "$(grep -c hunter2 "$tmp/kc.err")" = 0 -a "$(grep -c 'sasl.pasword' "$tmp/kc.err")" = 1
check "analyzer findings --kafka-config without --sink exits 2" \
  test "$(status "$analyzer" findings --store "$tmp/none" -F "$tmp/typo.conf")" = 2

check "analyzer --help exits 0" test "$(status "$analyzer" --help)" = 0
check "analyzer unknown command exits 2" test "$(status "$analyzer" frobnicate)" = 2
check "analyzer stats missing store exits 3" test "$(status "$analyzer" stats --store "$tmp/nothing")" = 3
check "analyzer stats without --store exits 2" test "$(status "$analyzer" stats)" = 2

s=$tmp/store
"$collector" --input "$src/samples/agents.ndjson" --store "$s" 2>"$tmp/log1"
check "ingest samples exits 0" test $? = 0
"$collector" --input "$src/samples/malformed.ndjson" --store "$s" 2>"$tmp/log2"
check "ingest malformed exits 0" test $? = 0
grep -q "read 498, stored 494, duplicates 4, quarantined 0" "$tmp/log1"
check "samples: read 498 = stored 494 + duplicates 4" test $? = 0
grep -q "read 20, stored 0, duplicates 0, quarantined 20" "$tmp/log2"
check "malformed: 20 lines quarantined, blank lines skipped" test $? = 0

perm=$(stat -c %a "$s/data.mdb")
check "store file is 0600 (got $perm)" test "$perm" = 600
dperm=$(stat -c %a "$s")
check "store dir is 0700 (got $dperm)" test "$dperm" = 700
leaked=$(grep -c -F -f "$src/samples/planted_secrets.txt" "$s"/*.mdb | awk -F: '{n+=$2} END {print n+0}')
check "no planted secret in the store files ($leaked found)" test "$leaked" = 0
leaked=$(strings "$s"/*.mdb | grep -c -F -f "$src/samples/planted_secrets.txt")
check "no planted secret in strings(1) of the store" test "$leaked" = 0

python3 "$src/tests/chain_check.py" "$s" >/dev/null
check "hash chain recomputed from mdb_dump with the documented formula" test $? = 0

json=$("$analyzer" stats --store "$s" --format json)
python3 - "$json" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
assert s["events"] == 494 + 9, s            # 9 exposure events derived from redaction
assert s["quarantined"] == 20, s
assert s["types"]["credential.exposed"] >= 9, s
assert s["first_event"] < s["last_event"], s
PY
check "stats --format json is valid and adds up" test $? = 0
n=$("$analyzer" quarantine --store "$s" --format json | python3 -c 'import sys,json; print(sum(1 for l in sys.stdin if json.loads(l)["reason"]))')
check "quarantine lists 20 entries with reasons (got $n)" test "$n" = 20
"$analyzer" quarantine --store "$s" --format json | grep -q 'invalid UTF-8 at byte'
check "quarantine reason for invalid UTF-8" test $? = 0
n=$("$analyzer" events --store "$s" | python3 -c 'import sys,json; ids=[json.loads(l)["id"] for l in sys.stdin]; print(len(ids) - len(set(ids)))')
check "events: no id stored twice" test "$n" = 0
"$analyzer" verify --store "$s" >/dev/null
check "verify passes on a fresh store" test $? = 0

# one store per store command: "verified" never speaks for a store not read
check "verify with two --store exits 2" \
  test "$(status "$analyzer" verify --store "$s" --store "$s")" = 2
check "events with --workload and --task exits 2" \
  test "$(status "$analyzer" events --store "$s" --workload a --task b)" = 2
# a data file cut short: it does not verify (exit 1, naming it), and the
# other commands refuse it (exit 3); never a SIGBUS
mkdir -p "$tmp/cut-store"
head -c 20000 "$s/data.mdb" > "$tmp/cut-store/data.mdb"
"$analyzer" verify --store "$tmp/cut-store" >"$tmp/cut.out" 2>&1
check "verify on a truncated data.mdb exits 1 naming it ($?)" \
  test "$?" = 1 -a "$(grep -c 'GL-015 audit-integrity: FAILED: .*data.mdb is truncated' "$tmp/cut.out")" = 1
check "findings on a truncated data.mdb exits 3" \
  test "$(status "$analyzer" findings --store "$tmp/cut-store")" = 3
# a data file damaged inside (its B-tree pages overwritten): LMDB may crash
# reading it, but verify reads it in a child process and reports the crash
# as damage (exit 1), in text and JSON
cp -r "$s" "$tmp/dmg-store"
python3 - "$tmp/dmg-store/data.mdb" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    data = bytearray(f.read())
    for off in range(2 * 4096, len(data), 4096):  # every page but the two meta pages
        data[off + 16:off + 4096] = b"\xff" * (4096 - 16)
    f.seek(0)
    f.write(data)
PY
"$analyzer" verify --store "$tmp/dmg-store" >"$tmp/dmg.out" 2>"$tmp/dmg.err"
rc=$?
check "verify on a store damaged inside exits 1, not a crash ($rc)" \
  test "$rc" = 1 -a "$(grep -c "GL-015 audit-integrity: FAILED: .*damaged" "$tmp/dmg.out")" = 1
"$analyzer" verify --store "$tmp/dmg-store" --format json >"$tmp/dmg.json" 2>/dev/null
python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert v["verified"] is False and "damaged" in v["detail"], v' "$tmp/dmg.json"
check "verify --format json on a damaged store: verified false, why" test $? = 0
# a data file damaged inside (not cut short) can crash LMDB in a read no
# return code reports: the process says what may be wrong before it dies of
# the signal (here sent to a collector waiting on a pipe; ASan builds report
# such faults themselves)
mkfifo "$tmp/crashfifo"
( exec sleep 30 ) > "$tmp/crashfifo" &
holder=$!
"$collector" --input "$tmp/crashfifo" --store "$tmp/crash" 2>"$tmp/crash.err" &
cpid=$!
sleep 1
kill -BUS "$cpid"
wait "$cpid"
rc=$?
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
hint=$(grep -c 'A store damaged on disk' "$tmp/crash.err")
asan=$(grep -c AddressSanitizer "$tmp/crash.err")
check "SIGBUS: the collector names a damaged store as the likely cause, then dies of it (rc $rc)" \
  test \( "$rc" = 135 -a "$hint" = 1 \) -o \( "$asan" -ge 1 -a "$rc" != 0 \)
# state: JSON that parses, the instant asked about, what was active then
"$analyzer" state --store "$s" --workload agent:support-bot --at 2026-03-05T09:32:00Z \
  --format json > "$tmp/state.json"
python3 - "$tmp/state.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["at"] == "2026-03-05T09:32:00Z", d["at"]
assert any(g["grant"] == "grant-zd-58160" and g["action"] == "jira:issue.create" for g in d["grants"]), d
assert any(c["credential"] == "tok-sb-58160" for c in d["credentials"]), d
PY
check "state --format json parses, with the asked instant and the active grants" test $? = 0
check "state with --from exits 2" test "$(status "$analyzer" state --store "$s" \
  --workload agent:support-bot --at 2026-03-05T09:32:00Z --from 2026-03-01T00:00:00Z)" = 2
# timeline: every permission of a grant, permissions in JSON, --at, --from after --to
"$analyzer" timeline --store "$s" --workload agent:support-bot --task task-zd-58160 > "$tmp/tl.txt"
check "timeline text shows every permission of a grant" \
  grep -q 'grant-zd-58160: zendesk:ticket.read .*; jira:issue.create jira:acme/project/ENG' "$tmp/tl.txt"
"$analyzer" timeline --store "$s" --workload agent:support-bot --task task-zd-58160 --format json \
  | python3 -c '
import json, sys
ls = [json.loads(l) for l in sys.stdin]
g = [l for l in ls if l["type"] == "access.granted"][0]
assert {"action": "jira:issue.create", "resource": "jira:acme/project/ENG"} in g["permissions"], g
'
check "timeline JSON lines carry the permissions" test $? = 0
n_all=$("$analyzer" timeline --store "$s" --workload agent:support-bot 2>/dev/null | grep -c .)
"$analyzer" timeline --store "$s" --workload agent:support-bot --at 2026-03-02T00:00:00Z \
  > "$tmp/tl-at.txt" 2>/dev/null
check "timeline --at knows nothing after T" \
  test "$(grep -c '^2026-03-0[2-9]' "$tmp/tl-at.txt")" = 0 -a "$n_all" -gt "$(grep -c . "$tmp/tl-at.txt")"
check "timeline --at: an expiry after T has not happened yet" \
  grep -q 'cred-zendesk-api-sb-01  active, expires 2026-07-11' "$tmp/tl-at.txt"
check "timeline --from after --to exits 2" test "$(status "$analyzer" timeline --store "$s" \
  --workload agent:support-bot --from 2026-03-05T00:00:00Z --to 2026-03-01T00:00:00Z)" = 2
# GL-007 on a credential issued again: "last used" is a use of its current life
"$collector" -q --input "$src/tests/rules/gl007-last-use-of-this-life.ndjson" --store "$tmp/l7" 2>/dev/null
"$analyzer" findings --store "$tmp/l7" --rule GL-007 --format json > "$tmp/l7.json"
check "GL-007 cites no use of an earlier life as its last use" \
  test "$(grep -c 'never used in 99d 0h since it was issued' "$tmp/l7.json")" = 1 \
  -a "$(grep -c use-first-life "$tmp/l7.json")" = 0
# names from the data cannot drive the terminal or fake a line of text output
printf '%s\n' '{"id":"esc-1","ts":"2026-03-01T00:00:00Z","type":"action.performed","workload":"agent:\u001b[31mRED\nGL-009 critical fake","permission":{"action":"x:y"},"decision":"allow"}' \
  > "$tmp/esc.ndjson"
"$collector" -q --input "$tmp/esc.ndjson" --store "$tmp/esc" 2>/dev/null
"$analyzer" findings --store "$tmp/esc" > "$tmp/esc.txt" 2>/dev/null
check "findings text: control characters of a name escaped, no line of its own" \
  test "$(grep -c $'\x1b' "$tmp/esc.txt")" = 0 -a "$(grep -c '^GL-009' "$tmp/esc.txt")" = 0 \
  -a "$(grep -c 'agent:\\x1b\[31mRED\\x0aGL-009' "$tmp/esc.txt")" -ge 1
check "findings text: an action without resource is not shown as on *" \
  test "$(grep -c 'allowed x:y on' "$tmp/esc.txt")" = 0 -a "$(grep -c 'allowed x:y with no credential' "$tmp/esc.txt")" = 1
"$analyzer" timeline --store "$tmp/esc" --workload "$(printf 'agent:\033[31mRED\nGL-009 critical fake')" \
  > "$tmp/esc-tl.txt" 2>&1
check "timeline text: no control character reaches the terminal" \
  test "$(grep -c $'\x1b' "$tmp/esc-tl.txt")" = 0

"$collector" --input "$src/samples/agents.ndjson" --store "$s" 2>"$tmp/log3"
grep -q "read 0," "$tmp/log3"
check "re-run resumes at the stored file position (reads nothing)" test $? = 0
"$collector" --input "$src/samples/agents.ndjson" --store "$s" --from-start 2>"$tmp/log4"
grep -q "read 498, stored 0, duplicates 498" "$tmp/log4"
check "--from-start replay stores nothing twice" test $? = 0
# refused lines read again (here by a relative path from elsewhere) are
# repeats: counted as duplicates, not quarantined a second time
(cd "$src/samples" && "$collector" --input malformed.ndjson --store "$s" --from-start) 2>"$tmp/log4q"
grep -q "read 20, stored 0, duplicates 20, quarantined 0," "$tmp/log4q"
check "--from-start replay of refused lines: 20 repeats, nothing quarantined twice" test $? = 0
n=$("$analyzer" quarantine --store "$s" --format json | wc -l)
check "quarantine still lists 20 entries after the replay (got $n)" test "$n" = 20
cat "$src/samples/agents.ndjson" | "$collector" --input - --store "$tmp/stdin" -q 2>"$tmp/log5"
grep -q "stored 494" "$tmp/log5"
check "stdin input" test $? = 0
"$collector" --input "$src/samples/agents.ndjson" --store "$tmp/jl" --log-format json 2>"$tmp/jlog" >/dev/null
python3 -c 'import sys,json; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/jlog"
check "--log-format json writes only JSON lines (summary too)" test $? = 0

# one redaction key for a group of collectors: same markers and exposure ids
head -c 32 /dev/urandom > "$tmp/redact.key"
"$collector" -q --input "$src/samples/agents.ndjson" --store "$tmp/ka" --redact-key-file "$tmp/redact.key" 2>/dev/null
"$collector" -q --input "$src/samples/agents.ndjson" --store "$tmp/kb" --redact-key-file "$tmp/redact.key" 2>/dev/null
a=$("$analyzer" events --store "$tmp/ka" | grep -o 'REDACTED:[a-z0-9-]*:[0-9a-f]*\|gl-exposed-[0-9a-f]*' | sort | md5sum)
b=$("$analyzer" events --store "$tmp/kb" | grep -o 'REDACTED:[a-z0-9-]*:[0-9a-f]*\|gl-exposed-[0-9a-f]*' | sort | md5sum)
check "--redact-key-file gives the same markers and exposure ids in two stores" test "$a" = "$b"
check "--redact-key-file refuses a short key" test "$(status "$collector" --input "$src/samples/agents.ndjson" --store "$tmp/kc" --redact-key-file /dev/null)" = 2
head -c 32 /dev/urandom > "$tmp/other.key"
chmod 644 "$tmp/other.key"
"$collector" -q --input "$src/samples/agents.ndjson" --store "$tmp/kw" --redact-key-file "$tmp/other.key" 2>"$tmp/kw.err"
check "collector -q warns that a --redact-key-file is readable by others" \
  test "$(grep -c 'redact-key-file .* is readable by its group or others' "$tmp/kw.err")" = 1
"$collector" -q --input "$src/samples/agents.ndjson" --store "$tmp/ka" --from-start \
  --redact-key-file "$tmp/other.key" 2>"$tmp/keys.err"
check "a store filled under one redaction key refuses another (exit 2)" \
  test $? = 2 -a "$(grep -c 'redacted under another key' "$tmp/keys.err")" = 1
"$analyzer" findings --store "$tmp/ka" --store "$tmp/kb" >/dev/null 2>"$tmp/keys.err"
check "findings over stores of one redaction key: no key warning" \
  test "$(grep -c 'different redaction keys' "$tmp/keys.err")" = 0
for cmd in "findings" "report" "timeline --workload agent:support-bot"; do
  # $s has its own random key
  "$analyzer" $cmd --store "$tmp/ka" --store "$s" >/dev/null 2>"$tmp/keys.err"
  check "$cmd over stores of different redaction keys warns" \
    test "$(grep -c 'different redaction keys' "$tmp/keys.err")" = 1
done

head -n 5 "$src/samples/agents.ndjson" > "$tmp/five.ndjson"
"$collector" --input "$tmp/five.ndjson" --store "$tmp/small" --max-message 300 2>"$tmp/log6"
"$analyzer" quarantine --store "$tmp/small" --format json | grep -q 'oversize message'
check "--max-message quarantines larger messages as oversize" test $? = 0

# hostile input found by fuzzing (fuzz/run.sh): a msgpack map claiming 2^31
# entries in a few bytes, and names made of short secrets, which redaction
# lengthens past the input limits and LMDB's key size
python3 - "$tmp/hostile.ndjson" <<'PY'
import json, sys
with open(sys.argv[1], "wb") as f:
    f.write(b"\xdf\x7f\xff\xff\xff\xa2id\xa1x\n")
    name = ";".join("pwd=Zq7Xy9" for _ in range(23))
    ev = {"id": "hostile-1", "ts": "2026-03-15T04:00:00Z", "type": "action.performed",
          "workload": name, "task": name, "credential": {"id": name},
          "permission": {"action": "x:y"}, "decision": "allow"}
    f.write(json.dumps(ev).encode() + b"\n")
    # a refused event whose reason would quote a secret
    f.write(json.dumps({"id": "hostile-2", "ts": "2026-03-15T04:00:00Z", "workload": "w",
                        "type": "ghp_Zq7Xy9aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}).encode() + b"\n")
PY
"$collector" -q --input "$tmp/hostile.ndjson" --store "$tmp/hostile" 2>"$tmp/hostile.log"
check "hostile input: collector survives" test $? = 0
grep -q "read 3, stored 1, duplicates 0, quarantined 2" "$tmp/hostile.log"
check "hostile input: bomb quarantined, long redacted names stored" test $? = 0
"$analyzer" quarantine --store "$tmp/hostile" --format json | grep -q "declares more elements"
check "hostile input: the bomb's reason names the lie" test $? = 0
"$analyzer" findings --store "$tmp/hostile" --format json > "$tmp/hostile.f" 2>&1
check "hostile input: the analyzer reads the store" test $? = 0
grep -q '"rule":"GL-011"' "$tmp/hostile.f"
check "hostile input: and finds the unbound action" test $? = 0
n=$(cat "$tmp/hostile"/*.mdb | grep -c -a "Zq7Xy9")
check "hostile input: secrets in names are not in the indexes either ($n)" test "$n" = 0

# secrets in places found by review: lists/numbers/objects under sensitive
# keys, a token in a URL's user part, secrets as keys, in refused input (also
# msgpack, also behind JSON escapes), in quarantine reasons
"$collector" -q --input "$src/tests/data/review/secrets.ndjson" --store "$tmp/review" 2>/dev/null
"$collector" -q --input "$src/tests/data/review/msgpack-refused.bin" --store "$tmp/review" 2>/dev/null
n=$(cat "$tmp/review"/*.mdb | grep -c -a -F -f "$src/tests/data/review/planted.txt")
check "review cases: no planted secret anywhere in the store files ($n)" test "$n" = 0
"$analyzer" quarantine --store "$tmp/review" --format json > "$tmp/review.q"
n=$(grep -c -F -f "$src/tests/data/review/planted.txt" "$tmp/review.q")
check "review cases: none in the quarantine listing either ($n)" test "$n" = 0

# verify: a changed byte in a copy of the store is detected and named
cp -r "$s" "$tmp/tampered"
python3 - "$tmp/tampered/data.mdb" <<'PY'
import sys
p = sys.argv[1]
data = bytearray(open(p, "rb").read())
i = data.find(b"zendesk:acme/tickets/incremental")
assert i > 0
data[i] ^= 0x20
open(p, "wb").write(data)
PY
"$analyzer" verify --store "$tmp/tampered" > "$tmp/verify.out"
rc=$?
check "verify exits 1 on a changed byte (rc $rc)" test "$rc" = 1
grep -q "GL-015 audit-integrity: FAILED" "$tmp/verify.out"
check "verify names the failure" test $? = 0
"$analyzer" findings --store "$tmp/tampered" --rule GL-015 --format json | grep -q '"rule":"GL-015"'
check "findings reports GL-015 on the tampered store" test $? = 0
# nothing analysed (--at before every event), yet the store itself fails:
# AU-9 has a finding, never "not assessed"
"$analyzer" report --store "$tmp/tampered" --at 2020-01-01T00:00:00Z --format json \
  > "$tmp/tamper-report.json" 2>/dev/null
python3 - "$tmp/tamper-report.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
au9 = [c for c in d["controls"] if c["control"] == "AU-9"][0]
assert d["scope"]["events_analysed"] == 0 and au9["status"] == "findings", au9
assert all(c["status"] in ("findings", "not assessed") for c in d["controls"]), d["controls"]
PY
check "report over no analysed event: a GL-015 control still shows its findings" test $? = 0

# the secrets counter counts secrets: none in refused lines without any,
# one for a refused line with one password under a sensitive key
grep -q "quarantined 20, secrets redacted 0," "$tmp/log2"
check "malformed: no secret counted where there is none" test $? = 0
printf '%s\n' '{"id":"q-1","type":"no.such.type","attrs":{"password":"hunter2hunter2"}}' |
  "$collector" --input - --store "$tmp/qsecret" 2>"$tmp/log.qs"
grep -q "quarantined 1, secrets redacted 1," "$tmp/log.qs"
check "refused line with one password: one secret counted" test $? = 0

# secrets in refused input that does not parse (trailing comma, bad UTF-8,
# oversize): the text rules must still find them under quoted keys
{ printf '%s\n' '{"id":"r1","attrs":{"private_key":"PLAINPK2xyzvalue99"}},' \
    '{"id":"r2","attrs":{"authorization":"Digest PLAINAUTH2xyz"}},'
  printf '{"ssh_private_key":"PLAINPK4xyzvalue","x":"\xff"}\n'
  python3 -c 'print("{\"attrs\":{\"private_key\":\"PLAINPK3xyzvalue\"},\"pad\":\"" + "x" * 1100000 + "\"}")'
} > "$tmp/refused-secrets.ndjson"
"$collector" -q --input "$tmp/refused-secrets.ndjson" --store "$tmp/rsec" 2>/dev/null
python3 - >> "$tmp/refused-secrets.ndjson" <<'PY'
import sys
def s(x):
    b = x.encode()
    return bytes([0xa0 | len(b)]) + b
# a msgpack event cut short: a password and an AWS key id without any quote
m = (bytes([0x83]) + s("id") + s("m1") + s("attrs") + bytes([0x82]) + s("password") +
     bytes([0xb2]) + b"PLAINPK5Ledger#2026" [:18] + s("aws") + bytes([0xb4]) + b"AKIAIOSFODNN7EXAMPLE")
sys.stdout.buffer.write(m[:-3] + b"\n")
# oversize JSON: values under secret keys in an object, an array, behind an escaped quote
print('{"attrs":{"password":{"value":"PLAINPK6value"},"api_key":["PLAINPK7value"],'
      '"db_password":"Wint3r\\"PLAINPK8value"},"pad":"' + "x" * 1100000 + '"}')
PY
python3 - >> "$tmp/refused-secrets.ndjson" <<'PY'
import sys
out = sys.stdout.buffer
# a word hidden by escaped letters; UTF-16 (a message over several lines,
# as Kafka can carry, is in the rules' vectors: a file is read by lines)
out.write(b'{"attrs":{"\\u0070assword":"PLAINPKAvalue", "pass\\u0077ord":"PLAINPKBvalue"},}\n')
out.write('{"id":"u1","attrs":{"password":"PLAINPKCvalue"}}'.encode("utf-16-le") + b"\n")
PY
"$collector" -q --input "$tmp/refused-secrets.ndjson" --store "$tmp/rsec" --from-start 2>/dev/null
n16=$(cat "$tmp/rsec"/*.mdb | grep -a -c -P 'P\x00L\x00A\x00I\x00N')
check "refused UTF-16 input: not kept readable ($n16 found)" test "$n16" = 0
n=$(cat "$tmp/rsec"/*.mdb | grep -a -c -E 'PLAINPK|PLAINAUTH')
check "refused unparsable input: secrets under quoted keys redacted ($n found)" test "$n" = 0

# name/value pairs (a Kubernetes env list, a header list): the value is a
# secret when the name would be as a key; other values stay readable
printf '%s\n' '{"id":"nv1","ts":1,"type":"task.started","workload":"w","task":"t","attrs":{"env":[{"name":"DB_PASSWORD","value":"SECNV1zz"},{"name":"LOG_LEVEL","value":"debug"}],"headers":[{"Name":"X-Api-Key","Value":"SECNV2zz"}]}}' |
  "$collector" -q --input - --store "$tmp/nv" 2>/dev/null
n=$(cat "$tmp/nv"/*.mdb | grep -a -c SECNV)
"$analyzer" events --store "$tmp/nv" | grep -q '"name":"LOG_LEVEL","value":"debug"'
check "name/value pairs: secret values redacted ($n found), others kept" test $? = 0 -a "$n" = 0
# argument lists: the value after a flag or an env name that names a secret
printf '%s\n' '{"id":"a1","ts":1,"type":"task.started","workload":"w","task":"t","attrs":{"args":["serve","--db-password","SECARR1zz","--verbose"],"env":["DB_PASSWORD","SECARR2zz","LOG_LEVEL","debug"],"scopes":["read","token","write"]}}' |
  "$collector" -q --input - --store "$tmp/arr" 2>/dev/null
n=$(cat "$tmp/arr"/*.mdb | grep -a -c SECARR)
"$analyzer" events --store "$tmp/arr" | grep -q '"scopes":\["read","token","write"\]'
check "argument lists: values after secret flags redacted ($n found), lower-case words kept" test $? = 0 -a "$n" = 0

# a slow pipe: a partial batch commits within --batch-ms while the pipe
# stays open, and SIGTERM while waiting on it commits what was read
mkfifo "$tmp/fifo" "$tmp/fifo2" "$tmp/fifo3" "$tmp/fifo4" "$tmp/fifo5" # one per test: no stray writer feeds the next
# waits (up to 10 s) until a collector run with --progress 0.1 logs that it
# has read $2 inputs: a stop is only meant to cover what was read already
read_by() { local d=$((SECONDS + 10))
  until grep -q "read $2," "$1" 2>/dev/null || [ "$SECONDS" -ge "$d" ]; do sleep 0.1; done; }
events_in() { "$analyzer" stats --store "$1" --format json 2>/dev/null |
  python3 -c 'import sys,json; print(json.load(sys.stdin)["events"])' 2>/dev/null || echo 0; }
( head -n 1 "$src/samples/agents.ndjson"; exec sleep 30 ) > "$tmp/fifo" &
writer=$!
"$collector" -q --input "$tmp/fifo" --store "$tmp/pipe" --batch-ms 200 2>"$tmp/log.pipe" &
cpid=$!
n=0 deadline=$((SECONDS + 5))
while [ "$SECONDS" -lt "$deadline" ] && [ "$n" != 1 ]; do sleep 0.2; n=$(events_in "$tmp/pipe"); done
check "slow pipe: the event commits within the batch time while the pipe is open ($n)" test "$n" = 1
kill -TERM "$cpid"; wait "$cpid"; rc=$?; kill "$writer"; wait "$writer" 2>/dev/null
check "slow pipe: SIGTERM while waiting exits 0 (rc $rc)" test "$rc" = 0
# bytes that keep coming without a newline do not hold the batch either
( head -n 1 "$src/samples/agents.ndjson"; for _ in $(seq 40); do printf x; sleep 0.1; done
  exec sleep 30 ) > "$tmp/fifo4" &
writer=$!
"$collector" -q --input "$tmp/fifo4" --store "$tmp/pipe4" --batch-ms 200 2>/dev/null &
cpid=$!
n=0 deadline=$((SECONDS + 3))
while [ "$SECONDS" -lt "$deadline" ] && [ "$n" != 1 ]; do sleep 0.2; n=$(events_in "$tmp/pipe4"); done
check "trickling pipe: the event commits within the batch time ($n)" test "$n" = 1
kill -TERM "$cpid"; wait "$cpid"; kill "$writer"; wait "$writer" 2>/dev/null
( head -n 1 "$src/samples/agents.ndjson"; exec sleep 30 ) > "$tmp/fifo2" &
writer=$!
"$collector" --input "$tmp/fifo2" --store "$tmp/pipe2" --batch-ms 600000 --progress 0.1 \
  2>"$tmp/log.pipe2" &
cpid=$!
read_by "$tmp/log.pipe2" 1
kill -TERM "$cpid"; wait "$cpid"; rc=$?; kill "$writer"; wait "$writer" 2>/dev/null
n=$(events_in "$tmp/pipe2")
check "slow pipe: SIGTERM commits the pending batch (rc $rc, events $n)" test "$rc" = 0 -a "$n" = 1

# stopped mid-line on a pipe: the complete lines go in, the cut-off bytes
# are quarantined (from a pipe they cannot be read again)
( head -n 3 "$src/samples/agents.ndjson"; sed -n 4p "$src/samples/agents.ndjson" | head -c 40
  exec sleep 30 ) > "$tmp/fifo3" &
writer=$!
"$collector" --input "$tmp/fifo3" --store "$tmp/pipe3" --batch-ms 600000 --progress 0.1 \
  2>"$tmp/log.pipe3" &
cpid=$!
read_by "$tmp/log.pipe3" 3
kill -TERM "$cpid"; wait "$cpid"; rc=$?; kill "$writer"; wait "$writer" 2>/dev/null
grep -q "read 4, stored 3, duplicates 0, quarantined 1," "$tmp/log.pipe3"
check "pipe stopped mid-line: 3 lines stored, the cut-off line quarantined (rc $rc)" test $? = 0 -a "$rc" = 0
"$analyzer" quarantine --store "$tmp/pipe3" | grep -q "incomplete line"
check "pipe stopped mid-line: the quarantine says why" test $? = 0

# stopped inside a document on a pipe: the document and the part of a line
# after it are one entry, its secret redacted with its key in view
( head -n 2 "$src/samples/agents.ndjson"
  printf '{\n  "id": "mid",\n  "env": [\n    {\n      "name": "DB_PASSWORD",\n'
  printf '      "value": "FIFODOCSECRET7'
  exec sleep 30 ) > "$tmp/fifo5" &
writer=$!
"$collector" --input "$tmp/fifo5" --store "$tmp/pipe5" --batch-ms 600000 --progress 0.1 \
  2>"$tmp/log.pipe5" &
cpid=$!
read_by "$tmp/log.pipe5" 2
sleep 0.3
kill -TERM "$cpid"; wait "$cpid"; rc=$?; kill "$writer"; wait "$writer" 2>/dev/null
n=$(cat "$tmp/pipe5"/*.mdb | grep -a -c FIFODOCSECRET7)
grep -q "read 3, stored 2, duplicates 0, quarantined 1," "$tmp/log.pipe5"
check "pipe stopped inside a document: one entry, no secret kept (rc $rc, $n found)" test $? = 0 -a "$rc" = 0 -a "$n" = 0

# a file still being written: its unterminated last line is read but the
# stored position stays before it; once whole it goes in, nothing is lost
g=$tmp/growing.ndjson
head -n 3 "$src/samples/agents.ndjson" > "$g"; sed -n 4p "$src/samples/agents.ndjson" | head -c 40 >> "$g"
"$collector" --input "$g" --store "$tmp/grow" 2>"$tmp/log.g1"
grep -q "read 3, stored 3, duplicates 0, quarantined 0," "$tmp/log.g1" &&
  grep -q "has no newline yet and is not a valid event: left for a later run" "$tmp/log.g1"
check "growing file: the unfinished last line is left, not quarantined" test $? = 0
sed -n 4p "$src/samples/agents.ndjson" | tail -c +41 >> "$g"; sed -n 5p "$src/samples/agents.ndjson" >> "$g"
"$collector" --input "$g" --store "$tmp/grow" 2>"$tmp/log.g2"
n=$(events_in "$tmp/grow")
check "growing file: all 5 events stored once the 4th line is whole ($n)" test "$n" = 5
grep -q "read 2, stored 2," "$tmp/log.g2"
check "growing file: the rerun starts at the cut-off line" test $? = 0
head -n 2 "$src/samples/agents.ndjson" > "$g"
"$collector" --input "$g" --store "$tmp/grow" 2>"$tmp/log.g3"
grep -q "shorter than its stored position" "$tmp/log.g3" && grep -q "read 2, stored 0, duplicates 2," "$tmp/log.g3"
check "truncated file: read again from the start, with a warning" test $? = 0
# rotated: a new file at the same path, already longer than the position
# stored for the old one, is read from its start (its head differs)
r=$tmp/rotating.ndjson
sed -n 1,3p "$src/samples/agents.ndjson" > "$r"
"$collector" --input "$r" --store "$tmp/rot" 2>/dev/null
mv "$r" "$r.1"; sed -n 10,30p "$src/samples/agents.ndjson" > "$r"
"$collector" --input "$r" --store "$tmp/rot" 2>"$tmp/log.rot"
grep -q "rotated or replaced" "$tmp/log.rot" && grep -q "read 21, stored 21," "$tmp/log.rot"
check "rotated file: the new file is read from its start, with a warning" test $? = 0
# replaced by a file that starts with the same lines: the bytes before the
# stored position differ, so it is read from its start too
q=$tmp/replaced.ndjson
sed -n 1,50p "$src/samples/agents.ndjson" > "$q"
"$collector" --input "$q" --store "$tmp/repl" 2>/dev/null
{ sed -n 1,30p "$src/samples/agents.ndjson"; sed -n 100,139p "$src/samples/agents.ndjson"; } > "$q.new"
mv "$q.new" "$q"
"$collector" --input "$q" --store "$tmp/repl" 2>"$tmp/log.repl"
grep -q "rotated or replaced" "$tmp/log.repl" && grep -q "read 70, stored 40, duplicates 30," "$tmp/log.repl"
check "replaced file with the same first lines: read from its start" test $? = 0
sed -n 31,32p "$src/samples/agents.ndjson" >> "$r"
"$collector" --input "$r" --store "$tmp/rot" 2>"$tmp/log.rot2"
grep -q "resuming at byte" "$tmp/log.rot2" && grep -q "read 2, stored 2," "$tmp/log.rot2"
check "appended file: resumes where it stopped (same head)" test $? = 0
# a line far over --max-message: quarantined with its true length (only its
# first bytes are kept in memory), and the next line still goes in
{ head -n 1 "$src/samples/agents.ndjson"; head -c 30000000 /dev/zero | tr '\0' 'x'; echo
  sed -n 2p "$src/samples/agents.ndjson"; } > "$tmp/huge.ndjson"
"$collector" --input "$tmp/huge.ndjson" --store "$tmp/huge" 2>"$tmp/log.huge"
grep -q "read 3, stored 2, duplicates 0, quarantined 1," "$tmp/log.huge" &&
  "$analyzer" quarantine --store "$tmp/huge" | grep -q "oversize message: 30000000 bytes"
check "a 30 MB line: quarantined with its length, the next line stored" test $? = 0
rm -f "$tmp/huge.ndjson"
# a cut line keeps only its start: no piece of its end (a private key far
# past --max-message) may be glued to it and escape the rules
python3 - > "$tmp/cut.ndjson" <<'PY'
key = "-----BEGIN RSA PRIVATE KEY-----\\n" + "\\n".join(
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ%02dCUTLINE" % i for i in range(400)
) + "\\n-----END RSA PRIVATE KEY-----"
print('{"id":"c1","type":"task.started","pad":"' + "x" * 140000 + '","k":"' + key + '"}')
PY
"$collector" -q --input "$tmp/cut.ndjson" --store "$tmp/cut" --max-message 50000 2>/dev/null
n=$(cat "$tmp/cut"/*.mdb | grep -a -c CUTLINE)
check "a cut line keeps only its start (key lines found: $n)" test "$n" = 0
# stdin redirected from a file is read once: an invalid unterminated last
# line is quarantined (there is no later run for stdin)
{ head -n 1 "$src/samples/agents.ndjson"; printf '{"id":"cut'; } > "$tmp/stdin-cut.ndjson"
"$collector" --input - --store "$tmp/stdincut" < "$tmp/stdin-cut.ndjson" 2>"$tmp/log.sc"
grep -q "read 2, stored 1, duplicates 0, quarantined 1," "$tmp/log.sc"
check "stdin from a file: an invalid unterminated last line is quarantined" test $? = 0
# a named file whose unterminated last line is over --max-message: left for
# a later run, not quarantined again on every run
{ head -n 1 "$src/samples/agents.ndjson"; head -c 3000 /dev/zero | tr '\0' 'y'; } > "$tmp/cutend.ndjson"
"$collector" -q --input "$tmp/cutend.ndjson" --store "$tmp/cutend" --max-message 1000 2>/dev/null
"$collector" --input "$tmp/cutend.ndjson" --store "$tmp/cutend" --max-message 1000 2>"$tmp/log.ce"
n=$(events_in "$tmp/cutend"); q=$("$analyzer" stats --store "$tmp/cutend" --format json | python3 -c 'import sys,json; print(json.load(sys.stdin)["quarantined"])')
check "an over-limit unterminated last line is left for later (events $n, quarantined $q)" test "$n" = 1 -a "$q" = 0
printf '\xef\xbb\xbf' > "$tmp/bom.ndjson"; head -n 2 "$src/samples/agents.ndjson" >> "$tmp/bom.ndjson"
"$collector" --input "$tmp/bom.ndjson" --store "$tmp/bom" 2>"$tmp/log.bom"
grep -q "read 2, stored 2, duplicates 0, quarantined 0," "$tmp/log.bom"
check "a UTF-8 byte order mark before the first line is skipped" test $? = 0

# a JSON document over several lines (jq . output) is read whole: a valid
# one is stored, a refused one is one quarantine entry whose secrets are
# redacted with their keys in view; a line cut short is refused alone and
# the event after it is stored; CRLF documents too
python3 - "$src/samples/agents.ndjson" > "$tmp/pretty.ndjson" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][:3]
print(json.dumps(evs[0]))
print(json.dumps(evs[1], indent=2))
bad = {"id": "bad-1", "ts": "2025-01-01T00:00:00Z", "type": "nope", "workload": "w",
       "attrs": {"env": [{"name": "DB_PASSWORD", "value": "PRETTYSECRET-9f8e7d"}]}}
print(json.dumps(bad, indent=2))
print(json.dumps(evs[2])[:40])
print(json.dumps(evs[2]))
crlf = dict(evs[0], id="crlf-1")
sys.stdout.write(json.dumps(crlf, indent=4).replace("\n", "\r\n") + "\r\n")
PY
"$collector" --input "$tmp/pretty.ndjson" --store "$tmp/pretty" 2>"$tmp/log.pretty"
grep -q "read 6, stored 4, duplicates 0, quarantined 2," "$tmp/log.pretty"
check "multi-line JSON: 2 pretty events + 2 lines stored, 1 refused document and 1 cut line quarantined" test $? = 0
n=$(cat "$tmp/pretty"/*.mdb | grep -a -c PRETTYSECRET)
check "multi-line JSON: the secret on its own line is redacted ($n found)" test "$n" = 0
"$analyzer" quarantine --store "$tmp/pretty" | grep -q "type: unknown value 'nope'"
check "multi-line JSON: the refused document has the validator's reason" test $? = 0
# a growing file whose last document is not closed yet: left for later
head -c "$(grep -b -m1 '"ts": "2025-01-01' "$tmp/pretty.ndjson" | cut -d: -f1)" "$tmp/pretty.ndjson" > "$tmp/grow2.ndjson"
"$collector" --input "$tmp/grow2.ndjson" --store "$tmp/grow2" 2>"$tmp/log.gr2a"
grep -q "read 2, stored 2, duplicates 0, quarantined 0," "$tmp/log.gr2a"
check "a growing file's unclosed last document is left for a later run" test $? = 0
cp "$tmp/pretty.ndjson" "$tmp/grow2.ndjson"
"$collector" --input "$tmp/grow2.ndjson" --store "$tmp/grow2" 2>"$tmp/log.gr2b"
grep -q "read 4, stored 2, duplicates 0, quarantined 2," "$tmp/log.gr2b"
check "... and read whole once it is complete" test $? = 0

# (from a review) an unclosed document ends at a line that is a valid event
# on its own, even an indented one: the events after it are stored
{ printf '{\n  "id": "never-closed",\n'; sed 's/^/ /' "$src/samples/agents.ndjson"; } > "$tmp/unclosed.ndjson"
"$collector" --input "$tmp/unclosed.ndjson" --store "$tmp/unclosed" 2>"$tmp/log.uc"
grep -q "read 499, stored 494, duplicates 4, quarantined 1," "$tmp/log.uc"
check "an unclosed document does not swallow the events after it" test $? = 0
# a cut line with its newline at the end of a file is refused now, not
# left waiting for a document's end
{ head -n 2 "$src/samples/agents.ndjson"; printf '{"id":"cut-at-end","ts":\n'; } > "$tmp/cutnl.ndjson"
"$collector" --input "$tmp/cutnl.ndjson" --store "$tmp/cutnl" 2>"$tmp/log.cnl"
grep -q "read 3, stored 2, duplicates 0, quarantined 1," "$tmp/log.cnl"
check "a cut last line with its newline is quarantined at once" test $? = 0
# an unindented document (indent=0) is read whole; one of exactly
# --max-message bytes is not oversize; a document whose first line is over
# --max-message keeps the secret on a later line out of the store
python3 - "$src/samples/agents.ndjson" "$tmp" <<'PY'
import json, sys
ev = json.loads(open(sys.argv[1]).readline())
open(sys.argv[2] + "/indent0.ndjson", "w").write(json.dumps(dict(ev, id="i0"), indent=0) + "\n")
doc = json.dumps(dict(ev, id="edge"), indent=2)
doc = json.dumps(dict(ev, id="edge", pad="x" * (2000 - len(doc) - len(',\n  "pad": ""'))), indent=2)
assert len(doc) == 2000, len(doc)
open(sys.argv[2] + "/edge.ndjson", "w").write(doc + "\n")
open(sys.argv[2] + "/longfirst.ndjson", "w").write('{"id":"x","pad":"' + "B" * 100000 +
    '",\n  "env": [\n    {\n      "name": "DB_PASSWORD",\n      "value": "LONGFIRSTSECRET1"\n    }\n  ]\n}\n')
PY
"$collector" --input "$tmp/indent0.ndjson" --store "$tmp/indent0" 2>"$tmp/log.i0"
grep -q "read 1, stored 1," "$tmp/log.i0"
check "an unindented (indent=0) document is read whole" test $? = 0
"$collector" --input "$tmp/edge.ndjson" --store "$tmp/edge" --max-message 2000 2>"$tmp/log.edge"
grep -q "read 1, stored 1," "$tmp/log.edge"
check "a document of exactly --max-message bytes is stored" test $? = 0
"$collector" --input "$tmp/longfirst.ndjson" --store "$tmp/longfirst" --max-message 2000 2>"$tmp/log.lf"
n=$(cat "$tmp/longfirst"/*.mdb | grep -a -c LONGFIRSTSECRET1)
grep -q "read 1, stored 0, duplicates 0, quarantined 1," "$tmp/log.lf"
check "a document with an over-long first line: one entry, its secret not kept ($n found)" test $? = 0 -a "$n" = 0

# (from a review) a growing file whose last line is a bare '{' (a document
# being written): it waits, and the document is read whole once complete;
# a line cut short ends at a following line that is not indented, so junk
# after it gets entries of its own
python3 - "$src/samples/agents.ndjson" "$tmp" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][:2]
doc = json.dumps(dict(evs[0], attrs={"token": "BAREBRACESECRET1"}), indent=2) + "\n"
open(sys.argv[2] + "/bare-full.ndjson", "w").write(doc + json.dumps(evs[1]) + "\n")
open(sys.argv[2] + "/bare.ndjson", "w").write(doc[:2])
open(sys.argv[2] + "/cutjunk.ndjson", "w").write('{"id":"long","pad":"' + "L" * 200000 + '"}\n'
    + "this is not json\n" + json.dumps(evs[1]) + "\n")
PY
"$collector" -q --input "$tmp/bare.ndjson" --store "$tmp/bare" 2>/dev/null
cp "$tmp/bare-full.ndjson" "$tmp/bare.ndjson"
"$collector" --input "$tmp/bare.ndjson" --store "$tmp/bare" 2>"$tmp/log.bare"
n=$(cat "$tmp/bare"/*.mdb | grep -a -c BAREBRACESECRET1)
grep -q "read 2, stored 2, duplicates 0, quarantined 0," "$tmp/log.bare"
check "a file ending in a bare '{' waits; the document is read whole later ($n secrets found)" test $? = 0 -a "$n" = 0
"$collector" --input "$tmp/cutjunk.ndjson" --store "$tmp/cutjunk" 2>"$tmp/log.cj"
grep -q "read 3, stored 1, duplicates 0, quarantined 2," "$tmp/log.cj"
check "a line over the keep limit does not swallow the junk line after it" test $? = 0

# (from a review) a file ending in a first line with content: quarantined,
# but the position stays before it, so the document it starts is read whole
# once it goes on (the value is redacted with its name in view); a blank
# second line does not make a document swallow the rest of the file
printf '{"env": [{"name": "DB_PASSWORD",\n' > "$tmp/grow3.ndjson"
"$collector" -q --input "$tmp/grow3.ndjson" --store "$tmp/grow3" 2>/dev/null
printf '  "value": "GROW3SECRETVALUE"}]}\n' >> "$tmp/grow3.ndjson"
"$collector" -q --input "$tmp/grow3.ndjson" --store "$tmp/grow3" 2>/dev/null
n=$(cat "$tmp/grow3"/*.mdb | grep -a -c GROW3SECRETVALUE)
check "a document continued after its first line ended a run: its secret is redacted ($n found)" test "$n" = 0
{ printf '{\n\n'; head -n 2 "$src/samples/agents.ndjson" | python3 -c 'import sys,json; [print(json.dumps(json.loads(l), indent=2)) for l in sys.stdin]'; } > "$tmp/blank2.ndjson"
"$collector" --input "$tmp/blank2.ndjson" --store "$tmp/blank2" 2>"$tmp/log.b2"
grep -q "read 3, stored 2, duplicates 0, quarantined 1," "$tmp/log.b2"
check "an unclosed '{' with a blank second line does not swallow the documents after it" test $? = 0

# (from a review) what the quarantine keeps of an over-long line must not
# depend on where the reader's buffer cut it: read after a resume and again
# --from-start, it is the same entry
python3 - "$src/samples/agents.ndjson" "$tmp/align.ndjson" <<'PY'
import sys
lines = open(sys.argv[1]).readlines()
out, size = [], 0
while size < 62000:
    line = lines[len(out) % len(lines)].replace('"id": "', '"id": "a%d-' % len(out), 1)
    out.append(line)
    size += len(line)
open(sys.argv[2], "w").writelines(out)
PY
"$collector" -q --input "$tmp/align.ndjson" --store "$tmp/align" --max-message 2000 2>/dev/null
python3 -c 'print("{\"id\":\"big\",\"junk\":\"" + "B" * 10000 + "\"}")' >> "$tmp/align.ndjson"
"$collector" -q --input "$tmp/align.ndjson" --store "$tmp/align" --max-message 2000 2>/dev/null
"$collector" --input "$tmp/align.ndjson" --store "$tmp/align" --max-message 2000 --from-start 2>"$tmp/log.al"
grep -q "duplicates [0-9]*, quarantined 0," "$tmp/log.al"
check "an over-long line read from two buffer alignments is one quarantine entry" test $? = 0

# A full disk (here a file size limit, so the store's writes fail with EFBIG
# as they would with ENOSPC): the collector exits 3, names the messages it
# read but could not commit, keeps the store intact, and a run with room
# stores exactly the rest
python3 -c '
import json
for i in range(30000):
    print(json.dumps({"id": "disk-%06d" % i, "ts": 1772442000000 + i, "type": "action.performed",
                      "workload": "agent:filler-%d" % (i % 50), "permission": {"action": "kb:read",
                      "resource": "kb:acme/doc/%d" % i}, "decision": "allow", "attrs": {"pad": "x" * 300}}))
' > "$tmp/fill.ndjson"
# a store of the first tenth, then room for about four times its file
"$collector" -q --input <(head -n 3000 "$tmp/fill.ndjson") --store "$tmp/sdisk" 2>/dev/null
lim=$(( $(stat -c %s "$tmp/sdisk/data.mdb") * 4 / 1024 ))
(ulimit -f "$lim"; trap '' XFSZ; exec "$collector" -q --input "$tmp/fill.ndjson" --store "$tmp/sdisk" \
  --batch 1000) 2>"$tmp/disk.log"
check "disk full: exits 3" test $? = 3
grep -q "not committed [1-9][0-9]* (the store kept none of them" "$tmp/disk.log"
check "disk full: the summary names what was read but not committed" test $? = 0
"$analyzer" verify --store "$tmp/sdisk" >/dev/null 2>&1
check "disk full: the store verifies" test $? = 0
"$collector" -q --input "$tmp/fill.ndjson" --store "$tmp/sdisk" 2>"$tmp/disk2.log"
check "disk full: with room, the next run exits 0" test $? = 0
n=$("$analyzer" events --store "$tmp/sdisk" | grep -c '"id": *"disk-')
u=$("$analyzer" events --store "$tmp/sdisk" | grep -o '"id": *"disk-[0-9]*"' | sort -u | wc -l)
check "disk full: every event stored once in the end ($n records, $u ids of 30000)" \
  test "$n" = 30000 -a "$u" = 30000

# the systemd unit in contrib/: valid, and its sandbox rated "OK" or better
if command -v systemd-analyze >/dev/null 2>&1; then
  sed "s|/usr/local/bin/grantline-collector|$collector|" \
    "$src/contrib/systemd/grantline-collector.service" > "$tmp/grantline-collector.service"
  systemd-analyze verify "$tmp/grantline-collector.service" >"$tmp/unit.log" 2>&1
  check "systemd unit: systemd-analyze verify passes" test $? = 0 -a ! -s "$tmp/unit.log"
  systemd-analyze security --offline=yes --threshold=20 "$tmp/grantline-collector.service" \
    >"$tmp/unit.sec" 2>&1
  check "systemd unit: exposure at most 2.0 ($(grep -o 'level for [^:]*: [0-9.]*' "$tmp/unit.sec"))" \
    test $? = 0
else
  echo "skip systemd unit checks: systemd-analyze not installed"
fi

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all CLI checks passed"
