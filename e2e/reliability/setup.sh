#!/usr/bin/env bash
# Installs Debian's haproxy for the rolling-restart scenario if it is missing (idempotent).
set -euo pipefail
if command -v haproxy >/dev/null 2>&1; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends haproxy >/dev/null
command -v haproxy
