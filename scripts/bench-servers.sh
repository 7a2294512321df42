#!/usr/bin/env bash
# make bench-servers: on loopback, with wrk as the load, measure one hello server directly, nginx
# over three hello servers and the RPC gateway over the same three, alternating the topologies over
# a few rounds, and print medians and ratios. Every process runs in this script's session (nginx
# with `daemon off;`), so Linux autogroup scheduling does not split them (FIELD-NOTES.md).
#
# Needs bin/hello, bin/rpc-gateway (make build-go), build/src/nginx/nginx-config.js (npm run build),
# nginx, wrk and curl. Settings (environment): ROUNDS (5), DURATION (5s), WARMUP (1s), CONNECTIONS (64),
# THREADS (1), CONNS_PER_BACKEND (the gateway's default), GATEWAY_FLAGS (extra gateway flags),
# PROFILE (same as --profile).
#
# Usage: scripts/bench-servers.sh [--profile FILE]
#   --profile FILE  write the gateway's CPU profile of the run to FILE (go tool pprof FILE); the
#                   gateway is idle while the other topologies run, so the profile is its load.
set -euo pipefail

die() { echo "bench-servers: $*" >&2; exit 2; }
PROFILE=${PROFILE:-}
while (($#)); do
  case $1 in
    --profile) (($# >= 2)) || die "--profile needs a file name"; PROFILE=$2; shift 2 ;;
    --profile=*) PROFILE=${1#--profile=}; shift ;;
    *) die "unknown argument $1: want --profile FILE" ;;
  esac
done
if [[ -n $PROFILE ]]; then
  [[ $PROFILE = /* ]] || PROFILE=$PWD/$PROFILE # the script changes directory next
  [[ -d $(dirname "$PROFILE") && -w $(dirname "$PROFILE") ]] || die "invalid --profile $PROFILE: its directory is not writable"
  [[ ! -d $PROFILE ]] || die "invalid --profile $PROFILE: a directory, want a file name"
fi
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
GATEWAY_FLAGS=${GATEWAY_FLAGS:-}
if [[ -n ${CONNS_PER_BACKEND:-} ]]; then GATEWAY_FLAGS+=" --conns-per-backend $CONNS_PER_BACKEND"; fi
gateway_profile=()
if [[ -n $PROFILE ]]; then gateway_profile=(--cpu-profile "$PROFILE"); fi

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "invalid ROUNDS=$ROUNDS: want a positive integer"
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "invalid CONNECTIONS=$CONNECTIONS: want a positive integer"
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "invalid THREADS=$THREADS: want a positive integer"
[[ $DURATION =~ ^[1-9][0-9]*[sm]$ ]] || die "invalid DURATION=$DURATION: want e.g. 5s or 1m"
[[ $WARMUP =~ ^[0-9]+[sm]$ ]] || die "invalid WARMUP=$WARMUP: want e.g. 1s"
for f in bin/hello bin/rpc-gateway build/src/nginx/nginx-config.js; do
  [[ -e $f ]] || die "$f is missing: run make build"
done
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || die "nginx is not installed (apt-get install nginx)"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# listening FILE KEY: the address in "KEY=addr" of the listening line a server wrote to FILE.
listening() {
  local file=$1 key=$2
  for _ in $(seq 100); do
    if grep -q ': listening ' "$file" 2>/dev/null; then
      grep -o "$key=[^ ]*" "$file" | head -1 | cut -d= -f2
      return
    fi
    sleep 0.1
  done
  die "no listening line in $file: $(cat "$file")"
}

wait_ok() { # URL: wait until it answers 200
  for _ in $(seq 100); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return; fi
    sleep 0.1
  done
  die "$1 did not answer 200 within 10s"
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Three hello servers; the first also serves the direct (single) measurement.
hello_http=() hello_rpc=() hello_pids=()
for i in 1 2 3; do
  bin/hello --http 127.0.0.1:0 --rpc 127.0.0.1:0 --id "hello-$i" 2>"$work/hello-$i.log" &
  pids+=($!) hello_pids+=($!)
  hello_http+=("$(listening "$work/hello-$i.log" http)")
  hello_rpc+=("$(listening "$work/hello-$i.log" rpc)")
done

# nginx over the three, rendered from the one shared template, in the foreground.
mkdir -p "$work/nginx"
nginx_port=$(free_port)
upstreams=$(IFS=,; echo "${hello_http[*]}")
node --input-type=module -e '
  import { renderNginxConfig } from "./build/src/nginx/nginx-config.js";
  const [listen, upstreams, runDir] = process.argv.slice(1);
  process.stdout.write(renderNginxConfig({ listen, upstreams: upstreams.split(","), runDir }));
' "127.0.0.1:$nginx_port" "$upstreams" "$work/nginx" >"$work/nginx/nginx.conf"
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e stderr 2>"$work/nginx.log" &
pids+=($!)
nginx_pid=$!

# The gateway over the same three.
backends=$(IFS=,; echo "${hello_rpc[*]}")
# shellcheck disable=SC2086 # GATEWAY_FLAGS is a list of flags
bin/rpc-gateway --http 127.0.0.1:0 --backends "$backends" "${gateway_profile[@]}" $GATEWAY_FLAGS 2>"$work/gateway.log" &
pids+=($!)
gateway_pid=$!
gateway_http=$(listening "$work/gateway.log" http)

declare -A url=(
  [single]="http://${hello_http[0]}/"
  [nginx]="http://127.0.0.1:$nginx_port/"
  [rpc-gateway]="http://$gateway_http/"
)
wait_ok "http://127.0.0.1:$nginx_port/nginx-healthz"
wait_ok "http://$gateway_http/readyz"
topologies=(single nginx rpc-gateway)
# The processes that serve each topology, for CPU time per request: on a shared machine the CPU
# a request costs is steadier than the throughput, which depends on what else runs.
nginx_workers=$(pgrep -P "$nginx_pid" | tr '\n' ' ')
declare -A serving=(
  [single]="${hello_pids[0]}"
  [nginx]="$nginx_pid $nginx_workers ${hello_pids[*]}"
  [rpc-gateway]="$gateway_pid ${hello_pids[*]}"
)

cpu_ticks() { # PID...: user+system clock ticks used so far
  local t=0 pid
  for pid in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done
  echo "$t"
}
HZ=$(getconf CLK_TCK)

# measure TOPOLOGY DURATION: runs wrk, prints "rps p99_us errors server_cpu_us_per_request
# wrk_cpu_us_per_request".
measure() {
  local out t0 t1
  # shellcheck disable=SC2086 # a list of PIDs
  t0=$(cpu_ticks ${serving[$1]})
  out=$( { TIMEFORMAT='%U %S'; time wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2" --latency "${url[$1]}"; } 2>&1)
  # shellcheck disable=SC2086
  t1=$(cpu_ticks ${serving[$1]})
  awk -v ticks=$((t1 - t0)) -v hz="$HZ" '
    /requests in/ { n = $1 }
    /^[0-9.]+ [0-9.]+$/ { wrk = $1 + $2 }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "99%" { v = $2; u = 1
      if (v ~ /us$/) u = 1; else if (v ~ /ms$/) u = 1000; else if (v ~ /s$/) u = 1000000
      sub(/[a-z]+$/, "", v); p99 = v * u }
    /Non-2xx or 3xx responses:/ { errors += $NF }
    /Socket errors:/ { for (i = 3; i <= NF; i += 2) errors += $(i + 1) }
    END { printf "%d %d %d %.1f %.1f\n", rps, p99, errors, ticks / hz * 1e6 / n, wrk * 1e6 / n }' <<<"$out"
}

echo "bench-servers: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for t in "${topologies[@]}"; do measure "$t" "$WARMUP" >/dev/null; done

declare -A results=()
for round in $(seq "$ROUNDS"); do
  # Rotate the order, so that no topology always runs first or last.
  for k in 0 1 2; do
    t=${topologies[$(((round + k) % 3))]}
    read -r rps p99 errors cpu wrkcpu < <(measure "$t" "$DURATION")
    results[$t]+="$rps $p99 $errors $cpu $wrkcpu;"
    printf '  round %d  %-12s %8d req/s  p99 %7d us  errors %d  CPU/request: servers %5.1f us, wrk %4.1f us\n' \
      "$round" "$t" "$rps" "$p99" "$errors" "$cpu" "$wrkcpu"
  done
done

# Requests per backend through the gateway: each hello counts its Server.Hello calls.
shares=""
for i in 0 1 2; do
  n=$(curl -fsS "http://${hello_http[$i]}/metrics" | awk '$1 == "hello_rpc_calls_total" { print $2 }')
  shares+="hello-$((i + 1))=$n "
done

# Medians and ratios.
summary=$(for t in "${topologies[@]}"; do echo "$t ${results[$t]}"; done | awk -v shares="$shares" '
  function median(list,   a, n, i, j, tmp) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { tmp = a[i]; a[i] = a[j]; a[j] = tmp }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    name = $1; sub(/^[^ ]+ /, "")
    n = split($0, runs, ";"); rps = ""; p99 = ""; cpu = ""; wrk = ""; err = 0
    for (i = 1; i < n; i++) {
      split(runs[i], f, " "); rps = rps " " f[1]; p99 = p99 " " f[2]; err += f[3]; cpu = cpu " " f[4]; wrk = wrk " " f[5]
    }
    R[name] = median(rps); P[name] = median(p99); E[name] = err; C[name] = median(cpu); W[name] = median(wrk)
  }
  END {
    printf "\n%-12s %14s %12s %8s %26s\n", "topology", "median req/s", "median p99", "errors", "CPU us/request: servers+wrk"
    for (k = 1; k <= 3; k++) { t = k == 1 ? "single" : k == 2 ? "nginx" : "rpc-gateway"
      printf "%-12s %14d %9.2f ms %8d %17.1f + %4.1f\n", t, R[t], P[t] / 1000, E[t], C[t], W[t] }
    printf "\nratios (throughput): rpc-gateway/nginx %.2f   rpc-gateway/single %.2f   nginx/single %.2f\n", \
      R["rpc-gateway"] / R["nginx"], R["rpc-gateway"] / R["single"], R["nginx"] / R["single"]
    # What the throughput ratios would be on a machine with nothing else running: CPU-bound, all
    # processes sharing the cores, throughput is inverse to the CPU per request.
    cg = C["rpc-gateway"] + W["rpc-gateway"]; cx = C["nginx"] + W["nginx"]; cs = C["single"] + W["single"]
    printf "ratios (CPU per request, inverted): rpc-gateway/nginx %.2f   rpc-gateway/single %.2f   nginx/single %.2f\n", \
      cx / cg, cs / cg, cs / cx
    printf "p99: rpc-gateway %.2f ms vs nginx %.2f ms (%s)\n", P["rpc-gateway"] / 1000, P["nginx"] / 1000, \
      P["rpc-gateway"] <= P["nginx"] ? "no worse" : "worse"
    split(shares, s, " "); total = 0
    for (i = 1; i <= 3; i++) { split(s[i], kv, "="); total += kv[2] }
    printf "gateway calls per backend:"
    for (i = 1; i <= 3; i++) { split(s[i], kv, "="); printf " %s %.1f%%", kv[1], total ? 100 * kv[2] / total : 0 }
    printf "\n"
  }')
echo "$summary"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n $PROFILE ]]; then
  kill -TERM "$gateway_pid" # on SIGTERM the gateway drains, then writes the profile out
  wait "$gateway_pid" || true
  echo "gateway CPU profile: $PROFILE (go tool pprof -top bin/rpc-gateway $PROFILE)"
fi
