#!/usr/bin/env bash
# make e2e-kind: the README's kind path, for real, offline. The real kind binary (kind v0.33.0 from
# the Go module proxy) on our dockerd (dockerd.sh) creates a cluster from deploy/kind-config.yaml
# with the node image node-image.sh builds; `make deploy CLUSTER=kind` builds the three images
# from images/*/Dockerfile with docker (`make images`), loads them with `kind load docker-image`
# and applies the manifests; `make bench SCENARIO=quick` runs single, nginx and rpc-gateway; the
# report is checked like make e2e's; `kind delete cluster` and dockerd.sh down leave nothing behind,
# and the script checks that they did.
#
# Left out, as in make e2e: ingress-nginx (its controller image cannot be pulled or built here).
# The nginx topology runs Debian's nginx 1.22 (the upstream image cannot be pulled), resolving
# the hello pods when it starts (nginx.resolveUpstreams=false).
#
# Run it under the cluster lock, like make e2e: flock /tmp/clusterbench-cluster.lock make e2e-kind.
# Environment: E2E_TIMEOUT (seconds for everything after the builds, default 1200), KEEP_CLUSTER=1
# (leave the kind cluster and dockerd up; make kind-down and test/kind/dockerd.sh down remove them).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_DIR"

E2E_TIMEOUT=${E2E_TIMEOUT:-1200}
TOPOLOGIES=single,nginx,rpc-gateway
NAMESPACE=clusterbench
KIND_CLUSTER_NAME=clusterbench
BENCHMARK=e2e-kind-$(date -u +%Y%m%d-%H%M%S)
export E2E_STARTED=${E2E_STARTED:-$(date +%s)}
export PATH=$KIND_CACHE/bin:$BIN_DIR:$PATH
# kind writes the cluster's kubeconfig here, not into root's ~/.kube/config.
export KUBECONFIG=$KIND_CACHE/kubeconfig

[[ $EUID -eq 0 ]] || die "make e2e-kind needs root (it runs dockerd)"
[[ ! -f $RUN_DIR/up ]] || die "test/cluster's cluster is running ($(cat "$RUN_DIR/up")): the two clusters never run at once"

if [[ -z ${E2E_BOUNDED:-} ]]; then
  log "step 1/6: builds (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  make --no-print-directory build
  "$CLUSTER_DIR/build.sh"
  E2E_DOCKERD_STARTED=false
  if ! "$KIND_DIR/dockerd.sh" status; then
    "$KIND_DIR/dockerd.sh" up >/dev/null
    E2E_DOCKERD_STARTED=true
  fi
  export E2E_DOCKERD_STARTED
  # If a build fails, stop what this run started.
  trap '$E2E_DOCKERD_STARTED && "$KIND_DIR/dockerd.sh" down' EXIT
  "$KIND_DIR/stand-ins.sh"
  E2E_NODE_IMAGE=$("$KIND_DIR/node-image.sh")
  export E2E_NODE_IMAGE
  trap - EXIT
  # Bound the rest (builds are left out, as in make e2e); the EXIT trap below tears down.
  E2E_BOUNDED=1 exec timeout --kill-after=120 "$E2E_TIMEOUT" "$0" "$@"
fi

WORK_DIR=$(mktemp -d)
# kind mounts the host's /lib/modules into its nodes and docker creates it when it is missing (as
# on this machine, whose kernel has no modules): remove it again if this run made it.
LIB_MODULES_MADE=false
[[ -e /lib/modules ]] || LIB_MODULES_MADE=true
kubectl_() { kubectl --context "kind-$KIND_CLUSTER_NAME" "$@"; }

# Everything this run started is gone: kind's containers and network, and (if this run started
# it) dockerd with its bridge and iptables chains. Prints what is left; fails if anything is.
check_nothing_left() {
  local left=()
  if "$KIND_DIR/dockerd.sh" status; then
    [[ -z $(docker ps -aq --filter "label=io.x-k8s.kind.cluster=$KIND_CLUSTER_NAME") ]] || left+=("kind node containers")
    docker network inspect kind >/dev/null 2>&1 && left+=("docker network kind")
  fi
  if $E2E_DOCKERD_STARTED; then
    [[ -f /run/clusterbench-docker/dockerd.pid ]] && left+=("dockerd")
    ip link show docker0 >/dev/null 2>&1 && left+=("bridge docker0")
    iptables-save | grep -q DOCKER && left+=("iptables DOCKER chains")
  fi
  $LIB_MODULES_MADE && [[ -e /lib/modules ]] && left+=("/lib/modules (made by docker for kind)")
  ((${#left[@]} == 0)) || { log "left behind: ${left[*]}"; return 1; }
  log "nothing left behind (kind cluster, its network$($E2E_DOCKERD_STARTED && echo ', dockerd, docker0, its iptables chains'))"
}

finish() {
  local status=$1
  trap - EXIT
  if ((status != 0)) && kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER_NAME"; then
    log "FAILED (exit $status): what the cluster looked like"
    kubectl_ get nodes,pods -A -o wide >&2 || true
    kubectl_ -n "$NAMESPACE" get benchmarks,jobs,events --sort-by=.metadata.creationTimestamp >&2 || true
    kubectl_ -n "$NAMESPACE" logs deployment/clusterbench-controller --tail=40 >&2 || true
  fi
  rm -rf "$WORK_DIR"
  if [[ ${KEEP_CLUSTER:-0} == 1 ]]; then
    log "KEEP_CLUSTER=1: the kind cluster stays up (export DOCKER_HOST=$DOCKER_HOST KUBECONFIG=$KUBECONFIG)"
  else
    log "step 6/6: kind delete cluster, then dockerd down if this run started it"
    kind delete cluster --name "$KIND_CLUSTER_NAME" || status=1
    # kind keeps its docker network for the next cluster; this run made it, so it goes.
    docker network rm kind >/dev/null 2>&1 || true
    if $E2E_DOCKERD_STARTED; then "$KIND_DIR/dockerd.sh" down || status=1; fi
    if $LIB_MODULES_MADE; then rmdir /lib/modules 2>/dev/null || true; fi
    check_nothing_left || status=1
  fi
  log "make e2e-kind $( ((status == 0)) && echo passed || echo FAILED) in $(($(date +%s) - E2E_STARTED))s (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  exit "$status"
}
trap 'finish $?' EXIT
trap 'log "interrupted (E2E_TIMEOUT=${E2E_TIMEOUT}s?)"; exit 143' TERM INT

log "step 2/6: $(kind version): create cluster $KIND_CLUSTER_NAME from deploy/kind-config.yaml with $E2E_NODE_IMAGE"
kind create cluster --name "$KIND_CLUSTER_NAME" --config deploy/kind-config.yaml --image "$E2E_NODE_IMAGE" --wait 300s
kubectl_ get nodes -o wide

log "step 3/6: nginx (Debian's, as in make e2e) into the cluster"
NGINX_IMAGE=$("$KIND_DIR/nginx-image.sh")
kind load docker-image "$NGINX_IMAGE" --name "$KIND_CLUSTER_NAME"

log "step 4/6: make deploy CLUSTER=kind (make images, kind load docker-image, apply; ingress-nginx left out)"
TIMEOUT=300s make --no-print-directory deploy CLUSTER=kind \
  SET="ingressNginx.enabled=false nginx.image=$NGINX_IMAGE nginx.resolveUpstreams=false"

log "step 5/6: make bench SCENARIO=quick TOPOLOGIES=$TOPOLOGIES, then check the report ConfigMap"
make --no-print-directory bench SCENARIO=quick TOPOLOGIES="$TOPOLOGIES" ARGS="--name $BENCHMARK"
kubectl_ -n "$NAMESPACE" get configmap "$BENCHMARK-report" -o jsonpath='{.data.report\.json}' > "$WORK_DIR/report.json"
node "$CLUSTER_DIR/check-report.mjs" "$WORK_DIR/report.json" "$TOPOLOGIES"
kubectl_ -n "$NAMESPACE" get configmap "$BENCHMARK-report" -o jsonpath='{.data.report\.md}'
echo
