#!/usr/bin/env bash
# make gateway-conformance: the upstream Gateway API conformance suite (GATEWAY-HTTP profile,
# the features of IMPLEMENTED_FEATURES in src/gatewayapi/translate.ts) against a wsgate controller running on
# this host, with the suite's backends as pods on the e2e node.
#
#   1. builds the suite, echo-basic and coredns (build-conformance.sh) and their images, loaded
#      into the node (conformance-images.sh);
#   2. applies the vendored Gateway API CRDs and wsgate's CRDs (left installed: they are
#      cluster-wide and shared with the other e2e tests);
#   3. starts `wsgate controller` (Gateway API on, a controller name unique to this run, Gateway
#      addresses from a loopback pool) and a GatewayClass naming it;
#   4. runs the suite; its report goes to e2e/.cluster/gateway-conformance-report.yaml, its
#      output to e2e/.cluster/gateway-conformance.log, wsgate's to
#      e2e/.cluster/gateway-conformance-wsgate.log;
#   5. prints each test's result and time, the counts and the total time; stops wsgate and
#      deletes what it created (GatewayClass, the suite's namespaces), pass or fail.
#
#   e2e/gateway/conformance.sh [SUITE FLAGS...]     e.g. --run-test=HTTPRouteSimpleSameNamespace,
#                                                   --debug, --skip-tests=A,B (see README.md)
# Exit status: the suite's (0: every test that ran passed). Needs root and `make e2e-up` (the
# control plane and the node); it never starts or stops the cluster.
#
# Settings (environment): WSGATE_CONFORMANCE_CLASS (GatewayClass, default wsgate-conformance),
# WSGATE_CONFORMANCE_POOL (Gateway address pool, default 127.30.0.0/24),
# WSGATE_CONFORMANCE_TIMEOUT (the suite's go test timeout, default 90m),
# WSGATE_CONFORMANCE_CONTROLLER_ARGS (extra `wsgate controller` flags, split on spaces).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# The cluster scripts recognise their processes by the state dir in their command lines, so a
# worktree whose e2e/.cluster is a symlink to another checkout's must use the real path.
export WSGATE_CLUSTER_DIR="${WSGATE_CLUSTER_DIR:-$(realpath -m e2e/.cluster)}"
source e2e/cluster/lib.sh

T_START=$(date +%s%N)
secs() { local ms=$((($(date +%s%N) - $1) / 1000000)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }
gsay() { echo "[gw-conformance] $*" >&2; }
gdie() { gsay "error: $*"; exit 2; }

CLASS=${WSGATE_CONFORMANCE_CLASS:-wsgate-conformance}
POOL=${WSGATE_CONFORMANCE_POOL:-127.30.0.0/24}
SUITE_TIMEOUT=${WSGATE_CONFORMANCE_TIMEOUT:-90m}
REPORT="$STATE_DIR/gateway-conformance-report.yaml"
SUITE_LOG="$STATE_DIR/gateway-conformance.log"
WSGATE_LOG="$STATE_DIR/gateway-conformance-wsgate.log"
NODE=node_modules/.bin/node

# --- what the run needs ----------------------------------------------------------------------
[[ $(id -u) == 0 ]] || gdie "needs root (wsgate binds the Gateways' addresses on port 80/443; images are loaded into the node's containerd)"
[[ -f dist/src/cli.js && -f dist/e2e/gateway/conformance-summary.js ]] || gdie "dist/ is missing: run make build"
load_state || gdie "no cluster in $STATE_DIR: run make e2e-up first"
KC=("$STATE_DIR/bin/kubectl" --kubeconfig "$KUBECONFIG_FILE")
[[ "$("${KC[@]}" --request-timeout=5s get --raw=/readyz 2>/dev/null)" == ok ]] || gdie "the kube-apiserver is not ready: run make e2e-up first"
bash e2e/node/node.sh status >/dev/null || gdie "the node is not up: run make e2e-up (as root) first"

# One run at a time: the suite's namespaces and Gateways have fixed names.
exec 6>"$STATE_DIR/gateway-conformance.lock"
flock -n 6 || { gsay "another conformance run holds $STATE_DIR/gateway-conformance.lock, waiting"; flock 6; }

# The one list of claimed features is IMPLEMENTED_FEATURES (src/gatewayapi/translate.ts): the
# GatewayClass status says the same.
FEATURES=$("$NODE" --input-type=module -e "import { IMPLEMENTED_FEATURES as f } from './dist/src/gatewayapi/translate.js'; console.log(f.join(','))")
[[ -n "$FEATURES" ]] || gdie "IMPLEMENTED_FEATURES lists no feature"
# GatewayStaticAddresses: a usable address is one of the pool's (its last, which the pool hands
# to no other Gateway while this one asks for it), an unusable one lies just past the pool.
read -r USABLE_ADDRESS UNUSABLE_ADDRESS < <("$NODE" --input-type=module -e "
  import { parsePool } from './dist/src/controller/gateway-addresses.js';
  import { bitsToIp } from './dist/src/net/ip-bits.js';
  const r = parsePool(process.argv[1]);
  console.log(bitsToIp(r.last, r.family), bitsToIp(r.last + 2n, r.family));" "$POOL")
[[ -n "$UNUSABLE_ADDRESS" ]] || gdie "no addresses for GatewayStaticAddresses from pool $POOL"

# --- 1. binaries and images ------------------------------------------------------------------
t=$(date +%s%N)
BIN_DIR_GW=$(bash e2e/gateway/build-conformance.sh | tail -n1)
gsay "suite binaries ready ($(secs "$t")): $BIN_DIR_GW"
t=$(date +%s%N)
bash e2e/gateway/conformance-images.sh >/dev/null
gsay "images on the node ($(secs "$t"))"
VERSION=${BIN_DIR_GW##*/gateway-conformance-}
SUITE_MOD=$(source e2e/cluster/go.sh && use_go && go_mod_field "sigs.k8s.io/gateway-api/conformance@$VERSION" Dir)
# The namespaces the suite's manifests create (deleted after the run, and before it when a
# killed run left them behind).
mapfile -t SUITE_NAMESPACES < <(awk '/^kind: Namespace/{ns=1; next} ns && /^  name:/{print $2; ns=0} /^---/{ns=0}' \
  "$SUITE_MOD/base/manifests.yaml" "$SUITE_MOD/tests/"*.yaml | sort -u)

# --- 2. CRDs ---------------------------------------------------------------------------------
t=$(date +%s%N)
# The experimental channel by default: a superset of the standard one (every standard field is in
# it), and the only channel with the fields some claimed features need (rules[].retry,
# sessionPersistence). GATEWAY_API_CHANNEL=standard runs the suite on the standard CRDs.
case "${GATEWAY_API_CHANNEL:-experimental}" in
  experimental) CRD_DIR=crds/gateway-api-experimental ;;
  standard) CRD_DIR=crds/gateway-api ;;
  *) gdie "GATEWAY_API_CHANNEL must be standard or experimental, not '$GATEWAY_API_CHANNEL'" ;;
esac
# The release's safe-upgrades policy refuses experimental CRDs over standard ones (other e2e files
# install the standard channel on this throwaway cluster): remove it first, as its message says;
# the experimental directory's copy is applied again after the CRDs. An admission plugin may still hold the deleted
# policy for a moment, hence the bounded retry.
if [[ $CRD_DIR == crds/gateway-api-experimental ]]; then
  "${KC[@]}" delete --ignore-not-found validatingadmissionpolicybinding/safe-upgrades.gateway.networking.k8s.io \
    validatingadmissionpolicy/safe-upgrades.gateway.networking.k8s.io >/dev/null
fi
crd_files=() ; for f in "$CRD_DIR"/*.yaml; do [[ $f == *_vap_* ]] || crd_files+=(-f "$f"); done
for try in 1 2 3 4 5 6 7 8 9 10; do
  "${KC[@]}" apply --server-side --force-conflicts "${crd_files[@]}" >/dev/null 2>"$STATE_DIR/crd-apply.err" &&
    "${KC[@]}" apply --server-side --force-conflicts -f "$CRD_DIR"/*_vap_*.yaml >/dev/null 2>>"$STATE_DIR/crd-apply.err" && break
  [[ $try == 10 ]] && gdie "applying $CRD_DIR failed: $(cat "$STATE_DIR/crd-apply.err")"
  sleep 0.5
done
"${KC[@]}" apply --server-side --force-conflicts -f crds/wsgate.io_websocketpolicies.yaml -f crds/wsgate.io_websocketroutes.yaml >/dev/null
mapfile -t crds < <(cd "$CRD_DIR" && ls *.yaml | grep -v _vap_ | sed -E 's/^(gateway\.networking\.(x-)?k8s\.io)_(.*)\.yaml$/crd\/\3.\1/')
"${KC[@]}" wait --for=condition=Established --timeout=60s "${crds[@]}" crd/websocketpolicies.wsgate.io crd/websocketroutes.wsgate.io >/dev/null
gsay "CRDs established ($(secs "$t"))"

# --- cleanup (also of a killed earlier run) --------------------------------------------------
WSGATE_PID=
delete_suite_objects() {
  local have=() ns
  for ns in "${SUITE_NAMESPACES[@]}"; do
    "${KC[@]}" get namespace "$ns" >/dev/null 2>&1 && have+=("$ns")
  done
  if ((${#have[@]})); then
    gsay "deleting namespaces ${have[*]}"
    "${KC[@]}" delete namespace "${have[@]}" --ignore-not-found --wait=true --timeout=180s >/dev/null || gsay "warning: namespaces still terminating"
  fi
  "${KC[@]}" delete gatewayclass "$CLASS" --ignore-not-found --wait=true --timeout=60s >/dev/null || true
}
stop_wsgate() {
  [[ -n "$WSGATE_PID" ]] || return 0
  if kill -0 "$WSGATE_PID" 2>/dev/null; then
    gsay "stopping wsgate (pid $WSGATE_PID)"
    kill -TERM "$WSGATE_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 150; i++)); do kill -0 "$WSGATE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$WSGATE_PID" 2>/dev/null && kill -KILL "$WSGATE_PID" 2>/dev/null || true
  fi
  wait "$WSGATE_PID" 2>/dev/null || true
  WSGATE_PID=
}
cleanup() {
  local rc=$?
  # Objects first, while wsgate still runs: it removes its status entries and listeners as the
  # Gateways go, the way it would in a cluster.
  delete_suite_objects
  stop_wsgate
  gsay "total time $(secs "$T_START")"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
delete_suite_objects

# --- 3. wsgate and its GatewayClass ----------------------------------------------------------
CONTROLLER_NAME="wsgate.io/conformance-$(hostname -s 2>/dev/null || echo host)-$$"
read -r PROXY_PORT ADMIN_PORT < <(free_ports 2)
extra=()
[[ -n "${WSGATE_CONFORMANCE_CONTROLLER_ARGS:-}" ]] && read -r -a extra <<<"$WSGATE_CONFORMANCE_CONTROLLER_ARGS"
: >"$WSGATE_LOG"
# No leader election: the shared cluster may run other wsgate controllers with the default Lease,
# and only this one serves the conformance GatewayClass. --h2c: HTTPRouteBackendProtocolH2C sends
# its request to the Gateway's HTTP listener as HTTP/2 with prior knowledge.
"$NODE" dist/src/cli.js controller \
  --kubeconfig "$KUBECONFIG_FILE" \
  --gateway-api on \
  --gateway-controller-name "$CONTROLLER_NAME" \
  --gateway-address-pool "$POOL" \
  --listen "127.0.0.1:$PROXY_PORT" \
  --admin-listen "127.0.0.1:$ADMIN_PORT" \
  --no-leader-elect \
  --workers 1 \
  --h2c \
  --shutdown-grace 2000 \
  "${extra[@]}" >>"$WSGATE_LOG" 2>&1 6>&- &
WSGATE_PID=$!
gsay "wsgate controller pid $WSGATE_PID (controller name $CONTROLLER_NAME, pool $POOL, log $WSGATE_LOG)"
ready=0
for ((i = 0; i < 600; i++)); do
  kill -0 "$WSGATE_PID" 2>/dev/null || break
  if timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "GET /readyz HTTP/1.0\r\n\r\n" >&3 && head -n1 <&3' "$ADMIN_PORT" 2>/dev/null | grep ' 200' >/dev/null; then
    ready=1
    break
  fi
  sleep 0.1
done
if [[ $ready != 1 ]]; then
  tail -n 40 "$WSGATE_LOG" >&2
  gdie "wsgate did not become ready on 127.0.0.1:$ADMIN_PORT (see $WSGATE_LOG)"
fi
"${KC[@]}" apply -f - >/dev/null <<EOF
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: $CLASS
spec:
  controllerName: $CONTROLLER_NAME
  description: wsgate under the upstream conformance suite
EOF
if ! "${KC[@]}" wait --for=condition=Accepted=True --timeout=60s "gatewayclass/$CLASS" >/dev/null 2>&1; then
  "${KC[@]}" get gatewayclass "$CLASS" -o yaml >&2 || true
  tail -n 40 "$WSGATE_LOG" >&2
  gdie "wsgate did not accept GatewayClass $CLASS within 60 s (see $WSGATE_LOG)"
fi
gsay "GatewayClass $CLASS Accepted"

# --- 4. the suite ----------------------------------------------------------------------------
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)+$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
url=${WSGATE_CONFORMANCE_URL:-$(git remote get-url origin 2>/dev/null || echo "file://$REPO_ROOT")}
rm -f "$REPORT"
gsay "running the suite: profile GATEWAY-HTTP, features $FEATURES"
t=$(date +%s%N)
# The whole output goes to the log; each top-level test's result line is shown as it comes.
set +e
(cd "$STATE_DIR" && KUBECONFIG="$KUBECONFIG_FILE" "$BIN_DIR_GW/conformance.test" \
  -test.run '^TestConformance$' -test.v -test.timeout "$SUITE_TIMEOUT" \
  --gateway-class="$CLASS" \
  --conformance-profiles=GATEWAY-HTTP \
  --supported-features="$FEATURES" \
  --usable-address="$USABLE_ADDRESS" --unusable-address="$UNUSABLE_ADDRESS" \
  --report-output="$REPORT" \
  --organization=wsgate --project=wsgate --url="$url" --version="$version" \
  --contact="${WSGATE_CONFORMANCE_CONTACT:-wsgate maintainers}" \
  --cleanup-base-resources=true \
  "$@") 2>&1 | tee "$SUITE_LOG" | grep --line-buffered -E '^ {4}--- (PASS|FAIL|SKIP): ' >&2
suite_rc=${PIPESTATUS[0]}
set -e
SUITE_TIME=$(secs "$t")

# --- 5. results ------------------------------------------------------------------------------
"$NODE" dist/e2e/gateway/conformance-summary.js "$SUITE_LOG" "$REPORT" "$FEATURES" || true
gsay "suite exit $suite_rc in $SUITE_TIME (output $SUITE_LOG, report $REPORT)"
exit $suite_rc
