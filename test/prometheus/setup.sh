#!/usr/bin/env bash
# Installs Debian's prometheus for the scrape test if it is missing (idempotent).
set -euo pipefail
if command -v prometheus >/dev/null 2>&1; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
command -v prometheus
