#!/usr/bin/env bash
# Render the plain install YAML from the Helm chart with its default values (but one, see below).
#
#   e2e/chart/render-manifests.sh [OUT]      # default OUT: manifests/install.yaml
#   e2e/chart/render-manifests.sh --sync-crd [OUT]
#
# --sync-crd first copies crds/wsgate.io_websocketroutes.yaml (the one source of the CRD) into
# charts/wsgate/crds/ (`make manifests` does that). The output is deterministic: the same chart
# and helm version give the same bytes, so chart-test can compare a fresh render with the file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

RELEASE=wsgate
NAMESPACE=wsgate
CRD=wsgate.io_websocketroutes.yaml

if [[ "${1:-}" == "--sync-crd" ]]; then
  shift
  if ! cmp -s "crds/$CRD" "charts/wsgate/crds/$CRD"; then
    cp "crds/$CRD" "charts/wsgate/crds/$CRD"
    echo "[manifests] copied crds/$CRD to charts/wsgate/crds/" >&2
  fi
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
# One value differs from the chart's defaults: sessionAffinityKey.create=false, since a rendered
# random key would be the same for everyone. For routes with spec.sessionAffinity, give the
# replicas a key of your own (or install with Helm, which creates one):
#   kubectl -n wsgate create secret generic wsgate-affinity-key --from-literal=key=\$(openssl rand -hex 32)
#   and add --affinity-key-file with that Secret mounted, as the chart does.
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
  "$HELM" template "$RELEASE" charts/wsgate --namespace "$NAMESPACE" --include-crds --set sessionAffinityKey.create=false
} >"$tmp"
mkdir -p "$(dirname "$OUT")"
mv "$tmp" "$OUT"
trap - EXIT
echo "[manifests] wrote $OUT" >&2
