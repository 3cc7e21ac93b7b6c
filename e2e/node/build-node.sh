#!/usr/bin/env bash
# Build the node components (kube-controller-manager, kube-scheduler, kubelet, kube-proxy) from
# the same k8s.io/kubernetes module version as the apiserver, with e2e/cluster/build.sh's
# throwaway module ($WSGATE_CACHE/src/k8s-<version>/, written by build.sh).
#
# Output: ${WSGATE_CACHE:-$HOME/.cache/wsgate}/bin/k8s-<version>/{kube-controller-manager,
#         kube-scheduler,kubelet,kube-proxy} beside kube-apiserver, stamp NODE-VERSIONS.
# Idempotent (fast path: a few ms). Prints the bin dir as the last line of stdout.
set -euo pipefail

K8S_VERSION="${WSGATE_K8S_VERSION:-v1.34.12}"
CACHE="${WSGATE_CACHE:-$HOME/.cache/wsgate}"
BIN_DIR="$CACHE/bin/k8s-$K8S_VERSION"
STAMP="$BIN_DIR/NODE-VERSIONS"
WANT_STAMP="kubernetes=$K8S_VERSION node=kube-controller-manager,kube-scheduler,kubelet,kube-proxy"
COMPONENTS=(kube-controller-manager kube-scheduler kubelet kube-proxy)

log() { echo "[build-node] $*" >&2; }

have_all() {
  local c
  for c in "${COMPONENTS[@]}"; do [[ -x "$BIN_DIR/$c" ]] || return 1; done
  [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT_STAMP" ]]
}

if have_all; then
  log "up to date: $BIN_DIR ($WANT_STAMP)"
  echo "$BIN_DIR"
  exit 0
fi

# The throwaway module (and the apiserver, kubectl, etcd) come from build.sh.
bash "$(dirname "${BASH_SOURCE[0]}")/../cluster/build.sh" >/dev/null
src="$CACHE/src/k8s-$K8S_VERSION"
[[ -f "$src/go.mod" ]] || { log "error: no throwaway module at $src (build.sh should have written it)"; exit 1; }

source "$(dirname "${BASH_SOURCE[0]}")/../cluster/go.sh"
use_go
build_lock "$CACHE/.build-node.lock" build-node
if have_all; then
  log "up to date: $BIN_DIR ($WANT_STAMP)"
  echo "$BIN_DIR"
  exit 0
fi

START=$(date +%s)
minor=$(echo "$K8S_VERSION" | cut -d. -f2)
ldflags="-s -w"
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  for kv in "gitVersion=$K8S_VERSION" "gitMajor=1" "gitMinor=$minor" \
    "gitCommit=" "gitTreeState=archive" "buildDate=$build_date"; do
    ldflags+=" -X $pkg.${kv%%=*}=${kv#*=}"
  done
done
tmp="$BIN_DIR/.tmp-node"
rm -rf "$tmp" && mkdir -p "$tmp"
pkgs=()
for c in "${COMPONENTS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
log "go build ${COMPONENTS[*]} $K8S_VERSION (cold build cache: ~10 min on 2 cores)"
(cd "$src" && go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "all=$ldflags" -o "$tmp/" "${pkgs[@]}")
for c in "${COMPONENTS[@]}"; do mv -f "$tmp/$c" "$BIN_DIR/$c"; done
rm -rf "$tmp"
"$BIN_DIR/kubelet" --version >&2
echo "$WANT_STAMP" >"$STAMP"
log "done in $(($(date +%s) - START)) s: $BIN_DIR"
echo "$BIN_DIR"
