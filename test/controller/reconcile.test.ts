import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../../loadtest/types.js';
import { jobName, runKey, type RunId } from '../../src/controller/names.js';
import { decide, runOrder, type ObservedJob, type ReconcileInput, type RunRecord } from '../../src/controller/reconcile.js';
import { clusterReport, statusResults } from '../../src/controller/cluster-report.js';
import { decideStart, sumProgress } from '../../src/controller/coordinator.js';
import { mergeConditions, progressPatch, statusChange } from '../../src/controller/status.js';
import { killData, parseRunConfigMaps, recordData, RUN_CONFIGMAP_BUDGET_BYTES } from '../../src/controller/run-store.js';
import { nextBackoffMs } from '../../src/controller/informers.js';
import { describeError } from '../../src/kube/kube.js';
import type { Topology } from '../../src/topologies.js';
import { plan, result } from './fixtures.js';

const DEMO = { name: 'demo', uid: '6f1c2a9e-0b7d-4e55-9c1a-3d2f8e7b6a50' };
const environment = { where: 'cluster: test', cpus: { model: 'test', count: 2 }, versions: {}, cpuLimits: { perServer: null, mechanism: 'none' } };

function input(overrides: Partial<ReconcileInput> = {}): ReconcileInput {
  return {
    benchmark: 'demo',
    plan: plan(),
    skippedTopologies: undefined,
    deployed: new Set<Topology>(['single', 'nginx', 'rpc-gateway', 'ingress-nginx']),
    records: new Map(),
    kills: new Map(),
    jobs: [],
    results: new Map(),
    startTimes: new Map(),
    helloPods: [],
    reportWritten: false,
    now: 1_000_000,
    ...overrides,
  };
}

function job(run: RunId, attempt: number, state: ObservedJob['state'], reason?: string): ObservedJob {
  return { name: jobName(DEMO, run, attempt), run, attempt, state, ...(reason ? { reason } : {}) };
}

function succeededRecord(run: RunId, results: LoadResult[]): RunRecord {
  return { run, state: 'succeeded', job: jobName(DEMO, run, 1), attempts: 1, results };
}

/** The two runners' results of a run, as read back from its pods. */
function runnerResults(run: RunId, latency = 100): Map<number, LoadResult> {
  return new Map([0, 1].map((i) => [i, result(run.topology, run.trial, i, [latency, latency * 2, latency * 3])]));
}

describe('runOrder', () => {
  it('interleaves topologies within a trial and rotates the order by one each trial', () => {
    const order = runOrder(['single', 'nginx', 'rpc-gateway'], 3).map((r) => `${r.trial}:${r.topology}`);
    expect(order).toEqual([
      '1:single', '1:nginx', '1:rpc-gateway',
      '2:nginx', '2:rpc-gateway', '2:single',
      '3:rpc-gateway', '3:single', '3:nginx',
    ]);
  });
});

describe('decide: which Job next', () => {
  it('creates the first run\'s Job first, and only one', () => {
    const d = decide(input());
    expect(d.actions).toEqual([{ kind: 'createJob', run: { topology: 'single', trial: 1 }, attempt: 1 }]);
    expect(d.phase).toBe('Running');
    expect(d.totalRuns).toBe(6);
  });

  it('waits while a Job is active (one run at a time)', () => {
    const d = decide(input({ jobs: [job({ topology: 'single', trial: 1 }, 1, 'active')] }));
    expect(d.actions).toEqual([]);
    expect(d.current?.job).toBe(jobName(DEMO, { topology: 'single', trial: 1 }, 1));
  });

  it('records a finished run from its runners\' results and starts the next run in the same pass', () => {
    const run: RunId = { topology: 'single', trial: 1 };
    const d = decide(input({ jobs: [job(run, 1, 'succeeded')], results: new Map([[jobName(DEMO, run, 1), runnerResults(run)]]) }));
    expect(d.actions.map((a) => a.kind)).toEqual(['recordRun', 'createJob']);
    const record = d.actions[0].kind === 'recordRun' ? d.actions[0].record : undefined;
    expect(record?.state).toBe('succeeded');
    expect(record?.results?.map((r) => r.runner)).toEqual([0, 1]);
    expect(d.actions[1]).toMatchObject({ run: { topology: 'nginx', trial: 1 }, attempt: 1 });
  });

  it('skips a topology that is not deployed, with a condition, and remembers the decision', () => {
    const d = decide(input({ deployed: new Set<Topology>(['single', 'rpc-gateway']) }));
    expect(d.skippedTopologies).toEqual(['nginx']);
    expect(d.totalRuns).toBe(4);
    expect(d.conditions).toContainEqual(expect.objectContaining({ type: 'TopologyNotDeployed', status: 'True', message: expect.stringContaining('nginx') }));
    // Once decided (kept in the status), a later deployment does not change the plan mid-run.
    const later = decide(input({ skippedTopologies: ['nginx'], deployed: new Set<Topology>(['single', 'nginx', 'rpc-gateway']) }));
    expect(later.totalRuns).toBe(4);
  });

  it('fails at once when no topology is deployed', () => {
    const d = decide(input({ deployed: new Set() }));
    expect(d.phase).toBe('Failed');
    expect(d.actions).toEqual([]);
    expect(d.conditions.map((c) => c.type)).toContain('NoResults');
  });
});

describe('decide: failures and retries', () => {
  const run: RunId = { topology: 'single', trial: 1 };

  it('retries a failed run once with a second Job', () => {
    const d = decide(input({ jobs: [job(run, 1, 'failed', 'BackoffLimitExceeded: runner exited 1')] }));
    expect(d.actions).toEqual([{ kind: 'createJob', run, attempt: 2 }]);
    expect(d.conditions).toContainEqual(expect.objectContaining({ type: 'RunRetried', message: expect.stringContaining(jobName(DEMO, run, 1)) }));
  });

  it('treats a finished Job with a runner\'s result missing as a failed attempt', () => {
    const partial = new Map([[0, result('single', 1, 0, [100])]]);
    const d = decide(input({ jobs: [job(run, 1, 'succeeded')], results: new Map([[jobName(DEMO, run, 1), partial]]) }));
    expect(d.actions).toEqual([{ kind: 'createJob', run, attempt: 2 }]);
  });

  it('fails an attempt whose runner measured less than the plan (stopped early) and reruns it; the record and report say so', () => {
    const short = new Map([[0, { ...result('single', 1, 0, [100]), durationMs: 3_200 }], [1, result('single', 1, 1, [100])]]);
    const first = decide(input({ jobs: [job(run, 1, 'succeeded')], results: new Map([[jobName(DEMO, run, 1), short]]) }));
    expect(first.actions).toEqual([{ kind: 'createJob', run, attempt: 2 }]);
    expect(first.conditions).toContainEqual(expect.objectContaining({ type: 'RunRetried', message: `${jobName(DEMO, run, 1)}: runner 0 measured 3200 ms of the planned 5000 ms` }));
    const second = decide(input({
      jobs: [job(run, 1, 'succeeded'), job(run, 2, 'succeeded')],
      results: new Map([[jobName(DEMO, run, 1), short], [jobName(DEMO, run, 2), runnerResults(run)]]),
    }));
    const recorded = second.actions.find((a) => a.kind === 'recordRun');
    expect(recorded).toMatchObject({ record: { state: 'succeeded', attempts: 2, retries: ['attempt 1: runner 0 measured 3200 ms of the planned 5000 ms'] } });
    const record = (recorded as { record: RunRecord }).record;
    const report = clusterReport(plan({ topologies: ['single'], trials: 1 }), [record], environment, []);
    expect(report.environment.notes).toContain('single trial 1 was rerun (attempt 1: runner 0 measured 3200 ms of the planned 5000 ms); only attempt 2 is counted');
  });

  it('marks the run failed after the second attempt and goes on with the next run', () => {
    const d = decide(input({ jobs: [job(run, 1, 'failed', 'x'), job(run, 2, 'failed', 'DeadlineExceeded')] }));
    const record = d.actions.find((a) => a.kind === 'recordRun');
    expect(record).toMatchObject({ record: { state: 'failed', attempts: 2, reason: 'DeadlineExceeded' } });
    expect(d.actions.find((a) => a.kind === 'createJob')).toMatchObject({ run: { topology: 'nginx', trial: 1 }, attempt: 1 });
    expect(d.conditions).toContainEqual(expect.objectContaining({ type: 'TrialFailed', message: expect.stringContaining('single trial 1') }));
  });

  it('writes a partial report and ends Failed when a run failed and the rest succeeded', () => {
    const p = plan({ topologies: ['single', 'nginx'], trials: 1, runners: 2 });
    const ok: RunId = { topology: 'single', trial: 1 };
    const bad: RunId = { topology: 'nginx', trial: 1 };
    const records = new Map<string, RunRecord>([
      [runKey(ok), succeededRecord(ok, [...runnerResults(ok).values()])],
      [runKey(bad), { run: bad, state: 'failed', job: jobName(DEMO, bad, 2), attempts: 2, reason: 'DeadlineExceeded' }],
    ]);
    const d = decide(input({ plan: p, records }));
    expect(d.phase).toBe('Failed');
    const write = d.actions.find((a) => a.kind === 'writeReport');
    expect(write).toBeDefined();
    const report = clusterReport(p, write?.kind === 'writeReport' ? write.records : [], environment, []);
    expect(report.topologies.map((t) => t.name)).toEqual(['single']);
    expect(report.environment.notes?.join('\n')).toContain('nginx trial 1 failed after 2 attempt(s): DeadlineExceeded');
  });

  it('ends Succeeded without writing the report again once it is written', () => {
    const p = plan({ topologies: ['single'], trials: 1 });
    const ok: RunId = { topology: 'single', trial: 1 };
    const records = new Map([[runKey(ok), succeededRecord(ok, [...runnerResults(ok).values()])]]);
    expect(decide(input({ plan: p, records })).actions.map((a) => a.kind)).toEqual(['writeReport']);
    const done = decide(input({ plan: p, records, reportWritten: true }));
    expect(done.actions).toEqual([]);
    expect(done.phase).toBe('Succeeded');
  });
});

describe('decide: resume after a controller restart', () => {
  it('recomputes the same next step from the cluster alone: recorded runs are not run again, the active Job is waited for', () => {
    const p = plan({ trials: 2 });
    const order = runOrder(p.topologies, p.trials);
    // Three runs recorded before the restart, the fourth's Job still running.
    const records = new Map(order.slice(0, 3).map((run) => [runKey(run), succeededRecord(run, [...runnerResults(run).values()])]));
    const jobs = [...order.slice(0, 3).map((run) => job(run, 1, 'succeeded')), job(order[3], 1, 'active')];
    const d = decide(input({ plan: p, records, jobs, skippedTopologies: [] }));
    expect(d.actions).toEqual([]);
    expect(d.completedRuns).toBe(3);
    expect(d.current?.run).toEqual(order[3]);
  });

  it('records a run that finished while the controller was down exactly once, from its pods', () => {
    const p = plan({ trials: 1, topologies: ['single', 'nginx'] });
    const [first, second] = runOrder(p.topologies, p.trials);
    const jobs = [job(first, 1, 'succeeded'), job(second, 1, 'succeeded')];
    const results = new Map([
      [jobName(DEMO, first, 1), runnerResults(first)],
      [jobName(DEMO, second, 1), runnerResults(second)],
    ]);
    const d = decide(input({ plan: p, jobs, results, records: new Map([[runKey(first), succeededRecord(first, [...runnerResults(first).values()])]]) }));
    const recorded = d.actions.filter((a) => a.kind === 'recordRun');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ record: { run: second } });
    // With both runs recorded, the report comes next and holds each trial once.
    const all = new Map([first, second].map((run) => [runKey(run), succeededRecord(run, [...runnerResults(run).values()])]));
    const final = decide(input({ plan: p, jobs, results, records: all }));
    expect(final.actions.map((a) => a.kind)).toEqual(['writeReport']);
    const report = clusterReport(p, final.actions[0].kind === 'writeReport' ? final.actions[0].records : [], environment, []);
    expect(report.topologies.map((t) => [t.name, t.trials, t.requests])).toEqual([['single', 1, 6], ['nginx', 1, 6]]);
  });

  it('reads back the records and kills it wrote to the run ConfigMaps', () => {
    const run: RunId = { topology: 'nginx', trial: 2 };
    const record = succeededRecord(run, [...runnerResults(run).values()]);
    const failed: RunRecord = { run: { topology: 'single', trial: 1 }, state: 'failed', job: 'demo-single-t1-a2', attempts: 2, reason: 'DeadlineExceeded' };
    const parsed = parseRunConfigMaps([
      { data: recordData(record) },
      { data: { ...killData({ topology: 'nginx', trial: 1 }, { pod: 'hello-abc', atEpochMs: 5 }) } },
      { data: recordData(failed) },
    ]);
    expect(parsed.records.get('nginx.t2')).toEqual(record);
    expect(parsed.records.get('single.t1')).toEqual(failed);
    expect(parsed.kills.get('nginx.t1')).toEqual({ pod: 'hello-abc', atEpochMs: 5 });
  });

  it('drops per-second histograms from a record too large for a ConfigMap, and says so', () => {
    const run: RunId = { topology: 'nginx', trial: 1 };
    const base = result('nginx', 1, 0, [100, 200]);
    // Incompressible per-second histograms, as many as a long run with many runners has.
    const big = { ...base, timeline: Array.from({ length: 30 }, (_, i) => ({ t: i + 1, rps: 1, p99Us: 1, errors: 0, histogram: randomBytes(30_000).toString('base64') })) };
    const data = recordData(succeededRecord(run, [big]));
    expect(Object.values(data).reduce((n, v) => n + v.length, 0)).toBeLessThan(RUN_CONFIGMAP_BUDGET_BYTES);
    const back = parseRunConfigMaps([{ data }]).records.get('nginx.t1');
    expect(back?.trimmed).toBe(true);
    expect(back?.results?.[0].histogram).toBe(big.histogram);
    expect(back?.results?.[0].timeline.every((p) => p.histogram === undefined)).toBe(true);
    const report = clusterReport(plan({ topologies: ['nginx'], trials: 1, runners: 1 }), back ? [back] : [], environment, []);
    expect(report.environment.notes?.join('\n')).toContain('nginx trial 1: per-second p99 are upper bounds');
  });
});

describe('decide: failover', () => {
  const run: RunId = { topology: 'nginx', trial: 1 };
  const p = plan({ topologies: ['nginx'], trials: 1, killAfterMs: 2_000, warmupMs: 1_000 });
  const helloPods = [
    { name: 'hello-b', createdAtMs: 0, readyAtMs: 10 },
    { name: 'hello-a', createdAtMs: 0, readyAtMs: 10 },
  ];
  const running = [job(run, 1, 'active')];
  const startAt = 1_000_000;

  it('deletes one ready hello pod once killAfter into the measured part has passed, not before', () => {
    const early = decide(input({ plan: p, jobs: running, helloPods, startTimes: new Map([[jobName(DEMO, run, 1), startAt]]), now: startAt + 2_999 }));
    expect(early.actions).toEqual([]);
    expect(early.wakeAt).toBe(startAt + 3_000);
    const due = decide(input({ plan: p, jobs: running, helloPods, startTimes: new Map([[jobName(DEMO, run, 1), startAt]]), now: startAt + 3_000 }));
    expect(due.actions).toEqual([{ kind: 'killPod', run, pod: 'hello-a' }]);
    const done = decide(input({ plan: p, jobs: running, helloPods, kills: new Map([[runKey(run), { pod: 'hello-a', atEpochMs: startAt + 3_000 }]]), startTimes: new Map([[jobName(DEMO, run, 1), startAt]]), now: startAt + 4_000 }));
    expect(done.actions).toEqual([]);
  });

  it('kills only in the last trial, as make local --failover does', () => {
    const two = { ...p, trials: 2 };
    const at = (trial: number) => decide(input({ plan: two, jobs: [job({ topology: 'nginx', trial }, 1, 'active')], helloPods, startTimes: new Map([[jobName(DEMO, { topology: 'nginx', trial }, 1), startAt]]), now: startAt + 60_000 }));
    expect(at(1).actions).toEqual([]);
    expect(at(2).actions).toEqual([{ kind: 'killPod', run: { topology: 'nginx', trial: 2 }, pod: 'hello-a' }]);
  });

  it('never kills during the single topology', () => {
    const single: RunId = { topology: 'single', trial: 1 };
    const d = decide(input({ plan: { ...p, topologies: ['single', 'nginx'] }, jobs: [job(single, 1, 'active')], helloPods, startTimes: new Map([[jobName(DEMO, single, 1), startAt]]), now: startAt + 60_000 }));
    expect(d.actions).toEqual([]);
  });

  it('records when the pod was killed and when its replacement was ready, relative to the measured start', () => {
    const results = runnerResults(run);
    const measuredStart = Date.parse(results.get(0)?.startedAt ?? '');
    const kill = { pod: 'hello-a', atEpochMs: measuredStart + 2_000 };
    const pods = [...helloPods.filter((h) => h.name !== 'hello-a'), { name: 'hello-c', createdAtMs: measuredStart + 2_100, readyAtMs: measuredStart + 3_500 }];
    const d = decide(input({ plan: p, jobs: [job(run, 1, 'succeeded')], results: new Map([[jobName(DEMO, run, 1), results]]), kills: new Map([[runKey(run), kill]]), helloPods: pods }));
    expect(d.actions[0]).toMatchObject({ kind: 'recordRun', record: { failover: { topology: 'nginx', trial: 1, backend: 'hello-a', killedAtMs: 2_000, restartedAtMs: 3_500 } } });
  });
});

describe('merge and status summary', () => {
  it('merges runners exactly: percentiles from the merged histogram, not averaged', () => {
    const p = plan({ topologies: ['single'], trials: 1 });
    const fast = result('single', 1, 0, Array(99).fill(100));
    const slow = result('single', 1, 1, Array(99).fill(10_000));
    const run: RunId = { topology: 'single', trial: 1 };
    const report = clusterReport(p, [succeededRecord(run, [fast, slow])], environment, []);
    const [single] = report.topologies;
    expect(single.requests).toBe(198);
    // The median of the merged samples is one of the two real values, never their average (5050).
    expect([100, 10_000].some((v) => Math.abs(single.latencyUs.p50 - v) / v < 0.01)).toBe(true);
    expect(single.throughputRps.median).toBeCloseTo(fast.throughputRps + slow.throughputRps);
    const [summary] = statusResults(report, [succeededRecord(run, [fast, slow])]);
    expect(summary).toMatchObject({ topology: 'single', trials: 1, failedTrials: 0, errors: 0, maxStartSkewMs: 0.5 });
  });
});

describe('synchronized start', () => {
  it('gives a start time only when every runner of the run is connected', () => {
    expect(decideStart(new Set([0]), 2, undefined, 1000, 2000)).toBeUndefined();
    expect(decideStart(new Set([0, 1]), 2, undefined, 1000, 2000)).toBe(3000);
    expect(decideStart(new Set([0, 1]), undefined, undefined, 1000)).toBeUndefined();
  });

  it('keeps a start time already agreed (runners reconnecting after a controller restart)', () => {
    expect(decideStart(new Set([1]), 2, 500, 1000)).toBe(500);
  });

  it('sums the runners\' progress', () => {
    const s = sumProgress(2, [
      { elapsedMs: 3000, warmup: false, requests: 10, rps: 5, errors: 1 },
      { elapsedMs: 2900, warmup: false, requests: 20, rps: 7, errors: 0 },
    ]);
    expect(s).toEqual({ runnersReady: 2, warmup: false, elapsedMs: 2900, requests: 30, rps: 12, errors: 1 });
  });
});

describe('status patches', () => {
  const now = new Date('2026-11-26T07:00:00Z');
  const conditions = mergeConditions([], [{ type: 'TopologyNotDeployed', status: 'True', reason: 'Skipped', message: 'x' }], 1, now);
  const status = { phase: 'Running' as const, conditions, progress: { completedRuns: 1, totalRuns: 4, topology: 'nginx', trial: 1, rps: 100, updatedAt: 'a' } };

  it('patches nothing when only the time stamp moved, even with keys in the API server\'s (sorted) order', () => {
    const fromServer = JSON.parse(JSON.stringify({ progress: { updatedAt: 'b', trial: 1, totalRuns: 4, topology: 'nginx', rps: 100, completedRuns: 1 }, phase: 'Running', conditions: conditions.map((c) => Object.fromEntries(Object.entries(c).sort())) }));
    expect(statusChange(fromServer, status)).toBe('none');
  });

  it('tells live numbers (throttled) from steps (patched at once)', () => {
    expect(statusChange(status, { ...status, progress: { ...status.progress, rps: 120 } })).toBe('progress');
    expect(statusChange(status, { ...status, progress: { ...status.progress, completedRuns: 2 } })).toBe('more');
    expect(statusChange(status, { ...status, phase: 'Succeeded' })).toBe('more');
  });

  it('clears the last run\'s live numbers when the next run has none yet', () => {
    const patch = progressPatch({ completedRuns: 2, totalRuns: 4, topology: 'single', trial: 2, updatedAt: 'x' });
    expect(patch).toMatchObject({ completedRuns: 2, topology: 'single', rps: null, requests: null, errors: null, runnersReady: null, elapsedMs: null, warmup: null });
  });

  it('keeps a condition\'s transition time while its status stays', () => {
    const later = mergeConditions(conditions, [{ type: 'TopologyNotDeployed', status: 'True', reason: 'Skipped', message: 'x' }], 1, new Date('2026-11-26T08:00:00Z'));
    expect(later[0].lastTransitionTime).toBe(now.toISOString());
  });
});

describe('informer restarts', () => {
  it('back off exponentially from 1 s to at most 30 s', () => {
    const delays: number[] = [];
    let d: number | undefined;
    for (let i = 0; i < 7; i++) delays.push((d = nextBackoffMs(d)));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('describe API errors in one line', () => {
    expect(describeError({ code: 403, body: JSON.stringify({ message: 'jobs.batch is forbidden: User "x" cannot list' }) })).toBe('HTTP 403: jobs.batch is forbidden: User "x" cannot list');
    expect(describeError({ code: 404, body: '404 page not found\n' })).toBe('HTTP 404: 404 page not found');
    expect(describeError(new Error('connect ECONNREFUSED 10.0.0.1:443\n    at stack'))).toBe('connect ECONNREFUSED 10.0.0.1:443');
  });
});
