#!/usr/bin/env bash
# Debian packages the real node needs, installed when missing (idempotent, quiet when present):
# containerd + runc (CRI runtime), the CNI plugins (bridge, host-local, loopback, portmap),
# iptables + conntrack (kube-proxy), buildah (image builds without a Docker engine), debootstrap
# (the base image's root filesystem).
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep 'install ok installed' >/dev/null; }
for p in containerd runc containernetworking-plugins iptables conntrack buildah debootstrap uidmap; do
  have "$p" || need+=("$p")
done
if ((${#need[@]})); then
  [[ $(id -u) == 0 ]] || { echo "[node-setup] error: need root to install ${need[*]}" >&2; exit 1; }
  echo "[node-setup] installing ${need[*]}" >&2
  # The packaged containerd service must not start by itself: the node runs its own containerd.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d.wsgate
  restore_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    cp /usr/sbin/policy-rc.d.wsgate /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && restore_policy=1
  fi
  rm -f /usr/sbin/policy-rc.d.wsgate
  ok=0
  for attempt in 1 2; do
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then ok=1; break; fi
    apt-get update -qq >/dev/null 2>&1 || true
  done
  [[ $restore_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
  [[ $ok == 1 ]] || { echo "[node-setup] error: apt-get install ${need[*]} failed" >&2; exit 1; }
fi
for b in containerd containerd-shim-runc-v2 ctr runc buildah iptables conntrack debootstrap; do
  command -v "$b" >/dev/null || { echo "[node-setup] error: $b missing after install" >&2; exit 1; }
done
for p in bridge host-local loopback portmap; do
  [[ -x /usr/lib/cni/$p ]] || { echo "[node-setup] error: /usr/lib/cni/$p missing" >&2; exit 1; }
done
