#!/usr/bin/env bash
# Installs the reference proxies for `make bench` (and h2load) from Debian's packages, only if missing.
# Idempotent: a second run does nothing. The packages' own services are never used: the bench
# starts nginx, HAProxy and Caddy itself with generated configs on loopback ports.
set -euo pipefail

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v caddy >/dev/null 2>&1 || [ -x /usr/bin/caddy ] || need+=(caddy)
# h2load drives the plain-request scenario over h2 and HTTP/1.1 (bench/h2.ts).
command -v h2load >/dev/null 2>&1 || need+=(nghttp2-client)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "bench/setup.sh: need root (or sudo) to install ${need[*]}" >&2; exit 1
  fi
fi

echo "bench/setup.sh: installing ${need[*]} from Debian packages" >&2
export DEBIAN_FRONTEND=noninteractive
# `apt-get update` once: skip it when the package lists are already there.
if ! apt-cache show "${need[0]}" >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
  # nginx-light is a transitional/absent package on some releases: fall back to nginx.
  need=("${need[@]/nginx-light/nginx}")
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian may start the packaged services on install (outside containers): stop them, the
# bench uses its own instances.
for svc in nginx haproxy caddy; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
  fi
done
