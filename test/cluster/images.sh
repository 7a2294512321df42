#!/usr/bin/env bash
# Builds the cluster's container images offline, as one-layer OCI archives made from what this
# machine has (tools/ociimage), and imports them into the running cluster's containerd (k8s.io
# namespace, where the kubelet looks). Archives are cached in $CLUSTERBENCH_CACHE/images by tag.
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
  # The Go servers: static binaries from `make build-go`, as images/*/Dockerfile build them.
  for name in hello rpc-gateway; do
    ref=clusterbench/$name:$tag
    if needs "$ref"; then
      [[ -x $REPO_DIR/bin/$name ]] || die "bin/$name missing: run make build-go first"
      mkdir -p "$STAGE/$name" && cp "$REPO_DIR/bin/$name" "$STAGE/$name/$name"
    fi
    image "$name" "$ref" -entrypoint "[\"/$name\"]" -port 8080/tcp
  done

  # The bench image (controller and load runners): this machine's Node, build/ and the
  # production node_modules, in /app.
  ref=clusterbench/bench:$tag
  if needs "$ref"; then
    [[ -f $REPO_DIR/build/src/cli.js ]] || die "build/ missing: run make build-ts first"
    local app=$STAGE/bench/app
    mkdir -p "$app" "$STAGE/bench/tmp" && chmod 1777 "$STAGE/bench/tmp"
    stage_with_libs "$STAGE/bench" "$(readlink -f "$(command -v node)")"
    [[ -e $STAGE/bench/usr/bin/node ]] || ln -s "$(readlink -f "$(command -v node)")" "$STAGE/bench/usr/bin/node"
    cp -a "$REPO_DIR/build" "$REPO_DIR/package.json" "$REPO_DIR/package-lock.json" "$REPO_DIR/node_modules" "$app/"
    (cd "$app" && npm prune --omit=dev --offline --no-audit --no-fund >/dev/null 2>&1) || die "npm prune --omit=dev failed in $app"
    passwd_files "$STAGE/bench" 65532 nonroot
  fi
  image bench "$ref" -workdir /app -env "$PATH_ENV" -env NODE_ENV=production -entrypoint '["node", "build/src/cli.js"]' -cmd '["--help"]'

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
