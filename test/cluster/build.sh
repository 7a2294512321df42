#!/usr/bin/env bash
# Builds the cluster's programs into the cache ($CLUSTERBENCH_CACHE, default ~/.cache/clusterbench):
# Kubernetes (k8s/go.mod), CoreDNS (coredns/go.mod) and the image tools (tools/). A module is
# rebuilt only when its go.mod, go.sum or sources change. Cold, Kubernetes takes most of the time.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
mkdir -p "$BIN_DIR"

# build_module DIR: `go build` every tool (or command) of the Go module in DIR, in one invocation
# so packages they share compile once.
build_module() {
  local dir=$CLUSTER_DIR/$1 patterns=$2 ldflags="-s -w ${3:-}" key stamp=$BIN_DIR/.built-$1
  key=$( (echo "$ldflags"; cd "$dir" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-32)
  if [[ -f $stamp && $(cat "$stamp") == "$key" ]]; then
    log "$1: up to date"
    return
  fi
  log "$1: building (cold Kubernetes builds take a long while on 2 cores)"
  local started=$SECONDS
  # shellcheck disable=SC2086 # patterns is a list
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags="$ldflags" -o "$BIN_DIR/" $patterns)
  echo "$key" > "$stamp"
  log "$1: built in $((SECONDS - started))s"
}

# Stamp the version, as Kubernetes' own build does (kubectl version and the node's status show it).
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
k8s_version_flags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_version_flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
build_module k8s tool "$k8s_version_flags"
build_module coredns tool
build_module tools ./...
