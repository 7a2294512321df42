import { describe, expect, it } from 'vitest';
import { jobName, runKey, type RunId } from '../../src/controller/names.js';
import { decide, type ObservedJob, type ReconcileInput, type RunRecord } from '../../src/controller/reconcile.js';
import { clusterReport } from '../../src/controller/cluster-report.js';
import { mergeConditions } from '../../src/controller/status.js';
import { describeFailover, RUN_ORDER_DESCRIPTION, runOrder } from '../../src/plan/run-plan.js';
import type { Topology } from '../../src/topologies.js';
import { DEMO, environment, plan, reconcileInput, result, runnerResults, succeededRecord } from './fixtures.js';

function input(overrides: Partial<ReconcileInput> = {}): ReconcileInput {
  return reconcileInput(overrides);
}

function job(run: RunId, attempt: number, state: ObservedJob['state'], reason?: string): ObservedJob {
  return { name: jobName(DEMO, run, attempt), run, attempt, state, ...(reason ? { reason } : {}) };
}

describe('decide: which Job next', () => {
  it("creates the first run's Job first, and only one", () => {
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

  it("records a finished run from its runners' results and starts the next run in the same pass", () => {
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
    expect(d.conditions).toContainEqual(
      expect.objectContaining({ type: 'TopologyNotDeployed', status: 'True', message: expect.stringContaining('nginx') }),
    );
    // Once decided (kept in the status), a later deployment does not change the plan mid-run.
    const later = decide(input({ skippedTopologies: ['nginx'], deployed: new Set<Topology>(['single', 'nginx', 'rpc-gateway']) }));
    expect(later.totalRuns).toBe(4);
  });

  it('writes why a topology was skipped once: a restarted controller, not knowing why, keeps the reason in the status', () => {
    const why = new Map<Topology, string>([['nginx', 'Service nginx has no ready endpoints (0 of 1 ready)']]);
    const first = decide(input({ deployed: new Set<Topology>(['single', 'rpc-gateway']), whyNotDeployed: why }));
    const conditions = mergeConditions([], first.conditions, 1, new Date(0));
    const reason = 'not deployed in the namespace, skipped: nginx (Service nginx has no ready endpoints (0 of 1 ready))';
    expect(conditions.find((c) => c.type === 'TopologyNotDeployed')?.message).toBe(reason);
    // After a restart: the skips come from the status, the reasons from nowhere.
    const restarted = decide(input({ skippedTopologies: first.skippedTopologies, deployed: new Set() }));
    const after = mergeConditions(conditions, restarted.conditions, 1, new Date(1));
    expect(after.find((c) => c.type === 'TopologyNotDeployed')?.message).toBe(reason);
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
    expect(d.conditions).toContainEqual(
      expect.objectContaining({ type: 'RunRetried', message: expect.stringContaining(jobName(DEMO, run, 1)) }),
    );
  });

  it("keeps RunRetried up to date while the retry runs: a runner's words that came after its Job failed reach it", () => {
    const words = 'BackoffLimitExceeded: stopped early (SIGTERM) after 1500 ms of the 5000 ms measured; no result';
    const retried = (d: ReturnType<typeof decide>) => d.conditions.find((c) => c.type === 'RunRetried')?.message;
    expect(retried(decide(input({ jobs: [job(run, 1, 'failed', 'BackoffLimitExceeded')] })))).toBe(
      `${jobName(DEMO, run, 1)}: BackoffLimitExceeded`,
    );
    const later = decide(input({ jobs: [job(run, 1, 'failed', words), job(run, 2, 'active')] }));
    expect(later.actions).toEqual([]);
    expect(retried(later)).toBe(`${jobName(DEMO, run, 1)}: ${words}`);
    // A first attempt that runs has nothing to say.
    expect(retried(decide(input({ jobs: [job(run, 1, 'active')] })))).toBeUndefined();
  });

  it("treats a finished Job with a runner's result missing as a failed attempt", () => {
    const partial = new Map([[0, result('single', 1, 0, [100])]]);
    const d = decide(input({ jobs: [job(run, 1, 'succeeded')], results: new Map([[jobName(DEMO, run, 1), partial]]) }));
    expect(d.actions).toEqual([{ kind: 'createJob', run, attempt: 2 }]);
  });

  it('fails an attempt whose runner measured less than the plan (stopped early) and reruns it; the record and report say so', () => {
    const short = new Map([
      [0, { ...result('single', 1, 0, [100]), durationMs: 3_200 }],
      [1, result('single', 1, 1, [100])],
    ]);
    const first = decide(input({ jobs: [job(run, 1, 'succeeded')], results: new Map([[jobName(DEMO, run, 1), short]]) }));
    expect(first.actions).toEqual([{ kind: 'createJob', run, attempt: 2 }]);
    expect(first.conditions).toContainEqual(
      expect.objectContaining({
        type: 'RunRetried',
        message: `${jobName(DEMO, run, 1)}: runner 0 measured 3200 ms of the planned 5000 ms`,
      }),
    );
    const second = decide(
      input({
        jobs: [job(run, 1, 'succeeded'), job(run, 2, 'succeeded')],
        results: new Map([
          [jobName(DEMO, run, 1), short],
          [jobName(DEMO, run, 2), runnerResults(run)],
        ]),
      }),
    );
    const recorded = second.actions.find((a) => a.kind === 'recordRun');
    expect(recorded).toMatchObject({
      record: { state: 'succeeded', attempts: 2, retries: ['attempt 1: runner 0 measured 3200 ms of the planned 5000 ms'] },
    });
    const record = (recorded as { record: RunRecord }).record;
    const report = clusterReport(plan({ topologies: ['single'], trials: 1 }), [record], environment, []);
    expect(report.environment.notes).toContain(
      'single trial 1 was rerun (attempt 1: runner 0 measured 3200 ms of the planned 5000 ms); only attempt 2 is counted',
    );
  });

  it('marks the run failed after the second attempt and goes on with the next run', () => {
    const d = decide(input({ jobs: [job(run, 1, 'failed', 'x'), job(run, 2, 'failed', 'DeadlineExceeded')] }));
    const record = d.actions.find((a) => a.kind === 'recordRun');
    expect(record).toMatchObject({ record: { state: 'failed', attempts: 2, reason: 'DeadlineExceeded' } });
    expect(d.actions.find((a) => a.kind === 'createJob')).toMatchObject({ run: { topology: 'nginx', trial: 1 }, attempt: 1 });
    expect(d.conditions).toContainEqual(
      expect.objectContaining({ type: 'TrialFailed', message: expect.stringContaining('single trial 1') }),
    );
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
    const d = decide(
      input({ plan: p, jobs, results, records: new Map([[runKey(first), succeededRecord(first, [...runnerResults(first).values()])]]) }),
    );
    const recorded = d.actions.filter((a) => a.kind === 'recordRun');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ record: { run: second } });
    // With both runs recorded, the report comes next and holds each trial once.
    const all = new Map([first, second].map((run) => [runKey(run), succeededRecord(run, [...runnerResults(run).values()])]));
    const final = decide(input({ plan: p, jobs, results, records: all }));
    expect(final.actions.map((a) => a.kind)).toEqual(['writeReport']);
    const report = clusterReport(p, final.actions[0].kind === 'writeReport' ? final.actions[0].records : [], environment, []);
    expect(report.topologies.map((t) => [t.name, t.trials, t.requests])).toEqual([
      ['single', 1, 6],
      ['nginx', 1, 6],
    ]);
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
    const early = decide(
      input({ plan: p, jobs: running, helloPods, startTimes: new Map([[jobName(DEMO, run, 1), startAt]]), now: startAt + 2_999 }),
    );
    expect(early.actions).toEqual([]);
    expect(early.wakeAt).toBe(startAt + 3_000);
    const due = decide(
      input({ plan: p, jobs: running, helloPods, startTimes: new Map([[jobName(DEMO, run, 1), startAt]]), now: startAt + 3_000 }),
    );
    expect(due.actions).toEqual([{ kind: 'killPod', run, pod: 'hello-a' }]);
    const done = decide(
      input({
        plan: p,
        jobs: running,
        helloPods,
        kills: new Map([[runKey(run), { pod: 'hello-a', atEpochMs: startAt + 3_000 }]]),
        startTimes: new Map([[jobName(DEMO, run, 1), startAt]]),
        now: startAt + 4_000,
      }),
    );
    expect(done.actions).toEqual([]);
  });

  it('kills only in the last trial, as make local --failover does', () => {
    const two = { ...p, trials: 2 };
    const at = (trial: number) =>
      decide(
        input({
          plan: two,
          jobs: [job({ topology: 'nginx', trial }, 1, 'active')],
          helloPods,
          startTimes: new Map([[jobName(DEMO, { topology: 'nginx', trial }, 1), startAt]]),
          now: startAt + 60_000,
        }),
      );
    expect(at(1).actions).toEqual([]);
    expect(at(2).actions).toEqual([{ kind: 'killPod', run: { topology: 'nginx', trial: 2 }, pod: 'hello-a' }]);
  });

  it('never kills during the single topology', () => {
    const single: RunId = { topology: 'single', trial: 1 };
    const d = decide(
      input({
        plan: { ...p, topologies: ['single', 'nginx'] },
        jobs: [job(single, 1, 'active')],
        helloPods,
        startTimes: new Map([[jobName(DEMO, single, 1), startAt]]),
        now: startAt + 60_000,
      }),
    );
    expect(d.actions).toEqual([]);
  });

  it('records when the pod was killed and when its replacement was ready, relative to the measured start', () => {
    const results = runnerResults(run);
    const measuredStart = Date.parse(results.get(0)?.startedAt ?? '');
    const kill = { pod: 'hello-a', atEpochMs: measuredStart + 2_000 };
    const pods = [
      ...helloPods.filter((h) => h.name !== 'hello-a'),
      { name: 'hello-c', createdAtMs: measuredStart + 2_100, readyAtMs: measuredStart + 3_500 },
    ];
    const d = decide(
      input({
        plan: p,
        jobs: [job(run, 1, 'succeeded')],
        results: new Map([[jobName(DEMO, run, 1), results]]),
        kills: new Map([[runKey(run), kill]]),
        helloPods: pods,
      }),
    );
    expect(d.actions[0]).toMatchObject({
      kind: 'recordRun',
      record: { failover: { topology: 'nginx', trial: 1, backend: 'hello-a', killedAtMs: 2_000, restartedAtMs: 3_500 } },
    });
  });

  it('says in the report when and how a pod was deleted, in the words make local uses', () => {
    const report = clusterReport(p, [succeededRecord(run, [...runnerResults(run).values()])], environment, []);
    expect(report.environment.notes).toContain(describeFailover(2_000, null));
    expect(report.scenario.order).toBe(RUN_ORDER_DESCRIPTION);
  });
});
