// Checks a replica sweep of make e2e (Benchmark spec.replicas) against the hello servers' own
// counters. Prints one line per point and one per problem; exits 1 on a problem, 2 on bad arguments.
//
//   node check-sweep.mjs REPORT.json RECORDS.json BEFORE.json,AFTER.json REPLICAS MIN_RATIO PROBES.log
//
// REPORT.json: the sweep's report; RECORDS.json: `kubectl get configmaps -l <its run records and
// their result parts> -o json`; BEFORE/AFTER: hello-counters.mjs before and after the Benchmark (run it without warmup:
// warmup requests reach the servers but not the results); REPLICAS: e.g. 1,2,3; PROBES.log: the
// controller's log lines of this sweep (each probe through the balancers, with the answers of each
// backend: sweep.ts describeProbe).
//   - the report's `scaling` has a point per count for every balanced topology, with a USL fit;
//   - every run answered from exactly N distinct backends at its N (the runners' X-Served-By counts);
//   - each hello pod's counter delta (HTTP for nginx, RPC for the gateway) is exactly what the runs
//     say it answered plus what the controller's probes through the balancers got from it; a probe
//     that failed (a timeout) may have left one more answer behind, so each failed probe of that
//     balancer allows one more;
//   - the largest count reaches MIN_RATIO times one replica behind each balancer.
import { readFileSync } from 'node:fs';
import { LABEL_BENCHMARK, LABEL_BENCHMARK_UID } from '../../build/src/api/objects.js';
import { runPartConfigMapName } from '../../build/src/controller/names.js';
import { PART_KEY, joinResults } from '../../build/src/controller/run-store.js';

const [reportFile, recordsFile, countFiles, replicasText, minRatioText, probesFile] = process.argv.slice(2);
if (!probesFile) {
  console.error('usage: node check-sweep.mjs REPORT.json RECORDS.json BEFORE.json,AFTER.json REPLICAS MIN_RATIO PROBES.log');
  process.exit(2);
}
const read = (file) => JSON.parse(readFileSync(file, 'utf8'));
const report = read(reportFile);
const [before, after] = countFiles.split(',').map(read);
const replicas = replicasText.split(',').map(Number);
const minRatio = Number(minRatioText);
const problems = [];

// The runs, decoded from their records and result parts as the controller reads them (run-store.ts).
const configMaps = read(recordsFile).items;
const partText = new Map(configMaps.map((cm) => [cm.metadata.name, cm.data?.[PART_KEY]]));
const runs = configMaps
  .filter((cm) => cm.data?.record)
  .map((cm) => {
    const { stored, ...record } = JSON.parse(cm.data.record);
    const ref = { name: cm.metadata.labels[LABEL_BENCHMARK], uid: cm.metadata.labels[LABEL_BENCHMARK_UID] };
    const parts = stored ? Array.from({ length: stored.parts }, (_, k) => partText.get(runPartConfigMapName(ref, record.run, k))) : [];
    return { ...record.run, state: record.state, results: stored ? joinResults(stored, parts) : [] };
  });

const swept = report.scaling?.topologies ?? [];
if (swept.length === 0) problems.push('report: no scaling section');
const counterOf = (topology) => (topology === 'rpc-gateway' ? 'rpc' : 'http');
const answeredBy = { http: {}, rpc: {} };

// The controller's probes: `... answered from nginx: hello-a ×8, hello-b ×8 | rpc-gateway: none (then failed: HTTP 503)`.
const probed = { http: {}, rpc: {} };
const failedProbes = { http: 0, rpc: 0 };
let probes = 0;
for (const line of readFileSync(probesFile, 'utf8').split('\n')) {
  const match = / hello pods serving; the balancers answered from (.*)$/.exec(line);
  if (!match) continue;
  probes++;
  for (const part of match[1].split(' | ')) {
    const [, topology, answers, error] = /^([\w-]+): (.*?)(?: \(then failed: (.*)\))?$/.exec(part) ?? [];
    if (!topology) {
      problems.push(`probes: cannot read "${part}"`);
      continue;
    }
    const counter = counterOf(topology);
    for (const [, pod, n] of answers.matchAll(/(\S+) ×(\d+)/g)) probed[counter][pod] = (probed[counter][pod] ?? 0) + Number(n);
    if (error) failedProbes[counter]++;
  }
}
console.log(`probes: ${probes} through the balancers, ${failedProbes.http} failed through nginx, ${failedProbes.rpc} through the gateway`);
if (probes === 0) problems.push('probes: none in the controller log');
for (const t of swept) {
  const counter = counterOf(t.name);
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

// Ground truth: each pod counted every request a runner or a probe says it answered, nothing else.
for (const counter of ['http', 'rpc']) {
  const pods = new Set([...Object.keys(answeredBy[counter]), ...Object.keys(probed[counter]), ...Object.keys(after)]);
  for (const pod of pods) {
    const claimed = answeredBy[counter][pod] ?? 0;
    const probe = probed[counter][pod] ?? 0;
    if (!(pod in after)) {
      problems.push(`counts: ${pod} answered ${claimed} ${counter} requests of the runs and ${probe} of probes but is gone: not counted`);
      continue;
    }
    const delta = after[pod][counter] - (before[pod]?.[counter] ?? 0);
    const extra = delta - claimed - probe;
    console.log(`counts: ${pod} ${counter}: the server counted ${delta} = the runs ${claimed} + the probes ${probe} + ${extra}`);
    if (extra < 0 || extra > failedProbes[counter])
      problems.push(
        `counts: ${pod} ${counter}: the server counted ${delta}, the runs ${claimed} and the probes ${probe} (allowed: ${failedProbes[counter]} more, one per failed probe)`,
      );
  }
}

for (const p of problems) console.error(`check-sweep: ${p}`);
process.exit(problems.length === 0 ? 0 : 1);
