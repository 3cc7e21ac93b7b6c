# shellcheck shell=bash
# Shared helpers for up.sh, down.sh and apiserver.sh. Source it; do not run it.

CLUSTER_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CLUSTER_SCRIPT_DIR/../.." && pwd)
STATE_DIR="${WSGATE_CLUSTER_DIR:-$REPO_ROOT/e2e/.cluster}"
PKI="$STATE_DIR/pki"
STATE_FILE="$STATE_DIR/state"
KUBECONFIG_FILE="$STATE_DIR/kubeconfig"
# Service and pod networks: chosen to collide with nothing else on the machine (the netns
# "pods" of netns.sh use 10.250.77.0/24). kube-proxy programs SERVICE_CIDR on the host.
SERVICE_CIDR="${WSGATE_E2E_SERVICE_CIDR:-10.97.0.0/16}"
SERVICE_IP="${SERVICE_CIDR%/*}"
SERVICE_IP="${SERVICE_IP%.*}.1"
# The real node (e2e/node/node.sh): its bridge, pod subnet and node IP (the bridge's address,
# where the kubelet listens and pods reach the apiserver). WSGATE_E2E_NODE=0: control plane only
# (the default without root).
POD_CIDR="${WSGATE_E2E_POD_CIDR:-10.244.0.0/16}"
NODE_SUBNET="${WSGATE_E2E_NODE_SUBNET:-10.244.0.0/24}"
NODE_IP="${NODE_SUBNET%/*}"
NODE_IP="${NODE_IP%.*}.1"
NODE_BRIDGE="${WSGATE_E2E_BRIDGE:-wsgnode0}"
NODE_NAME="${WSGATE_E2E_NODE_NAME:-wsgate-node}"
if [[ -z "${WSGATE_E2E_NODE:-}" ]]; then
  if [[ $(id -u) == 0 && $(uname -s) == Linux ]]; then WSGATE_E2E_NODE=1; else WSGATE_E2E_NODE=0; fi
fi
READY_TIMEOUT="${WSGATE_CLUSTER_READY_TIMEOUT:-60}"
STOP_TIMEOUT="${WSGATE_CLUSTER_STOP_TIMEOUT:-20}"

say() { echo "[cluster] $*"; }
die() {
  echo "[cluster] error: $*" >&2
  exit 1
}

need() {
  local c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || die "'$c' is required but not on PATH"; done
}

# One up/down/apiserver operation at a time. fd 8 holds the lock; daemons are started with fd 8
# closed so they do not keep holding it.
lock_cluster() {
  # A script called by one that holds the lock (down.sh -> node.sh down) inherits it.
  [[ "${WSGATE_CLUSTER_LOCKED:-}" == "$STATE_DIR" ]] && return 0
  export WSGATE_CLUSTER_LOCKED="$STATE_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 8<"$CLUSTER_SCRIPT_DIR"
    flock -n 8 || {
      say "another cluster script is running, waiting for it"
      flock 8
    }
  fi
}

load_state() {
  # shellcheck disable=SC1090
  [[ -f "$STATE_FILE" ]] && source "$STATE_FILE"
}

# --- processes -------------------------------------------------------------------------------

# pid_of NAME: prints the pid from NAME.pid when that process is alive (not a zombie) and really
# is ours (its command line mentions our state dir: guards against pid reuse).
pid_of() {
  local f="$STATE_DIR/$1.pid" pid st
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  proc_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F -- "$STATE_DIR" >/dev/null || return 1
  echo "$pid"
}

proc_alive() {
  local st
  kill -0 "$1" 2>/dev/null || return 1
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

# launch NAME LOG CMD...: start CMD detached (own session, stdin closed, output appended to LOG)
# and record its pid in NAME.pid.
launch() {
  local name=$1 log=$2
  shift 2
  local pidfile="$STATE_DIR/$name.pid" i
  rm -f "$pidfile"
  echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) wsgate e2e: starting $name" >>"$log"
  # setsid -f always forks, so $! would be useless: the child writes its own pid, then execs.
  setsid -f bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$log" 2>&1 8<&- 9<&-
  for ((i = 0; i < 50; i++)); do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.1
  done
  die "$name did not start (no pid file after 5 s); see $log"
}

# stop_proc NAME [SIGNAL [TIMEOUT]]: SIGTERM (or SIGNAL), wait up to TIMEOUT (default
# STOP_TIMEOUT) seconds, then SIGKILL.
stop_proc() {
  local name=$1 sig=${2:-TERM} timeout=${3:-$STOP_TIMEOUT} pid i
  if ! pid=$(pid_of "$name"); then
    rm -f "$STATE_DIR/$name.pid"
    return 0
  fi
  say "stopping $name (pid $pid, SIG$sig)"
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    proc_alive "$pid" || break
    sleep 0.1
  done
  if proc_alive "$pid"; then
    say "$name (pid $pid) still running after ${timeout}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      proc_alive "$pid" || break
      sleep 0.1
    done
    proc_alive "$pid" && die "could not kill $name (pid $pid)"
  fi
  rm -f "$STATE_DIR/$name.pid"
}

# Processes of OUR cluster that lost their pid file (etcd/kube-apiserver whose command line
# names our state dir). Prints their pids.
stray_pids() {
  local p cmd argv0
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ "$p" == "$$" ]] && continue
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
    argv0=${cmd%% *}
    case "${argv0##*/}" in
      kube-apiserver | etcd) [[ "$cmd" == *" "*"$STATE_DIR/"* ]] && echo "$p" ;;
    esac
  done
}

kill_strays() {
  local p i
  for p in $(stray_pids); do
    say "stopping stray process $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-120)"
    kill -TERM "$p" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      proc_alive "$p" || break
      sleep 0.1
    done
    proc_alive "$p" && kill -KILL "$p" 2>/dev/null || true
  done
}

# A kube-apiserver whose etcd is gone does not finish a graceful shutdown: do not wait long.
apiserver_stop_timeout() {
  if pid_of etcd >/dev/null; then echo "$STOP_TIMEOUT"; else echo 3; fi
}

log_tail() {
  local f=$1
  echo "----- last 40 lines of $f -----" >&2
  tail -n 40 "$f" >&2 || true
  echo "-----" >&2
}

# --- ports -----------------------------------------------------------------------------------

# free_ports N: N distinct free TCP ports on 127.0.0.1 (bound together, then released).
free_ports() {
  local n=$1 node="$REPO_ROOT/node_modules/.bin/node"
  [[ -x "$node" ]] || node=$(command -v node || true)
  if [[ -n "$node" ]]; then
    "$node" -e '
      const net = require("net"); const n = +process.argv[1]; const ss = [];
      for (let i = 0; i < n; i++) {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
          ss.push(s);
          if (ss.length === n) { console.log(ss.map((x) => x.address().port).join(" ")); ss.forEach((x) => x.close()); }
        });
      }' "$n"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$n"
  else
    die "need node (npm ci in the repo) or python3 to pick free ports"
  fi
}

# host_ip: the first non-loopback, non-link-local IPv4 address of this machine (empty if none).
# EndpointSlice validation refuses loopback addresses (127.0.0.0/8, ::1), so e2e backends that
# should appear in an EndpointSlice listen on this address (or 0.0.0.0) instead of 127.0.0.1.
host_ip() {
  local node="$REPO_ROOT/node_modules/.bin/node"
  [[ -x "$node" ]] || node=$(command -v node || true)
  if [[ -n "$node" ]]; then
    "$node" -e '
      const all = Object.values(require("os").networkInterfaces()).flat();
      const a = all.find((i) => i.family === "IPv4" && !i.internal && !i.address.startsWith("169.254."));
      console.log(a ? a.address : "");'
  else
    hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.' | grep -vE '^(127|169\.254)\.' | sed -n 1p || true
  fi
}

# --- health ----------------------------------------------------------------------------------

etcd_healthy() {
  local resp
  resp=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3; cat <&3' "$ETCD_PORT" 2>/dev/null) || return 1
  [[ "$resp" == *'"health":"true"'* ]]
}

apiserver_ready() {
  local out
  out=$("$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_FILE" --request-timeout=2s get --raw=/readyz 2>/dev/null) || return 1
  [[ "$out" == ok ]]
}

# --- etcd ------------------------------------------------------------------------------------

start_etcd() {
  launch etcd "$STATE_DIR/etcd.log" "$BIN_DIR/etcd" \
    --name=wsgate-e2e \
    --data-dir="$STATE_DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="wsgate-e2e=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-state=new \
    --unsafe-no-fsync \
    --log-level=warn
}

# wait_etcd: 0 when healthy, 1 when the process died, dies on timeout.
wait_etcd() {
  local i
  for ((i = 0; i < READY_TIMEOUT * 4; i++)); do
    pid_of etcd >/dev/null || return 1
    etcd_healthy && return 0
    sleep 0.25
  done
  log_tail "$STATE_DIR/etcd.log"
  die "etcd not healthy after ${READY_TIMEOUT}s (http://127.0.0.1:$ETCD_PORT/health)"
}

# --- kube-apiserver --------------------------------------------------------------------------

start_apiserver() {
  # With the node, pods reach the apiserver through the `kubernetes` Service at the bridge's
  # address (NODE_IP), and the apiserver reaches the kubelet with a client certificate.
  local node_flags=(--bind-address=127.0.0.1 --advertise-address=127.0.0.1)
  if [[ "${NODE_MODE:-0}" == 1 ]]; then
    node_flags=(--bind-address=0.0.0.0 --advertise-address="$NODE_IP"
      --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt"
      --kubelet-client-key="$PKI/apiserver-kubelet-client.key"
      --kubelet-preferred-address-types=InternalIP)
  fi
  launch kube-apiserver "$STATE_DIR/kube-apiserver.log" "$BIN_DIR/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    "${node_flags[@]}" \
    --secure-port="$APISERVER_PORT" \
    --cert-dir="$PKI" \
    --tls-cert-file="$PKI/apiserver.crt" \
    --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --token-auth-file="$PKI/tokens.csv" \
    --authorization-mode=Node,RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --profiling=false \
    --v=1
}

# wait_apiserver: 0 when /readyz says ok, 1 when the process died, dies on timeout.
wait_apiserver() {
  local i start=$SECONDS
  while ((SECONDS - start < READY_TIMEOUT)); do
    pid_of kube-apiserver >/dev/null || return 1
    apiserver_ready && return 0
    sleep 0.25
  done
  log_tail "$STATE_DIR/kube-apiserver.log"
  die "kube-apiserver not ready after ${READY_TIMEOUT}s (https://127.0.0.1:$APISERVER_PORT/readyz)"
}
