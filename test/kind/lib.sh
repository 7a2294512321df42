# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by the scripts that source this
# Shared settings of the test/kind scripts (sourced, not run), on top of test/cluster/lib.sh
# (cache folder, Kubernetes version, log and die).
# shellcheck source=SCRIPTDIR/../cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../cluster/lib.sh"

KIND_DIR=$REPO_DIR/test/kind
# Root filesystems, Debian packages, add-on programs: what the offline images are made of.
KIND_CACHE=$CACHE_DIR/kind
KIND_VERSION=v0.33.0
KIND_BIN=$KIND_CACHE/bin/kind
# The node image test/kind/node-image.sh builds (its tag: a hash of its inputs, see there).
NODE_IMAGE_REPO=clusterbench.local/kind-node

# The Debian release and mirror the root filesystems come from: this machine's apt mirror.
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${DEBIAN_MIRROR:-$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Our dockerd (dockerd.sh): every docker and kind command of these scripts talks to it. Its socket,
# pid file and exec root live in DOCKERD_STATE, its image store (containers, volumes) in DOCKERD_DATA_ROOT.
DOCKERD_STATE=/run/clusterbench-docker
DOCKERD_DATA_ROOT=$CACHE_DIR/docker
export DOCKER_HOST=unix://$DOCKERD_STATE/docker.sock

# rootfs NAME PACKAGE...: prints the path of a tar of a Debian minbase root filesystem with
# PACKAGEs (debootstrap, from DEBIAN_MIRROR), built once per package list and cached. Documentation,
# manual pages and apt's lists are left out, as in Debian's -slim images.
rootfs() {
  local name=$1; shift
  local packages key tar dir
  packages=$(IFS=,; echo "$*")
  key=$(echo "$DEBIAN_SUITE $DEBIAN_MIRROR $packages" | sha256sum | cut -c1-12)
  tar=$KIND_CACHE/rootfs/$name-$key.tar
  if [[ ! -f $tar ]]; then
    mkdir -p "$KIND_CACHE/rootfs" "$KIND_CACHE/debs"
    find "$KIND_CACHE/rootfs" -name "$name-*.tar" -delete
    dir=$(mktemp -d)
    log "rootfs $name: debootstrap $DEBIAN_SUITE from $DEBIAN_MIRROR with $packages"
    debootstrap --variant=minbase --cache-dir="$KIND_CACHE/debs" --include="$packages" \
      "$DEBIAN_SUITE" "$dir" "$DEBIAN_MIRROR" > "$KIND_CACHE/rootfs/$name.log" 2>&1 \
      || { tail -n 20 "$KIND_CACHE/rootfs/$name.log" >&2; rm -rf "$dir"; die "debootstrap of $name failed"; }
    find "$dir/usr/share/doc" -type f ! -name copyright -delete
    rm -rf "$dir"/usr/share/{man,info,locale} "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/log/*
    tar -C "$dir" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$dir"
    log "rootfs $name: $(du -h "$tar" | cut -f1)"
  fi
  echo "$tar"
}

# import_rootfs REF TAR [CHANGE...]: REF is the root filesystem TAR (from rootfs) as an image, with
# PATH set and the Dockerfile instructions CHANGE; imported again only when TAR changed.
import_rootfs() {
  local ref=$1 tar=$2 change args=(); shift 2
  for change in 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$@"; do args+=(--change "$change"); done
  if [[ $(docker image inspect -f '{{index .Config.Labels "clusterbench.rootfs"}}' "$ref" 2>/dev/null) != "$(basename "$tar")" ]]; then
    docker import --change "LABEL clusterbench.rootfs=$(basename "$tar")" "${args[@]}" "$tar" "$ref" >/dev/null
    log "image $ref imported from $(basename "$tar")"
  fi
}

# Debian bookworm minbase + ca-certificates, the base of the stand-ins and of the small images.
DEBIAN_SLIM=clusterbench.local/debian:$DEBIAN_SUITE-slim
import_debian_slim() { import_rootfs "$DEBIAN_SLIM" "$(rootfs slim ca-certificates)" 'CMD ["bash"]'; }

# image_exists REF: true when our dockerd holds REF.
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
