#!/usr/bin/env bash
# make e2e: a real single-node cluster built on this machine (cluster-up.sh), the images built
# offline (images.sh), `make deploy CLUSTER=generic`, then benchmarks that prove the hard cases on
# the real kubelet, each checked (check-report.mjs) and kept under reports/e2e-*/, and teardown even
# on failure:
#   counts    single, nginx, rpc-gateway; 2 runner pods, 2 trials, no warmup: the report's request
#             totals and backend shares against the hello servers' own counters (hello-counters.mjs)
#   failover  nginx and rpc-gateway with --kill-after: the kill, the replacement serving through the
#             balancer again, the time to recover, 0 errors through the gateway
#   cpu       redeployed with hello.cpu=200m hello.work=200us (new hello pods, the same nginx pod):
#             nginx and rpc-gateway at 2.5x single or more, nginx reaching every new pod
#   default   `make bench` with the default topologies on a cluster without ingress-nginx
#
# The ingress-nginx controller image cannot be built here, so ingress-nginx is left out of the
# deployment and its objects (and the Ingress) are checked with a server-side dry run instead.
# Debian's nginx is 1.22 (no `server ... resolve`): the nginx topology runs with
# nginx.resolveUpstreams=false, and its re-resolver sidecar reloads nginx when the hello pods change.
#
# Environment: E2E_TIMEOUT (seconds for everything after the builds, default 1200), KEEP_CLUSTER=1
# (leave the cluster up afterwards, for a look around; test/cluster/cluster-down.sh removes it).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_DIR"

E2E_TIMEOUT=${E2E_TIMEOUT:-1200}
NAMESPACE=clusterbench
NGINX_IMAGE=clusterbench.local/nginx:$(dpkg-query -W -f '${Version}' nginx | cut -d- -f1)
BENCHMARK=e2e-$(date -u +%Y%m%d-%H%M%S)
export E2E_STARTED=${E2E_STARTED:-$(date +%s)}

[[ $EUID -eq 0 ]] || die "make e2e needs root (it starts a kubelet, containerd and kube-proxy)"
[[ ! -f $RUN_DIR/up ]] || die "a cluster is already running ($(cat "$RUN_DIR/up")): stop it with test/cluster/cluster-down.sh, or use it directly"

if [[ -z ${E2E_BOUNDED:-} ]]; then
  log "step 1/8: build clusterbench (make build) and the cluster's programs (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
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
    kubectl_ -n "$NAMESPACE" get benchmarks,jobs >&2 || true
    kubectl_ -n "$NAMESPACE" get events --sort-by=.metadata.creationTimestamp >&2 || true
    local deployment
    for deployment in clusterbench-controller rpc-gateway nginx; do
      log "logs of deployment/$deployment"
      kubectl_ -n "$NAMESPACE" logs "deployment/$deployment" --all-containers --prefix --tail=40 >&2 || true
    done
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

log "step 2/8: cluster up"
eval "$("$CLUSTER_DIR/cluster-up.sh")"
export KUBECONFIG
# The kubectl built with the cluster, for deploy.sh and for the checks below.
export PATH=$BIN_DIR:$PATH

log "step 3/8: images"
# The tag is a hash of the sources: fix it once, so images and manifests agree even if a file
# changes meanwhile.
read -r _ hello_ref < <(node build/src/cli.js synth --print-images --set cluster=generic | grep '^hello ')
TAG=${hello_ref##*:}
"$CLUSTER_DIR/images.sh" app "$TAG" "$NGINX_IMAGE"

log "step 4/8: make deploy CLUSTER=generic (ingress-nginx left out), then dry-run ingress-nginx"
# deploy_generic [KEY=VALUE...]: make deploy with this cluster's settings, and more.
deploy_generic() {
  SKIP_IMAGES=1 TIMEOUT=300s make --no-print-directory deploy CLUSTER=generic \
    SET="images.tag=$TAG ingressNginx.enabled=false nginx.image=$NGINX_IMAGE nginx.resolveUpstreams=false $*"
}
deploy_generic
node build/src/cli.js synth --out "$WORK_DIR" --set cluster=generic --set ingressNginx.enabled=true >/dev/null
# Namespaced objects need their namespace to exist, even in a dry run.
kubectl_ create namespace ingress-nginx >/dev/null
for file in "$WORK_DIR"/*ingress*.k8s.yaml; do
  kubectl_ apply --dry-run=server -f "$file" >/dev/null || die "server-side dry run of $(basename "$file") failed"
  log "dry run ok: $(basename "$file")"
done
kubectl_ delete namespace ingress-nginx --wait=false >/dev/null

# The benchmarks: each one's report stays in reports/$BENCHMARK-<what>/ (report.json, .md, .html).
HELLO_PODS=(-n "$NAMESPACE" get pods -l app.kubernetes.io/name=hello --field-selector=status.phase=Running)

# bench WHAT [MAKE-VARIABLE...]: `make bench SCENARIO=quick` as Benchmark $BENCHMARK-WHAT (ARGS
# from $BENCH_ARGS); prints the top table of its report.
bench() {
  local name=$BENCHMARK-$1; shift
  log "make bench SCENARIO=quick $* ARGS=\"--name $name ${BENCH_ARGS:-}\""
  make --no-print-directory bench SCENARIO=quick "$@" ARGS="--name $name ${BENCH_ARGS:-}" >"$WORK_DIR/$name.md"
  # The title, the load line and the seed's table: everything before the first section.
  sed '/^## /,$d' "reports/$name/report.md"
}

# check WHAT TOPOLOGY,... [check-report.mjs options]: checks reports/$BENCHMARK-WHAT/report.json.
check() {
  local what=$1; shift
  node "$CLUSTER_DIR/check-report.mjs" "reports/$BENCHMARK-$what/report.json" "$@"
}

# hello_counters FILE: each running hello pod's request counters, as hello-counters.mjs prints them.
hello_counters() { kubectl_ "${HELLO_PODS[@]}" -o json | node "$CLUSTER_DIR/hello-counters.mjs" >"$1"; }

log "step 5/8: counts: single, nginx, rpc-gateway; 2 runner pods, 2 trials, no warmup, against the servers' counters"
hello_counters "$WORK_DIR/counts-before.json"
BENCH_ARGS='--warmup 0s' bench counts TOPOLOGIES=single,nginx,rpc-gateway TRIALS=2 RUNNERS=2
hello_counters "$WORK_DIR/counts-after.json"
check counts single,nginx,rpc-gateway --trials 2 --runners 2 --backends 3 --counts "$WORK_DIR/counts-before.json,$WORK_DIR/counts-after.json"

log "step 6/8: failover: nginx and rpc-gateway, one hello pod deleted 3 s into a 20 s run"
BENCH_ARGS='--duration 20s' bench failover TOPOLOGIES=nginx,rpc-gateway KILL_AFTER=3s
# nginx 1.22 takes the new addresses by reload, whose old workers close keep-alive connections the
# load generator may be sending on: a few resets through nginx, none through the gateway.
check failover nginx,rpc-gateway --failover nginx,rpc-gateway --backends 3 --recovered rpc-gateway --allow-errors nginx

log "step 7/8: cpu: redeploy with hello.cpu=200m hello.work=200us (new hello pods, the same nginx pod), then single, nginx, rpc-gateway"
old_hello=$(kubectl_ "${HELLO_PODS[@]}" -o name | sort)
nginx_pod=$(kubectl_ -n "$NAMESPACE" get pods -l app.kubernetes.io/instance=nginx -o jsonpath='{.items[*].metadata.uid}')
deploy_generic hello.cpu=200m hello.work=200us
for pod in $old_hello; do kubectl_ -n "$NAMESPACE" wait --for=delete "$pod" --timeout=120s; done
[[ -z $(comm -12 <(echo "$old_hello") <(kubectl_ "${HELLO_PODS[@]}" -o name | sort)) ]] || die "the redeploy kept hello pods: $old_hello"
[[ $(kubectl_ -n "$NAMESPACE" get pods -l app.kubernetes.io/instance=nginx -o jsonpath='{.items[*].metadata.uid}') == "$nginx_pod" ]] ||
  die "the redeploy replaced the nginx pod: re-resolution would go untested"
# No controller restart: it reads the report's environment (hello CPU limits) when each Benchmark
# starts, so this report must say 0.2 CPU per hello server.
BENCH_ARGS='--duration 8s' bench cpu TOPOLOGIES=single,nginx,rpc-gateway TRIALS=2
check cpu single,nginx,rpc-gateway --trials 2 --backends 3 --min-ratio 2.5
# shellcheck disable=SC2016 # JavaScript, not shell
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const cpu = r.environment.cpuLimits.perServer;
  if (cpu !== 0.2) { console.error(`the report says ${cpu} CPU per hello server, not the 0.2 deployed`); process.exit(1); }' "reports/$BENCHMARK-cpu/report.json"
log "nginx's reresolver, since nginx started (each line a reload with the hello addresses it took):"
kubectl_ -n "$NAMESPACE" logs deployment/nginx -c reresolver --timestamps >&2

log "step 8/8: default: make bench with the default topologies (no ingress-nginx in this cluster): ingress-nginx skipped, saying why"
bench default TRIALS=1
check default single,nginx,rpc-gateway
skipped=$(kubectl_ -n "$NAMESPACE" get benchmark "$BENCHMARK-default" -o jsonpath='{.status.conditions[?(@.type=="TopologyNotDeployed")].message}')
[[ $skipped == *ingress-nginx* ]] || die "ingress-nginx was not reported as not deployed (TopologyNotDeployed: '$skipped')"
log "skipped as expected: $skipped"
