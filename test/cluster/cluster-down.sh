#!/usr/bin/env bash
# Stops the cluster that cluster-up.sh started and removes its state: containers, mounts, the
# bridge, kube-proxy's iptables rules and the run folder. Safe to run twice or after a failed up.
set -uo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
[[ -d $RUN_DIR ]] || { log "nothing to stop"; exit 0; }

# stop NAME: SIGTERM the process up started, SIGKILL after 10 s.
stop() {
  local pidfile=$RUN_DIR/pids/$1.pid pid i
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  rm -f "$pidfile"
}

ctr_() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

# The kubelet first, so nothing restarts the containers removed next.
stop kubelet
if [[ -S $CONTAINERD_SOCK ]]; then
  for t in $(ctr_ tasks list -q 2>/dev/null); do ctr_ tasks kill --all --signal SIGKILL "$t" >/dev/null 2>&1; done
  # containerd's CRI plugin deletes each task once it has exited.
  for ((i = 0; i < 100; i++)); do [[ -z $(ctr_ tasks list -q 2>/dev/null) ]] && break; sleep 0.1; done
fi
stop kube-proxy
[[ -x $BIN_DIR/kube-proxy ]] && "$BIN_DIR/kube-proxy" --cleanup >/dev/null 2>&1
# The kubelet's own chains (kube-proxy --cleanup leaves them).
for ipt in iptables ip6tables; do
  for chain in INPUT OUTPUT; do "$ipt" -t filter -D "$chain" -j KUBE-FIREWALL 2>/dev/null; done
  for table in filter nat mangle; do
    for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
      "$ipt" -t "$table" -F "$chain" 2>/dev/null && "$ipt" -t "$table" -X "$chain" 2>/dev/null
    done
  done
done
stop containerd
# Shims outlive containerd by design; find ours by the socket path only they were given.
for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
stop kube-scheduler
stop kube-controller-manager
stop kube-apiserver
stop etcd

# Mounts under the run folder (pod volumes, network namespaces, rootfs), deepest first.
awk -v dir="$RUN_DIR/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
  umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
done
ip link del "$BRIDGE" 2>/dev/null
# Pod cgroups the kubelet created (empty now that their processes are gone).
for ctl in /sys/fs/cgroup/*/kubepods; do
  [[ -d $ctl ]] && find "$ctl" -depth -type d -exec rmdir {} + 2>/dev/null
done
if [[ -f $RUN_DIR/sysctl.saved ]]; then
  read -r forward bridge_nf < "$RUN_DIR/sysctl.saved"
  sysctl -qw net.ipv4.ip_forward="$forward" net.bridge.bridge-nf-call-iptables="$bridge_nf"
fi
rm -rf "$RUN_DIR"
log "cluster down"
