#!/usr/bin/env bash
# Checks the vendored Gateway API CRDs against the release they come from, byte for byte:
#   crds/gateway-api/*.yaml          == config/crd/standard/*.yaml of sigs.k8s.io/gateway-api@VERSION
#   charts/wsgate/files/gateway-api/ == crds/gateway-api/ (the chart's copy, rendered when
#                                       gatewayAPI.installCRDs is true)
# VERSION is read from the files themselves (annotation gateway.networking.k8s.io/bundle-version),
# so the vendored bytes are the one place the version is written. Every file must say the same
# version and channel "standard", and the directory must hold exactly the release's file set.
#
#   e2e/gateway/check-crds.sh            # check (exit 1 with a line per difference)
#   e2e/gateway/check-crds.sh --update   # re-vendor from the module (version from GATEWAY_API_VERSION or the files)
#
# Needs Go (PATH or /usr/local/go/bin) and the module proxy or a warm module cache.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

VENDORED=crds/gateway-api
CHART_COPY=charts/wsgate/files/gateway-api

source e2e/cluster/go.sh
use_go

versions=$(grep -h '^    gateway.networking.k8s.io/bundle-version:' "$VENDORED"/*.yaml | awk '{print $2}' | sort -u)
channels=$(grep -h '^    gateway.networking.k8s.io/channel:' "$VENDORED"/*.yaml | awk '{print $2}' | sort -u)
VERSION=${GATEWAY_API_VERSION:-$versions}
fail=0
if [[ $(wc -w <<<"$versions") != 1 ]]; then
  echo "[gateway-crds] $VENDORED: expected one bundle-version, found: $(echo $versions)" >&2
  fail=1
fi
if [[ "$channels" != standard ]]; then
  echo "[gateway-crds] $VENDORED: expected channel standard, found: $(echo $channels)" >&2
  fail=1
fi
[[ "$VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "[gateway-crds] bad version '$VERSION'" >&2; exit 1; }

DIR=$(go_mod_field "sigs.k8s.io/gateway-api@$VERSION" Dir)
[[ -n "$DIR" && -d "$DIR/config/crd/standard" ]] || { echo "[gateway-crds] go mod download gave no Dir for $VERSION" >&2; exit 1; }
UPSTREAM="$DIR/config/crd/standard"

if [[ "${1:-}" == "--update" ]]; then
  rm -rf "$VENDORED" "$CHART_COPY"
  mkdir -p "$VENDORED" "$CHART_COPY"
  for f in "$UPSTREAM"/*.yaml; do
    install -m 644 "$f" "$VENDORED/"
    install -m 644 "$f" "$CHART_COPY/"
  done
  echo "[gateway-crds] vendored $(ls "$VENDORED" | wc -l) files of sigs.k8s.io/gateway-api@$VERSION (standard channel)"
  exit 0
fi

want=$(cd "$UPSTREAM" && ls -1 *.yaml)
for dir in "$VENDORED" "$CHART_COPY"; do
  have=$(cd "$dir" 2>/dev/null && ls -1 *.yaml 2>/dev/null || true)
  if [[ "$have" != "$want" ]]; then
    echo "[gateway-crds] $dir holds a different file set than the release:" >&2
    diff <(echo "$want") <(echo "$have") >&2 || true
    fail=1
  fi
  for f in $want; do
    if [[ -f "$dir/$f" ]] && ! cmp -s "$UPSTREAM/$f" "$dir/$f"; then
      echo "[gateway-crds] $dir/$f differs from sigs.k8s.io/gateway-api@$VERSION config/crd/standard/$f" >&2
      fail=1
    fi
  done
done
if [[ $fail == 0 ]]; then
  echo "[gateway-crds] ok: $(wc -w <<<"$want") files identical to sigs.k8s.io/gateway-api@$VERSION config/crd/standard (and the chart's copy)"
else
  echo "[gateway-crds] fix: e2e/gateway/check-crds.sh --update" >&2
fi
exit $fail
