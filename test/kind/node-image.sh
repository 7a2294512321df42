#!/usr/bin/env bash
# kind's node image, built offline by kind itself: `kind build node-image --type file` from a
# Kubernetes "release tarball" made of the programs test/cluster/build.sh builds, on a base image made
# from Debian packages and kind's own base files. Prints the image's name on stdout.
#
#   test/kind/node-image.sh      (as root, with test/kind/dockerd.sh up)
#
# Where it differs from kindest/node (the exact list is in test/kind/README.md):
# - base: Debian bookworm (debootstrap) with Debian's containerd 1.6, runc 1.1 and CNI plugins 1.1
#   instead of trixie with containerd 2.x, runc 1.4 and CNI plugins 1.9 built by kind; kind's base
#   files (entrypoint, systemd units, containerd config) as they are, except that containerd runs
#   with restrict_oom_score_adj (this machine lacks CAP_SYS_RESOURCE; test/cluster does the same);
#   ctr-compat stands in front of Debian's ctr for the two 2.x calls kind makes.
# - images: kube-apiserver, -controller-manager, -scheduler on an empty base (upstream: distroless
#   + go-runner), kube-proxy on Debian with iptables; etcd 3.6.5 and CoreDNS 1.12.1 (the versions
#   kubeadm 1.34 names) and local-path-provisioner v0.0.30 (kind uses v0.0.34, which the Go module
#   proxy does not serve) built from the Go module proxy; pause is test/cluster's Go pause; kindnetd
#   is kindnetd-stand-in (kindnetd's source is not in the proxy), all under the names kind expects.
# - kind's build pulls every image that the tarball's four image archives do not carry. Nothing can
#   be pulled here, so kube-proxy.tar carries the add-on images as well (one archive may hold
#   several images; kind reads all their names from its `repositories` file).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
docker version >/dev/null 2>&1 || die "our dockerd does not answer at $DOCKER_HOST: test/kind/dockerd.sh up"

# go_tool MODULE OUTPUT PACKAGE: builds the tool PACKAGE of the Go module test/kind/MODULE into
# $KIND_CACHE/bin/OUTPUT, again only when the module's go.mod or go.sum changed.
go_tool() {
  local dir=$KIND_DIR/$1 out=$KIND_CACHE/bin/$2 key started=$SECONDS
  key=$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-32)
  [[ -x $out && $(cat "$out.built" 2>/dev/null) == "$key" ]] && return
  log "building $2 ($1/go.mod)"
  mkdir -p "$KIND_CACHE/bin"
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$out" "$3")
  echo "$key" > "$out.built"
  log "$2 built in $((SECONDS - started))s"
}

# build_image REF FILE...: builds REF from the Dockerfile on stdin, with FILEs (paths) in the build
# context under their base names; skipped when REF exists from the same Dockerfile, files and
# FROM image.
build_image() {
  local ref=$1 context key file from; shift
  context=$STAGE/context-${ref//[\/:]/_}
  mkdir -p "$context"
  cat > "$context/Dockerfile"
  for file in "$@"; do ln -s "$(readlink -f "$file")" "$context/$(basename "$file")"; done
  from=$(awk '$1 == "FROM" { print $2; exit }' "$context/Dockerfile")
  key=$( (cat "$context/Dockerfile"; [[ $from == scratch ]] || docker image inspect -f '{{.Id}}' "$from"
    for file in "$@"; do sha256sum < "$file"; done) | sha256sum | cut -c1-16)
  if [[ $(docker image inspect -f '{{index .Config.Labels "clusterbench.inputs"}}' "$ref" 2>/dev/null) == "$key" ]]; then
    return
  fi
  echo "LABEL clusterbench.inputs=$key" >> "$context/Dockerfile"
  tar -C "$context" -ch . | docker build -q -t "$ref" - >/dev/null
  log "image $ref built"
}

# save_archive OUT REF...: `docker save` of REFs into OUT, each image named in full
# (docker.io/kindest/kindnetd, not kindest/kindnetd: kind compares the names as written). kind reads
# an archive's names from the first of `repositories` and manifest.json it meets, and from
# manifest.json only the first image's: `repositories` (every name) goes first.
save_archive() {
  local out=$1 dir=$STAGE/archive; shift
  rm -rf "$dir" && mkdir -p "$dir"
  docker save "$@" | tar -xf - -C "$dir"
  jq -c 'map(.RepoTags |= map(if (split("/")[0] | test("[.:]|^localhost$")) then . else "docker.io/" + . end))' \
    "$dir/manifest.json" > "$STAGE/manifest.json"
  mv "$STAGE/manifest.json" "$dir/manifest.json"
  jq -c 'reduce (.[] | (.Config | split("/") | last | sub("\\.json$"; "")) as $id | .RepoTags[]
      | capture("^(?<repo>.+):(?<tag>[^:/]+)$") | .id = $id) as $t ({}; .[$t.repo][$t.tag] = $t.id)' \
    "$dir/manifest.json" > "$dir/repositories"
  (cd "$dir" && find . -mindepth 1 -maxdepth 1 ! -name repositories ! -name manifest.json -printf '%P\n' | sort |
    tar -cf "$out" repositories manifest.json -T -)
  rm -rf "$dir"
}

# --- programs: kind itself, then what kubeadm's and kind's images run
go_tool kind kind sigs.k8s.io/kind
go_tool etcd etcd go.etcd.io/etcd/server/v3
go_tool coredns coredns github.com/coredns/coredns
go_tool local-path-provisioner local-path-provisioner github.com/rancher/local-path-provisioner
go_tool crictl crictl sigs.k8s.io/cri-tools/cmd/crictl
for program in kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy pause; do
  [[ -x $BIN_DIR/$program ]] || die "$BIN_DIR/$program missing: run test/cluster/build.sh"
done
KIND_SOURCE=$(cd "$KIND_DIR/kind" && go list -m -f '{{.Dir}}' sigs.k8s.io/kind)
[[ -d $KIND_SOURCE/images/base/files ]] || die "kind's base files not found in $KIND_SOURCE"

# --- base images: Debian root filesystems (test/kind/lib.sh rootfs)
NET_BASE=clusterbench.local/debian-net:$DEBIAN_SUITE
import_rootfs "$NET_BASE" "$(rootfs net ca-certificates iptables nftables conntrack iproute2 curl jq)"
import_debian_slim
import_rootfs clusterbench.local/kind-base-rootfs:$DEBIAN_SUITE "$(rootfs node systemd conntrack iptables \
  nftables iproute2 ethtool util-linux mount kmod libseccomp2 pigz e2fsprogs bash ca-certificates curl jq \
  procps containerd runc containernetworking-plugins)"

# kind's base image (kind's images/base/Dockerfile, steps kept in order) on the Debian packages.
cp -r "$KIND_SOURCE/images/base/files" "$STAGE/base-files"
chmod -R u+w "$STAGE/base-files"
sed -i 's/^\(\s*restrict_oom_score_adj\s*=\s*\)false/\1true/' "$STAGE/base-files/etc/containerd/config.toml"
grep -q 'restrict_oom_score_adj = true' "$STAGE/base-files/etc/containerd/config.toml" || die "could not set restrict_oom_score_adj in kind's containerd config"
find "$STAGE/base-files" -type d -exec chmod 0755 {} + && find "$STAGE/base-files" -type f -exec chmod 0644 {} +
chmod 0755 "$STAGE"/base-files/usr/local/bin/* "$STAGE"/base-files/kind/bin/*
# Fixed order, owner and times: the same files give the same tar (build_image hashes it).
tar -C "$STAGE/base-files" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$STAGE/base-files.tar" .
BASE_IMAGE=clusterbench.local/kind-base:$DEBIAN_SUITE
build_image "$BASE_IMAGE" "$STAGE/base-files.tar" "$KIND_CACHE/bin/crictl" "$KIND_DIR/ctr-compat" <<'EOF'
FROM clusterbench.local/kind-base-rootfs:bookworm
ADD base-files.tar /
COPY crictl /usr/local/bin/crictl
COPY ctr-compat /usr/local/bin/ctr
RUN echo "ReadKMsg=no" >> /etc/systemd/journald.conf \
 && find /lib/systemd/system/sysinit.target.wants/ -name "systemd-tmpfiles-setup.service" -delete \
 && rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
      /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
      /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/* \
 && ln -sf /usr/lib/systemd/systemd /sbin/init \
 && ln -s /usr/bin/containerd /usr/bin/containerd-shim-runc-v2 /usr/local/bin/ \
 && mkdir -p /opt/cni/bin && ln -s /usr/lib/cni/* /opt/cni/bin/ \
 && systemctl enable kubelet.service containerd.service undo-mount-hacks.service \
 && systemctl mask systemd-binfmt.service \
 && mkdir -p /etc/kubernetes/manifests \
 && ctr oci spec \
    | jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
    | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json \
 && containerd --version && runc --version
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]
EOF

# --- the images the node carries, under the names kubeadm and kind's manifests use
KUBE_REGISTRY=registry.k8s.io
for program in kube-apiserver kube-controller-manager kube-scheduler; do
  build_image "$KUBE_REGISTRY/$program:$K8S_VERSION" "$BIN_DIR/$program" <<EOF
FROM scratch
COPY $program /usr/local/bin/$program
ENV PATH=/usr/local/bin
EOF
done
build_image "$KUBE_REGISTRY/kube-proxy:$K8S_VERSION" "$BIN_DIR/kube-proxy" <<EOF
FROM $NET_BASE
COPY kube-proxy /usr/local/bin/kube-proxy
EOF
ETCD_IMAGE=$KUBE_REGISTRY/etcd:$("$BIN_DIR/kubeadm" config images list --kubernetes-version "$K8S_VERSION" 2>/dev/null | sed -n 's|.*/etcd:||p')
COREDNS_IMAGE=$("$BIN_DIR/kubeadm" config images list --kubernetes-version "$K8S_VERSION" 2>/dev/null | grep /coredns)
[[ $ETCD_IMAGE == *:3.6.5-0 ]] || die "kubeadm $K8S_VERSION names $ETCD_IMAGE; test/kind/etcd/go.mod builds etcd 3.6.5: keep them in step"
[[ $COREDNS_IMAGE == *:v1.12.1 ]] || die "kubeadm $K8S_VERSION names $COREDNS_IMAGE; test/kind/coredns/go.mod builds v1.12.1: keep them in step"
build_image "$ETCD_IMAGE" "$KIND_CACHE/bin/etcd" <<EOF
FROM scratch
COPY etcd /usr/local/bin/etcd
ENV PATH=/usr/local/bin
EOF
build_image "$COREDNS_IMAGE" "$KIND_CACHE/bin/coredns" <<EOF
FROM scratch
COPY coredns /coredns
ENTRYPOINT ["/coredns"]
EOF
PAUSE_IMAGE=$(sed -n 's/^\s*sandbox_image\s*=\s*"\(.*\)"/\1/p' "$STAGE/base-files/etc/containerd/config.toml")
build_image "$PAUSE_IMAGE" "$BIN_DIR/pause" <<EOF
FROM scratch
COPY pause /pause
USER 65535:65535
ENTRYPOINT ["/pause"]
EOF
KIND_IMAGE() { sed -n "s/^const $1 = \"\(.*\)\"/\1/p" "$KIND_SOURCE/pkg/build/nodeimage/$2"; }
KINDNETD_IMAGE=$(KIND_IMAGE kindnetdImage const_cni.go)
PROVISIONER_IMAGE=$(KIND_IMAGE storageProvisionerImage const_storage.go)
HELPER_IMAGE=$(KIND_IMAGE storageHelperImage const_storage.go)
[[ -n $KINDNETD_IMAGE && -n $PROVISIONER_IMAGE && -n $HELPER_IMAGE ]] || die "could not read kind's add-on image names from $KIND_SOURCE/pkg/build/nodeimage"
build_image "$KINDNETD_IMAGE" "$KIND_DIR/kindnetd-stand-in" <<EOF
FROM $NET_BASE
COPY kindnetd-stand-in /bin/kindnetd
CMD ["/bin/kindnetd"]
EOF
build_image "$PROVISIONER_IMAGE" "$KIND_CACHE/bin/local-path-provisioner" <<EOF
FROM scratch
COPY local-path-provisioner /usr/local/bin/local-path-provisioner
ENV PATH=/usr/local/bin
EOF
# The helper runs sh, mkdir and rm in a pod when a volume is provisioned or deleted.
build_image "$HELPER_IMAGE" <<EOF
FROM $DEBIAN_SLIM
EOF
ADDON_IMAGES=("$ETCD_IMAGE" "$COREDNS_IMAGE" "$PAUSE_IMAGE" "$KINDNETD_IMAGE" "$PROVISIONER_IMAGE" "$HELPER_IMAGE")

# --- the node image, tagged by a hash of everything it is made of (this script included)
inputs=$( (echo "$KIND_VERSION $K8S_VERSION"; sha256sum < "$0"; docker image inspect -f '{{.Id}}' "$BASE_IMAGE" \
  "$KUBE_REGISTRY"/kube-{apiserver,controller-manager,scheduler,proxy}:"$K8S_VERSION" "${ADDON_IMAGES[@]}"
  sha256sum "$BIN_DIR"/{kubeadm,kubelet,kubectl} | cut -d' ' -f1) | sha256sum | cut -c1-12)
NODE_IMAGE=$NODE_IMAGE_REPO:$K8S_VERSION-$inputs
if image_exists "$NODE_IMAGE"; then
  log "node image $NODE_IMAGE is built"
  echo "$NODE_IMAGE"
  exit 0
fi
started=$SECONDS
release=$STAGE/release/kubernetes
mkdir -p "$release/server/bin"
echo "$K8S_VERSION" > "$release/version"
cp "$BIN_DIR"/{kubeadm,kubelet,kubectl} "$release/server/bin/"
for program in kube-apiserver kube-controller-manager kube-scheduler; do
  save_archive "$release/server/bin/$program.tar" "$KUBE_REGISTRY/$program:$K8S_VERSION"
done
save_archive "$release/server/bin/kube-proxy.tar" "$KUBE_REGISTRY/kube-proxy:$K8S_VERSION" "${ADDON_IMAGES[@]}"
tar -C "$STAGE/release" -cf - kubernetes | gzip -1 > "$STAGE/kubernetes-server-linux-amd64.tar.gz"
log "kind build node-image $NODE_IMAGE (base $BASE_IMAGE)"
"$KIND_BIN" build node-image --type file --base-image "$BASE_IMAGE" --image "$NODE_IMAGE" \
  "$STAGE/kubernetes-server-linux-amd64.tar.gz" >&2
# Keep only this node image: each is about 1 GB.
docker images --format '{{.Repository}}:{{.Tag}}' "$NODE_IMAGE_REPO" | grep -vx "$NODE_IMAGE" | xargs -r docker rmi >/dev/null || true
log "node image $NODE_IMAGE built in $((SECONDS - started))s"
echo "$NODE_IMAGE"
