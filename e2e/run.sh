#!/usr/bin/env bash
# make e2e: start the control plane, the real node (as root) and the pod namespace, build and
# load the images, run the e2e tests, stop everything again. A cluster that was already up
# (make e2e-up) is left running. Prints the time of each phase.
set -euo pipefail
cd "$(dirname "$0")/.."
T=(bash mk/timed.sh)
started=0
if ! bash e2e/cluster/apiserver.sh status >/dev/null 2>&1; then started=1; fi
cleanup() {
  if [[ $started == 1 ]]; then
    bash e2e/cluster/netns.sh down || true
    "${T[@]}" "e2e teardown (cluster and node down)" bash e2e/cluster/down.sh || true
  fi
}
trap cleanup EXIT
"${T[@]}" "e2e control plane (etcd, kube-apiserver)" bash e2e/cluster/up.sh
"${T[@]}" "e2e node (containerd, kubelet, kube-proxy, controller-manager, scheduler) until Ready" bash e2e/node/node.sh up
if bash e2e/node/node.sh status >/dev/null 2>&1; then
  "${T[@]}" "e2e images (base, wsgate:dev, backend, frameworks, pause; buildah) and load" bash e2e/node/image.sh
fi
bash e2e/cluster/netns.sh up
# e2e/reliability: HAProxy for the rolling restart; the config-churn scenario holds 4,000 sockets
# in wsgate, so the open-files limit goes up (to the hard limit if that is lower).
bash e2e/reliability/setup.sh >/dev/null
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
"${T[@]}" "e2e tests" node_modules/.bin/node --test --test-concurrency=1 --test-timeout=300000 "dist/e2e/**/*.test.js"
