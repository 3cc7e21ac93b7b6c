#!/usr/bin/env bash
# Install helm into the project cache, built from its Go module with the local Go toolchain.
#
# Output: ${WSGATE_CACHE:-$HOME/.cache/wsgate}/bin/helm-<version>/helm
# Idempotent: when that binary is there and reports the wanted version it does nothing (fast
# path, a few milliseconds). Needs only Go (>= 1.26, from PATH or /usr/local/go) and the Go
# module proxy. Cold: about 2-4 minutes on 2 cores (less when the Go build cache is warm).
#
# Prints the path of the helm binary as the last line of stdout, so callers can do
#   HELM=$(e2e/chart/install-helm.sh | tail -n1)
set -euo pipefail

HELM_VERSION="${WSGATE_HELM_VERSION:-v4.3.1}"
CACHE="${WSGATE_CACHE:-$HOME/.cache/wsgate}"
BIN_DIR="$CACHE/bin/helm-$HELM_VERSION"
HELM="$BIN_DIR/helm"

log() { echo "[helm] $*" >&2; }

have_helm() {
  [[ -x "$HELM" ]] && [[ "$("$HELM" version --template '{{.Version}}' 2>/dev/null)" == "$HELM_VERSION" ]]
}

if have_helm; then
  log "up to date: $HELM ($HELM_VERSION)"
  echo "$HELM"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  if [[ -x /usr/local/go/bin/go ]]; then
    export PATH="/usr/local/go/bin:$PATH"
  else
    log "error: 'go' not found (need Go >= 1.26 on PATH or in /usr/local/go)"
    exit 1
  fi
fi

mkdir -p "$CACHE/bin"
# One build at a time: two callers started together must not race on the same files.
exec 9>"$CACHE/.helm-build.lock"
if command -v flock >/dev/null 2>&1; then
  flock -n 9 || { log "another helm build is running, waiting for $CACHE/.helm-build.lock"; flock 9; }
fi
if have_helm; then
  log "up to date: $HELM ($HELM_VERSION)"
  echo "$HELM"
  exit 0
fi

major=${HELM_VERSION%%.*} # v4
module="helm.sh/helm/$major"
START=$(date +%s)
# Same settings as helm's own Makefile (static, stripped, version stamped); `go install` of a
# module at a version ignores any go.work and uses that module's go.mod (no replaces in helm's).
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=
unset GOOS GOARCH
tmp="$BIN_DIR/.tmp"
rm -rf "$tmp" && mkdir -p "$tmp"
log "go install $module/cmd/helm@$HELM_VERSION ($(go version | awk '{print $3}'); cold: a few minutes)"
GOBIN="$tmp" go install -trimpath \
  -ldflags "-s -w -X $module/internal/version.version=$HELM_VERSION -X $module/internal/version.gitTreeState=clean" \
  "$module/cmd/helm@$HELM_VERSION"
mv -f "$tmp/helm" "$HELM"
rm -rf "$tmp"
have_helm || { log "error: $HELM does not report version $HELM_VERSION: $("$HELM" version 2>&1 || true)"; exit 1; }
log "done in $(($(date +%s) - START)) s: $HELM"
echo "$HELM"
