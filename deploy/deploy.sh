#!/usr/bin/env bash
# clusterbench's deploy steps, run by `make images`, `make deploy`, `make undeploy`, `make kind-down`.
#
#   deploy/deploy.sh images|push|deploy|undeploy|kind-down
#
# Inputs (environment; the Makefile passes them):
#   CLUSTER           kind (default) | minikube | generic (the current kubectl context)
#   SYNTH_ARGS        arguments for `clusterbench synth`, e.g. "--set cluster=kind --set hello.cpu=250m"
#   KIND_CLUSTER_NAME kind cluster name (default clusterbench)
#   MINIKUBE_PROFILE  minikube profile (default clusterbench)
#   SKIP_IMAGES=1     neither build nor load images (they are already where the nodes find them)
#   CONTAINER_TOOL    docker or podman (default: whichever is installed, docker first)
#   CLI               how to run clusterbench (default: node build/src/cli.js)
#   DIST              manifests folder (default dist)
#   TIMEOUT           per wait, kubectl duration (default 300s)
# Every step is idempotent: a second run changes nothing that is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER=${CLUSTER:-kind}
SYNTH_ARGS=${SYNTH_ARGS:-}
KIND_CLUSTER_NAME=${KIND_CLUSTER_NAME:-clusterbench}
MINIKUBE_PROFILE=${MINIKUBE_PROFILE:-clusterbench}
SKIP_IMAGES=${SKIP_IMAGES:-0}
CLI=${CLI:-node build/src/cli.js}
DIST=${DIST:-dist}
TIMEOUT=${TIMEOUT:-300s}
KIND_CONFIG=deploy/kind-config.yaml
# Tries of the first Ingress apply, RETRY_DELAY seconds apart, while an admission webhook (minikube's addon) starts.
INGRESS_APPLY_TRIES=${INGRESS_APPLY_TRIES:-36}
RETRY_DELAY=${RETRY_DELAY:-5}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'deploy: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed (needed for CLUSTER=$CLUSTER)"; }

# Word splitting of SYNTH_ARGS and CLI is intended: they hold several arguments.
# shellcheck disable=SC2086
clusterbench() { $CLI "$@"; }

case "$CLUSTER" in
  kind | minikube | generic) ;;
  *) printf 'deploy: CLUSTER: "%s" is not allowed (allowed: kind, minikube, generic)\n' "$CLUSTER" >&2; exit 2 ;;
esac

container_tool() {
  if [[ -n ${CONTAINER_TOOL:-} ]]; then echo "$CONTAINER_TOOL"; return; fi
  if command -v docker >/dev/null 2>&1; then echo docker; return; fi
  if command -v podman >/dev/null 2>&1; then echo podman; return; fi
  die 'neither docker nor podman is installed (set CONTAINER_TOOL, or SKIP_IMAGES=1 if the nodes have the images)'
}

# "name reference" lines for the three images, from the same configuration as the manifests.
# Computed once per run (each `clusterbench` start costs a second).
IMAGE_REFS=
# shellcheck disable=SC2086
resolve_image_refs() { [[ -n $IMAGE_REFS ]] || IMAGE_REFS=$(clusterbench synth --print-images $SYNTH_ARGS); }

build_images() {
  local tool name ref
  tool=$(container_tool)
  resolve_image_refs
  while read -r name ref; do
    # The tag is a hash of the build inputs: an image that exists is the one these sources build.
    if "$tool" image inspect "$ref" >/dev/null 2>&1; then
      log "$ref is built"
      continue
    fi
    log "building $ref"
    case "$name" in
      hello | rpc-gateway) "$tool" build -f "images/$name/Dockerfile" -t "$ref" images ;;
      bench) "$tool" build -f images/bench/Dockerfile -t "$ref" . ;;
      *) die "unknown image $name" ;;
    esac
  done <<<"$IMAGE_REFS"
}

# For a cluster whose nodes pull: images.registry (make push REGISTRY=registry.example.com/team).
push_images() {
  local tool name ref
  tool=$(container_tool)
  resolve_image_refs
  while read -r name ref; do
    log "push $ref"
    "$tool" push "$ref"
  done <<<"$IMAGE_REFS"
}

load_images() {
  local name ref
  resolve_image_refs
  while read -r name ref; do
    case "$CLUSTER" in
      kind) log "kind load $name"; kind load docker-image "$ref" --name "$KIND_CLUSTER_NAME" ;;
      minikube) log "minikube image load $name"; minikube -p "$MINIKUBE_PROFILE" image load "$ref" ;;
      generic) ;; # The nodes pull from images.registry, or already hold the images.
    esac
  done <<<"$IMAGE_REFS"
}

ensure_cluster() {
  case "$CLUSTER" in
    kind)
      need kind
      if kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER_NAME"; then
        log "kind cluster $KIND_CLUSTER_NAME exists"
      else
        log "creating kind cluster $KIND_CLUSTER_NAME from $KIND_CONFIG"
        kind create cluster --name "$KIND_CLUSTER_NAME" --config "$KIND_CONFIG" --wait "$TIMEOUT"
      fi
      KUBECTL=(kubectl --context "kind-$KIND_CLUSTER_NAME")
      ;;
    minikube)
      need minikube
      if minikube -p "$MINIKUBE_PROFILE" status >/dev/null 2>&1; then
        log "minikube profile $MINIKUBE_PROFILE is running"
      else
        log "starting minikube profile $MINIKUBE_PROFILE"
        minikube -p "$MINIKUBE_PROFILE" start --cpus 2 --memory 4096
      fi
      # minikube ships ingress-nginx as an addon (IngressClass nginx); the manifests leave it out.
      minikube -p "$MINIKUBE_PROFILE" addons enable ingress
      KUBECTL=(kubectl --context "$MINIKUBE_PROFILE")
      ;;
    generic)
      KUBECTL=(kubectl --context "$(kubectl config current-context)")
      ;;
  esac
}

# The manifests of this configuration, in apply order (namespaces first, the Ingress last).
# shellcheck disable=SC2086
synth() { clusterbench synth --out "$DIST" $SYNTH_ARGS >&2; }

ingress_file() { compgen -G "$DIST/*-ingress.k8s.yaml" || true; }

apply_with_retry() {
  local file=$1 try
  for ((try = 1; try <= INGRESS_APPLY_TRIES; try++)); do
    if "${KUBECTL[@]}" apply -f "$file"; then return 0; fi
    log "apply $file failed (try $try of $INGRESS_APPLY_TRIES; the ingress admission webhook may still be starting)"
    sleep "$RETRY_DELAY"
  done
  die "could not apply $file"
}

wait_rollouts() {
  local namespace=$1 deployment
  for deployment in $("${KUBECTL[@]}" -n "$namespace" get deployments -o name); do
    "${KUBECTL[@]}" -n "$namespace" rollout status "$deployment" --timeout "$TIMEOUT"
  done
}

# Applies one file and waits for the Deployments in it, so each unit is up before the next one:
# the balancers start after the hello servers (an nginx before 1.27.3 resolves them only at start).
apply_and_wait() {
  local file=$1 kind namespace name
  log "apply $file"
  "${KUBECTL[@]}" apply -f "$file"
  while read -r kind namespace name; do
    [[ $kind == Deployment ]] || continue
    "${KUBECTL[@]}" -n "$namespace" rollout status "deployment/$name" --timeout "$TIMEOUT"
  done < <("${KUBECTL[@]}" get -f "$file" --no-headers -o custom-columns=KIND:.kind,NAMESPACE:.metadata.namespace,NAME:.metadata.name)
}

print_access() {
  local ingress_url
  case "$CLUSTER" in
    kind) ingress_url='http://127.0.0.1/   (ingress-nginx host port 80 through the kind node)' ;;
    minikube) ingress_url="http://$(minikube -p "$MINIKUBE_PROFILE" ip)/   (run 'minikube -p $MINIKUBE_PROFILE tunnel' if the docker driver hides the node)" ;;
    generic) ingress_url="node port of: ${KUBECTL[*]} -n ingress-nginx get service ingress-nginx-controller" ;;
  esac
  cat <<EOF

clusterbench is deployed (context ${KUBECTL[2]}, namespace $NAMESPACE). Each topology:
  single        ${KUBECTL[*]} -n $NAMESPACE port-forward service/hello-single 8081:8080   then curl http://127.0.0.1:8081/
  nginx         ${KUBECTL[*]} -n $NAMESPACE port-forward service/nginx 8082:8080          then curl http://127.0.0.1:8082/
  rpc-gateway   ${KUBECTL[*]} -n $NAMESPACE port-forward service/rpc-gateway 8083:8080    then curl http://127.0.0.1:8083/
  ingress-nginx $ingress_url
Benchmark from inside the cluster: make bench (it uses the current context: kubectl config use-context ${KUBECTL[2]}).
EOF
}

deploy() {
  need kubectl
  ensure_cluster
  if [[ $SKIP_IMAGES != 1 ]]; then
    build_images
    load_images
  fi
  synth
  local file ingress
  # shellcheck disable=SC2086
  NAMESPACE=$(clusterbench synth --print-namespace $SYNTH_ARGS) # the setting namespace, as the manifests
  ingress=$(ingress_file)
  for file in "$DIST"/*.k8s.yaml; do
    [[ $file == "$ingress" ]] && continue
    apply_and_wait "$file"
  done
  "${KUBECTL[@]}" wait --for condition=Established crd/benchmarks.clusterbench.dev --timeout "$TIMEOUT"
  wait_rollouts "$NAMESPACE"
  if "${KUBECTL[@]}" get namespace ingress-nginx >/dev/null 2>&1; then
    wait_rollouts ingress-nginx
  else
    log 'no ingress-nginx in this cluster: the ingress-nginx topology will not answer'
  fi
  if [[ -n $ingress ]]; then apply_with_retry "$ingress"; fi
  print_access
}

undeploy() {
  need kubectl
  case "$CLUSTER" in
    kind) KUBECTL=(kubectl --context "kind-$KIND_CLUSTER_NAME") ;;
    minikube) KUBECTL=(kubectl --context "$MINIKUBE_PROFILE") ;;
    generic) KUBECTL=(kubectl --context "$(kubectl config current-context)") ;;
  esac
  synth
  local file files
  # Reverse apply order: the Ingress and workloads before their namespaces.
  mapfile -t files < <(printf '%s\n' "$DIST"/*.k8s.yaml | sort -r)
  for file in "${files[@]}"; do
    log "delete $file"
    "${KUBECTL[@]}" delete --ignore-not-found --wait -f "$file"
  done
}

kind_down() {
  need kind
  if kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER_NAME"; then
    kind delete cluster --name "$KIND_CLUSTER_NAME"
  else
    log "no kind cluster $KIND_CLUSTER_NAME"
  fi
}

case "${1:-}" in
  images) build_images ;;
  push) build_images; push_images ;;
  deploy) deploy ;;
  undeploy) undeploy ;;
  kind-down) kind_down ;;
  *) printf 'usage: deploy/deploy.sh images|push|deploy|undeploy|kind-down\n' >&2; exit 2 ;;
esac
