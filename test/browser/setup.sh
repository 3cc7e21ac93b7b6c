#!/usr/bin/env bash
# Installs Debian's chromium and firefox-esr for the browser tests if they are missing
# (idempotent; fast when present).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
install() { apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; }
# The package lists are fetched only when a package is unknown (a fresh machine has none).
for p in "${missing[@]}"; do
  if ! apt-cache show "$p" >/dev/null 2>&1; then apt-get update -qq >>"$log" 2>&1 || true; break; fi
done
# Stale lists (a version gone from the mirror) fail the install: refresh once and retry.
install || { apt-get update -qq >>"$log" 2>&1 && install; } || true
for p in "${missing[@]}"; do
  if [ ! -x "/usr/bin/$p" ]; then
    cat "$log" >&2
    echo "test/browser/setup.sh: could not install Debian's $p (/usr/bin/$p is missing)" >&2
    if [ "${CI:-}" = "true" ]; then exit 1; fi
    echo "test/browser/setup.sh: the browser tests that need it will be skipped (CI is not true)" >&2
  fi
done
