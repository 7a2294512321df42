#!/usr/bin/env bash
# Local STAND-INS for the base images the project's Dockerfiles start FROM, which cannot be pulled
# here: golang (images/hello, images/rpc-gateway) and node (images/bench), built into our dockerd
# under exactly the names the Dockerfiles use, so `docker build` of those Dockerfiles runs
# unchanged (the classic builder uses a local image of the FROM name as is).
#
#   test/kind/stand-ins.sh      (as root, with test/kind/dockerd.sh up)
#
# What each stand-in is, against the official image of the same name:
#   golang:V-bookworm       Debian bookworm minbase (debootstrap) + ca-certificates + this machine's
#                           Go in /usr/local/go. The official one adds gcc, git and the rest of
#                           buildpack-deps; the Dockerfiles build with CGO_ENABLED=0 and no modules.
#   node:V-bookworm-slim    Debian bookworm minbase + ca-certificates + this machine's Node (binary,
#                           npm and corepack in the official paths) + user node (1000). The official
#                           one is debian:bookworm-slim + the same upstream Node build.
# Both also trust this machine's local certificate authorities (/usr/local/share/ca-certificates:
# here, the registry proxy's), so `RUN npm ci` reaches the npm registry as this machine's npm does.
# Each is built only if this machine's Go or Node is the version the name says; otherwise the
# script stops and says so.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

# The names, read from the Dockerfiles themselves.
GOLANG_IMAGE=$(awk '$1 == "FROM" && $2 ~ /^golang:/ { print $2; exit }' "$REPO_DIR/images/hello/Dockerfile")
NODE_IMAGE=$(sed -n 's/^ARG NODE_IMAGE=//p' "$REPO_DIR/images/bench/Dockerfile")
[[ -n $GOLANG_IMAGE && -n $NODE_IMAGE ]] || die "could not read the base image names from images/*/Dockerfile"
for dockerfile in "$REPO_DIR"/images/*/Dockerfile; do
  awk '$1 == "FROM" && $2 ~ /^golang:/ { print $2 }' "$dockerfile" | grep -qvx "$GOLANG_IMAGE" \
    && die "$dockerfile names another golang image than $GOLANG_IMAGE: build one stand-in per name"
done

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

# local_cas CONTEXT: Dockerfile lines that add this machine's local certificate authorities (copied
# into CONTEXT) to the image's trust store, for OpenSSL and for Node.
local_cas() {
  mkdir -p "$1/local-ca"
  cp /usr/local/share/ca-certificates/*.crt "$1/local-ca/" 2>/dev/null || true
  cat <<'EOF'
COPY local-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
EOF
}

# stand_in REF CONTEXT: builds REF from CONTEXT (a Dockerfile and what it copies), unless REF
# exists from the same Dockerfile and certificates (their hash is a label).
stand_in() {
  local ref=$1 context=$2 key
  key=$( (docker image inspect -f "{{.Id}}" "$DEBIAN_SLIM"; cat "$context/Dockerfile" "$context"/local-ca/*) | sha256sum | cut -c1-16)
  if [[ $(docker image inspect -f '{{index .Config.Labels "clusterbench.stand-in"}}' "$ref" 2>/dev/null) == "$key" ]]; then
    log "$ref (stand-in) is built"
    return
  fi
  echo "LABEL clusterbench.stand-in=$key" >> "$context/Dockerfile"
  # -h: the context links to this machine's Go and Node; tar sends what they point to.
  tar -C "$context" -ch . | docker build -q -t "$ref" - >/dev/null
  log "$ref (stand-in) built"
}

golang_stand_in() {
  local version=${GOLANG_IMAGE#golang:} context=$STAGE/golang
  version=${version%%-*}
  [[ $(go env GOVERSION) == "go$version" ]] || die "$GOLANG_IMAGE needs Go $version here, this machine has $(go env GOVERSION)"
  mkdir -p "$context"
  ln -s "$(go env GOROOT)" "$context/go"
  cat > "$context/Dockerfile" <<EOF
# STAND-IN for $GOLANG_IMAGE (test/kind/stand-ins.sh): Debian minbase + this machine's Go.
FROM $DEBIAN_SLIM
$(local_cas "$context")
COPY go /usr/local/go
ENV GOLANG_VERSION=$version GOTOOLCHAIN=local GOPATH=/go
ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
EOF
  stand_in "$GOLANG_IMAGE" "$context"
}

node_stand_in() {
  local version=${NODE_IMAGE##*:} context=$STAGE/node node_bin npm_dir
  version=${version%%-*}
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  [[ $("$node_bin" --version) == "v$version" ]] || die "$NODE_IMAGE needs Node $version here, this machine has $("$node_bin" --version)"
  mkdir -p "$context/node_modules"
  ln -s "$node_bin" "$context/node"
  ln -s "$npm_dir" "$context/node_modules/npm"
  [[ -d $(dirname "$npm_dir")/corepack ]] && ln -s "$(dirname "$npm_dir")/corepack" "$context/node_modules/corepack"
  cat > "$context/Dockerfile" <<EOF
# STAND-IN for $NODE_IMAGE (test/kind/stand-ins.sh): Debian minbase + this machine's Node.
FROM $DEBIAN_SLIM
$(local_cas "$context")
COPY node /usr/local/bin/node
COPY node_modules /usr/local/lib/node_modules
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && { [ ! -d /usr/local/lib/node_modules/corepack ] || ln -s ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack; } \\
 && node --version && npm --version
ENV NODE_VERSION=$version
CMD ["node"]
EOF
  stand_in "$NODE_IMAGE" "$context"
}

docker version >/dev/null 2>&1 || die "our dockerd does not answer at $DOCKER_HOST: test/kind/dockerd.sh up"
import_debian_slim
golang_stand_in
node_stand_in
