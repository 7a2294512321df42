import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { jobName, runConfigMapName, runKey, runPartConfigMapName } from '../../src/controller/names.js';
import { decide, type ReconcileInput, type RunRecord } from '../../src/controller/reconcile.js';
import { reportNotes } from '../../src/controller/cluster-report.js';
import {
  SETTLE_AFTER_REMOVAL_MS,
  SETTLE_TIMEOUT_MS,
  describeProbe,
  helloPodState,
  plannedRuns,
  probeMatches,
  restoreStep,
  scaleStep,
  settleStep,
  type HelloScale,
  type ScaleRecord,
} from '../../src/controller/sweep.js';
import { runOrder } from '../../src/plan/run-plan.js';
import type { Topology } from '../../src/topologies.js';
import { DEMO, plan, reconcileInput } from './fixtures.js';

const NOW = 1_000_000;
const UID = DEMO.uid;
const serving = (...names: string[]) => names.map((name) => ({ name, serving: true }));
const both: Topology[] = ['nginx', 'rpc-gateway'];

/** A hello Deployment at `replicas`, every pod serving, long settled, and a probe that saw them all through both balancers. */
function settled(replicas: number, overrides: Partial<HelloScale> = {}): HelloScale {
  const pods = Array.from({ length: replicas }, (_, i) => `hello-${i}`);
  return {
    specReplicas: replicas,
    pods: serving(...pods),
    lastRemovalAtMs: NOW - SETTLE_AFTER_REMOVAL_MS,
    probe: { pods, answered: new Map(both.map((t) => [t, [...pods, ...pods]])) },
    ...overrides,
  };
}

describe('sweep: the runs', () => {
  it('is runOrder without a sweep', () => {
    expect(plannedRuns(['single', 'nginx'], 2, null)).toEqual(runOrder(['single', 'nginx'], 2));
  });

  it('is sweepOrder with one: balanced runs at their count, single (hello-single) at none, once per trial', () => {
    expect(plannedRuns(['single', 'nginx', 'rpc-gateway'], 2, [1, 2]).map(runKey)).toEqual([
      'single.t1',
      'nginx.r1.t1',
      'rpc-gateway.r1.t1',
      'nginx.r2.t1',
      'rpc-gateway.r2.t1',
      // trial 2: counts rotated (2 first), topologies rotated
      'nginx.r2.t2',
      'rpc-gateway.r2.t2',
      'single.t2',
      'nginx.r1.t2',
      'rpc-gateway.r1.t2',
    ]);
  });

  it("names a sweep run's Job and record with its count; a run without one as before", () => {
    expect(jobName(DEMO, { topology: 'nginx', trial: 1, replicas: 2 }, 1)).toMatch(/-nginx-r2-t1-a1$/);
    expect(runConfigMapName(DEMO, { topology: 'nginx', trial: 1, replicas: 2 })).toMatch(/-nginx-r2-t1$/);
    // Each count's results have parts of their own: nginx at 1 and at 2 replicas in trial 1 must not share one.
    expect(runPartConfigMapName(DEMO, { topology: 'nginx', trial: 1, replicas: 2 }, 0)).toMatch(/-nginx-r2-t1-p0$/);
    expect(runPartConfigMapName(DEMO, { topology: 'nginx', trial: 1 }, 0)).toMatch(/-nginx-t1-p0$/);
    expect(jobName(DEMO, { topology: 'nginx', trial: 1 }, 1)).toMatch(/-nginx-t1-a1$/);
  });
});

describe('sweep: before a run at N replicas', () => {
  it('goes only when exactly N pods serve, a removal is settled and both balancers answered from exactly them', () => {
    expect(scaleStep(2, settled(2), UID, both, NOW)).toEqual({ kind: 'ready' });
  });

  it('scales first when the Deployment asks for another count', () => {
    expect(scaleStep(1, settled(3), UID, both, NOW)).toEqual({ kind: 'scale', replicas: 1 });
  });

  it('waits while pods start or stop, or too many or too few serve', () => {
    const starting = settled(2, { pods: [...serving('hello-0'), { name: 'hello-1', serving: false }] });
    expect(scaleStep(2, starting, UID, both, NOW)).toEqual({ kind: 'wait', why: '1 of 2 hello pods serving, 1 starting or stopping' });
    // The Deployment at 1, but a second pod still terminating (not serving): not yet one backend.
    const stopping = settled(1, { pods: [...serving('hello-0'), { name: 'hello-9', serving: false }] });
    expect(scaleStep(1, stopping, UID, both, NOW)).toMatchObject({ kind: 'wait' });
    expect(scaleStep(2, settled(2, { pods: serving('hello-0', 'hello-1', 'hello-2') }), UID, both, NOW)).toMatchObject({ kind: 'wait' });
  });

  it('waits out the DNS TTL and the re-resolution after a removal (a probe cannot see a stale address)', () => {
    const removed = settled(1, { lastRemovalAtMs: NOW - 1000 });
    expect(scaleStep(1, removed, UID, both, NOW)).toEqual({
      kind: 'wait',
      why: 'a removed hello pod may still be in the balancers',
      wakeAt: NOW - 1000 + SETTLE_AFTER_REMOVAL_MS,
    });
  });

  it('probes when no probe saw these pods, or a balancer answered from others, fewer, or failed', () => {
    const pods = ['hello-0', 'hello-1'];
    expect(scaleStep(2, settled(2, { probe: undefined }), UID, both, NOW)).toEqual({ kind: 'probe', pods });
    const old = { pods: ['hello-0', 'hello-7'], answered: new Map(both.map((t) => [t, ['hello-0', 'hello-7']])) };
    expect(scaleStep(2, settled(2, { probe: old }), UID, both, NOW)).toEqual({ kind: 'probe', pods });
    // nginx not reloaded yet: the new pod never answered through it.
    const stale = {
      pods,
      answered: new Map([
        ['nginx', ['hello-0', 'hello-0']],
        ['rpc-gateway', pods],
      ]),
    };
    expect(scaleStep(2, settled(2, { probe: stale }), UID, both, NOW)).toEqual({ kind: 'probe', pods });
    const extra = {
      pods,
      answered: new Map([
        ['nginx', [...pods, 'hello-7']],
        ['rpc-gateway', pods],
      ]),
    };
    expect(probeMatches(extra, pods, both)).toBe(false);
    const failed = { pods, answered: new Map(both.map((t) => [t, pods])), errors: new Map([['rpc-gateway', 'HTTP 503']]) };
    expect(probeMatches(failed, pods, both)).toBe(false);
    // Only the sweep's balanced topologies are asked.
    expect(probeMatches(stale, pods, ['rpc-gateway', 'single'])).toBe(true);
  });

  it('logs each backend a probe reached with its count, and the error that ended it', () => {
    const probe = {
      pods: ['hello-a', 'hello-b'],
      answered: new Map([
        ['nginx', ['hello-b', 'hello-a', 'hello-b']],
        ['rpc-gateway', []],
      ]),
      errors: new Map([['rpc-gateway', 'HTTP 503']]),
    };
    expect(describeProbe(probe, ['single', 'nginx', 'rpc-gateway'])).toBe(
      'nginx: hello-a ×1, hello-b ×2 | rpc-gateway: none (then failed: HTTP 503)',
    );
  });

  it("waits while another Benchmark's sweep still holds the Deployment (it is restored first)", () => {
    const record: ScaleRecord = { uid: 'other', benchmark: 'earlier', originalReplicas: 3, restored: false };
    expect(scaleStep(3, settled(3, { record }), UID, both, NOW)).toEqual({
      kind: 'wait',
      why: 'the hello Deployment goes back to 3 after Benchmark earlier first',
    });
    expect(scaleStep(3, settled(3, { record: { ...record, restored: true } }), UID, both, NOW)).toEqual({ kind: 'ready' });
    expect(scaleStep(3, settled(3, { record: { ...record, uid: UID } }), UID, both, NOW)).toEqual({ kind: 'ready' });
  });

  it('a pod being deleted or not ready does not serve', () => {
    const pod = (ready: boolean, deleting: boolean): V1Pod => ({
      metadata: { name: 'p', ...(deleting ? { deletionTimestamp: new Date() } : {}) },
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    });
    expect([pod(true, false), pod(true, true), pod(false, false)].map((p) => helloPodState(p).serving)).toEqual([true, false, false]);
  });
});

describe('sweep: restoring the deployed count', () => {
  const record: ScaleRecord = { uid: UID, benchmark: 'demo', originalReplicas: 3, restored: false };
  it.each([
    ['no record', undefined, new Set<string>(), 1, { kind: 'none' }],
    ['its Benchmark still running', record, new Set([UID]), 1, { kind: 'none' }],
    ['finished, failed or deleted: scale back', record, new Set<string>(), 1, { kind: 'scale', replicas: 3 }],
    ['back at its count: mark restored', record, new Set<string>(), 3, { kind: 'markRestored' }],
    ['already restored', { ...record, restored: true }, new Set<string>(), 1, { kind: 'none' }],
  ] as const)('%s', (_, r, running, spec, step) => {
    expect(restoreStep(r, running, spec)).toEqual(step);
  });
});

describe('decide with a sweep', () => {
  const sweepPlan = plan({ topologies: ['nginx'], trials: 1, runners: 1, replicas: [1, 2] });
  const input = (overrides: Partial<ReconcileInput>): ReconcileInput =>
    reconcileInput({ uid: UID, plan: sweepPlan, deployed: new Set<Topology>(['nginx']), ...overrides });

  it('scales to the first count, then probes, then starts the run at that count', () => {
    expect(decide(input({ scale: settled(3) })).actions).toEqual([{ kind: 'scaleHello', replicas: 1 }]);
    expect(decide(input({ scale: settled(1, { probe: undefined }) })).actions).toEqual([{ kind: 'probeBalancers', pods: ['hello-0'] }]);
    expect(decide(input({ scale: settled(1) })).actions).toEqual([
      { kind: 'createJob', run: { topology: 'nginx', trial: 1, replicas: 1 }, attempt: 1 },
    ]);
    expect(decide(input({ scale: settled(1) })).totalRuns).toBe(2);
  });

  it('says what it waits for, and does nothing until the scale is read', () => {
    const d = decide(input({ scale: settled(1, { lastRemovalAtMs: NOW }) }));
    expect(d.actions).toEqual([]);
    expect(d.waiting).toBe('a removed hello pod may still be in the balancers');
    expect(d.wakeAt).toBe(NOW + SETTLE_AFTER_REMOVAL_MS);
    expect(d.phase).toBe('Running');
    expect(decide(input({})).waiting).toBe('reading the hello Deployment');
  });
});

describe('sweep: a point that does not settle fails its runs, within SETTLE_TIMEOUT_MS', () => {
  const nginx3 = { topology: 'nginx', trial: 1, replicas: 3 } as const;
  const point = `${UID} r3.t1`;
  // The third pod cannot be scheduled: the node has no CPU left for it.
  const pending = helloPodState({
    metadata: { name: 'hello-2' },
    status: {
      phase: 'Pending',
      conditions: [
        { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' },
      ],
    },
  });
  const stuck = (overrides: Partial<HelloScale> = {}) => settled(3, { pods: [...serving('hello-0', 'hello-1'), pending], ...overrides });
  const why = '2 of 3 hello pods serving, 1 starting or stopping (hello-2 Pending: 0/1 nodes are available: 1 Insufficient cpu.)';

  it("starts the point's clock on its first wait (a scale, or a restarted controller's first pass) and keeps it", () => {
    expect(settleStep(nginx3, stuck(), UID, both, NOW)).toEqual({ step: { kind: 'wait', why }, settling: { point, sinceMs: NOW } });
    const since = NOW - SETTLE_TIMEOUT_MS + 1;
    expect(settleStep(nginx3, stuck({ settling: { point, sinceMs: since } }), UID, both, NOW).settling).toEqual({ point, sinceMs: since });
    // Scaling counts: the clock starts with the pass that scales.
    expect(settleStep(nginx3, settled(1), UID, both, NOW)).toEqual({
      step: { kind: 'scale', replicas: 3 },
      settling: { point, sinceMs: NOW },
    });
    // Another point (count, trial or Benchmark) starts its own.
    const old = { point: `${UID} r3.t2`, sinceMs: NOW - 10 * SETTLE_TIMEOUT_MS };
    expect(settleStep(nginx3, stuck({ settling: old }), UID, both, NOW).settling).toEqual({ point, sinceMs: NOW });
    // Settled: no clock (the next wait, after a run, is a new one).
    expect(settleStep(nginx3, settled(3), UID, both, NOW)).toEqual({ step: { kind: 'ready' } });
  });

  it('past the bound: unsettled, saying what it waited for, for every run at that count in that trial', () => {
    const late = { point, sinceMs: NOW - SETTLE_TIMEOUT_MS };
    const reason = `the hello Deployment did not settle at 3 replicas within 180 s: ${why}`;
    expect(settleStep(nginx3, stuck({ settling: late }), UID, both, NOW).step).toEqual({ kind: 'unsettled', reason });
    expect(settleStep({ ...nginx3, topology: 'rpc-gateway' }, stuck({ settling: late }), UID, both, NOW).step).toEqual({
      kind: 'unsettled',
      reason,
    });
    // A balancer that never routes to the new set: the last probe says which.
    const stale = { pods: ['hello-0', 'hello-1', 'hello-2'], answered: new Map(both.map((t) => [t, ['hello-0', 'hello-1']])) };
    expect(settleStep(nginx3, settled(3, { probe: stale, settling: late }), UID, both, NOW).step).toEqual({
      kind: 'unsettled',
      reason:
        'the hello Deployment did not settle at 3 replicas within 180 s: the balancers did not answer from exactly the 3 serving hello pods ' +
        '(last probe: nginx: hello-0 ×1, hello-1 ×1 | rpc-gateway: hello-0 ×1, hello-1 ×1)',
    });
    // A shorter bound (tests): the same rule.
    expect(settleStep(nginx3, stuck({ settling: { point, sinceMs: NOW - 500 }, settleTimeoutMs: 500 }), UID, both, NOW).step.kind).toBe(
      'unsettled',
    );
  });

  it('groups pods alike in what it waits for', () => {
    const pods = [...serving('hello-0'), { ...pending, name: 'hello-1' }, pending, { name: 'hello-3', serving: false, why: 'not ready' }];
    expect(scaleStep(4, settled(4, { pods }), UID, both, NOW)).toEqual({
      kind: 'wait',
      why: '1 of 4 hello pods serving, 3 starting or stopping (hello-1, hello-2 Pending: 0/1 nodes are available: 1 Insufficient cpu.; hello-3 not ready)',
    });
  });

  it('says why a hello pod does not serve, from its status', () => {
    const pod = (status: V1Pod['status'], deleting = false): V1Pod => ({
      metadata: { name: 'p', ...(deleting ? { deletionTimestamp: new Date() } : {}) },
      status,
    });
    const waiting = {
      containerStatuses: [
        {
          name: 'hello',
          image: 'i',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ImagePullBackOff', message: 'pull failed' } },
        },
      ],
    };
    expect(helloPodState(pod(waiting)).why).toBe('ImagePullBackOff: pull failed');
    expect(helloPodState(pod({ conditions: [{ type: 'Ready', status: 'True' }] }, true)).why).toBe('terminating');
    expect(helloPodState(pod({ phase: 'Running' })).why).toBe('not ready');
    expect(helloPodState(pod({ conditions: [{ type: 'Ready', status: 'True' }] }))).toEqual({ name: 'p', serving: true });
  });

  it('decide records the run failed without a Job, goes on, and the report and conditions say it was not started', () => {
    const sweepPlan = plan({ topologies: ['single', 'nginx'], trials: 1, runners: 1, replicas: [3] });
    const at3 = { topology: 'nginx', trial: 1, replicas: 3 } as const;
    const single = { topology: 'single', trial: 1 } as const;
    const single1: RunRecord = { run: single, state: 'succeeded', job: 'j', attempts: 1, results: [] };
    const input = (records: RunRecord[], scale: HelloScale): ReconcileInput =>
      reconcileInput({
        uid: UID,
        plan: sweepPlan,
        deployed: new Set<Topology>(['single', 'nginx']),
        records: new Map(records.map((r) => [runKey(r.run), r])),
        scale,
      });
    const waiting = decide(input([single1], stuck()));
    expect(waiting.actions).toEqual([]);
    expect(waiting.waiting).toBe(why);
    expect(waiting.settling).toEqual({ point, sinceMs: NOW });
    const timedOut = decide(input([single1], stuck({ settling: { point, sinceMs: NOW - SETTLE_TIMEOUT_MS } })));
    const record: RunRecord = {
      run: at3,
      state: 'failed',
      attempts: 0,
      reason: `the hello Deployment did not settle at 3 replicas within 180 s: ${why}`,
    };
    expect(timedOut.actions).toEqual([{ kind: 'recordRun', record }]);
    expect(timedOut.phase).toBe('Running');
    // The next pass: the failure is final; the Benchmark ends (Failed) with its report of the rest.
    const done = decide(input([single1, record], stuck()));
    expect(done.phase).toBe('Failed');
    expect(done.actions.map((a) => a.kind)).toEqual(['writeReport']);
    expect(done.conditions.find((c) => c.type === 'TrialFailed')?.message).toBe(
      `nginx at 3 replicas trial 1: ${record.reason} (not started)`,
    );
    expect(reportNotes([record], [], 1, null)).toContain(`nginx at 3 replicas trial 1 was not started: ${record.reason}; left out`);
  });
});
