#!/usr/bin/env bash
# make chart-test: the chart's checks (e2e/chart/chart.test.ts) with the e2e control plane and
# the pod network namespace up. Whatever this script started it stops again, pass or fail; a
# cluster or namespace that was already up is left running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bash e2e/chart/install-helm.sh >/dev/null
started_cluster=0
started_netns=0
bash e2e/cluster/apiserver.sh status >/dev/null 2>&1 || started_cluster=1
bash e2e/cluster/netns.sh status >/dev/null 2>&1 || started_netns=1
cleanup() {
  if [[ $started_netns == 1 ]]; then bash e2e/cluster/netns.sh down >/dev/null || true; fi
  if [[ $started_cluster == 1 ]]; then bash e2e/cluster/down.sh >/dev/null || true; fi
}
trap cleanup EXIT
bash e2e/cluster/up.sh
bash e2e/cluster/netns.sh up
node_modules/.bin/node --test --test-concurrency=1 --test-timeout=300000 dist/e2e/chart/chart.test.js
