#!/usr/bin/env bash
# Installs Debian's nghttp2-client (h2load) for the HTTP/2 tool test if it is missing, and checks
# that curl speaks HTTP/2 (Debian's is built with nghttp2). Idempotent; fast when present.
set -euo pipefail
if ! command -v h2load >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  install() { apt-get install -y -qq --no-install-recommends nghttp2-client >>"$log" 2>&1; }
  if ! apt-cache show nghttp2-client >/dev/null 2>&1; then apt-get update -qq >>"$log" 2>&1 || true; fi
  install || { apt-get update -qq >>"$log" 2>&1 && install; } || true
  if ! command -v h2load >/dev/null 2>&1; then
    cat "$log" >&2
    echo "test/http2/setup.sh: could not install Debian's nghttp2-client (h2load is missing)" >&2
    if [ "${CI:-}" = "true" ]; then exit 1; fi
  fi
fi
if ! curl -V | grep -q 'HTTP2'; then
  echo "test/http2/setup.sh: curl -V does not list HTTP2" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
fi
