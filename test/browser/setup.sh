#!/usr/bin/env bash
# Installs Debian's chromium for the browser test if it is missing (idempotent; fast when present).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
install() { apt-get install -y -qq --no-install-recommends chromium >>"$log" 2>&1; }
# The package lists are fetched only when chromium is unknown (a fresh machine has none).
if ! apt-cache show chromium >/dev/null 2>&1; then apt-get update -qq >>"$log" 2>&1 || true; fi
# Stale lists (a version gone from the mirror) fail the install: refresh once and retry.
install || { apt-get update -qq >>"$log" 2>&1 && install; } || true
if [ ! -x /usr/bin/chromium ]; then
  cat "$log" >&2
  echo "test/browser/setup.sh: could not install Debian's chromium (/usr/bin/chromium is missing)" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "test/browser/setup.sh: the browser test will be skipped (CI is not true)" >&2
fi
