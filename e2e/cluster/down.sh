#!/usr/bin/env bash
# Stop the e2e control plane (kube-apiserver, then etcd: SIGTERM, SIGKILL after a bounded wait)
# and remove its state (e2e/.cluster/). Idempotent. The built binaries stay in the cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lock_cluster
# The node first: its mounts and pods live under the state dir that goes below.
if [[ -d "$STATE_DIR/node" ]]; then bash "$CLUSTER_SCRIPT_DIR/../node/node.sh" down; fi
stop_proc kube-apiserver TERM "$(apiserver_stop_timeout)"
stop_proc etcd
kill_strays
if [[ -e "$STATE_DIR" ]]; then
  rm -rf "$STATE_DIR"
  say "removed $STATE_DIR"
fi
say "down"
