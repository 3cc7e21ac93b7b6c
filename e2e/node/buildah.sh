# shellcheck shell=bash
# buildah without a Docker engine, and the load of built images into the node's containerd.
# Shared by e2e/node/image.sh and e2e/gateway/conformance-images.sh. Source it from the
# repository root after setting CACHE, STATE_DIR, LOAD (1: load into the node) and log/phase.
# Takes the image lock (fd 7) for the rest of the caller's run.

bash e2e/node/setup.sh
mkdir -p "$CACHE/buildah" "$CACHE/images"
# buildah's storage lives in the project cache, never in /var/lib/containers, and its network
# config directory too (otherwise every buildah command creates /etc/cni/net.d).
mkdir -p "$CACHE/buildah/cni"
cat >"$CACHE/buildah/containers.conf" <<CONF
[network]
network_config_dir = "$CACHE/buildah/cni"
cni_plugin_dirs = ["/usr/lib/cni"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$CACHE/buildah/containers.conf"
BUILDAH=(buildah --root "$CACHE/buildah/storage" --runroot "$CACHE/buildah/run" --storage-driver overlay)
exec 7>"$CACHE/.image.lock"
flock 7

SOCK="$STATE_DIR/node/containerd/containerd.sock"
load() {
  local img
  [[ $LOAD == 1 ]] || return 0
  if [[ ! -S "$SOCK" ]]; then
    log "the node is not up ($SOCK missing): images built, not loaded (make e2e-up, then make image)"
    return 0
  fi
  # What this node already has (image and buildah ID), so an unchanged image is not loaded twice.
  local loaded="$STATE_DIR/node/loaded-images" id
  touch "$loaded"
  for img in "$@"; do
    id=$("${BUILDAH[@]}" images --no-trunc --format '{{.ID}}' "$img" | sed -n 1p)
    if grep -qxF "$img $id" "$loaded" && ctr --address "$SOCK" -n k8s.io images ls -q | grep -xF "$img" >/dev/null; then
      log "$img already on the node"
      continue
    fi
    phase "loading $img into the node's containerd"
    "${BUILDAH[@]}" push --quiet "$img" "docker-archive:$CACHE/images/load.tar:$img" >/dev/null
    ctr --address "$SOCK" -n k8s.io images import "$CACHE/images/load.tar" >/dev/null
    rm -f "$CACHE/images/load.tar"
    grep -vF "$img " "$loaded" >"$loaded.tmp" || true
    echo "$img $id" >>"$loaded.tmp"
    mv "$loaded.tmp" "$loaded"
  done
}
# --cni-config-dir: buildah would otherwise create /etc/cni/net.d (even with --network host).
bud() { "${BUILDAH[@]}" bud --quiet --layers --pull=false --runtime runc --network host --cni-config-dir "$CACHE/buildah/cni" "$@"; }
