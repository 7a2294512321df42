#!/usr/bin/env bash
# The clusterbench images for `make e2e` (the host-process cluster of test/cluster), built the way
# a user builds them: `make images` runs `docker build` on images/*/Dockerfile. The images are saved
# as archives where test/cluster/images.sh imports them from ($CLUSTERBENCH_CACHE/images), so one
# image path serves users and both test clusters.
#
#   test/kind/app-images.sh      (as root; make e2e runs it before the cluster comes up)
#
# It starts our dockerd (dockerd.sh) only if an archive is missing, and stops it again if it
# started it, so dockerd's iptables rules are gone before the cluster's bridge comes up.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_DIR"

IMAGE_CACHE=$CACHE_DIR/images
archive() { echo "$IMAGE_CACHE/${1//[\/:]/_}.tar"; }
# An archive `docker save` wrote (older ones were packed by test/cluster/tools/ociimage instead).
saved_by_docker() { [[ -f $1 ]] && tar -tf "$1" | grep -qx manifest.json; }
mapfile -t refs < <(node build/src/cli.js synth --print-images --set cluster=generic | awk '{ print $2 }')
((${#refs[@]} == 3)) || die "expected three images from synth --print-images, got: ${refs[*]}"

missing=()
for ref in "${refs[@]}"; do saved_by_docker "$(archive "$ref")" || missing+=("$ref"); done
if ((${#missing[@]} == 0)); then
  log "images: archives of ${refs[*]} are cached"
  exit 0
fi

started=false
if ! "$KIND_DIR/dockerd.sh" status; then
  "$KIND_DIR/dockerd.sh" up >/dev/null
  started=true
fi
trap '$started && "$KIND_DIR/dockerd.sh" down' EXIT

"$KIND_DIR/stand-ins.sh"
started_build=$SECONDS
make --no-print-directory images CLUSTER=generic
log "images: make images took $((SECONDS - started_build))s"
mkdir -p "$IMAGE_CACHE"
for ref in "${missing[@]}"; do
  docker save "$ref" -o "$(archive "$ref").tmp"
  mv "$(archive "$ref").tmp" "$(archive "$ref")"
  log "images: $ref saved ($(du -h "$(archive "$ref")" | cut -f1))"
done
# Older builds of our images (each source change gives a new tag) and dangling build stages.
tag=${refs[0]##*:}
docker images --format '{{.Repository}}:{{.Tag}}' 'clusterbench/*' | grep -v ":$tag\$" | xargs -r docker rmi >/dev/null || true
docker image prune -f >/dev/null
