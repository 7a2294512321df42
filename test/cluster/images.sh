#!/usr/bin/env bash
# Imports the cluster's container images into the running cluster's containerd (k8s.io namespace,
# where the kubelet looks) from archives cached in $CLUSTERBENCH_CACHE/images by tag. pause, CoreDNS
# and nginx are built here offline, as one-layer OCI archives made from what this machine has
# (tools/ociimage); clusterbench's own images are the ones `make images` builds from
# images/*/Dockerfile, saved by test/kind/app-images.sh.
#
#   images.sh system                  pause and CoreDNS (cluster-up.sh runs this)
#   images.sh app TAG NGINX_REF       clusterbench/{hello,rpc-gateway,bench}:TAG and Debian's nginx as NGINX_REF
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

IMAGE_CACHE=$CACHE_DIR/images
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
PATH_ENV=PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin

# stage_with_libs ROOTFS FILE...: copies each program and the shared libraries it links to
# (dynamic loader included) to the same paths under ROOTFS.
stage_with_libs() {
  local root=$1 file lib; shift
  mkdir -p "$root"
  for file in "$@"; do
    cp -L --parents "$file" "$root"
    for lib in $(ldd "$file" 2>/dev/null | grep -o '/[^ ]*'); do
      cp -L --parents "$lib" "$root"
    done
  done
}

# passwd_files ROOTFS UID NAME: /etc/passwd and /etc/group naming the image's user.
passwd_files() {
  mkdir -p "$1/etc"
  printf 'root:x:0:0:root:/root:/sbin/nologin\n%s:x:%s:%s:%s:/nonexistent:/sbin/nologin\n' "$3" "$2" "$2" "$3" > "$1/etc/passwd"
  printf 'root:x:0:\n%s:x:%s:\n' "$3" "$2" > "$1/etc/group"
}

# image NAME REF OCIIMAGE-FLAGS...: packs $STAGE/NAME into an archive for REF (once per REF) and
# imports it.
image() {
  local name=$1 ref=$2; shift 2
  local archive=$IMAGE_CACHE/${ref//[\/:]/_}.tar
  if [[ ! -f $archive ]]; then
    mkdir -p "$IMAGE_CACHE"
    "$BIN_DIR/ociimage" -rootfs "$STAGE/$name" -ref "$ref" -o "$archive.tmp" "$@"
    mv "$archive.tmp" "$archive"
    log "image $ref built ($(du -h "$archive" | cut -f1))"
  fi
  ctr --address "$CONTAINERD_SOCK" --namespace k8s.io images import "$archive" >/dev/null
}

# needs REF: true when REF's archive is not cached yet (so its root filesystem must be staged).
needs() { [[ ! -f $IMAGE_CACHE/${1//[\/:]/_}.tar ]]; }

system_images() {
  if needs "$PAUSE_IMAGE"; then
    mkdir -p "$STAGE/pause" && cp "$BIN_DIR/pause" "$STAGE/pause/pause"
  fi
  image pause "$PAUSE_IMAGE" -user 65535 -entrypoint '["/pause"]'
  if needs "$COREDNS_IMAGE"; then
    mkdir -p "$STAGE/coredns" && cp "$BIN_DIR/coredns" "$STAGE/coredns/coredns"
  fi
  image coredns "$COREDNS_IMAGE" -entrypoint '["/coredns"]' -port 1053/udp -port 1053/tcp
}

app_images() {
  local tag=$1 nginx_ref=$2 ref
  # Each source change gives a new tag: keep only this tag's archives.
  find "$IMAGE_CACHE" -maxdepth 1 -name 'clusterbench_*' ! -name "*_$tag.tar" -delete 2>/dev/null || true
  # hello, rpc-gateway and bench: built from images/*/Dockerfile by `make images` and saved as
  # archives by test/kind/app-images.sh (make e2e runs it first).
  for name in hello rpc-gateway bench; do
    ref=clusterbench/$name:$tag
    needs "$ref" && die "no archive of $ref in $IMAGE_CACHE: run test/kind/app-images.sh first"
    image "$name" "$ref"
  done

  # nginx from Debian's package: the binary, its libraries and mime.types; run as a numeric
  # non-root user (101, as the nginx-unprivileged images), on 8080, with the config mounted.
  if needs "$nginx_ref"; then
    local root=$STAGE/nginx
    stage_with_libs "$root" /usr/sbin/nginx
    mkdir -p "$root/etc/nginx" "$root/var/log/nginx" "$root/var/lib/nginx" "$root/tmp" && chmod 1777 "$root/tmp"
    cp /etc/nginx/mime.types "$root/etc/nginx/"
    passwd_files "$root" 101 nginx
  fi
  image nginx "$nginx_ref" -user 101 -env "$PATH_ENV" -entrypoint '["nginx", "-g", "daemon off;"]' -port 8080/tcp
}

case ${1:-} in
  system) system_images ;;
  app) [[ $# -eq 3 ]] || { echo "usage: $0 app TAG NGINX_REF" >&2; exit 2; }; app_images "$2" "$3" ;;
  *) echo "usage: $0 system | app TAG NGINX_REF" >&2; exit 2 ;;
esac
