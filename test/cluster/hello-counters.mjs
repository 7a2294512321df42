// Scrapes each hello pod's own counters (make e2e's ground truth for check-report.mjs --counts):
// reads `kubectl get pods -o json` on stdin, fetches http://POD_IP:8080/metrics from each pod, and
// prints {"<pod>": {"http": hello_http_requests_total, "rpc": hello_rpc_calls_total}, ...}.
// The node reaches pod addresses directly (the bridge is local). Exits 1 if a pod cannot be read.
//
//   kubectl get pods -l app.kubernetes.io/name=hello -o json | node hello-counters.mjs > counts.json
import { readFileSync } from 'node:fs';

const PORT = 8080;
const TIMEOUT_MS = 5000;

/** The two counters from a Prometheus text exposition; throws naming what is missing. */
export function parseCounters(text) {
  const value = (name) => {
    const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
    if (!match) throw new Error(`no ${name} in /metrics`);
    return Number(match[1]);
  };
  return { http: value('hello_http_requests_total'), rpc: value('hello_rpc_calls_total') };
}

async function main() {
  const pods = JSON.parse(readFileSync(0, 'utf8')).items ?? [];
  if (pods.length === 0) throw new Error('no pods on stdin');
  const counts = {};
  for (const pod of pods) {
    const { name } = pod.metadata;
    const ip = pod.status?.podIP;
    if (!ip) throw new Error(`pod ${name} has no address (phase ${pod.status?.phase})`);
    const response = await fetch(`http://${ip}:${PORT}/metrics`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) throw new Error(`pod ${name}: /metrics answered ${response.status}`);
    counts[name] = parseCounters(await response.text());
  }
  process.stdout.write(`${JSON.stringify(counts)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(`hello-counters: ${error.message}`);
    process.exit(1);
  });
}
