#!/usr/bin/env bash
# Start the local e2e control plane: etcd + kube-apiserver on 127.0.0.1, free ports picked now,
# RBAC on, state in e2e/.cluster/ (kubeconfig, env, logs, pids, certs, etcd data).
# Idempotent: when it is already running and ready, it says so and exits 0.
#
#   e2e/cluster/up.sh && source e2e/.cluster/env && kubectl get ns
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need openssl setsid timeout base64 awk
T0=$(date +%s%N)
lock_cluster

BIN_DIR=$("$CLUSTER_SCRIPT_DIR/build.sh" | tail -n1)
[[ -x "$BIN_DIR/kube-apiserver" ]] || die "build.sh did not produce binaries (got '$BIN_DIR')"
WANT_BIN_DIR=$BIN_DIR

elapsed() { echo "$((($(date +%s%N) - T0) / 1000000)) ms"; }

gen_pki() {
  mkdir -p "$PKI"
  chmod 700 "$PKI"
  cat >"$PKI/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = wsgate-e2e
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = IP:127.0.0.1,DNS:localhost,IP:$SERVICE_IP,IP:$NODE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
[v3_kubelet]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = IP:$NODE_IP,DNS:$NODE_NAME
[v3_client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  local o=(-config "$PKI/openssl.cnf")
  ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
  ec "$PKI/ca.key"
  openssl req -x509 -new "${o[@]}" -extensions v3_ca -key "$PKI/ca.key" -subj "/CN=wsgate-e2e-ca" \
    -days 3650 -sha256 -out "$PKI/ca.crt"
  # leaf NAME SUBJECT EXTENSIONS
  leaf() {
    ec "$PKI/$1.key"
    openssl req -new "${o[@]}" -key "$PKI/$1.key" -subj "$2" -out "$PKI/$1.csr"
    openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
      -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 \
      -extfile "$PKI/openssl.cnf" -extensions "$3" -out "$PKI/$1.crt" 2>/dev/null
    rm -f "$PKI/$1.csr"
  }
  leaf apiserver "/CN=kube-apiserver" v3_server
  leaf admin "/O=system:masters/CN=wsgate-e2e-admin" v3_client
  if [[ $NODE_MODE == 1 ]]; then
    # The node's identities (e2e/node/node.sh writes their kubeconfigs).
    leaf apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" v3_client
    leaf kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME" v3_client
    leaf kubelet-serving "/CN=$NODE_NAME" v3_kubelet
    leaf kube-controller-manager "/CN=system:kube-controller-manager" v3_client
    leaf kube-scheduler "/CN=system:kube-scheduler" v3_client
    leaf kube-proxy "/CN=system:kube-proxy" v3_client
  fi
  # Service-account token signing key pair.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
  # Static bearer token for the same admin identity (token,user,uid,"groups").
  openssl rand -hex 24 >"$PKI/admin.token"
  echo "$(cat "$PKI/admin.token"),wsgate-e2e-admin,wsgate-e2e-admin,\"system:masters\"" >"$PKI/tokens.csv"
}

write_state() {
  cat >"$STATE_FILE.tmp" <<EOF
BIN_DIR='$BIN_DIR'
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
APISERVER_PORT=$APISERVER_PORT
NODE_MODE=$NODE_MODE
EOF
  mv "$STATE_FILE.tmp" "$STATE_FILE"
}

write_kubeconfig() {
  local b64="base64 -w0"
  cat >"$KUBECONFIG_FILE.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: wsgate-e2e
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $($b64 <"$PKI/ca.crt")
users:
- name: wsgate-e2e-admin
  user:
    client-certificate-data: $($b64 <"$PKI/admin.crt")
    client-key-data: $($b64 <"$PKI/admin.key")
contexts:
- name: wsgate-e2e
  context:
    cluster: wsgate-e2e
    user: wsgate-e2e-admin
    namespace: default
current-context: wsgate-e2e
EOF
  chmod 600 "$KUBECONFIG_FILE.tmp"
  mv "$KUBECONFIG_FILE.tmp" "$KUBECONFIG_FILE"
}

write_convenience() {
  local hip
  hip=$(host_ip)
  [[ -n "$hip" ]] || say "warning: no non-loopback IPv4 address found; EndpointSlices cannot point at this machine"
  mkdir -p "$STATE_DIR/bin"
  local b
  for b in kubectl kube-apiserver etcd; do ln -sfn "$BIN_DIR/$b" "$STATE_DIR/bin/$b"; done
  cat >"$STATE_DIR/env" <<EOF
# source this file: kubectl (the built one) and KUBECONFIG for the wsgate e2e cluster
export KUBECONFIG='$KUBECONFIG_FILE'
export PATH='$STATE_DIR/bin':"\$PATH"
export WSGATE_E2E_APISERVER='https://127.0.0.1:$APISERVER_PORT'
export WSGATE_E2E_ETCD='http://127.0.0.1:$ETCD_PORT'
# non-loopback IPv4 of this machine, for EndpointSlice addresses (loopback ones are refused)
export WSGATE_E2E_HOST_IP='$hip'
EOF
  cat >"$STATE_DIR/cluster.json" <<EOF
{
  "server": "https://127.0.0.1:$APISERVER_PORT",
  "kubeconfig": "$KUBECONFIG_FILE",
  "caFile": "$PKI/ca.crt",
  "adminTokenFile": "$PKI/admin.token",
  "etcd": "http://127.0.0.1:$ETCD_PORT",
  "serviceCIDR": "$SERVICE_CIDR",
  "node": $([[ ${NODE_MODE:-0} == 1 ]] && echo true || echo false),
  "nodeName": "$NODE_NAME",
  "nodeIP": "$NODE_IP",
  "podCIDR": "$POD_CIDR",
  "hostIP": "$hip",
  "binDir": "$BIN_DIR",
  "kubectl": "$STATE_DIR/bin/kubectl",
  "versions": "$(cat "$BIN_DIR/VERSIONS")"
}
EOF
}

summary() {
  say "ready in $(elapsed): https://127.0.0.1:$APISERVER_PORT (etcd http://127.0.0.1:$ETCD_PORT)"
  say "  kubeconfig: $KUBECONFIG_FILE"
  say "  shell:      source $STATE_DIR/env"
}

# --- already (partly) running? -----------------------------------------------------------------
if load_state && [[ "${BIN_DIR:-}" == "$WANT_BIN_DIR" && -f "$KUBECONFIG_FILE" && -f "$PKI/sa.key" ]] &&
  pid_of etcd >/dev/null && etcd_healthy; then
  if pid_of kube-apiserver >/dev/null && apiserver_ready; then
    write_convenience
    say "already running (etcd pid $(pid_of etcd), kube-apiserver pid $(pid_of kube-apiserver))"
    summary
    exit 0
  fi
  # etcd is fine but the apiserver is down (apiserver.sh stop, or it crashed): start it again on
  # the same port with the same certificates.
  stop_proc kube-apiserver
  say "etcd is running; starting kube-apiserver again on port $APISERVER_PORT"
  start_apiserver
  wait_apiserver || {
    log_tail "$STATE_DIR/kube-apiserver.log"
    die "kube-apiserver exited during startup (port $APISERVER_PORT in use? see $STATE_DIR/kube-apiserver.log)"
  }
  write_convenience
  summary
  exit 0
fi
BIN_DIR=$WANT_BIN_DIR
NODE_MODE=$WSGATE_E2E_NODE

# --- fresh start -------------------------------------------------------------------------------
if [[ -e "$STATE_DIR" ]]; then
  say "cleaning up stale state in $STATE_DIR"
  if [[ -d "$STATE_DIR/node" ]]; then bash "$CLUSTER_SCRIPT_DIR/../node/node.sh" down; fi
  stop_proc kube-apiserver KILL # its data is thrown away: no graceful shutdown needed
  stop_proc etcd KILL
  kill_strays
  rm -rf "$STATE_DIR"
fi
mkdir -p "$STATE_DIR"
say "state dir: $STATE_DIR"
say "binaries:  $BIN_DIR ($(cat "$BIN_DIR/VERSIONS"))"

gen_pki
say "generated CA, serving cert, admin client cert (system:masters), service-account keys"

# Ports are picked now; another process could take one before we bind it, so retry on that.
for attempt in 1 2 3; do
  read -r ETCD_PORT ETCD_PEER_PORT APISERVER_PORT <<<"$(free_ports 3)"
  rm -rf "$STATE_DIR/etcd"
  say "starting etcd on 127.0.0.1:$ETCD_PORT (peer $ETCD_PEER_PORT)"
  start_etcd
  if wait_etcd; then break; fi
  if ((attempt < 3)) && grep -q 'address already in use' "$STATE_DIR/etcd.log"; then
    say "etcd port taken meanwhile, retrying with other ports"
    stop_proc etcd
    continue
  fi
  log_tail "$STATE_DIR/etcd.log"
  die "etcd exited during startup"
done

for attempt in 1 2 3; do
  write_state
  write_kubeconfig
  say "starting kube-apiserver on 127.0.0.1:$APISERVER_PORT"
  start_apiserver
  if wait_apiserver; then break; fi
  if ((attempt < 3)) && grep -q 'address already in use' "$STATE_DIR/kube-apiserver.log"; then
    say "apiserver port taken meanwhile, retrying with another port"
    stop_proc kube-apiserver
    read -r APISERVER_PORT <<<"$(free_ports 1)"
    continue
  fi
  log_tail "$STATE_DIR/kube-apiserver.log"
  die "kube-apiserver exited during startup"
done

write_convenience
summary
