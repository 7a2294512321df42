#!/usr/bin/env bash
# The nginx topology's image for the kind run: Debian's nginx (nginx-light), as make e2e's
# test/cluster/images.sh makes it, because the upstream nginx-unprivileged image cannot be pulled
# here. A Debian bookworm minbase root filesystem with the package, imported into our dockerd;
# numeric non-root user 101, the configuration is mounted by the manifests. Prints the name.
#
#   test/kind/nginx-image.sh      (as root, with test/kind/dockerd.sh up)
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

tar=$(rootfs nginx nginx-light)
version=$(tar -xOf "$tar" ./var/lib/dpkg/status | awk '/^Package: nginx-light$/ { found = 1 } found && /^Version:/ { print $2; exit }')
ref=clusterbench.local/nginx:${version%%-*}
if [[ $(docker image inspect -f '{{index .Config.Labels "clusterbench.rootfs"}}' "$ref" 2>/dev/null) != "$(basename "$tar")" ]]; then
  docker import --change "LABEL clusterbench.rootfs=$(basename "$tar")" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'USER 101' --change 'EXPOSE 8080' --change 'ENTRYPOINT ["nginx", "-g", "daemon off;"]' \
    "$tar" "$ref" >/dev/null
  log "image $ref imported from $(basename "$tar")"
fi
echo "$ref"
