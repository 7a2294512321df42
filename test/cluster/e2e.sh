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
#   sweep     still CPU-limited: hello scaled to 1, 2, 3 behind nginx and rpc-gateway (spec.replicas):
#             a scaling point per count, each run answered from exactly N pods (check-sweep.mjs,
#             against the servers' counters), 3 replicas at 2x one or more, the count restored
#   default   `make bench` with the default topologies on a cluster without ingress-nginx
#   controller  the controller pod deleted mid-run: the Benchmark completes, each run counted once
#   runner    a runner pod deleted mid-run: its attempt fails, attempt 2 runs, the report says so
#   foreign   a pod of another namespace claims to be a runner (foreign-runner.mjs): 403, and the
#             report of the Benchmark running meanwhile matches the hello servers' counters
#   queue     two Benchmarks at once: one Pending with Queued True behind the other, both complete
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
  log "step 1/13: build clusterbench (make build) and the cluster's programs (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
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

log "step 2/13: cluster up"
eval "$("$CLUSTER_DIR/cluster-up.sh")"
export KUBECONFIG
# The kubectl built with the cluster, for deploy.sh and for the checks below.
export PATH=$BIN_DIR:$PATH

log "step 3/13: images"
# The tag is a hash of the sources: fix it once, so images and manifests agree even if a file
# changes meanwhile.
read -r _ hello_ref < <(node build/src/cli.js synth --print-images --set cluster=generic | grep '^hello ')
TAG=${hello_ref##*:}
"$CLUSTER_DIR/images.sh" app "$TAG" "$NGINX_IMAGE"

log "step 4/13: make deploy CLUSTER=generic (ingress-nginx left out), then dry-run ingress-nginx"
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

log "step 5/13: counts: single, nginx, rpc-gateway; 2 runner pods, 2 trials, no warmup, against the servers' counters"
hello_counters "$WORK_DIR/counts-before.json"
BENCH_ARGS='--warmup 0s' bench counts TOPOLOGIES=single,nginx,rpc-gateway TRIALS=2 RUNNERS=2
hello_counters "$WORK_DIR/counts-after.json"
check counts single,nginx,rpc-gateway --trials 2 --runners 2 --backends 3 --counts "$WORK_DIR/counts-before.json,$WORK_DIR/counts-after.json"

log "step 6/13: failover: nginx and rpc-gateway, one hello pod deleted 3 s into a 20 s run"
BENCH_ARGS='--duration 20s' bench failover TOPOLOGIES=nginx,rpc-gateway KILL_AFTER=3s
# nginx 1.22 takes the new addresses by reload, whose old workers close keep-alive connections the
# load generator may be sending on: a few resets through nginx, none through the gateway.
check failover nginx,rpc-gateway --failover nginx,rpc-gateway --backends 3 --recovered rpc-gateway --allow-errors nginx

log "step 7/13: cpu: redeploy with hello.cpu=200m hello.work=200us (new hello pods, the same nginx pod), then single, nginx, rpc-gateway"
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

log "step 8/13: sweep: still CPU-limited, hello scaled to 1, 2, 3 behind nginx and rpc-gateway (1 trial, no warmup): a point per count, each from exactly N pods, 3 replicas at 2x one or more, the Deployment back at its count"
sweep_started=$SECONDS
deployed=$(kubectl_ -n "$NAMESPACE" get deployment hello -o jsonpath='{.spec.replicas}')
hello_counters "$WORK_DIR/sweep-before.json"
BENCH_ARGS='--warmup 0s' bench sweep TOPOLOGIES=nginx,rpc-gateway REPLICAS=1,2,3 TRIALS=1
uid=$(kubectl_ -n "$NAMESPACE" get benchmark "$BENCHMARK-sweep" -o jsonpath='{.metadata.uid}')
# The controller gives the count back on its next pass after the Benchmark finished.
deadline=$((SECONDS + 60))
until [[ $(kubectl_ -n "$NAMESPACE" get configmap clusterbench-hello-scale -o jsonpath='{.data.record}' 2>/dev/null) == *'"restored":true'* ]]; do
  ((SECONDS < deadline)) || die "the hello Deployment's count was not restored 60 s after the sweep: $(kubectl_ -n "$NAMESPACE" get configmap clusterbench-hello-scale -o jsonpath='{.data.record}')"
  sleep 1
done
kubectl_ -n "$NAMESPACE" rollout status deployment/hello --timeout=120s >/dev/null
now=$(kubectl_ -n "$NAMESPACE" get deployment hello -o jsonpath='{.spec.replicas} {.status.readyReplicas}')
[[ $now == "$deployed $deployed" ]] || die "after the sweep the hello Deployment has replicas, ready '$now', not $deployed"
hello_counters "$WORK_DIR/sweep-after.json"
kubectl_ -n "$NAMESPACE" get configmaps -l "clusterbench.dev/benchmark-uid=$uid,app.kubernetes.io/component in (run-record,run-record-part)" -o json >"$WORK_DIR/sweep-records.json"
# The controller's probes through the balancers reach the servers too: check-sweep counts them from its log.
kubectl_ -n "$NAMESPACE" logs deployment/clusterbench-controller | grep -F "benchmark $BENCHMARK-sweep: replica sweep" >"$WORK_DIR/sweep-controller.log" || true
log "the controller's sweep, as it logged it:"
cat "$WORK_DIR/sweep-controller.log" >&2
node "$CLUSTER_DIR/check-sweep.mjs" "reports/$BENCHMARK-sweep/report.json" "$WORK_DIR/sweep-records.json" \
  "$WORK_DIR/sweep-before.json,$WORK_DIR/sweep-after.json" 1,2,3 2.0 "$WORK_DIR/sweep-controller.log"
log "sweep: the hello Deployment back at $deployed ready; the step took $((SECONDS - sweep_started)) s"

log "step 9/13: default: make bench with the default topologies (no ingress-nginx in this cluster): ingress-nginx skipped, saying why"
bench default TRIALS=1
check default single,nginx,rpc-gateway
skipped=$(kubectl_ -n "$NAMESPACE" get benchmark "$BENCHMARK-default" -o jsonpath='{.status.conditions[?(@.type=="TopologyNotDeployed")].message}')
[[ $skipped == *ingress-nginx* ]] || die "ingress-nginx was not reported as not deployed (TopologyNotDeployed: '$skipped')"
log "skipped as expected: $skipped"

# The controller's hard cases (issue 11): short runs of the quick scenario on the deployment above.
# uid_of WHAT: the UID of Benchmark $BENCHMARK-WHAT, once bench has created it.
uid_of() {
  local uid deadline=$((SECONDS + 60))
  until uid=$(kubectl_ -n "$NAMESPACE" get benchmark "$BENCHMARK-$1" -o jsonpath='{.metadata.uid}' 2>/dev/null) && [[ -n $uid ]]; do
    ((SECONDS < deadline)) || die "benchmark $BENCHMARK-$1 not created after 60 s"
    sleep 1
  done
  echo "$uid"
}
# wait_measuring WHAT: until Benchmark $BENCHMARK-WHAT's current run is past its warmup and counting
# requests (its progress, which the controller writes every 2 s); prints that progress.
wait_measuring() {
  local progress='' deadline=$((SECONDS + 180))
  while ((SECONDS < deadline)); do
    progress=$(kubectl_ -n "$NAMESPACE" get benchmark "$BENCHMARK-$1" -o jsonpath='{.status.progress.warmup} {.status.progress.requests} {.status.progress.completedRuns}/{.status.progress.totalRuns} runs done' 2>/dev/null || true)
    if [[ $progress =~ ^false\ [1-9] ]]; then
      echo "$progress"
      return 0
    fi
    sleep 1
  done
  die "benchmark $BENCHMARK-$1: no run measuring after 180 s (warmup, requests: '$progress')"
}
# benchmark_jsonpath WHAT JSONPATH
benchmark_jsonpath() { kubectl_ -n "$NAMESPACE" get benchmark "$BENCHMARK-$1" -o jsonpath="$2"; }

log "step 10/13: controller: its pod deleted while single runs (single, nginx; 2 runner pods, 1 trial): each run counted once"
CONTROLLER_PODS=(-n "$NAMESPACE" get pods -l app.kubernetes.io/name=clusterbench-controller -o jsonpath='{.items[*].metadata.name}')
old_controller=$(kubectl_ "${CONTROLLER_PODS[@]}")
BENCH_ARGS='--duration 8s' bench controller TOPOLOGIES=single,nginx RUNNERS=2 &
bench_pid=$!
uid=$(uid_of controller)
progress=$(wait_measuring controller)
kubectl_ -n "$NAMESPACE" delete pod "$old_controller" --wait=false >/dev/null
log "deleted the controller pod $old_controller mid-run (warmup, requests, runs: $progress)"
wait "$bench_pid"
kubectl_ -n "$NAMESPACE" wait --for=delete "pod/$old_controller" --timeout=60s >/dev/null
new_controller=$(kubectl_ "${CONTROLLER_PODS[@]}")
[[ -n $new_controller && $new_controller != *"$old_controller"* ]] || die "the controller pod was not replaced: '$new_controller'"
# A run counted twice would show as more runners per trial, or more trials, than asked.
check controller single,nginx --trials 1 --runners 2
records=$(kubectl_ -n "$NAMESPACE" get configmaps -l "clusterbench.dev/benchmark-uid=$uid,app.kubernetes.io/component=run-record" -o name | wc -l)
((records == 2)) || die "$records run records for 2 runs"
log "controller $old_controller replaced by $new_controller; 2 runs recorded once each (RunRetried: $(benchmark_jsonpath controller '{.status.conditions[?(@.type=="RunRetried")].status}' || true))"

log "step 11/13: runner: a runner pod deleted while it measures (single, 1 trial): the attempt fails, attempt 2 runs, the report says so"
BENCH_ARGS='--duration 10s' bench runner TOPOLOGIES=single &
bench_pid=$!
uid=$(uid_of runner)
progress=$(wait_measuring runner)
runner_pod=$(kubectl_ -n "$NAMESPACE" get pods -l "clusterbench.dev/benchmark-uid=$uid,clusterbench.dev/attempt=1" -o jsonpath='{.items[0].metadata.name}')
kubectl_ -n "$NAMESPACE" delete pod "$runner_pod" --wait=false >/dev/null
log "deleted the runner pod $runner_pod mid-run (warmup, requests, runs: $progress)"
wait "$bench_pid"
check runner single --trials 1 --runners 1 --rerun single
[[ -n $(kubectl_ -n "$NAMESPACE" get jobs -l "clusterbench.dev/benchmark-uid=$uid,clusterbench.dev/attempt=2" -o name) ]] || die "no Job of attempt 2"
retried=$(benchmark_jsonpath runner '{.status.conditions[?(@.type=="RunRetried")].status}')
[[ $retried == True ]] || die "the Benchmark's RunRetried condition is '$retried', not True"
# The runner's own words, from its pod's termination message or, the pod gone, over its socket.
words='stopped early \(SIGTERM\) after [0-9]+ ms'
retried=$(benchmark_jsonpath runner '{.status.conditions[?(@.type=="RunRetried")].message}')
[[ $retried =~ $words ]] || die "RunRetried does not say why in the runner's words: '$retried'"
grep -Eq "single trial 1 was rerun \(attempt 1: [^)]*$words" "reports/$BENCHMARK-runner/report.json" ||
  die "the report's rerun note does not say why in the runner's words (reports/$BENCHMARK-runner/report.json)"

log "step 12/13: foreign: a pod in another namespace claims to be a runner while single runs (no warmup, 20 s): refused (403), the report matches the servers' counters"
FOREIGN_NS=e2e-foreign-$$
read -r _ bench_image < <(node build/src/cli.js synth --print-images --set cluster=generic --set "images.tag=$TAG" | grep '^bench ')
hello_counters "$WORK_DIR/foreign-before.json"
BENCH_ARGS='--warmup 0s --duration 20s' bench foreign TOPOLOGIES=single &
bench_pid=$!
uid=$(uid_of foreign)
wait_measuring foreign >/dev/null
job=$(kubectl_ -n "$NAMESPACE" get jobs -l "clusterbench.dev/benchmark-uid=$uid" -o jsonpath='{.items[0].metadata.name}')
kubectl_ create namespace "$FOREIGN_NS" >/dev/null
kubectl_ label namespace "$FOREIGN_NS" pod-security.kubernetes.io/enforce=restricted >/dev/null
# The running Job's own name and index with a made-up token, and a made-up Job; labelled as a runner.
kubectl_ -n "$FOREIGN_NS" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: foreign-runner
  labels: { app.kubernetes.io/name: clusterbench-runner }
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: claim
      image: $bench_image
      imagePullPolicy: IfNotPresent
      command: [node, --input-type=module, -e]
      args:
        - |
$(sed 's/^/          /' "$CLUSTER_DIR/foreign-runner.mjs")
      env:
        - { name: CONTROLLER_URL, value: "ws://clusterbench-controller.$NAMESPACE:8080/runners" }
        - { name: CLAIMS, value: '[{"job":"$job","runner":0},{"job":"$BENCHMARK-made-up-a1","runner":0}]' }
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
      resources: { limits: { cpu: 100m, memory: 128Mi } }
EOF
kubectl_ -n "$FOREIGN_NS" wait --for=jsonpath='{.status.phase}'=Succeeded pod/foreign-runner --timeout=90s >/dev/null
answers=$(kubectl_ -n "$FOREIGN_NS" logs foreign-runner)
log "the foreign pod's claims, as it logged them:"
echo "$answers" >&2
phase=$(benchmark_jsonpath foreign '{.status.phase} {.status.progress.completedRuns}/{.status.progress.totalRuns}')
[[ $phase == 'Running 0/1' ]] || die "the foreign pod finished after the run (Benchmark: $phase): nothing was tried while it ran"
[[ $(grep -c ': HTTP 403$' <<<"$answers") == 2 ]] || die "the controller did not refuse both claims with 403"
kubectl_ delete namespace "$FOREIGN_NS" --wait=false >/dev/null
wait "$bench_pid"
hello_counters "$WORK_DIR/foreign-after.json"
check foreign single --trials 1 --runners 1 --counts "$WORK_DIR/foreign-before.json,$WORK_DIR/foreign-after.json"
# The real runner may be refused too, before its pod has an IP: only these two reasons are the foreign pod's.
refusals=$(kubectl_ -n "$NAMESPACE" logs deployment/clusterbench-controller | grep -F -e "(job \"$job\", runner 0): not the Job's token" -e "(job \"$BENCHMARK-made-up-a1\", runner 0): no such Job" || true)
log "the controller's refusals of the foreign pod:"
echo "$refusals" >&2
[[ $(wc -l <<<"$refusals") == 2 ]] || die "the controller did not log both refusals, with their reasons"

log "step 13/13: queue: two Benchmarks (single, 1 trial) created together: one waits Queued behind the other, both complete"
bench queue-a TOPOLOGIES=single &
pid_a=$!
bench queue-b TOPOLOGIES=single &
pid_b=$!
queued='' deadline=$((SECONDS + 120))
while [[ -z $queued ]] && ((SECONDS < deadline)); do
  for pair in 'queue-a queue-b' 'queue-b queue-a'; do
    read -r first second <<<"$pair"
    state=$(benchmark_jsonpath "$second" '{.status.phase} {.status.conditions[?(@.type=="Queued")].status} {.status.conditions[?(@.type=="Queued")].message}' 2>/dev/null || true)
    if [[ $(benchmark_jsonpath "$first" '{.status.phase}' 2>/dev/null) == Running && $state == "Pending True queued behind $BENCHMARK-$first" ]]; then
      queued="$BENCHMARK-$second: $state, while $BENCHMARK-$first was Running"
      break
    fi
  done
  sleep 1
done
[[ -n $queued ]] || die "never saw one Benchmark Pending and Queued behind the Running other (last: $state)"
log "$queued"
wait "$pid_a"
wait "$pid_b"
check queue-a single --trials 1
check queue-b single --trials 1
first_done=$(benchmark_jsonpath "$first" '{.status.completionTime}')
second_started=$(benchmark_jsonpath "$second" '{.status.startTime}')
[[ ! $second_started < $first_done ]] || die "$BENCHMARK-$second started at $second_started, before $BENCHMARK-$first completed at $first_done"
log "$BENCHMARK-$first completed at $first_done, $BENCHMARK-$second started at $second_started"
