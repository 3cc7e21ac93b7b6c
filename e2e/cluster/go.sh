# shellcheck shell=bash
# Shared by the scripts that build Go binaries from their modules into the cache (build.sh,
# e2e/node/build-node.sh, e2e/gateway/build-conformance.sh) and by check-crds.sh. Source it.

# use_go: Go on PATH (or /usr/local/go/bin) with hermetic-ish settings: the local toolchain, no
# workspace, module mode that may write go.mod/go.sum of the throwaway modules, static binaries.
# The build cache stays at its default location so rebuilds (another version, a wiped bin dir)
# are fast. Exits with a message when Go is missing.
use_go() {
  if ! command -v go >/dev/null 2>&1; then
    if [[ -x /usr/local/go/bin/go ]]; then
      export PATH="/usr/local/go/bin:$PATH"
    else
      echo "error: 'go' not found (need Go >= 1.26 on PATH or in /usr/local/go)" >&2
      exit 1
    fi
  fi
  export GOTOOLCHAIN=local GOWORK=off GOFLAGS="-mod=mod" CGO_ENABLED=0
  unset GOOS GOARCH
}

# go_mod_field MODULE@VERSION FIELD: downloads the module (proxy or module cache) and prints one
# field of `go mod download -json` (Dir, GoMod, Zip...). Run outside any module, so the
# caller's go.mod is never touched.
go_mod_field() {
  (cd /tmp && go mod download -json "$1" | sed -n "s/^[[:space:]]*\"$2\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p")
}

# build_lock FILE LOG_PREFIX: one build at a time per FILE (fd 9; two scripts started together
# must not race on the same output files). Callers re-check their fast path after it returns.
build_lock() {
  exec 9>"$1"
  if command -v flock >/dev/null 2>&1; then
    flock -n 9 || { echo "[$2] another build is running, waiting for $1" >&2; flock 9; }
  fi
}
