#!/usr/bin/env bash
# Build the upstream Gateway API conformance suite and the binaries its manifests run:
#   conformance.test  go test -c sigs.k8s.io/gateway-api/conformance (from e2e/gateway/conformance,
#                     the module that pins the suite at the vendored CRDs' version)
#   echo-basic        sigs.k8s.io/gateway-api/conformance/echo-basic, static (every backend pod)
#   coredns           github.com/coredns/coredns at the tag the base manifests name: the suite's
#                     base manifests run one in gateway-conformance-infra, and setup waits for
#                     every pod there to be Ready (it serves the UDPRoute tests)
#
# Output: ${WSGATE_CACHE:-$HOME/.cache/wsgate}/bin/gateway-conformance-<version>/, stamp VERSIONS
# (versions + a hash of the module's go.mod/go.sum, so a changed pin rebuilds).
# Idempotent (fast path: a few ms). Prints the bin dir as the last line of stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source e2e/cluster/go.sh

MOD_DIR=e2e/gateway/conformance
# The version is the vendored CRDs' (one place: their bundle-version annotation); the module
# must pin the same, or the suite refuses the cluster's CRDs.
VERSION=$(grep -h '^    gateway.networking.k8s.io/bundle-version:' crds/gateway-api/*.yaml | awk '{print $2}' | sort -u)
[[ $(wc -w <<<"$VERSION") == 1 ]] || { echo "[gw-build] error: crds/gateway-api holds several bundle-versions: $VERSION" >&2; exit 1; }
grep -qE "^[[:space:]]*(require )?sigs\.k8s\.io/gateway-api/conformance $VERSION\$" "$MOD_DIR/go.mod" ||
  { echo "[gw-build] error: $MOD_DIR/go.mod does not require sigs.k8s.io/gateway-api/conformance $VERSION (the CRDs' version)" >&2; exit 1; }

CACHE="${WSGATE_CACHE:-$HOME/.cache/wsgate}"
BIN_DIR="$CACHE/bin/gateway-conformance-$VERSION"
STAMP="$BIN_DIR/VERSIONS"
MOD_HASH=$(cat "$MOD_DIR/go.mod" "$MOD_DIR/go.sum" | sha256sum | cut -c1-16)

log() { echo "[gw-build] $*" >&2; }

# The coredns tag comes from the suite's own base manifests (module source, not a guess).
coredns_version() {
  local dir
  dir=$(go_mod_field "sigs.k8s.io/gateway-api/conformance@$VERSION" Dir)
  sed -n 's|^[[:space:]]*image: registry.k8s.io/coredns/coredns:\(v[0-9.]*\)$|\1|p' "$dir/base/manifests.yaml" | sort -u
}

have_all() {
  [[ -x "$BIN_DIR/conformance.test" && -x "$BIN_DIR/echo-basic" && -x "$BIN_DIR/coredns" && -f "$STAMP" ]] &&
    [[ "$(head -n1 "$STAMP")" == "gateway-api=$VERSION module=$MOD_HASH" ]]
}

if have_all; then
  log "up to date: $BIN_DIR ($(tr '\n' ' ' <"$STAMP"))"
  echo "$BIN_DIR"
  exit 0
fi

use_go
mkdir -p "$CACHE/bin"
build_lock "$CACHE/.build-gateway-conformance.lock" gw-build
if have_all; then
  echo "$BIN_DIR"
  exit 0
fi
START=$(date +%s)
COREDNS_VERSION=$(coredns_version)
[[ "$COREDNS_VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || { log "error: no single coredns image tag in the base manifests ($COREDNS_VERSION)"; exit 1; }
mkdir -p "$BIN_DIR"
tmp="$BIN_DIR/.tmp"
rm -rf "$tmp" && mkdir -p "$tmp"

# The pinned module is read-only here: a go.sum that needs changing is a bug to fix in the repo
# (go mod tidy in e2e/gateway/conformance), not something a build rewrites.
log "gateway-api $VERSION: go test -c conformance, go build echo-basic (cold build cache: a few minutes on 2 cores)"
(cd "$MOD_DIR" && GOFLAGS=-mod=readonly go test -c -trimpath -ldflags "-s -w" -o "$tmp/conformance.test" sigs.k8s.io/gateway-api/conformance)
(cd "$MOD_DIR" && GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s -w -buildid=" -o "$tmp/echo-basic" sigs.k8s.io/gateway-api/conformance/echo-basic)

# coredns has its own dependency graph (it would move the suite's k8s.io modules), so it is built
# on its own with `go install pkg@version`, which reads only coredns's go.mod.
log "coredns $COREDNS_VERSION: go install github.com/coredns/coredns@$COREDNS_VERSION"
GOBIN="$tmp" GOFLAGS= go install -trimpath -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=module-$COREDNS_VERSION" \
  "github.com/coredns/coredns@$COREDNS_VERSION"

for b in conformance.test echo-basic coredns; do mv -f "$tmp/$b" "$BIN_DIR/$b"; done
rm -rf "$tmp"
"$BIN_DIR/coredns" -version | sed -n 1p >&2 # not head: see build.sh
printf 'gateway-api=%s module=%s\ncoredns=%s\n' "$VERSION" "$MOD_HASH" "$COREDNS_VERSION" >"$STAMP"
log "done in $(($(date +%s) - START)) s: $BIN_DIR"
echo "$BIN_DIR"
