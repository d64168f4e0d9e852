#!/usr/bin/env bash
# Installs the Debian 12 packages grantline needs to build and run (plus
# --test: the browser for the HTML tests; --bench: the comparison tools).
# Only missing packages are installed; uses sudo when not root.
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      librdkafka-dev liblmdb-dev libmsgpack-dev libpcre2-dev libsimdjson-dev libssl-dev libxxhash-dev check
      libgoogle-perftools-dev
      kcat python3 python3-jsonschema lmdb-utils)
for arg in "$@"; do
  case "$arg" in
    --test) pkgs+=(chromium clang libclang-rt-14-dev) ;;  # browser test, fuzz smoke
    --bench) pkgs+=(rsyslog-kafka sqlite3 libsqlite3-dev time bc) ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "installing: ${missing[*]}" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
