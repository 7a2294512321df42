// Checks a replica sweep of make e2e (Benchmark spec.replicas) against the hello servers' own
// counters. Prints one line per point and one per problem; exits 1 on a problem, 2 on bad arguments.
//
//   node check-sweep.mjs REPORT.json RECORDS.json BEFORE.json,AFTER.json REPLICAS MIN_RATIO
//
// REPORT.json: the sweep's report; RECORDS.json: `kubectl get configmaps -l <its run records> -o
// json`; BEFORE/AFTER: hello-counters.mjs before and after the Benchmark (run it without warmup:
// warmup requests reach the servers but not the results); REPLICAS: e.g. 1,2,3.
//   - the report's `scaling` has a point per count for every balanced topology, with a USL fit;
//   - every run answered from exactly N distinct backends at its N (the runners' X-Served-By counts);
//   - each hello pod's counter delta (HTTP for nginx, RPC for the gateway) is what the runs say it
//     answered, plus at most the controller's probes through the balancers (PROBE_ALLOWANCE per
//     pod and count: 8 requests per serving pod per probe, a few probes), and never less;
//   - the largest count reaches MIN_RATIO times one replica behind each balancer.
import { readFileSync } from 'node:fs';
import { decodeResult } from '../../build/src/controller/result-codec.js';

const PROBE_ALLOWANCE = 8 * 4;

const [reportFile, recordsFile, countFiles, replicasText, minRatioText] = process.argv.slice(2);
if (!minRatioText) {
  console.error('usage: node check-sweep.mjs REPORT.json RECORDS.json BEFORE.json,AFTER.json REPLICAS MIN_RATIO');
  process.exit(2);
}
const read = (file) => JSON.parse(readFileSync(file, 'utf8'));
const report = read(reportFile);
const [before, after] = countFiles.split(',').map(read);
const replicas = replicasText.split(',').map(Number);
const minRatio = Number(minRatioText);
const problems = [];

// The runs, decoded from their records.
const runs = read(recordsFile).items.map((cm) => {
  const record = JSON.parse(cm.data.record);
  const results = Object.keys(cm.data)
    .filter((k) => k.startsWith('runner-'))
    .map((k) => decodeResult(cm.data[k]));
  return { ...record.run, state: record.state, results };
});

const swept = report.scaling?.topologies ?? [];
if (swept.length === 0) problems.push('report: no scaling section');
const answeredBy = { http: {}, rpc: {} };
for (const t of swept) {
  const counter = t.name === 'rpc-gateway' ? 'rpc' : 'http';
  const counts = t.points.map((p) => p.replicas);
  if (JSON.stringify(counts) !== JSON.stringify(replicas)) problems.push(`${t.name}: scaling points at ${counts}, not ${replicas}`);
  if (!t.usl) problems.push(`${t.name}: no USL fit`);
  for (const point of t.points) {
    const here = runs.filter((r) => r.topology === t.name && r.replicas === point.replicas);
    if (here.length === 0 || here.some((r) => r.state !== 'succeeded')) problems.push(`${t.name} at ${point.replicas}: no succeeded run`);
    for (const run of here) {
      const backends = {};
      for (const result of run.results)
        for (const [pod, n] of Object.entries(result.backends ?? {})) backends[pod] = (backends[pod] ?? 0) + n;
      const pods = Object.keys(backends).sort();
      for (const [pod, n] of Object.entries(backends)) answeredBy[counter][pod] = (answeredBy[counter][pod] ?? 0) + n;
      console.log(
        `${t.name} at ${point.replicas} replica(s), trial ${run.trial}: ${Math.round(point.throughputRps.median)} req/s` +
          `${point.ratioToOne === null ? '' : ` (${point.ratioToOne.toFixed(2)}x one)`}, answered by ${pods.length}: ` +
          pods.map((p) => `${p} ${backends[p]}`).join(', '),
      );
      if (pods.length !== point.replicas)
        problems.push(`${t.name} at ${point.replicas} replica(s): answered from ${pods.length} backends (${pods.join(', ')})`);
    }
  }
  const top = t.points.at(-1);
  if (!(top?.ratioToOne >= minRatio))
    problems.push(`${t.name}: ${top?.replicas} replicas reached ${top?.ratioToOne?.toFixed(2)}x one replica, below ${minRatio}x`);
  const u = t.usl;
  if (u)
    console.log(
      `${t.name}: USL lambda ${u.lambda.toFixed(1)} req/s, sigma ${u.sigma.toFixed(4)}, kappa ${u.kappa.toFixed(4)}, R^2 ${u.rSquared?.toFixed(3) ?? 'n/a'}`,
    );
}

// Ground truth: every request a runner counted, each pod counted too; the rest are probes.
for (const counter of ['http', 'rpc']) {
  const pods = new Set([...Object.keys(answeredBy[counter]), ...Object.keys(after)]);
  for (const pod of pods) {
    const claimed = answeredBy[counter][pod] ?? 0;
    if (!(pod in after)) {
      problems.push(`counts: ${pod} answered ${claimed} ${counter} requests but is gone: not counted`);
      continue;
    }
    const delta = after[pod][counter] - (before[pod]?.[counter] ?? 0);
    const extra = delta - claimed;
    console.log(`counts: ${pod} ${counter}: the server counted ${delta}, the runs ${claimed} (probes and the rest: ${extra})`);
    if (extra < 0 || extra > PROBE_ALLOWANCE * replicas.length)
      problems.push(`counts: ${pod} ${counter}: the server counted ${delta}, the runs ${claimed}`);
  }
}

for (const p of problems) console.error(`check-sweep: ${p}`);
process.exit(problems.length === 0 ? 0 : 1);
