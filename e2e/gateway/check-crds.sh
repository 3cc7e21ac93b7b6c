#!/usr/bin/env bash
# Checks the vendored Gateway API CRDs against the release they come from, byte for byte, for
# both channels:
#   crds/gateway-api/*.yaml              == config/crd/standard/*.yaml of sigs.k8s.io/gateway-api@VERSION
#   crds/gateway-api-experimental/*.yaml == config/crd/experimental/*.yaml (without kustomization.yaml)
#   charts/wsgate/files/gateway-api{,-experimental}/ == the crds/ directory of the same channel
#                                       (the chart's copies, rendered when gatewayAPI.installCRDs
#                                       is true, from the directory gatewayAPI.channel names)
# VERSION is read from the standard files themselves (annotation gateway.networking.k8s.io/bundle-version),
# so the vendored bytes are the one place the version is written. Every file must say that
# version, the standard files channel "standard", and each directory must hold exactly the
# release's file set. (The release's experimental directory carries the standard channel's
# safe-upgrades ValidatingAdmissionPolicy, annotated "standard": it is vendored as released.)
#
#   e2e/gateway/check-crds.sh            # check (exit 1 with a line per difference)
#   e2e/gateway/check-crds.sh --update   # re-vendor from the module (version from GATEWAY_API_VERSION or the files)
#
# Needs Go (PATH or /usr/local/go/bin) and the module proxy or a warm module cache.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

CHANNELS=(standard experimental)
vendored_dir() { [[ $1 == standard ]] && echo crds/gateway-api || echo "crds/gateway-api-$1"; }
chart_dir() { [[ $1 == standard ]] && echo charts/wsgate/files/gateway-api || echo "charts/wsgate/files/gateway-api-$1"; }
# The release's CRD files of a channel (its kustomization.yaml is no CRD).
release_files() { (cd "$1" && ls -1 *.yaml | grep -vx kustomization.yaml); }

source e2e/cluster/go.sh
use_go

STANDARD=$(vendored_dir standard)
versions=$(grep -h '^    gateway.networking.k8s.io/bundle-version:' "$STANDARD"/*.yaml | awk '{print $2}' | sort -u)
channels=$(grep -h '^    gateway.networking.k8s.io/channel:' "$STANDARD"/*.yaml | awk '{print $2}' | sort -u)
VERSION=${GATEWAY_API_VERSION:-$versions}
fail=0
if [[ $(wc -w <<<"$versions") != 1 ]]; then
  echo "[gateway-crds] $STANDARD: expected one bundle-version, found: $(echo $versions)" >&2
  fail=1
fi
if [[ "$channels" != standard ]]; then
  echo "[gateway-crds] $STANDARD: expected channel standard, found: $(echo $channels)" >&2
  fail=1
fi
[[ "$VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "[gateway-crds] bad version '$VERSION'" >&2; exit 1; }

DIR=$(go_mod_field "sigs.k8s.io/gateway-api@$VERSION" Dir)
[[ -n "$DIR" && -d "$DIR/config/crd/standard" ]] || { echo "[gateway-crds] go mod download gave no Dir for $VERSION" >&2; exit 1; }

if [[ "${1:-}" == "--update" ]]; then
  for channel in "${CHANNELS[@]}"; do
    upstream="$DIR/config/crd/$channel"
    vendored=$(vendored_dir "$channel")
    copy=$(chart_dir "$channel")
    rm -rf "$vendored" "$copy"
    mkdir -p "$vendored" "$copy"
    for f in $(release_files "$upstream"); do
      install -m 644 "$upstream/$f" "$vendored/"
      install -m 644 "$upstream/$f" "$copy/"
    done
    echo "[gateway-crds] vendored $(ls "$vendored" | wc -l) files of sigs.k8s.io/gateway-api@$VERSION ($channel channel)"
  done
  exit 0
fi

total=0
for channel in "${CHANNELS[@]}"; do
  upstream="$DIR/config/crd/$channel"
  want=$(release_files "$upstream")
  total=$((total + $(wc -w <<<"$want")))
  for dir in "$(vendored_dir "$channel")" "$(chart_dir "$channel")"; do
    have=$(cd "$dir" 2>/dev/null && ls -1 *.yaml 2>/dev/null || true)
    if [[ "$have" != "$want" ]]; then
      echo "[gateway-crds] $dir holds a different file set than the release's $channel channel:" >&2
      diff <(echo "$want") <(echo "$have") >&2 || true
      fail=1
    fi
    for f in $want; do
      if [[ -f "$dir/$f" ]] && ! cmp -s "$upstream/$f" "$dir/$f"; then
        echo "[gateway-crds] $dir/$f differs from sigs.k8s.io/gateway-api@$VERSION config/crd/$channel/$f" >&2
        fail=1
      fi
    done
  done
done
if [[ $fail == 0 ]]; then
  echo "[gateway-crds] ok: $total files identical to sigs.k8s.io/gateway-api@$VERSION config/crd/standard and config/crd/experimental (and the chart's copies)"
else
  echo "[gateway-crds] fix: e2e/gateway/check-crds.sh --update" >&2
fi
exit $fail
