#!/usr/bin/env bash
# make e2e: start the control plane and the pod namespace, run the e2e tests, stop both.
# A cluster that was already up (make e2e-up) is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
started=0
if ! bash e2e/cluster/apiserver.sh status >/dev/null 2>&1; then started=1; fi
cleanup() {
  if [[ $started == 1 ]]; then
    bash e2e/cluster/netns.sh down || true
    bash e2e/cluster/down.sh || true
  fi
}
trap cleanup EXIT
bash e2e/cluster/up.sh
bash e2e/cluster/netns.sh up
# e2e/reliability: HAProxy for the rolling restart; the config-churn scenario holds 4,000 sockets
# in wsgate, so the open-files limit goes up (to the hard limit if that is lower).
bash e2e/reliability/setup.sh >/dev/null
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
node_modules/.bin/node --test --test-concurrency=1 --test-timeout=300000 "dist/e2e/**/*.test.js"
