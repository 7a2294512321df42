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
version=$(tar -xOf "$tar" ./var/lib/dpkg/status | awk '/^Package: nginx-light$/ { found = 1 } found && /^Version:/ && !done { print $2; done = 1 }')
ref=clusterbench.local/nginx:${version%%-*}
import_rootfs "$ref" "$tar" 'USER 101' 'EXPOSE 8080' 'ENTRYPOINT ["nginx", "-g", "daemon off;"]'
echo "$ref"
