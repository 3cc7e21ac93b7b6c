#!/usr/bin/env bash
# Render the plain install YAML from the Helm chart with its default values (but one, see below).
#
#   e2e/chart/render-manifests.sh [OUT]      # default OUT: manifests/install.yaml
#   e2e/chart/render-manifests.sh --sync-crd [OUT]
#
# --sync-crd first copies wsgate's CRDs (crds/*.yaml, their one source) into charts/wsgate/crds/
# and the vendored Gateway API CRDs (crds/gateway-api/) into charts/wsgate/files/gateway-api/
# (`make manifests` does that). The output is deterministic: the same chart
# and helm version give the same bytes, so chart-test can compare a fresh render with the file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

RELEASE=wsgate
NAMESPACE=wsgate
if [[ "${1:-}" == "--sync-crd" ]]; then
  shift
  sync() { # sync SRC_DIR DEST_DIR: DEST holds exactly SRC's *.yaml files, byte for byte
    local f
    mkdir -p "$2"
    for f in "$2"/*.yaml; do
      if [[ -e "$f" && ! -e "$1/${f##*/}" ]]; then
        rm -f "$f"
        echo "[manifests] removed $f" >&2
      fi
    done
    for f in "$1"/*.yaml; do
      if ! cmp -s "$f" "$2/${f##*/}"; then
        cp "$f" "$2/${f##*/}"
        echo "[manifests] copied $f to $2/" >&2
      fi
    done
  }
  sync crds charts/wsgate/crds
  sync crds/gateway-api charts/wsgate/files/gateway-api
fi
OUT=${1:-manifests/install.yaml}
HELM=${HELM:-$(bash e2e/chart/install-helm.sh | tail -n1)}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
  cat <<HEADER
# wsgate: everything to run it, rendered from charts/wsgate with its default values
# (release "$RELEASE", namespace "$NAMESPACE") by \`make manifests\`. Do not edit: change the chart.
#
#   kubectl apply -f manifests/install.yaml
#
# The image ghcr.io/wsgate/wsgate:<appVersion> is built from the repository's Dockerfile.
#
# One value differs from the chart's defaults:
# - mode=single: one Deployment runs controller and proxy in one process. The chart's default,
#   split mode (a data plane without cluster credentials), needs a CA and certificates of the
#   install's own, which Helm generates at install (or cert-manager issues): install with Helm
#   for it (see docs/architecture.md).
# The session-affinity key is not in this file: the controller creates the Secret
# $RELEASE-affinity-key with a random key on its first start (docs/shared-clusters.md "GitOps").
---
apiVersion: v1
kind: Namespace
metadata:
  name: $NAMESPACE
  labels:
    app.kubernetes.io/name: wsgate
    app.kubernetes.io/part-of: wsgate
    # The pods meet the "restricted" Pod Security Standard.
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/warn: restricted
HEADER
  "$HELM" template "$RELEASE" charts/wsgate --namespace "$NAMESPACE" --include-crds --set mode=single
} >"$tmp"
mkdir -p "$(dirname "$OUT")"
mv "$tmp" "$OUT"
trap - EXIT
echo "[manifests] wrote $OUT" >&2
