#!/usr/bin/env bash
# make e2e: a real single-node cluster built on this machine (cluster-up.sh), the images built
# offline (images.sh), `make deploy CLUSTER=generic`, `make bench SCENARIO=quick` over the three
# topologies this cluster can run, a check of the report ConfigMap, and teardown even on failure.
#
# The ingress-nginx controller image cannot be built here, so ingress-nginx is left out of the
# deployment and its objects (and the Ingress) are checked with a server-side dry run instead.
# Debian's nginx is 1.22 (no `server ... resolve`): the nginx topology runs with
# nginx.resolveUpstreams=false, resolving the headless Service when nginx starts.
#
# Environment: E2E_TIMEOUT (seconds for everything after the builds, default 1200), KEEP_CLUSTER=1
# (leave the cluster up afterwards, for a look around; test/cluster/cluster-down.sh removes it).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_DIR"

E2E_TIMEOUT=${E2E_TIMEOUT:-1200}
TOPOLOGIES=single,nginx,rpc-gateway
NAMESPACE=clusterbench
NGINX_IMAGE=clusterbench.local/nginx:$(dpkg-query -W -f '${Version}' nginx | cut -d- -f1)
BENCHMARK=e2e-$(date -u +%Y%m%d-%H%M%S)
export E2E_STARTED=${E2E_STARTED:-$(date +%s)}

[[ $EUID -eq 0 ]] || die "make e2e needs root (it starts a kubelet, containerd and kube-proxy)"
[[ ! -f $RUN_DIR/up ]] || die "a cluster is already running ($(cat "$RUN_DIR/up")): stop it with test/cluster/cluster-down.sh, or use it directly"

if [[ -z ${E2E_BOUNDED:-} ]]; then
  log "step 1/6: build clusterbench (make build) and the cluster's programs (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  make --no-print-directory build
  "$CLUSTER_DIR/build.sh"
  # clusterbench's images, from images/*/Dockerfile with docker, as users build them.
  "$REPO_DIR/test/kind/app-images.sh"
  # Bound the rest: timeout signals this script and its children (one process group); the EXIT
  # trap then tears the cluster down (its processes run in sessions of their own). Builds are
  # left out: a cold one takes 15 to 30 minutes here, depending on the machine's load.
  E2E_BOUNDED=1 exec timeout --kill-after=120 "$E2E_TIMEOUT" "$0" "$@"
fi

WORK_DIR=$(mktemp -d)
finish() {
  local status=$1
  trap - EXIT
  if ((status != 0)) && [[ -f $KUBECONFIG_PATH ]]; then
    log "FAILED (exit $status): what the cluster looked like"
    kubectl_ get nodes,pods -A -o wide >&2 || true
    kubectl_ -n "$NAMESPACE" get benchmarks,jobs,events --sort-by=.metadata.creationTimestamp >&2 || true
    kubectl_ -n "$NAMESPACE" logs deployment/clusterbench-controller --tail=40 >&2 || true
  fi
  rm -rf "$WORK_DIR"
  if [[ ${KEEP_CLUSTER:-0} == 1 ]]; then
    log "KEEP_CLUSTER=1: the cluster stays up (export KUBECONFIG=$KUBECONFIG_PATH)"
  else
    "$CLUSTER_DIR/cluster-down.sh"
  fi
  log "make e2e $( ((status == 0)) && echo passed || echo FAILED) in $(($(date +%s) - E2E_STARTED))s (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  exit "$status"
}
trap 'finish $?' EXIT
trap 'log "interrupted (E2E_TIMEOUT=${E2E_TIMEOUT}s?)"; exit 143' TERM INT

log "step 2/6: cluster up"
eval "$("$CLUSTER_DIR/cluster-up.sh")"
export KUBECONFIG
# The kubectl built with the cluster, for deploy.sh and for the checks below.
export PATH=$BIN_DIR:$PATH

log "step 3/6: images"
# The tag is a hash of the sources: fix it once, so images and manifests agree even if a file
# changes meanwhile.
read -r _ hello_ref < <(node build/src/cli.js synth --print-images --set cluster=generic | grep '^hello ')
TAG=${hello_ref##*:}
"$CLUSTER_DIR/images.sh" app "$TAG" "$NGINX_IMAGE"

log "step 4/6: make deploy CLUSTER=generic (ingress-nginx left out), then dry-run ingress-nginx"
SKIP_IMAGES=1 TIMEOUT=300s make --no-print-directory deploy CLUSTER=generic \
  SET="images.tag=$TAG ingressNginx.enabled=false nginx.image=$NGINX_IMAGE nginx.resolveUpstreams=false"
node build/src/cli.js synth --out "$WORK_DIR" --set cluster=generic --set ingressNginx.enabled=true >/dev/null
# Namespaced objects need their namespace to exist, even in a dry run.
kubectl_ create namespace ingress-nginx >/dev/null
for file in "$WORK_DIR"/*ingress*.k8s.yaml; do
  kubectl_ apply --dry-run=server -f "$file" >/dev/null || die "server-side dry run of $(basename "$file") failed"
  log "dry run ok: $(basename "$file")"
done
kubectl_ delete namespace ingress-nginx --wait=false >/dev/null

log "step 5/6: make bench SCENARIO=quick TOPOLOGIES=$TOPOLOGIES"
make --no-print-directory bench SCENARIO=quick TOPOLOGIES="$TOPOLOGIES" ARGS="--name $BENCHMARK"

log "step 6/6: check the report ConfigMap $BENCHMARK-report"
kubectl_ -n "$NAMESPACE" get configmap "$BENCHMARK-report" -o jsonpath='{.data.report\.json}' > "$WORK_DIR/report.json"
node "$CLUSTER_DIR/check-report.mjs" "$WORK_DIR/report.json" "$TOPOLOGIES"
kubectl_ -n "$NAMESPACE" get configmap "$BENCHMARK-report" -o jsonpath='{.data.report\.md}'
echo
