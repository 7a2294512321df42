// Checks a clusterbench/report@1 from the cluster (make e2e) against what was asked and against
// ground truth the run controls: the hello servers' own counters. Prints one line per problem and
// exits 1 if any; exit 2 on bad arguments.
//
//   node check-report.mjs REPORT.json TOPOLOGY,... [options]
//
// Always: exactly these topologies, each with nonzero throughput and no errors.
//   --trials N, --runners N       each topology ran N trials / N runner pods per trial
//   --counts BEFORE.json,AFTER.json
//                                 hello counters (hello-counters.mjs) scraped before and after the
//                                 Benchmark: each topology's answered requests, and each backend's
//                                 share of them, against the servers' deltas (within 0.5%).
//                                 rpc-gateway calls count in hello_rpc_calls_total, HTTP in
//                                 hello_http_requests_total. Needs a report without warmup: warmup
//                                 requests reach the servers but not the report.
//   --backends N                  every topology but single answered from N backends, each
//                                 within 1/N +/- 0.05 of the answers; a topology with a failover
//                                 from N + 1 (the killed pod's replacement answered too)
//   --failover LIST               these topologies show a kill (with --backends: and the
//                                 replacement answering through the balancer)
//   --recovered LIST              these topologies' failover shows a time to recover
//   --allow-errors LIST           errors in these topologies are printed, not failed
//   --rerun LIST                  the report notes a rerun run of each of these topologies
//                                 ("<topology> trial <n> was rerun (...)"; the controller's words)
//   --min-ratio R                 every topology but single reached R times single's throughput
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const TOLERANCE = 0.005;
const SHARE_TOLERANCE = 0.05;

function usage(message) {
  console.error(`check-report: ${message}`);
  console.error(
    'usage: node check-report.mjs REPORT.json TOPOLOGY,... [--trials N] [--runners N] [--counts BEFORE.json,AFTER.json] [--backends N] [--failover LIST] [--recovered LIST] [--allow-errors LIST] [--rerun LIST] [--min-ratio R]',
  );
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      trials: { type: 'string' },
      runners: { type: 'string' },
      counts: { type: 'string' },
      backends: { type: 'string' },
      failover: { type: 'string' },
      recovered: { type: 'string' },
      'allow-errors': { type: 'string' },
      rerun: { type: 'string' },
      'min-ratio': { type: 'string' },
    },
  });
} catch (error) {
  usage(error.message);
}
const { values: opts, positionals } = parsed;
if (positionals.length !== 2) usage('expected REPORT.json and TOPOLOGY,...');
const [file, topologyList] = positionals;
const list = (value) => (value === undefined ? [] : value.split(',').filter(Boolean));
const whole = (flag) => {
  const value = opts[flag];
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value)) usage(`--${flag}: "${value}" is not a whole number >= 1`);
  return Number(value);
};
const expected = list(topologyList);
const trials = whole('trials');
const runners = whole('runners');
const backendCount = whole('backends');
const failover = list(opts.failover);
const recovered = list(opts.recovered);
const allowErrors = new Set(list(opts['allow-errors']));
const rerun = list(opts.rerun);
const minRatio = opts['min-ratio'] === undefined ? undefined : Number(opts['min-ratio']);
if (minRatio !== undefined && !(minRatio > 0)) usage(`--min-ratio: "${opts['min-ratio']}" is not a number > 0`);
const countFiles = list(opts.counts);
if (opts.counts !== undefined && countFiles.length !== 2) usage(`--counts: "${opts.counts}" is not BEFORE.json,AFTER.json`);

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const report = readJson(file);
const problems = [];
const notes = [];
const pct = (x) => `${(100 * x).toFixed(2)}%`;

if (report.schema !== 'clusterbench/report@1') problems.push(`schema is ${JSON.stringify(report.schema)}, not "clusterbench/report@1"`);
const topologies = Array.isArray(report.topologies) ? report.topologies : [];
const names = topologies.map((t) => t.name);
if ([...names].sort().join(',') !== [...expected].sort().join(',')) {
  problems.push(`topologies are [${names.join(', ')}], expected [${expected.join(', ')}]`);
}
const balanced = topologies.filter((t) => t.name !== 'single');

for (const t of topologies) {
  const rps = t.throughputRps?.median;
  if (!(typeof rps === 'number' && rps > 0)) problems.push(`${t.name}: throughput median is ${rps}, expected > 0`);
  const errors = t.errors?.total;
  if (errors !== 0) {
    const line = `${t.name}: ${errors} errors (${JSON.stringify(t.errors)})`;
    if (allowErrors.has(t.name) && typeof errors === 'number') notes.push(`${line}, allowed`);
    else problems.push(`${line}, expected 0`);
  }
  if (trials !== undefined && t.trials !== trials) problems.push(`${t.name}: ${t.trials} trials, expected ${trials}`);
  if (runners !== undefined && t.runners !== runners) problems.push(`${t.name}: ${t.runners} runners per trial, expected ${runners}`);
}

if (backendCount !== undefined) {
  for (const t of balanced) {
    const shares = Object.entries(t.backends ?? {});
    if (t.failover) {
      // Shares mean nothing across a kill; the replacement must have answered.
      if (shares.length !== backendCount + 1)
        problems.push(
          `${t.name}: answered from ${shares.length} backends across the kill of ${t.failover.backend}, expected ${backendCount + 1} (the replacement too)`,
        );
      continue;
    }
    if (shares.length !== backendCount) {
      problems.push(`${t.name}: answered from ${shares.length} backends, expected ${backendCount}`);
      continue;
    }
    for (const [backend, share] of shares) {
      if (Math.abs(share - 1 / backendCount) > SHARE_TOLERANCE) {
        problems.push(`${t.name}: ${backend} answered ${pct(share)}, expected ${pct(1 / backendCount)} +/- ${pct(SHARE_TOLERANCE)}`);
      }
    }
  }
}

for (const name of failover) {
  const f = topologies.find((t) => t.name === name)?.failover;
  if (!f) {
    problems.push(`${name}: no failover in the report`);
    continue;
  }
  if (f.servingAgainMs === null) problems.push(`${name}: killed ${f.backend}, but its replacement never answered through the balancer`);
  const after = (ms) => (typeof ms === 'number' ? `after ${ms} ms` : 'never');
  notes.push(
    `${name}: killed ${f.backend} at ${f.killedAtMs} ms; replacement ready ${after(f.restartedAtMs === null ? null : f.restartedAtMs - f.killedAtMs)}${f.servingAgainMs === undefined ? '' : `, serving ${after(f.servingAgainMs)}`}; recovered ${after(f.recoveryMs)}; ${f.errors} errors in that trial`,
  );
}
for (const name of recovered) {
  const f = topologies.find((t) => t.name === name)?.failover;
  if (!f) problems.push(`${name}: no failover in the report`);
  else if (typeof f.recoveryMs !== 'number')
    problems.push(`${name}: killed ${f.backend}, did not recover within the trial (recoveryMs ${f.recoveryMs})`);
}

// A rerun run is counted once: --trials and --runners catch a run counted twice.
const reportNotes = Array.isArray(report.environment?.notes) ? report.environment.notes : [];
for (const name of rerun) {
  const said = reportNotes.filter((n) => n.startsWith(`${name} trial `) && n.includes(' was rerun ('));
  if (said.length === 0) problems.push(`${name}: the report notes no rerun (notes: ${JSON.stringify(reportNotes)})`);
  else notes.push(...said);
}

if (minRatio !== undefined) {
  for (const t of balanced) {
    if (!(typeof t.ratioToSingle === 'number' && t.ratioToSingle >= minRatio))
      problems.push(`${t.name}: ${t.ratioToSingle?.toFixed(2)}x single, expected >= ${minRatio}x`);
  }
}

// Ground truth: each server counts what it answered. A request the load generator measured
// was answered by exactly one backend (X-Served-By), and nothing else reached the servers.
if (countFiles.length === 2) {
  const [before, after] = countFiles.map(readJson);
  if (report.scenario?.warmupMs !== 0)
    problems.push(
      `counts: the report has ${report.scenario?.warmupMs} ms of warmup per run, whose requests the servers count but the report does not: run with --warmup 0s`,
    );
  const counterOf = (topology) => (topology === 'rpc-gateway' ? 'rpc' : 'http');
  const delta = {}; // counter -> pod -> requests answered during the Benchmark
  for (const counter of ['http', 'rpc']) {
    delta[counter] = {};
    for (const [pod, c] of Object.entries(after)) delta[counter][pod] = c[counter] - (before[pod]?.[counter] ?? 0);
  }
  for (const pod of Object.keys(before))
    if (!(pod in after)) problems.push(`counts: pod ${pod} is gone since the first scrape: its requests cannot be counted`);
  const attributed = { http: {}, rpc: {} }; // what the report says each pod answered
  for (const t of topologies) {
    const answered = t.requests; // successful responses only (load-result@2): errors are not in it
    const counter = counterOf(t.name);
    let served = 0;
    for (const [pod, share] of Object.entries(t.backends ?? {})) {
      attributed[counter][pod] = (attributed[counter][pod] ?? 0) + share * answered;
      if (!(pod in delta[counter])) problems.push(`counts: ${t.name}: backend ${pod} is not a scraped hello pod`);
      else served += delta[counter][pod];
    }
    const off = served === 0 ? Infinity : Math.abs(answered - served) / served;
    const line = `${t.name}: report ${answered} answered, servers counted ${served} (${counter === 'rpc' ? 'hello_rpc_calls_total' : 'hello_http_requests_total'}), off by ${pct(off)}`;
    if (off > TOLERANCE) problems.push(`counts: ${line}, allowed ${pct(TOLERANCE)}`);
    else notes.push(line);
  }
  for (const counter of ['http', 'rpc']) {
    for (const [pod, n] of Object.entries(delta[counter])) {
      const claimed = attributed[counter][pod] ?? 0;
      if (n === 0 && claimed === 0) continue;
      const off = n === 0 ? Infinity : Math.abs(claimed - n) / n;
      if (off > TOLERANCE)
        problems.push(
          `counts: ${pod} counted ${n} ${counter} requests, the report attributes ${Math.round(claimed)} to it (off by ${pct(off)})`,
        );
    }
  }
}

for (const n of notes) console.error(`report check: ${n}`);
if (problems.length > 0) {
  for (const p of problems) console.error(`report check: ${p}`);
  process.exit(1);
}
console.error(
  `report check: ${names.length} topologies, ${topologies
    .map(
      (t) =>
        `${t.name} ${Math.round(t.throughputRps.median)} req/s${t.ratioToSingle && t.name !== 'single' ? ` (${t.ratioToSingle.toFixed(2)}x)` : ''}`,
    )
    .join(', ')}${allowErrors.size > 0 ? '' : ', no errors'}`,
);
