// The steps of `make local` one by one: start a real hello server, run one real trial against it,
// write the report; and the pure parts (what is watched, the failover event, the notes).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/index.js';
import { describeFailover, RUN_ORDER_DESCRIPTION } from '../../src/plan/run-plan.js';
import { ProcessGroup } from '../../src/local/process-group.js';
import { SCENARIOS } from '../../src/scenarios.js';
import type { HelloServer } from '../../src/local/servers.js';
import {
  failoverEvent,
  findBinaries,
  localNotes,
  localScenario,
  requestedCpus,
  runTrial,
  scalingRuns,
  startTestbed,
  watchedProcesses,
  writeLocalReport,
} from '../../src/local/run-local.js';
import { mainReplicas } from '../../src/plan/run-plan.js';
import type { LoadResult } from '../../loadtest/types.js';
import type { LocalTopology } from '../../src/topologies.js';

const ROOT = resolve(import.meta.dirname, '../..');

function hello(id: string, pid: number): HelloServer {
  return { id, pid, http: '127.0.0.1:1', rpc: '127.0.0.1:2', workRounds: null };
}

describe('the pure parts of a local run', () => {
  const servers = new Map(['single', 'hello-1', 'hello-2', 'hello-3'].map((id, i) => [id, hello(id, 100 + i)]));
  const targets = new Map([['nginx', { url: 'http://127.0.0.1:3/', pid: 200 }]] as const);
  const balanced = ['hello-1', 'hello-2', 'hello-3'];

  it('watches the servers of a topology and its balancer, by name', () => {
    expect(watchedProcesses({ servers, targets, balanced }, 'single')).toEqual(new Map([['single', 100]]));
    expect(watchedProcesses({ servers, targets, balanced }, 'nginx')).toEqual(
      new Map([
        ['hello-1', 101],
        ['hello-2', 102],
        ['hello-3', 103],
        ['nginx', 200],
      ]),
    );
  });

  it('says which part is missing instead of measuring nothing', () => {
    expect(() => watchedProcesses({ servers, targets, balanced }, 'rpc-gateway')).toThrow('the rpc-gateway target is missing');
    // In a sweep, only the servers behind the balancers now.
    expect([...watchedProcesses({ servers, targets, balanced: ['hello-1'] }, 'nginx').keys()]).toEqual(['hello-1', 'nginx']);
  });

  it('shows three replicas in the main tables when swept, else the largest count', () => {
    expect([mainReplicas(null), mainReplicas([1, 2, 3, 4]), mainReplicas([1, 2]), mainReplicas([4, 6])]).toEqual([3, 3, 2, 6]);
  });

  it('counts the CPUs a run asks for: quotas, or every CPU for a server without one, plus the balancer and the load threads', () => {
    expect(requestedCpus(4, 0.25, 2, 2)).toBe(5);
    expect(requestedCpus(2, null, 2, 2)).toBe(8);
    const result = (topology: string, trial: number) => ({ topology, trial }) as unknown as LoadResult;
    const outcome = (topology: LocalTopology, replicas: number, trial: number) => ({
      run: { topology, replicas, trial },
      result: result(topology, trial),
      cpuUse: null,
    });
    const runs = scalingRuns([outcome('single', 1, 1), outcome('nginx', 1, 1), outcome('nginx', 2, 1), outcome('nginx', 1, 2)], 0.5, 2, 2);
    expect(runs.map((r) => [r.topology, r.replicas, r.results.length, r.requestedCpus])).toEqual([
      ['nginx', 1, 2, 4.5],
      ['nginx', 2, 1, 5],
    ]);
  });

  it('times a failover event from when the load generator began measuring', () => {
    const startedAt = Date.UTC(2026, 0, 1);
    const event = failoverEvent(
      { topology: 'nginx', trial: 2 },
      'hello-1',
      { killedAt: startedAt + 3_000, restartedAt: startedAt + 5_500, servingAgainAt: null },
      { startedAt: new Date(startedAt).toISOString() },
    );
    expect(event).toEqual({
      topology: 'nginx',
      trial: 2,
      backend: 'hello-1',
      killedAtMs: 3_000,
      restartedAtMs: 5_500,
      servingAgainAtMs: null,
    });
  });

  it("notes the --work calibration and the failover rule, and states the plan's order", () => {
    const scenario = { ...SCENARIOS.standard, durationMs: 10_000 };
    const notes = localNotes(
      { scenario, work: '200us', failover: true },
      new Map([
        ['hello-1', 40],
        ['hello-2', 41],
      ]),
    );
    expect(localNotes({ scenario, failover: false, replicas: [1, 2] }, new Map())).toEqual([
      'replica sweep: 1, 2 hello servers behind each balancer, every count in every trial; the tables before the scaling section show the balancers at 2',
    ]);
    expect(notes).toEqual([
      '--work 200us calibrated by each hello server at start-up to hash rounds per request: hello-1 40, hello-2 41',
      describeFailover(5_000, 2_500),
    ]);
    expect(localNotes({ scenario, failover: false }, new Map())).toEqual([]);
    expect(localScenario({ scenario })).toMatchObject({ order: RUN_ORDER_DESCRIPTION, runners: 1, rate: null, serverSettings: {} });
  });
});

describe('start, one trial, report (a real hello server)', () => {
  let out: string;
  beforeAll(async () => {
    execFileSync('make', ['-s', '-o', 'node_modules/.package-lock.json', 'build-go'], { cwd: ROOT, stdio: 'inherit' });
    out = await mkdtemp(join(tmpdir(), 'run-local-steps-'));
  }, 180_000);
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('starts single, measures it once and writes the report with the raw result', async () => {
    // Two load threads, as on this machine's CLI: with one, the load runs on this event loop and may end before the CPU meter's timer.
    const lines: string[] = [];
    const stop = new AbortController();
    const group = new ProcessGroup((err) => stop.abort(err));
    const cleanups: (() => Promise<void>)[] = [];
    const scenario = { ...SCENARIOS.quick, connections: 4, durationMs: 500, warmupMs: 0, trials: 1 };
    try {
      const bed = await startTestbed(
        group,
        findBinaries(ROOT, ['single']),
        { topologies: ['single'], cpusPerServer: null, log: (l) => lines.push(l) },
        (c) => cleanups.push(c),
      );
      expect([...bed.targets.keys()]).toEqual(['single']);
      expect(lines.some((l) => l.startsWith('ready single: http://127.0.0.1:'))).toBe(true);
      const outcome = await runTrial(
        bed,
        { topology: 'single', trial: 1 },
        { scenario, failover: true, log: (l) => lines.push(l) },
        2,
        stop,
      );
      // The single topology is never disturbed, failover or not.
      expect(outcome.failover).toBeNull();
      expect(outcome.result.requests).toBeGreaterThan(0);
      expect(Object.keys(outcome.result.backends)).toEqual(['single']);
      expect(outcome.cpuUse?.cpus.single).toBeGreaterThan(0);
      const report = buildReport({
        scenario: localScenario({ scenario }),
        environment: { where: 'test', cpus: { model: 'test', count: 1 }, versions: {}, cpuLimits: { perServer: null, mechanism: 'none' } },
        results: [outcome.result],
      });
      const written = await writeLocalReport(out, report, [{ run: { topology: 'single', trial: 1, replicas: 1 }, result: outcome.result }]);
      expect((await readdir(written.dir)).sort()).toEqual(['report.html', 'report.json', 'report.md', 'results']);
      expect(JSON.parse(await readFile(join(written.dir, 'results', 'single-trial1.json'), 'utf8'))).toMatchObject({
        topology: 'single',
        trial: 1,
        requests: outcome.result.requests,
      });
    } finally {
      stop.abort();
      await group.stopAll();
      for (const cleanup of cleanups) await cleanup();
    }
  }, 60_000);
});
