#!/usr/bin/env bash
# make e2e-kind: the README's kind path, for real, offline. The real kind binary (kind v0.33.0 from
# the Go module proxy) on our dockerd (dockerd.sh) creates a cluster from deploy/kind-config.yaml
# (NODES=1) or deploy/kind-config-multinode.yaml (NODES=3: a control plane and two workers) with
# the node image node-image.sh builds; `make deploy CLUSTER=kind` builds the three images from
# images/*/Dockerfile with docker (`make images`), loads them with `kind load docker-image` and
# applies the manifests; `make bench SCENARIO=quick` runs single, nginx and rpc-gateway; the report
# is checked like make e2e's. With three nodes, before the bench: from a pod on each node, every
# hello pod on another node answers at its pod address and the hello Service answers by name
# (kindnetd-stand-in's routes), and the hello pods are on both workers; the bench runs 2 runners
# per run, and the two runner pods of every run are on two different nodes. At the end `kind
# delete cluster` and dockerd.sh down leave the host as the run found it (links and bridges,
# iptables, mounts, docker's containers and volumes, dockerd's processes, ip_forward), and the
# script checks that they did.
#
# Left out, as in make e2e: ingress-nginx (its controller image cannot be pulled or built here).
# The nginx topology runs Debian's nginx 1.22 (the upstream image cannot be pulled), resolving
# the hello pods when it starts (nginx.resolveUpstreams=false).
#
# Run it under the cluster lock, like make e2e: flock /tmp/clusterbench-cluster.lock make e2e-kind.
# Environment: NODES (1 or 3, default 1), E2E_TIMEOUT (seconds for everything after the builds,
# default 1200), KEEP_CLUSTER=1 (leave the kind cluster and dockerd up; make kind-down and
# test/kind/dockerd.sh down remove them).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_DIR"

NODES=${NODES:-1}
case $NODES in
  1) KIND_CONFIG=deploy/kind-config.yaml RUNNERS= ;;
  3) KIND_CONFIG=deploy/kind-config-multinode.yaml RUNNERS=2 ;;
  *) echo "e2e-kind: NODES: \"$NODES\" must be 1 (deploy/kind-config.yaml) or 3 (deploy/kind-config-multinode.yaml)" >&2; exit 2 ;;
esac
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

# What the run must leave as it found it, one section per kind of thing: network links (bridges,
# veths), iptables rules of the filter and nat tables (counters left out), mounts under dockerd's
# folders, ip_forward, docker's containers and volumes on disk (whether dockerd runs or not),
# dockerd's processes (its containerd and shims included), /lib/modules (docker makes it for kind).
host_state() {
  local table
  echo "# links"; ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
  for table in filter nat; do
    echo "# iptables -t $table"; iptables-save -t "$table" | grep -v '^#' | sed 's/ \[[0-9]*:[0-9]*\]$//'
  done
  echo "# mounts"; awk -v a="$DOCKERD_STATE" -v b="$DOCKERD_DATA_ROOT" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/mounts | sort
  echo "# ip_forward $(sysctl -n net.ipv4.ip_forward)"
  echo "# docker containers"; ls "$DOCKERD_DATA_ROOT/containers" 2>/dev/null || true
  echo "# docker volumes"; ls "$DOCKERD_DATA_ROOT/volumes" 2>/dev/null || true
  echo "# processes"; pgrep -a -f "$DOCKERD_STATE" | cut -d' ' -f2- | sort || true
  echo "# /lib/modules $([[ -e /lib/modules ]] && echo present || echo absent)"
}

if [[ -z ${E2E_BOUNDED:-} ]]; then
  E2E_HOST_STATE=$(mktemp)
  host_state > "$E2E_HOST_STATE"
  export E2E_HOST_STATE
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

# The host is as the run found it (host_state before the builds, against now), and kind's
# containers and network are gone. Prints what differs; fails if anything does.
check_nothing_left() {
  local left=false
  if "$KIND_DIR/dockerd.sh" status; then
    [[ -z $(docker ps -aq --filter "label=io.x-k8s.kind.cluster=$KIND_CLUSTER_NAME") ]] || { log "left behind: kind node containers"; left=true; }
    docker network inspect kind >/dev/null 2>&1 && { log "left behind: docker network kind"; left=true; }
  fi
  if ! diff -U0 "$E2E_HOST_STATE" <(host_state) > "$WORK_DIR/host-state.diff"; then
    log "the host differs from before the run (- before, + now):"
    grep -v '^@@' "$WORK_DIR/host-state.diff" >&2
    left=true
  fi
  $left && return 1
  log "nothing left behind: links and bridges, iptables (filter, nat), mounts, docker containers and volumes, processes and ip_forward as before the run$($E2E_DOCKERD_STARTED && echo ' (dockerd stopped: this run started it)')"
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
  rm -rf "$WORK_DIR" "$E2E_HOST_STATE"
  log "make e2e-kind $( ((status == 0)) && echo passed || echo FAILED) in $(($(date +%s) - E2E_STARTED))s (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  exit "$status"
}
trap 'finish $?' EXIT

# The probe each node runs (check_across_nodes), in the bench image's Node: GET every target pod by
# its address, then the Service URL PROBE_REQUESTS times, each on a new connection (kube-proxy
# picks an endpoint per connection); prints what answered, as JSON.
# shellcheck disable=SC2016  # JavaScript, not shell
PROBE_JS='
import { get as httpGet } from "node:http";
const [targets, service, requests] = [JSON.parse(process.argv[1]), process.argv[2], Number(process.argv[3])];
const get = (url) =>
  new Promise((resolve) => {
    const req = httpGet(url, { agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, servedBy: res.headers["x-served-by"] }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out after 5 s")));
    req.on("error", (e) => resolve({ error: e.message }));
  });
const pods = [];
for (const t of targets) pods.push({ ...t, ...(await get(`http://${t.ip}:${t.port}/`)) });
const viaService = [];
for (let i = 0; i < requests; i++) viaService.push(await get(service));
console.log(JSON.stringify({ pods, viaService }));
'
PROBE_REQUESTS=30
HELLO_PORT=8080

# Pod-to-pod and pod-to-Service traffic across nodes (kindnetd-stand-in's routes, kube-proxy, CoreDNS).
# From a pod pinned to each node: every hello pod on another node answers at its pod address, with
# its own name in X-Served-By; the hello Service answers all PROBE_REQUESTS requests by its DNS name,
# and they come from pods on both workers (from each node: 30 new connections over 3 pods). Also:
# the hello pods are on both workers (their topology spread).
check_across_nodes() {
  local image node nodes workers pods probe targets failed=false
  log "step 4b/6: traffic across nodes: pod to pod and pod to Service, from a pod on each node"
  image=$(kubectl_ -n "$NAMESPACE" get deployment clusterbench-controller -o jsonpath='{.spec.template.spec.containers[0].image}')
  pods=$(kubectl_ -n "$NAMESPACE" get pods -l app.kubernetes.io/instance=hello -o json |
    jq -c --argjson port "$HELLO_PORT" '[.items[] | {name: .metadata.name, ip: .status.podIP, node: .spec.nodeName, port: $port}]')
  mapfile -t nodes < <(kubectl_ get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
  mapfile -t workers < <(kubectl_ get nodes -l '!node-role.kubernetes.io/control-plane' -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
  log "hello pods: $(jq -r 'map("\(.name) on \(.node)") | join(", ")' <<< "$pods")"
  if [[ $(jq -r --argjson w "$(printf '%s\n' "${workers[@]}" | jq -R . | jq -sc .)" '($w - map(.node)) | length' <<< "$pods") != 0 ]]; then
    log "FAILED: the hello pods are not on every worker (${workers[*]})"
    failed=true
  fi
  for node in "${nodes[@]}"; do
    probe=probe-${node##*-}
    targets=$(jq -c --arg node "$node" 'map(select(.node != $node))' <<< "$pods")
    kubectl_ -n default run "$probe" --image "$image" --image-pull-policy IfNotPresent --restart Never --quiet \
      --overrides "{\"spec\": {\"nodeName\": \"$node\", \"tolerations\": [{\"operator\": \"Exists\"}]}}" \
      --command -- node --input-type=module -e "$PROBE_JS" "$targets" \
      "http://hello.$NAMESPACE.svc.cluster.local:$HELLO_PORT/" "$PROBE_REQUESTS" >/dev/null
  done
  for node in "${nodes[@]}"; do
    probe=probe-${node##*-}
    kubectl_ -n default wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$probe" --timeout=120s >/dev/null ||
      { log "FAILED: probe on $node did not succeed"; kubectl_ -n default describe pod "$probe" | tail -n 20 >&2; }
    kubectl_ -n default logs "$probe" | tail -n 1 > "$WORK_DIR/$probe.json" || true
    kubectl_ -n default delete pod "$probe" --wait=false >/dev/null
    # Every pod on another node answered as itself; every Service request was answered, by pods
    # on both workers.
    if ! jq -e --argjson pods "$pods" --arg node "$node" '
        (.pods | length > 0 and all(.status == 200 and .servedBy == .name))
        and (.viaService | all(.status == 200))
        and ([.viaService[].servedBy as $s | $pods[] | select(.name == $s) | .node] | unique | length) >= 2
      ' "$WORK_DIR/$probe.json" >/dev/null 2>&1; then
      log "FAILED: from $node: $(cat "$WORK_DIR/$probe.json")"
      failed=true
      continue
    fi
    log "from $node: $(jq -r '(.pods | map("\(.name) (\(.node)) \(.status)") | join(", ")) + "; Service: \(.viaService | length) answered by " + (.viaService | group_by(.servedBy) | map("\(.[0].servedBy) \(length)") | join(", "))' "$WORK_DIR/$probe.json")"
  done
  $failed && die "traffic across nodes failed"
  log "traffic across nodes: every hello pod answered from every other node by pod address, and the Service by name"
}

# Each run's runner pods are on different nodes (NODES > 1, RUNNERS=2): the Job pods of the Benchmark,
# grouped by topology, trial and attempt. The report says where they ran: its environment.nodes
# lists, per topology, exactly these pods on exactly these nodes (checked against kubectl).
check_runner_spread() {
  local pods runs actual reported
  pods=$(kubectl_ -n "$NAMESPACE" get pods -l "clusterbench.dev/benchmark=$BENCHMARK" -o json)
  runs=$(jq -c '
    [.items | group_by(.metadata.labels["clusterbench.dev/topology"], .metadata.labels["clusterbench.dev/trial"], .metadata.labels["clusterbench.dev/attempt"])[]
     | {run: (.[0].metadata.labels | "\(.["clusterbench.dev/topology"]) trial \(.["clusterbench.dev/trial"]) attempt \(.["clusterbench.dev/attempt"])"),
        nodes: map(.spec.nodeName)}]' <<< "$pods")
  log "runner pods: $(jq -r 'map("\(.run): \(.nodes | join(" "))") | join("; ")' <<< "$runs")"
  jq -e --argjson n "$RUNNERS" 'length > 0 and all(.nodes | length == $n and (unique | length) == $n)' <<< "$runs" >/dev/null ||
    die "the runner pods of a run are not on $RUNNERS different nodes"
  log "the $RUNNERS runner pods of every run are on $RUNNERS different nodes"
  actual=$(jq -S '.items | group_by(.metadata.labels["clusterbench.dev/topology"])
    | map({key: .[0].metadata.labels["clusterbench.dev/topology"], value: (map({key: .metadata.name, value: .spec.nodeName}) | from_entries)})
    | from_entries' <<< "$pods")
  reported=$(jq -S '.environment.nodes.topologies // {} | map_values(.runners)' "$WORK_DIR/report.json")
  [[ $actual == "$reported" ]] || die "the report's runner nodes differ from the pods': report $(jq -c . <<< "$reported"), kubectl $(jq -c . <<< "$actual")"
  log "the report names each runner pod's node as kubectl does; its nodes: $(jq -r '.environment.nodes.nodes | to_entries | map("\(.key) \(.value.cpus) CPUs") | join(", ")' "$WORK_DIR/report.json"); runners and servers shared: $(jq -r '.environment.nodes.shared | join(", ") | if . == "" then "none" else . end' "$WORK_DIR/report.json")"
}
trap 'log "interrupted (E2E_TIMEOUT=${E2E_TIMEOUT}s?)"; exit 143' TERM INT

log "step 2/6: $(kind version): create cluster $KIND_CLUSTER_NAME ($NODES node(s)) from $KIND_CONFIG with $E2E_NODE_IMAGE"
kind create cluster --name "$KIND_CLUSTER_NAME" --config "$KIND_CONFIG" --image "$E2E_NODE_IMAGE" --wait 300s
kubectl_ wait --for=condition=Ready nodes --all --timeout=120s >/dev/null
kubectl_ get nodes -o wide
[[ $(kubectl_ get nodes -o name | wc -l) == "$NODES" ]] || die "the cluster has $(kubectl_ get nodes -o name | wc -l) nodes, not $NODES"

log "step 3/6: nginx (Debian's, as in make e2e) into the cluster"
NGINX_IMAGE=$("$KIND_DIR/nginx-image.sh")
kind load docker-image "$NGINX_IMAGE" --name "$KIND_CLUSTER_NAME"

log "step 4/6: make deploy CLUSTER=kind (make images, kind load docker-image, apply; ingress-nginx left out)"
TIMEOUT=300s make --no-print-directory deploy CLUSTER=kind \
  SET="ingressNginx.enabled=false nginx.image=$NGINX_IMAGE nginx.resolveUpstreams=false"

if ((NODES > 1)); then check_across_nodes; fi

log "step 5/6: make bench SCENARIO=quick TOPOLOGIES=$TOPOLOGIES RUNNERS=$RUNNERS, then check the report ConfigMap"
make --no-print-directory bench SCENARIO=quick TOPOLOGIES="$TOPOLOGIES" RUNNERS="$RUNNERS" ARGS="--name $BENCHMARK"
kubectl_ -n "$NAMESPACE" get configmap "$BENCHMARK-report" -o jsonpath='{.data.report\.json}' > "$WORK_DIR/report.json"
node "$CLUSTER_DIR/check-report.mjs" "$WORK_DIR/report.json" "$TOPOLOGIES" ${RUNNERS:+--runners "$RUNNERS"}
if ((NODES > 1)); then check_runner_spread; fi
log "memory: $(free -m | awk '/^Mem:/ { print "used " $3 " MiB of " $2 }'); kind nodes: $(docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' | grep "^$KIND_CLUSTER_NAME-" | sed 's| / .*||' | paste -sd, -)"
kubectl_ -n "$NAMESPACE" get configmap "$BENCHMARK-report" -o jsonpath='{.data.report\.md}'
echo
