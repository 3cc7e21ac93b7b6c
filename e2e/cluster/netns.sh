#!/usr/bin/env bash
# Test "pods" for the e2e suite: the API server refuses loopback addresses in EndpointSlices,
# so backends run inside a network namespace this script makes, on its own addresses
# ($WSGATE_E2E_SUBNET.2-21, default 10.250.77), reached from the host over a veth pair. No traffic leaves the machine.
#
#   e2e/cluster/netns.sh up | down | status
set -euo pipefail

# Another checkout can run its own suite beside this one with other values of these two.
NS=${WSGATE_E2E_NETNS:-wsgate-e2e}
PREFIX=${WSGATE_E2E_SUBNET:-10.250.77}
OCTET=${PREFIX##*.}
HOST_IF=wsge${OCTET}h
NS_IF=wsge${OCTET}n
PODS=20

up() {
  if ip netns list | grep -w "$NS" >/dev/null; then
    echo "netns $NS already up"
    return
  fi
  ip netns add "$NS"
  ip link add "$HOST_IF" type veth peer name "$NS_IF"
  ip link set "$NS_IF" netns "$NS"
  ip addr add "$PREFIX.1/24" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  ip netns exec "$NS" ip link set lo up
  for i in $(seq 2 $((PODS + 1))); do
    ip netns exec "$NS" ip addr add "$PREFIX.$i/24" dev "$NS_IF"
  done
  ip netns exec "$NS" ip link set "$NS_IF" up
  echo "netns $NS up: pod addresses $PREFIX.2-$PREFIX.$((PODS + 1)), host side $PREFIX.1"
}

down() {
  if ip netns list | grep -w "$NS" >/dev/null; then
    # Processes left in the namespace (backends of an aborted run) go with it.
    ip netns pids "$NS" | xargs -r kill -9 || true
    ip netns del "$NS"
  fi
  ip link del "$HOST_IF" 2>/dev/null || true
  echo "netns $NS down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) ip netns list | grep -w "$NS" || { echo "netns $NS not present"; exit 1; } ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
