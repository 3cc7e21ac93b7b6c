#!/usr/bin/env bash
# Stop/start only the kube-apiserver of the running e2e cluster (etcd keeps running), for fault
# tests. `start` reuses the same port, certificates and kubeconfig, so clients reconnect.
#
#   e2e/cluster/apiserver.sh stop     # SIGTERM (graceful), SIGKILL after a bounded wait
#   e2e/cluster/apiserver.sh kill     # SIGKILL at once (a crash)
#   e2e/cluster/apiserver.sh start    # start again, wait for /readyz
#   e2e/cluster/apiserver.sh restart
#   e2e/cluster/apiserver.sh status   # exit 0 when running and ready
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  echo "usage: $0 stop|kill|start|restart|status" >&2
  exit 2
}
[[ $# -eq 1 ]] || usage
load_state || die "no cluster state in $STATE_DIR: run e2e/cluster/up.sh first"

do_start() {
  if pid_of kube-apiserver >/dev/null && apiserver_ready; then
    say "kube-apiserver already running (pid $(pid_of kube-apiserver))"
    return 0
  fi
  pid_of etcd >/dev/null && etcd_healthy || die "etcd is not running: use e2e/cluster/up.sh"
  stop_proc kube-apiserver
  local t0=$SECONDS
  say "starting kube-apiserver on 127.0.0.1:$APISERVER_PORT"
  start_apiserver
  wait_apiserver || {
    log_tail "$STATE_DIR/kube-apiserver.log"
    die "kube-apiserver exited during startup (port $APISERVER_PORT taken? see $STATE_DIR/kube-apiserver.log)"
  }
  say "kube-apiserver ready (pid $(pid_of kube-apiserver), $((SECONDS - t0)) s)"
}

case "$1" in
  stop)
    lock_cluster
    stop_proc kube-apiserver TERM "$(apiserver_stop_timeout)"
    say "kube-apiserver stopped (etcd still running)"
    ;;
  kill)
    lock_cluster
    stop_proc kube-apiserver KILL
    say "kube-apiserver killed (etcd still running)"
    ;;
  start)
    lock_cluster
    do_start
    ;;
  restart)
    lock_cluster
    stop_proc kube-apiserver
    do_start
    ;;
  status)
    if pid=$(pid_of kube-apiserver) && apiserver_ready; then
      say "kube-apiserver running and ready (pid $pid, https://127.0.0.1:$APISERVER_PORT)"
    else
      say "kube-apiserver not ready"
      exit 1
    fi
    ;;
  *) usage ;;
esac
