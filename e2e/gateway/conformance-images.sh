#!/usr/bin/env bash
# The images the Gateway API conformance suite's manifests run, under exactly the names they
# use, built with buildah from the binaries of build-conformance.sh (no registry is reached) and
# loaded into the node's containerd (shared helpers: e2e/node/buildah.sh).
#
# The names come from the suite's module itself: every `image:` in base/manifests.yaml and
# tests/*.yaml. An image this script cannot build, or a pull policy under which the kubelet
# would go to a registry for an image it has (Always, or a :latest/untagged image), is an error
# here rather than an ImagePullBackOff during the run.
#
#   e2e/gateway/conformance-images.sh [--no-load]      prints the image names, one a line
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
CACHE="${WSGATE_CACHE:-$HOME/.cache/wsgate}"
STATE_DIR="${WSGATE_CLUSTER_DIR:-$PWD/e2e/.cluster}"
LOAD=1
[[ "${1:-}" == --no-load ]] && LOAD=0
log() { echo "[gw-images] $*" >&2; }
T0=$SECONDS
phase() { log "$1 ($((SECONDS - T0)) s so far)"; }

BIN_DIR=$(bash e2e/gateway/build-conformance.sh | tail -n1)
VERSION=${BIN_DIR##*/gateway-conformance-}
COREDNS_VERSION=$(sed -n 's/^coredns=//p' "$BIN_DIR/VERSIONS")
source e2e/cluster/go.sh
use_go
MOD=$(go_mod_field "sigs.k8s.io/gateway-api/conformance@$VERSION" Dir)
manifests=("$MOD/base/manifests.yaml" "$MOD/tests/"*.yaml)

mapfile -t images < <(sed -n 's/^[[:space:]]*-\{0,1\}[[:space:]]*image:[[:space:]]*\([^[:space:]#]*\).*$/\1/p' "${manifests[@]}" | tr -d "\"'" | sort -u)
((${#images[@]})) || { log "error: no image: lines in the suite's manifests ($MOD)"; exit 1; }
if grep -nE '^[[:space:]]*imagePullPolicy:[[:space:]]*"?Always' "${manifests[@]}" >&2; then
  log "error: the manifests above pull Always: the kubelet would go to the registry for an image the node has"
  exit 1
fi
echo_tags=()
for img in "${images[@]}"; do
  case "$img" in
    registry.k8s.io/gateway-api/echo-basic:v*) echo_tags+=("$img") ;;
    "registry.k8s.io/coredns/coredns:$COREDNS_VERSION") ;;
    *)
      log "error: the suite's manifests run $img, which this script does not build (untagged or :latest would also pull)"
      exit 1
      ;;
  esac
done

source e2e/node/buildah.sh
ctx="$CACHE/images/ctx-gateway-conformance"
rm -rf "$ctx" && mkdir -p "$ctx"
cp e2e/gateway/images/echo-basic.Dockerfile e2e/gateway/images/coredns.Dockerfile "$BIN_DIR/echo-basic" "$BIN_DIR/coredns" "$ctx/"
phase "building ${echo_tags[*]} and registry.k8s.io/coredns/coredns:$COREDNS_VERSION"
bud -t "${echo_tags[0]}" -f "$ctx/echo-basic.Dockerfile" "$ctx" >/dev/null
for img in "${echo_tags[@]:1}"; do "${BUILDAH[@]}" tag "${echo_tags[0]}" "$img"; done
bud -t "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" -f "$ctx/coredns.Dockerfile" "$ctx" >/dev/null
rm -rf "$ctx"
load "${images[@]}"
phase "done"
printf '%s\n' "${images[@]}"
