#!/usr/bin/env bash
# The e2e cluster's real node: containerd + runc (CRI), CNI bridge networking, kubelet,
# kube-proxy (iptables mode), kube-controller-manager and kube-scheduler, beside the etcd and
# kube-apiserver that e2e/cluster/up.sh started. Everything it creates lives under
# e2e/.cluster/node/ (or is an interface, iptables chain, cgroup, mount or sysctl that `down`
# takes back).
#
#   e2e/node/node.sh up       start it (idempotent) and wait until the node is Ready
#   e2e/node/node.sh down     stop it and remove everything it created (idempotent)
#   e2e/node/node.sh status   exit 0 when the node is up and Ready
#
# Needs root, and an up.sh cluster started with the node (WSGATE_E2E_NODE=1, the default as root).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../cluster/lib.sh"

N="$STATE_DIR/node"
SOCK="$N/containerd/containerd.sock"
CRICTL_VERSION=v1.34.0
CACHE="${WSGATE_CACHE:-$HOME/.cache/wsgate}"
CRICTL="$CACHE/bin/crictl-$CRICTL_VERSION/crictl"
CGROUP_ROOT=/wsgate-node
PAUSE_TAG=$(cat "$CLUSTER_SCRIPT_DIR/../node/pause-image" 2>/dev/null || echo registry.k8s.io/pause:3.10.1)
# Kernel tunables the kubelet sets to its own values at start (vm.overcommit_memory=1,
# kernel.panic=10, ...): saved before, restored by `down`.
KUBELET_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
FIXED_PATHS=(/var/lib/kubelet /var/lib/cni /var/log/containers /run/containerd)
NODE_READY_TIMEOUT=${WSGATE_NODE_READY_TIMEOUT:-180}

nsay() { echo "[node] $*"; }
T0=$(date +%s%N)
ms() { echo "$((($(date +%s%N) - T0) / 1000000)) ms"; }
kc() { "$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

build_crictl() {
  [[ -x "$CRICTL" ]] && return 0
  nsay "building crictl $CRICTL_VERSION (go install sigs.k8s.io/cri-tools/cmd/crictl)"
  [[ -x /usr/local/go/bin/go ]] && export PATH="/usr/local/go/bin:$PATH"
  mkdir -p "$(dirname "$CRICTL")/.tmp"
  GOBIN="$(dirname "$CRICTL")/.tmp" GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS= \
    go install -trimpath -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" \
    "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" >&2
  mv -f "$(dirname "$CRICTL")/.tmp/crictl" "$CRICTL"
  rmdir "$(dirname "$CRICTL")/.tmp"
}

# kubeconfig NAME CERT: a kubeconfig for the identity in $PKI/CERT.{crt,key}.
kubeconfig() {
  local f="$N/$1.kubeconfig" b64="base64 -w0"
  cat >"$f" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: wsgate-e2e
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $($b64 <"$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $($b64 <"$PKI/$2.crt")
    client-key-data: $($b64 <"$PKI/$2.key")
contexts:
- name: default
  context: { cluster: wsgate-e2e, user: $2 }
current-context: default
EOF
  chmod 600 "$f"
}

write_configs() {
  mkdir -p "$N"/{containerd,cni/net.d,cni/ipam,kubelet,pod-logs,runc}
  cat >"$N/containerd/config.toml" <<EOF
# containerd for the wsgate e2e node (Debian's containerd 1.6): own socket, root and state.
version = 2
root = "$N/containerd/root"
state = "$N/containerd/state"
oom_score = 0
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_TAG"
  # No CAP_SYS_RESOURCE on this kind of machine: never set an oom_score_adj below containerd's.
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  max_container_log_line_size = 16384
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$N/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$N/cni/net.d"
    max_conf_num = 1
EOF
  # The bridge (made by this script with NODE_IP) is the pods' gateway; isGateway stays false so
  # the plugin does not switch on IP forwarding globally: pod<->pod is bridged, pod<->host is
  # local, pod->Service->pod is forwarded on the bridge only (net_up).
  cat >"$N/cni/net.d/10-wsgate-node.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "wsgate-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$NODE_BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$N/cni/ipam",
        "ranges": [[{ "subnet": "$NODE_SUBNET", "rangeStart": "${NODE_IP%.*}.10", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0", "gw": "$NODE_IP" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  kubeconfig kubelet kubelet-client
  kubeconfig kube-controller-manager kube-controller-manager
  kubeconfig kube-scheduler kube-scheduler
  kubeconfig kube-proxy kube-proxy
  # Pods get no DNS server (there is no cluster DNS): lookups stay on the machine.
  printf 'options ndots:1\n' >"$N/resolv.conf"
  cat >"$N/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $PKI/ca.crt }
authorization: { mode: Webhook }
containerRuntimeEndpoint: unix://$SOCK
# cgroups v1 (hybrid): cgroupfs, and v1 allowed explicitly.
cgroupDriver: cgroupfs
failCgroupV1: false
cgroupRoot: $CGROUP_ROOT
cgroupsPerQOS: true
# No CAP_SYS_RESOURCE: the kubelet cannot lower its own oom_score_adj.
oomScoreAdj: 0
failSwapOn: false
resolvConf: $N/resolv.conf
podLogsDir: $N/pod-logs
clusterDomain: cluster.local
makeIPTablesUtilChains: false
# Never garbage-collect the locally built images (there is no registry to pull them again).
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1% }
serializeImagePulls: false
maxPods: 110
syncFrequency: 10s
fileCheckFrequency: 0s
httpCheckFrequency: 0s
nodeStatusUpdateFrequency: 5s
registerNode: true
staticPodPath: ""
shutdownGracePeriod: 0s
EOF
  cat >"$N/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $N/kube-proxy.kubeconfig }
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
# NodePorts only on the bridge's address: node-port traffic stays on the pod network.
nodePortAddresses: ["$NODE_IP/32"]
iptables: { localhostNodePorts: false, masqueradeAll: false, syncPeriod: 30s, minSyncPeriod: 0s }
# Leave the machine's conntrack sysctls alone.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
EOF
}

# --- health --------------------------------------------------------------------------------
containerd_ready() { [[ -S "$SOCK" ]] && ctr --address "$SOCK" version >/dev/null 2>&1; }
node_ready() {
  [[ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}
# wait_for WHAT SECONDS CMD...: poll CMD every 0.2 s.
wait_for() {
  local what=$1 secs=$2 start=$SECONDS
  shift 2
  while ((SECONDS - start < secs)); do
    "$@" && return 0
    sleep 0.2
  done
  die "$what not ready after ${secs}s"
}

node_pids_alive() {
  local c
  for c in containerd kubelet kube-proxy kube-controller-manager kube-scheduler; do pid_of "node-$c" >/dev/null || return 1; done
}

# --- network ------------------------------------------------------------------------------
net_up() {
  if ! ip link show "$NODE_BRIDGE" >/dev/null 2>&1; then
    ip link add "$NODE_BRIDGE" type bridge
    echo "$NODE_BRIDGE" >"$N/created-bridge"
  fi
  ip addr replace "$NODE_IP/${NODE_SUBNET#*/}" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  # Pod -> Service IP -> another pod (split mode's proxies reach the controller Service) is
  # routed by the host: allow forwarding of what arrives on this bridge only (it goes back out
  # the same bridge). The global ip_forward stays as it is; the setting goes with the bridge.
  sysctl -qw "net.ipv4.conf.$NODE_BRIDGE.forwarding=1" "net.ipv4.conf.$NODE_BRIDGE.send_redirects=0"
  # Service IPs route to the bridge: the host picks NODE_IP as the source, and a packet that no
  # kube-proxy rule rewrites stays on this dead end instead of going to the default gateway.
  ip route replace "$SERVICE_CIDR" dev "$NODE_BRIDGE" src "$NODE_IP"
}

net_down() {
  ip route del "$SERVICE_CIDR" dev "$NODE_BRIDGE" 2>/dev/null || true
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
}

# Chains kube-proxy and the portmap plugin leave behind.
iptables_down() {
  if [[ -x "$BIN_DIR/kube-proxy" ]]; then
    "$BIN_DIR/kube-proxy" --cleanup --v=0 >"$STATE_DIR/kube-proxy-cleanup.log" 2>&1 || true
  fi
  local t c ipt
  for ipt in iptables ip6tables; do
  iptables() { command "$ipt" "$@"; }
  for t in nat filter mangle; do
    for c in $(iptables -t "$t" -S 2>/dev/null | awk '$1=="-N" && $2 ~ /^(CNI-HOSTPORT-|CNI-DN-|KUBE-)/ {print $2}'); do
      iptables -t "$t" -S 2>/dev/null | awk -v c="$c" '$1=="-A" && $0 ~ ("-j " c "( |$)") {sub(/^-A/, "-D"); print}' |
        while read -r rule; do eval "iptables -t $t $rule" 2>/dev/null || true; done
    done
    for c in $(iptables -t "$t" -S 2>/dev/null | awk '$1=="-N" && $2 ~ /^(CNI-HOSTPORT-|CNI-DN-|KUBE-)/ {print $2}'); do
      iptables -t "$t" -F "$c" 2>/dev/null || true
    done
    for c in $(iptables -t "$t" -S 2>/dev/null | awk '$1=="-N" && $2 ~ /^(CNI-HOSTPORT-|CNI-DN-|KUBE-)/ {print $2}'); do
      iptables -t "$t" -X "$c" 2>/dev/null || true
    done
  done
  done
  unset -f iptables
}

cgroups_down() {
  local h
  for h in /sys/fs/cgroup/*; do
    [[ -d "$h$CGROUP_ROOT" ]] || continue
    # Leaf first; a cgroup with a process left in it cannot go (reported, not fatal).
    find "$h$CGROUP_ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [[ -d "$h$CGROUP_ROOT" ]] && nsay "warning: could not remove $h$CGROUP_ROOT"
  done
  return 0
}

mounts_down() {
  local m i
  for ((i = 0; i < 3; i++)); do
    # Deepest first.
    mapfile -t ms < <(awk -v p="$N/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r)
    ((${#ms[@]})) || return 0
    for m in "${ms[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  done
}

# --- up ------------------------------------------------------------------------------------
up() {
  load_state || die "no cluster in $STATE_DIR: run e2e/cluster/up.sh first"
  if [[ "${NODE_MODE:-0}" != 1 ]]; then
    nsay "the cluster runs without a node (WSGATE_E2E_NODE=0, or not root): control plane only"
    return 0
  fi
  [[ $(id -u) == 0 ]] || die "the node needs root (WSGATE_E2E_NODE=0 for the control plane only)"
  if node_pids_alive && node_ready; then
    nsay "already up: node $NODE_NAME Ready"
    return 0
  fi
  # One node per machine: another kubelet would fight over the same iptables chains.
  local p
  for p in $(pgrep -x kubelet || true); do
    tr '\0' ' ' <"/proc/$p/cmdline" | grep -F -- "$STATE_DIR" >/dev/null || die "another kubelet (pid $p) runs on this machine; one e2e node at a time"
  done
  bash "$CLUSTER_SCRIPT_DIR/../node/setup.sh"
  local bin
  bin=$(bash "$CLUSTER_SCRIPT_DIR/../node/build-node.sh" | tail -n1)
  [[ "$bin" == "$BIN_DIR" ]] || die "node binaries in $bin, control plane in $BIN_DIR"
  build_crictl
  for b in kubelet kube-proxy kube-controller-manager kube-scheduler; do ln -sfn "$BIN_DIR/$b" "$STATE_DIR/bin/$b"; done
  ln -sfn "$CRICTL" "$STATE_DIR/bin/crictl"

  # A half-started node (an earlier failure) is taken down first.
  stop_node_procs
  mkdir -p "$N"
  read -r KUBELET_PORT KUBELET_HEALTHZ_PORT PROXY_HEALTHZ_PORT PROXY_METRICS_PORT KCM_PORT SCHED_PORT <<<"$(free_ports 6)"
  cat >"$N/ports" <<EOF
KUBELET_PORT=$KUBELET_PORT
KUBELET_HEALTHZ_PORT=$KUBELET_HEALTHZ_PORT
PROXY_HEALTHZ_PORT=$PROXY_HEALTHZ_PORT
PROXY_METRICS_PORT=$PROXY_METRICS_PORT
KCM_PORT=$KCM_PORT
SCHED_PORT=$SCHED_PORT
EOF
  write_configs
  # The kubelet's cgroup root must exist in every hierarchy (cpuset needs its cpus and mems).
  local h
  for h in /sys/fs/cgroup/*; do
    [[ -d "$h" ]] || continue
    mkdir -p "$h$CGROUP_ROOT"
    if [[ -f "$h/cpuset.cpus" ]]; then
      cat "$h/cpuset.cpus" >"$h$CGROUP_ROOT/cpuset.cpus"
      cat "$h/cpuset.mems" >"$h$CGROUP_ROOT/cpuset.mems"
    fi
  done
  net_up
  nsay "bridge $NODE_BRIDGE $NODE_IP/${NODE_SUBNET#*/}, route $SERVICE_CIDR -> $NODE_BRIDGE ($(ms))"

  if [[ ! -f "$N/sysctl.saved" ]]; then
    local k
    for k in "${KUBELET_SYSCTLS[@]}"; do echo "$k=$(sysctl -n "$k")"; done >"$N/sysctl.saved.tmp"
    mv "$N/sysctl.saved.tmp" "$N/sysctl.saved"
  fi
  # Fixed paths the kubelet and containerd's CNI library use whatever their configuration says
  # (/var/lib/kubelet/device-plugins, /var/lib/cni/results, /var/log/containers, /run/containerd/s):
  # the ones that do not exist yet are ours, and `down` removes them again.
  local fp
  for fp in "${FIXED_PATHS[@]}"; do
    [[ -e "$fp" ]] || grep -qxF "$fp" "$N/created-paths" 2>/dev/null || echo "$fp" >>"$N/created-paths"
  done

  launch node-containerd "$N/containerd.log" containerd --config "$N/containerd/config.toml"
  wait_for containerd 30 containerd_ready
  nsay "containerd up ($(ms))"
  # The sandbox image must be there before the first pod (no registry to pull it from).
  if ! ctr --address "$SOCK" -n k8s.io images ls -q | grep -xF "$PAUSE_TAG" >/dev/null; then
    bash "$CLUSTER_SCRIPT_DIR/../node/image.sh" --pause-only >&2
  fi

  launch node-kube-controller-manager "$N/kube-controller-manager.log" "$BIN_DIR/kube-controller-manager" \
    --kubeconfig="$N/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="$N/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="$N/kube-controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$N/kcm-certs" \
    --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --cluster-cidr="$POD_CIDR" \
    --concurrent-deployment-syncs=5 --concurrent-endpoint-syncs=5 \
    --v=1
  launch node-kube-scheduler "$N/kube-scheduler.log" "$BIN_DIR/kube-scheduler" \
    --kubeconfig="$N/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$N/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="$N/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --cert-dir="$N/scheduler-certs" \
    --leader-elect=false --v=1
  launch node-kubelet "$N/kubelet.log" "$BIN_DIR/kubelet" \
    --config="$N/kubelet/config.yaml" --kubeconfig="$N/kubelet.kubeconfig" \
    --root-dir="$N/kubelet" --cert-dir="$N/kubelet/pki" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" \
    --v=1
  launch node-kube-proxy "$N/kube-proxy.log" "$BIN_DIR/kube-proxy" --config="$N/kube-proxy.yaml" --v=1

  local start=$SECONDS
  while ! node_ready; do
    local c
    for c in containerd kubelet kube-proxy kube-controller-manager kube-scheduler; do
      pid_of "node-$c" >/dev/null || { log_tail "$N/$c.log"; die "$c exited during startup (see $N/$c.log)"; }
    done
    if ((SECONDS - start > NODE_READY_TIMEOUT)); then
      log_tail "$N/kubelet.log"
      kc get node -o wide >&2 || true
      die "node $NODE_NAME not Ready after ${NODE_READY_TIMEOUT}s"
    fi
    sleep 0.25
  done
  nsay "node $NODE_NAME Ready in $(ms) (kubelet $NODE_IP:$KUBELET_PORT, pods $NODE_SUBNET, services $SERVICE_CIDR)"
  echo "export CONTAINER_RUNTIME_ENDPOINT='unix://$SOCK'" >>"$STATE_DIR/env"
}

stop_node_procs() {
  # The kubelet first (it would restart what is removed under it), then the pods (CNI DEL frees
  # their addresses and portmap rules), then the rest.
  stop_proc node-kubelet TERM 10
  if containerd_ready && [[ -x "$CRICTL" ]]; then
    timeout 60 "$CRICTL" --runtime-endpoint "unix://$SOCK" --timeout 30s rmp -fa >/dev/null 2>&1 || nsay "warning: crictl rmp -fa failed"
  fi
  stop_proc node-kube-proxy TERM 5
  stop_proc node-kube-scheduler TERM 5
  stop_proc node-kube-controller-manager TERM 5
  # Shims of our containerd (started with -address $SOCK) go with it.
  local shims p
  shims=$(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" || true)
  stop_proc node-containerd TERM 10
  for p in $shims; do kill -KILL "$p" 2>/dev/null || true; done
}

down() {
  load_state || true
  stop_node_procs
  [[ -d "$N" ]] || { net_down; return 0; }
  mounts_down
  iptables_down
  cgroups_down
  net_down
  if [[ -f "$N/sysctl.saved" ]]; then
    local kv
    while read -r kv; do sysctl -qw "$kv" >/dev/null 2>&1 || nsay "warning: could not restore $kv"; done <"$N/sysctl.saved"
  fi
  # The kubelet links container logs into /var/log/containers (a fixed path): ours go.
  if [[ -d /var/log/containers ]]; then
    find /var/log/containers -maxdepth 1 -type l -lname "$N/*" -delete 2>/dev/null || true
  fi
  local fp
  if [[ -f "$N/created-paths" ]]; then
    while read -r fp; do
      case "$fp" in /var/lib/kubelet | /var/lib/cni | /var/log/containers | /run/containerd) rm -rf "$fp" ;; esac
    done <"$N/created-paths"
  fi
  mounts_down
  rm -rf "$N"
  rm -f "$STATE_DIR/bin/crictl" "$STATE_DIR/bin/kubelet" "$STATE_DIR/bin/kube-proxy" "$STATE_DIR/bin/kube-controller-manager" "$STATE_DIR/bin/kube-scheduler"
  nsay "down in $(ms)"
}

status() {
  load_state || { nsay "no cluster"; exit 1; }
  if node_pids_alive && node_ready; then
    nsay "node $NODE_NAME Ready"
  else
    nsay "node not up"
    exit 1
  fi
}

case "${1:-}" in
  up) lock_cluster; up ;;
  down) lock_cluster; down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
