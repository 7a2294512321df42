# shellcheck shell=bash
# The node half of cluster-up.sh (sourced): containerd with runc and the CNI bridge, the kubelet,
# kube-proxy in iptables mode, then CoreDNS as a Deployment behind the kube-dns Service.

start_containerd() {
  local dir=$RUN_DIR/containerd
  mkdir -p "$dir" "$RUN_DIR/cni/net.d"
  cat > "$RUN_DIR/cni/net.d/10-clusterbench.conflist" <<EOC
{
  "cniVersion": "1.0.0",
  "name": "clusterbench",
  "plugins": [
    { "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$RUN_DIR/cni/ipam",
                "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
                "routes": [{ "dst": "0.0.0.0/0" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOC
  # Its own root, state and socket: Docker's containerd, if any, is left alone.
  cat > "$dir/config.toml" <<EOC
version = 2
root = "$dir/root"
state = "$dir/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  netns_mounts_under_state_dir = true
  # Root here lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj (pause asks for -998):
  # keep every container's at or above containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$RUN_DIR/cni/net.d"
EOC
  start containerd containerd --config "$dir/config.toml"
  wait_for containerd 60 ctr --address "$CONTAINERD_SOCK" version
}

start_kubelet() {
  local port
  port=$(free_port)
  cat > "$RUN_DIR/kubelet.yaml" <<EOC
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $port
readOnlyPort: 0
healthzPort: 0
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
# This machine has cgroup v1 (hybrid); recent kubelets refuse it unless told otherwise.
failCgroupV1: false
failSwapOn: false
clusterDomain: cluster.local
clusterDNS: [$DNS_SERVICE_IP]
resolvConf: /etc/resolv.conf
serializeImagePulls: false
# The disk is shared with the whole machine: evict only when it is really full.
evictionHard: {memory.available: 200Mi, nodefs.available: 3%, imagefs.available: 3%}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
EOC
  start kubelet "$BIN_DIR/kubelet" --config="$RUN_DIR/kubelet.yaml" --kubeconfig="$RUN_DIR/kubelet.kubeconfig" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --root-dir="$RUN_DIR/kubelet"
}

start_kube_proxy() {
  cat > "$RUN_DIR/kube-proxy.yaml" <<EOC
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $RUN_DIR/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
healthzBindAddress: 127.0.0.1:$(free_port)
metricsBindAddress: 127.0.0.1:$(free_port)
# NodePorts only on the bridge address, never on the machine's own interfaces.
nodePortAddresses: [$NODE_IP/32]
# Leave the machine's conntrack settings as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOC
  start kube-proxy "$BIN_DIR/kube-proxy" --config="$RUN_DIR/kube-proxy.yaml"
}

start_node() {
  start_containerd
  "$CLUSTER_DIR/images.sh" system
  start_kubelet
  start_kube_proxy
  wait_for kubelet 120 kubectl_ wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s
  sed -e "s|@IMAGE@|$COREDNS_IMAGE|; s|@DNS_SERVICE_IP@|$DNS_SERVICE_IP|" "$CLUSTER_DIR/coredns.yaml" | kubectl_ apply -f - >/dev/null
  wait_for kubelet 180 kubectl_ -n kube-system rollout status deployment/coredns --timeout=1s
  log "node $NODE_NAME ready, CoreDNS serving at $DNS_SERVICE_IP"
}
