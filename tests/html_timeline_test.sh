#!/usr/bin/env bash
# 'timeline --format html' in a real browser. Builds a store from the samples,
# writes pages for agent:support-bot (every lane kind, findings of six rules),
# agent:sql-runner (delegated grants, a credential of another workload), one
# task of support-bot, a workload with no events, and a workload whose names
# are HTML and script payloads. Each page is checked as written (one data blob
# that parses, nothing external, the lanes DESIGN.md section 3.1 predicts from
# the stored events), then rendered by headless chromium: --dump-dom gives the
# DOM after the page's script ran (no script errors, the expected number of
# lanes, one tick per action, the findings listed and ringed) and --screenshot
# a PNG (valid, right size, not blank, the lane colours present).
#
# Usage: html_timeline_test.sh COLLECTOR ANALYZER SOURCE_DIR [PYTHON]
# Exits 77 (ctest SKIP_RETURN_CODE) after the static checks when chromium is
# absent; scripts/deps.sh installs it. $CHROMIUM overrides the browser.
set -euo pipefail

collector=$1
analyzer=$2
src=$3
python=${4:-python3}
check() {
  "$python" "$src/tests/html_timeline_check.py" "$@"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gl-html.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
  for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then
      browser=$(command -v "$b")
      break
    fi
  done
fi

"$collector" --input "$src/samples/agents.ndjson" --store store -q 2>collector.log ||
  { cat collector.log >&2; exit 1; }

# A workload whose every name is a payload: if any reached the page as markup,
# an <img> would appear or the title would change.
wl='agent:</script><script>document.title=\"pwned\"</script>'
cat >evil.ndjson <<EOF
{"id":"x-1","ts":"2026-01-01T00:00:00Z","type":"identity.issued","workload":"$wl","credential":{"id":"cred-<img src=x onerror=alert(1)>","expires_at":"2026-01-02T00:00:00Z"}}
{"id":"x-2","ts":"2026-01-01T00:01:00Z","type":"access.granted","workload":"$wl","grant_id":"g-<!--","permissions":[{"action":"a:<b>&amp;","resource":"r:\u2028</SCRIPT >"}]}
{"id":"x-3","ts":"2026-01-01T00:02:00Z","type":"task.started","workload":"$wl","task":"t-\"'&<>\\\\"}
{"id":"x-4","ts":"2026-01-01T00:03:00Z","type":"action.performed","workload":"$wl","task":"t-\"'&<>\\\\","credential":{"id":"cred-<img src=x onerror=alert(1)>"},"permission":{"action":"a:<b>&amp;","resource":"r:x"},"decision":"allow"}
{"id":"x-5","ts":"2026-01-01T00:04:00Z","type":"action.performed","workload":"$wl","permission":{"action":"a:</script>","resource":"r:y"},"decision":"deny"}
EOF
"$collector" --input evil.ndjson --store evil -q 2>collector.log ||
  { cat collector.log >&2; exit 1; }
evil_wl='agent:</script><script>document.title="pwned"</script>'

# html is for the timeline only
if "$analyzer" state --store store --workload agent:support-bot --at 2026-03-08T00:00:00Z \
    --format html >/dev/null 2>&1; then
  echo "FAIL: state accepted --format html" >&2
  exit 1
fi

# name|store|workload|task (empty: all)
cases=(
  "support-bot|store|agent:support-bot|"
  "sql-runner|store|agent:sql-runner|"
  "task-58190|store|agent:support-bot|task-zd-58190"
  "nobody|store|agent:nobody|"
  "evil|evil|$evil_wl|"
)

for c in "${cases[@]}"; do
  IFS='|' read -r name st w task <<<"$c"
  args=(--store "$st" --workload "$w")
  [ -n "$task" ] && args+=(--task "$task")
  "$analyzer" timeline "${args[@]}" --format html >"$name.html"
  "$analyzer" timeline "${args[@]}" --format json >"$name.timeline.ndjson"
  if [ -n "$task" ]; then
    "$analyzer" events --store "$st" --task "$task" >"$name.events.ndjson"
  else
    "$analyzer" events --store "$st" --workload "$w" >"$name.events.ndjson"
  fi
  # a task view also shows the grants that covered its actions (the
  # baseline grant), wherever they were granted
  check expect "$name.events.ndjson" "$w" ${task:+"$name.timeline.ndjson"} >"$name.expect.json"
  echo "== $name: expected $(cat "$name.expect.json")"
  check page "$name.html" "$name.expect.json" "$name.timeline.ndjson"
done

if [ -z "$browser" ]; then
  echo "SKIP: chromium not found (apt-get install chromium, or run scripts/deps.sh);" \
       "the pages were checked as written but not rendered"
  exit 77
fi
echo "== browser: $("$browser" --version 2>/dev/null | head -1)"

chrome() {
  # a fresh profile per run; no network, no first-run or background work
  timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-quic --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --hide-scrollbars --user-data-dir="$(mktemp -d "$tmp/profile.XXXXXX")" "$@" \
    2>>chromium.log
}

for c in "${cases[@]}"; do
  IFS='|' read -r name _ _ _ <<<"$c"
  size=1400,900
  h=900
  if [ "$name" = support-bot ]; then
    size=1400,1900 # all 47 lanes on one screen
    h=1900
  fi
  if ! chrome --window-size="$size" --dump-dom "file://$tmp/$name.html" >"$name.dom.html"; then
    tail -20 chromium.log >&2
    echo "FAIL: chromium --dump-dom failed on $name" >&2
    exit 1
  fi
  check dom "$name.dom.html" "$name.expect.json" "$name.timeline.ndjson"
  chrome --window-size="$size" --screenshot="$tmp/$name.png" "file://$tmp/$name.html" >/dev/null ||
    true
  if [ ! -s "$name.png" ]; then
    tail -20 chromium.log >&2
    echo "FAIL: chromium wrote no screenshot of $name" >&2
    exit 1
  fi
  case $name in
  support-bot | sql-runner) check png "$name.png" 1400 "$h" ;;
  esac
done
if [ -n "${GL_HTML_KEEP:-}" ]; then
  mkdir -p "$GL_HTML_KEEP"
  cp ./*.html ./*.png "$GL_HTML_KEEP"/
fi
echo "html timeline: all checks passed"
