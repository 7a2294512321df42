#!/usr/bin/env bash
# Starts a single-node Kubernetes cluster on this machine from programs built by build.sh:
# etcd (Debian's etcd-server), kube-apiserver, kube-controller-manager, kube-scheduler and, unless
# --control-plane-only, containerd + runc + CNI bridge, the kubelet, kube-proxy (iptables) and
# CoreDNS. Prints `export KUBECONFIG=...` on stdout; everything else goes to stderr.
#
#   test/cluster/cluster-up.sh [--control-plane-only]     (as root; test/cluster/cluster-down.sh stops it)
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/pki.sh
source "$CLUSTER_DIR/pki.sh"

control_plane_only=false
case ${1:-} in
  --control-plane-only) control_plane_only=true ;;
  '') ;;
  *) echo "usage: $0 [--control-plane-only]" >&2; exit 2 ;;
esac
[[ $EUID -eq 0 ]] || die "run as root: the kubelet, containerd and kube-proxy manage cgroups, mounts and iptables"

if [[ -f $RUN_DIR/up ]]; then
  log "already up ($(cat "$RUN_DIR/up")); test/cluster/cluster-down.sh stops it"
  echo "export KUBECONFIG=$KUBECONFIG_PATH"
  exit 0
fi
[[ -d $RUN_DIR ]] && "$CLUSTER_DIR/cluster-down.sh"

"$CLUSTER_DIR/build.sh"
mkdir -p "$RUN_DIR"/{logs,pids}
trap 'status=$?; if ((status != 0)); then log "start-up failed; logs copied to /tmp/clusterbench-cluster-logs"; rm -rf /tmp/clusterbench-cluster-logs; cp -r "$RUN_DIR/logs" /tmp/clusterbench-cluster-logs 2>/dev/null; "$CLUSTER_DIR/cluster-down.sh"; fi' EXIT
started=$SECONDS

# --- network: the bridge exists before the API server binds to its address
# Remember the host's forwarding settings so down can restore them.
printf '%s %s\n' "$(sysctl -n net.ipv4.ip_forward)" "$(sysctl -n net.bridge.bridge-nf-call-iptables)" > "$RUN_DIR/sysctl.saved"
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
ip link del "$BRIDGE" 2>/dev/null || true  # left by a run that was killed mid-way
ip link add "$BRIDGE" type bridge
ip addr add "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
ip link set "$BRIDGE" up

ETCD_PORT=$(free_port); ETCD_PEER_PORT=$(free_port); APISERVER_PORT=$(free_port)
make_pki
PKI=$RUN_DIR/pki

# --- etcd (loopback only, plain HTTP: nothing but the API server talks to it)
start etcd etcd --name clusterbench --data-dir "$RUN_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "clusterbench=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" --log-level warn
wait_for etcd 60 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

# --- kube-apiserver. PodSecurity is among the default admission plugins.
start kube-apiserver "$BIN_DIR/kube-apiserver" \
  --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port="$APISERVER_PORT" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --allow-privileged=true --profiling=false
wait_for kube-apiserver 180 curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
  "https://$NODE_IP:$APISERVER_PORT/readyz"
log "kube-apiserver ready at https://$NODE_IP:$APISERVER_PORT"

# --- controllers: service accounts and their tokens, namespaces, deployments, endpoints, GC
start kube-controller-manager "$BIN_DIR/kube-controller-manager" \
  --kubeconfig="$RUN_DIR/controller-manager.kubeconfig" --secure-port=0 --leader-elect=false \
  --use-service-account-credentials=true --service-account-private-key-file="$PKI/sa.key" \
  --root-ca-file="$PKI/ca.crt" --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" --cluster-cidr="$POD_CIDR" --allocate-node-cidrs=false
start kube-scheduler "$BIN_DIR/kube-scheduler" \
  --kubeconfig="$RUN_DIR/scheduler.kubeconfig" --secure-port=0 --leader-elect=false
wait_for kube-controller-manager 60 kubectl_ get serviceaccount default -n default

if ! $control_plane_only; then
  # shellcheck source=SCRIPTDIR/node.sh
  source "$CLUSTER_DIR/node.sh"
  start_node
fi

echo "$($control_plane_only && echo control-plane-only || echo full) since $(date -u +%FT%TZ)" > "$RUN_DIR/up"
trap - EXIT
log "cluster up in $((SECONDS - started))s"
echo "export KUBECONFIG=$KUBECONFIG_PATH"
