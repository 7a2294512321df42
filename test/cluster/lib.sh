# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by the scripts that source this
# Shared settings of the test/cluster scripts (sourced, not run). Every path and address of the
# single-node cluster lives here, so up, down, images and e2e agree.

K8S_VERSION=v1.34.4      # keep in step with k8s/go.mod
COREDNS_VERSION=v1.15.0  # keep in step with coredns/go.mod
CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$CLUSTER_DIR/../.." && pwd)

# Build outputs: outside the work tree, so a fresh clone on the same machine (CI) reuses them.
CACHE_DIR=${CLUSTERBENCH_CACHE:-$HOME/.cache/clusterbench}
BIN_DIR=$CACHE_DIR/bin
# Everything the running cluster writes: certificates, data, logs, pid files. Removed by down.
RUN_DIR=${CLUSTERBENCH_RUN_DIR:-/var/lib/clusterbench}
export KUBECONFIG_PATH=$RUN_DIR/kubeconfig

NODE_NAME=clusterbench-node
# Pods live on the bridge cb0; the API server and the kubelet listen on its gateway address, so
# pods reach them and nothing listens outside this machine.
BRIDGE=cb0
POD_CIDR=10.203.0.0/24
NODE_IP=10.203.0.1
SERVICE_CIDR=10.204.0.0/24
KUBERNETES_SERVICE_IP=10.204.0.1
DNS_SERVICE_IP=10.204.0.10
PAUSE_IMAGE=clusterbench.local/pause:1
COREDNS_IMAGE=clusterbench.local/coredns:${COREDNS_VERSION#v}

CONTAINERD_SOCK=$RUN_DIR/containerd/containerd.sock

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# free_port prints a TCP port that nothing listens on now (the kernel picks it).
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# start NAME CMD... runs CMD in its own session with its log in $RUN_DIR/logs and its pid in
# $RUN_DIR/pids, so down stops exactly the processes up started.
start() {
  local name=$1; shift
  setsid "$@" >"$RUN_DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/pids/$name.pid"
}

# wait_for WHAT SECONDS CMD... retries CMD once a second; on timeout prints the log named WHAT.
wait_for() {
  local what=$1 seconds=$2; shift 2
  local i
  for ((i = 0; i < seconds; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ -f $RUN_DIR/pids/$what.pid ]] && ! kill -0 "$(cat "$RUN_DIR/pids/$what.pid")" 2>/dev/null; then
      tail -n 30 "$RUN_DIR/logs/$what.log" >&2
      die "$what exited"
    fi
    sleep 1
  done
  [[ -f $RUN_DIR/logs/$what.log ]] && tail -n 30 "$RUN_DIR/logs/$what.log" >&2
  die "$what not ready after ${seconds}s"
}

kubectl_() { "$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
