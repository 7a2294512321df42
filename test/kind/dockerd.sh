#!/usr/bin/env bash
# clusterbench's own dockerd (Debian's docker.io), beside anything else on the machine: its own
# socket, exec root and pid file under /run/clusterbench-docker, its image store in the cache
# ($CLUSTERBENCH_CACHE/docker, so built images survive between runs), and runc-drop-sys-resource
# as its default runtime (`docker run --privileged`, and so kind, fail with plain runc here).
#
#   test/kind/dockerd.sh up       start it unless it answers; prints `export DOCKER_HOST=...`
#   test/kind/dockerd.sh status   exit 0 when it answers
#   test/kind/dockerd.sh down     remove its containers and networks, stop it, and remove what it
#                                 left in the host's network: docker0 and its iptables chains
#
# dockerd with iptables enabled sets the FORWARD policy to DROP when it has to turn ip_forward
# on, which cuts off every other bridge (test/cluster's cb0). up turns ip_forward on first, so the
# policy stays as it is; down restores ip_forward's old value unless test/cluster's cluster is up.
# Run both under the cluster lock (/tmp/clusterbench-cluster.lock), as make e2e and e2e-kind are. Bridge and iptables stay enabled:
# kind's network and `RUN npm ci` in images/bench/Dockerfile need them.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

STATE=$DOCKERD_STATE
SOCK=${DOCKER_HOST#unix://}
DATA_ROOT=$DOCKERD_DATA_ROOT

answers() { docker version >/dev/null 2>&1; }

up() {
  [[ $EUID -eq 0 ]] || die "dockerd.sh up needs root"
  if answers; then
    log "dockerd at $SOCK is running"
  else
    command -v dockerd >/dev/null || die "dockerd is not installed (apt-get install docker.io)"
    mkdir -p "$STATE" "$DATA_ROOT"
    sysctl -n net.ipv4.ip_forward > "$STATE/ip_forward.saved"
    sysctl -qw net.ipv4.ip_forward=1
    cat > "$STATE/daemon.json" <<EOF
{
  "runtimes": {"runc-drop-sys-resource": {"path": "$KIND_DIR/runc-drop-sys-resource"}},
  "default-runtime": "runc-drop-sys-resource",
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "log-opts": {"max-size": "10m"}
}
EOF
    setsid dockerd --host "$DOCKER_HOST" --config-file "$STATE/daemon.json" --data-root "$DATA_ROOT" \
      --exec-root "$STATE/exec" --pidfile "$STATE/dockerd.pid" >"$STATE/dockerd.log" 2>&1 </dev/null &
    local i
    for ((i = 0; i < 60; i++)); do answers && break; sleep 1; done
    answers || { tail -n 20 "$STATE/dockerd.log" >&2; die "dockerd did not answer within 60 s (log: $STATE/dockerd.log)"; }
    log "dockerd started at $SOCK (image store $DATA_ROOT)"
  fi
  echo "export DOCKER_HOST=$DOCKER_HOST"
}

# Drops docker's chains and every rule that names them or docker0 from one iptables table.
drop_docker_rules() {
  local table=$1 rules
  rules=$(iptables-save -t "$table") || return 0
  grep -qE 'DOCKER|docker0' <<<"$rules" || return 0
  grep -vE 'DOCKER|docker0' <<<"$rules" | iptables-restore -T "$table"
}

down() {
  [[ $EUID -eq 0 ]] || die "dockerd.sh down needs root"
  if [[ ! -f $STATE/dockerd.pid ]]; then
    log "no dockerd of ours is running"
    return 0
  fi
  if answers; then
    local ids
    mapfile -t ids < <(docker ps -aq)
    ((${#ids[@]} == 0)) || { log "removing containers: ${ids[*]}"; docker rm -f -v "${ids[@]}" >/dev/null; }
    docker network prune -f >/dev/null
  fi
  local pid i
  pid=$(cat "$STATE/dockerd.pid")
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { log "dockerd did not stop in 20 s: SIGKILL"; kill -9 "$pid" 2>/dev/null || true; }
  ip link del docker0 2>/dev/null || true
  drop_docker_rules filter
  drop_docker_rules nat
  # test/cluster's cluster needs forwarding too: leave it on while that cluster is up (it restores
  # the value it found when it comes down).
  if [[ -f $RUN_DIR/up ]]; then
    log "test/cluster's cluster is up: ip_forward stays on"
  elif [[ -f $STATE/ip_forward.saved ]]; then
    sysctl -qw net.ipv4.ip_forward="$(cat "$STATE/ip_forward.saved")"
  fi
  # Mounts of the exec root (netns, containerd state) go before the folder does.
  awk -v dir="$STATE/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$STATE"
  log "dockerd stopped"
}

case ${1:-} in
  up) up ;;
  status) answers ;;
  down) down ;;
  *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
