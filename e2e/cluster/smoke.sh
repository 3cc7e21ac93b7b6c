#!/usr/bin/env bash
# End-to-end check of the local control plane: up.sh, then with the built kubectl create a
# namespace, Service, EndpointSlice, CRD with a CEL rule (a violating object must be refused with
# the rule's message), Lease; check RBAC is on; stop/start the apiserver; down.sh.
# Leaves nothing running. Usage: e2e/cluster/smoke.sh [--keep]   (--keep: skip down.sh)
set -euo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KEEP=${1:-}
fail() {
  echo "[smoke] FAIL: $*" >&2
  exit 1
}
cleanup() { [[ "$KEEP" == --keep ]] || "$DIR/down.sh"; }
trap cleanup EXIT

t0=$SECONDS
"$DIR/up.sh"
# shellcheck disable=SC1091
source "$DIR/../.cluster/env"
echo "[smoke] up.sh took $((SECONDS - t0)) s; kubectl = $(command -v kubectl)"

kubectl version
kubectl get ns
NS=smoke-$RANDOM
kubectl create namespace "$NS"
kubectl apply -f - <<YAML
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: $NS}
spec:
  ports: [{name: ws, port: 8080, targetPort: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: echo-1
  namespace: $NS
  labels: {kubernetes.io/service-name: echo}
addressType: IPv4
ports: [{name: ws, port: 8080, protocol: TCP}]
endpoints:
- addresses: [${WSGATE_E2E_HOST_IP:-192.0.2.1}]
  conditions: {ready: true}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: smoke-leader, namespace: $NS}
spec: {holderIdentity: smoke, leaseDurationSeconds: 15}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.smoke.wsgate.io}
spec:
  group: smoke.wsgate.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              min: {type: integer}
              max: {type: integer}
            x-kubernetes-validations:
            - rule: "self.min <= self.max"
              message: "min must not exceed max"
YAML
kubectl wait --for=condition=Established crd/widgets.smoke.wsgate.io --timeout=30s

# The loopback address is refused by EndpointSlice validation (documented caveat).
if out=$(kubectl -n "$NS" create -f - 2>&1 <<YAML
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: echo-loopback, namespace: $NS}
addressType: IPv4
endpoints: [{addresses: [127.0.0.1]}]
YAML
); then fail "loopback EndpointSlice address was accepted"; fi
echo "[smoke] loopback endpoint refused as expected: $out"

kubectl -n "$NS" apply -f - <<YAML
apiVersion: smoke.wsgate.io/v1
kind: Widget
metadata: {name: good}
spec: {min: 1, max: 2}
YAML
if out=$(kubectl -n "$NS" apply -f - 2>&1 <<YAML
apiVersion: smoke.wsgate.io/v1
kind: Widget
metadata: {name: bad}
spec: {min: 3, max: 2}
YAML
); then fail "CEL rule did not refuse a violating object"; fi
[[ "$out" == *"min must not exceed max"* ]] || fail "refusal without the CEL message: $out"
echo "[smoke] CEL rule refused the bad object: $out"

can=$(kubectl auth can-i --as=system:serviceaccount:default:foo list pods || true)
[[ "$can" == no ]] || fail "RBAC looks off: can-i for a service account said '$can'"
[[ "$(kubectl auth can-i list pods)" == yes ]] || fail "admin cannot list pods"
echo "[smoke] RBAC on: service account can-i list pods = $can"

kubectl -n "$NS" get svc,endpointslices,leases,widgets

t1=$SECONDS
"$DIR/apiserver.sh" stop
if kubectl get ns --request-timeout=2s >/dev/null 2>&1; then fail "apiserver still answers after stop"; fi
"$DIR/apiserver.sh" start
kubectl -n "$NS" get lease smoke-leader >/dev/null || fail "data lost across apiserver restart"
echo "[smoke] apiserver stop/start with the same port took $((SECONDS - t1)) s; data kept"

echo "[smoke] OK"
