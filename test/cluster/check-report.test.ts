// make e2e's gates (test/cluster/check-report.mjs): a report from the cluster passes only with
// the expected topologies, trials and runners, no errors, and request counts that agree with the
// hello servers' own counters.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script of make e2e, no declarations
import { parseCounters } from './hello-counters.mjs';

const SCRIPT = join(import.meta.dirname, 'check-report.mjs');
const dir = mkdtempSync(join(tmpdir(), 'check-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noErrors = { connect: 0, timeout: 0, reset: 0, status4xx: 0, status5xx: 0, total: 0 };
const BALANCED = ['hello-a', 'hello-b', 'hello-c'];

interface TopologyOptions {
  rps?: number;
  errorTotal?: number;
  requests?: number;
  backends?: Record<string, number>;
  trials?: number;
  runners?: number;
  ratio?: number | null;
  failover?: Record<string, unknown>;
}
const topology = (name: string, o: TopologyOptions = {}) => ({
  name,
  trials: o.trials ?? 2,
  runners: o.runners ?? 2,
  throughputRps: { median: o.rps ?? 1000, ciLow: null, ciHigh: null },
  ratioToSingle: o.ratio === undefined ? (name === 'single' ? 1 : 3) : o.ratio,
  requests: o.requests ?? 30_000,
  errors: { ...noErrors, status5xx: o.errorTotal ?? 0, total: o.errorTotal ?? 0 },
  backends: o.backends ?? (name === 'single' ? { 'hello-single-x': 1 } : Object.fromEntries(BALANCED.map((b) => [b, 1 / 3]))),
  ...(o.failover ? { failover: o.failover } : {}),
});
const three = (o: Record<string, TopologyOptions> = {}) => ['single', 'nginx', 'rpc-gateway'].map((n) => topology(n, o[n]));
const report = (topologies: unknown[], { schema = 'clusterbench/report@1', warmupMs = 0, notes = [] as string[] } = {}) => ({
  schema,
  scenario: { warmupMs },
  environment: { notes },
  topologies,
});
const RERUN_NOTE =
  'single trial 1 was rerun (attempt 1: runner 0: stopped early (SIGTERM) after 2100 ms of the 8000 ms measured; no result); only attempt 2 is counted';

function file(body: unknown) {
  const path = join(dir, `f${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(body));
  return path;
}
function check(body: unknown, ...args: string[]) {
  return spawnSync(process.execPath, [SCRIPT, file(body), 'single,nginx,rpc-gateway', ...args], { encoding: 'utf8' });
}

// Counters as the servers would have them after three topologies of 30,000 answered requests
// each: single on its own pod, nginx over HTTP and the gateway over RPC on the three others.
const before: Record<string, { http: number; rpc: number }> = {
  'hello-single-x': { http: 500, rpc: 0 },
  'hello-a': { http: 7, rpc: 3 },
  'hello-b': { http: 0, rpc: 0 },
  'hello-c': { http: 1, rpc: 1 },
};
const after = (change: (c: Record<string, { http: number; rpc: number }>) => void = () => {}) => {
  const c = structuredClone(before);
  c['hello-single-x'].http += 30_000;
  for (const b of BALANCED) {
    c[b].http += 10_000;
    c[b].rpc += 10_000;
  }
  change(c);
  return c;
};
const counts = (a: unknown, b: unknown = before) => `--counts=${file(b)},${file(a)}`;

describe('check-report.mjs', () => {
  it('passes the three topologies, trials, runners, counts and shares as asked, and says what it compared', () => {
    const r = check(report(three()), '--trials', '2', '--runners', '2', '--backends', '3', counts(after()), '--min-ratio', '2.5');
    expect(r.stderr).toContain('rpc-gateway: report 30000 answered, servers counted 30000 (hello_rpc_calls_total), off by 0.00%');
    expect(r.stderr).toContain('3 topologies');
    expect(r.status).toBe(0);
  });

  it('accepts counts within 0.5%', () => {
    const r = check(report(three()), counts(after((c) => (c['hello-single-x'].http += 140))));
    expect(r.stderr).toContain('single: report 30000 answered, servers counted 30140');
    expect(r.status).toBe(0);
  });

  it.each([
    ['a missing topology', report(three().slice(0, 2)), [], 'topologies are [single, nginx]'],
    ['zero throughput', report(three({ nginx: { rps: 0 } })), [], 'nginx: throughput median is 0'],
    ['errors', report(three({ 'rpc-gateway': { errorTotal: 3 } })), [], 'rpc-gateway: 3 errors'],
    ['another schema', report(three(), { schema: 'x@2' }), [], 'schema is "x@2"'],
    ['fewer trials', report(three({ nginx: { trials: 1 } })), ['--trials', '2'], 'nginx: 1 trials, expected 2'],
    ['fewer runners', report(three({ single: { runners: 1 } })), ['--runners', '2'], 'single: 1 runners per trial, expected 2'],
    [
      'a missing backend',
      report(three({ nginx: { backends: { 'hello-a': 0.5, 'hello-b': 0.5 } } })),
      ['--backends', '3'],
      'nginx: answered from 2 backends, expected 3',
    ],
    [
      'a skewed backend',
      report(three({ 'rpc-gateway': { backends: { 'hello-a': 0.4, 'hello-b': 0.3, 'hello-c': 0.3 } } })),
      ['--backends', '3'],
      'rpc-gateway: hello-a answered 40.00%',
    ],
    ['a low ratio', report(three({ nginx: { ratio: 2.4 } })), ['--min-ratio', '2.5'], 'nginx: 2.40x single, expected >= 2.5x'],
    ['no failover', report(three()), ['--failover', 'nginx'], 'nginx: no failover in the report'],
    [
      'no rerun noted',
      report(three(), { notes: ['2 runners per run started together within 1.0 ms of the agreed time'] }),
      ['--rerun', 'single'],
      'single: the report notes no rerun',
    ],
    ["another topology's rerun", report(three(), { notes: [RERUN_NOTE] }), ['--rerun', 'nginx'], 'nginx: the report notes no rerun'],
    [
      'a replacement that never served (no fourth backend)',
      report(three({ nginx: { failover: { backend: 'hello-a', killedAtMs: 3000, restartedAtMs: 6000, recoveryMs: null, errors: 0 } } })),
      ['--failover', 'nginx', '--backends', '3'],
      'nginx: answered from 3 backends across the kill of hello-a, expected 4 (the replacement too)',
    ],
    [
      'a replacement that never served (servingAgainMs null)',
      report(
        three({
          nginx: {
            failover: { backend: 'hello-a', killedAtMs: 3000, restartedAtMs: 6000, servingAgainMs: null, recoveryMs: null, errors: 0 },
          },
        }),
      ),
      ['--failover', 'nginx'],
      'its replacement never answered through the balancer',
    ],
    [
      'no recovery',
      report(three({ nginx: { failover: { backend: 'hello-a', killedAtMs: 3000, restartedAtMs: 6000, recoveryMs: null, errors: 0 } } })),
      ['--failover', 'nginx', '--recovered', 'nginx'],
      'nginx: killed hello-a, did not recover within the trial',
    ],
  ])('fails on %s, saying what', (_what, body, args, message) => {
    const r = check(body, ...args);
    expect(r.stderr).toContain(message);
    expect(r.status).toBe(1);
  });

  it.each([
    [
      'the report claims more than a server counted',
      after((c) => (c['hello-single-x'].http -= 200)),
      'counts: single: report 30000 answered, servers counted 29800',
    ],
    [
      'a server answered requests the report does not hold',
      after((c) => (c['hello-b'].rpc += 400)),
      'counts: rpc-gateway: report 30000 answered, servers counted 30400',
    ],
    [
      'requests went to the wrong backend',
      after((c) => ((c['hello-a'].http += 300), (c['hello-b'].http -= 300))),
      'counts: hello-a counted 10300 http requests, the report attributes 10000',
    ],
    ['a pod vanished between the scrapes', after((c) => delete (c as Record<string, unknown>)['hello-c']), 'counts: pod hello-c is gone'],
  ])('fails when %s', (_what, a, message) => {
    const r = check(report(three()), counts(a));
    expect(r.stderr).toContain(message);
    expect(r.status).toBe(1);
  });

  it('refuses to count a report with warmup, whose requests the servers saw but the report did not', () => {
    const r = check(report(three(), { warmupMs: 1000 }), counts(after()));
    expect(r.stderr).toContain('run with --warmup 0s');
    expect(r.status).toBe(1);
  });

  it('prints allowed errors and a failover without failing', () => {
    const failover = { backend: 'hello-a', killedAtMs: 3000, restartedAtMs: 5000, recoveryMs: 4000, errors: 2 };
    const backends = { 'hello-a': 0.2, 'hello-b': 0.4, 'hello-c': 0.35, 'hello-d': 0.05 };
    const r = check(
      report(three({ nginx: { errorTotal: 2, failover, backends } })),
      '--failover',
      'nginx',
      '--recovered',
      'nginx',
      '--allow-errors',
      'nginx',
      '--backends',
      '3',
    );
    expect(r.stderr).toContain('nginx: killed hello-a at 3000 ms; replacement ready after 2000 ms; recovered after 4000 ms; 2 errors');
    expect(r.stderr).toContain('nginx: 2 errors');
    expect(r.status).toBe(0);
  });

  it('prints the rerun the report notes', () => {
    const r = check(report(three(), { notes: [RERUN_NOTE] }), '--rerun', 'single', '--trials', '2');
    expect(r.stderr).toContain(`report check: ${RERUN_NOTE}`);
    expect(r.status).toBe(0);
  });

  it.each([[[]], [['--trials', 'two']], [['--counts', 'one.json']], [['--min-ratio', '-1']], [['--bogus']]])(
    'exits 2 on bad arguments %j',
    (args) => {
      const r = args.length === 0 ? spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' }) : check(report(three()), ...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('usage:');
    },
  );
});

describe('hello-counters.mjs parseCounters', () => {
  it('reads both counters and names a missing one', () => {
    const text =
      '# TYPE hello_http_requests_total counter\nhello_http_requests_total 42\nhello_rpc_calls_total 7\nhello_rpc_connections 2\n';
    expect(parseCounters(text)).toEqual({ http: 42, rpc: 7 });
    expect(() => parseCounters('hello_http_requests_total 1\n')).toThrow('no hello_rpc_calls_total');
  });
});
