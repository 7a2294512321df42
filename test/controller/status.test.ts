import { describe, expect, it } from 'vitest';
import { BENCHMARK_API_VERSION, BENCHMARK_KIND, type Benchmark } from '../../src/api/benchmark.js';
import type { Decision } from '../../src/controller/reconcile.js';
import { mergeConditions, nextStatus, progressPatch, statusChange } from '../../src/controller/status.js';
import { plan } from './fixtures.js';

describe('status patches', () => {
  const now = new Date('2026-11-26T07:00:00Z');
  const conditions = mergeConditions([], [{ type: 'TopologyNotDeployed', status: 'True', reason: 'Skipped', message: 'x' }], 1, now);
  const status = {
    phase: 'Running' as const,
    conditions,
    progress: { completedRuns: 1, totalRuns: 4, topology: 'nginx', trial: 1, rps: 100, updatedAt: 'a' },
  };

  it("patches nothing when only the time stamp moved, even with keys in the API server's (sorted) order", () => {
    const fromServer = JSON.parse(
      JSON.stringify({
        progress: { updatedAt: 'b', trial: 1, totalRuns: 4, topology: 'nginx', rps: 100, completedRuns: 1 },
        phase: 'Running',
        conditions: conditions.map((c) => Object.fromEntries(Object.entries(c).sort())),
      }),
    );
    expect(statusChange(fromServer, status)).toBe('none');
  });

  it('tells live numbers (throttled) from steps (patched at once)', () => {
    expect(statusChange(status, { ...status, progress: { ...status.progress, rps: 120 } })).toBe('progress');
    expect(statusChange(status, { ...status, progress: { ...status.progress, completedRuns: 2 } })).toBe('more');
    expect(statusChange(status, { ...status, phase: 'Succeeded' })).toBe('more');
  });

  it("clears the last run's live numbers when the next run has none yet", () => {
    const patch = progressPatch({ completedRuns: 2, totalRuns: 4, topology: 'single', trial: 2, updatedAt: 'x' });
    expect(patch).toMatchObject({
      completedRuns: 2,
      topology: 'single',
      rps: null,
      requests: null,
      errors: null,
      runnersReady: null,
      elapsedMs: null,
      warmup: null,
    });
  });

  it("keeps a condition's transition time while its status stays", () => {
    const later = mergeConditions(
      conditions,
      [{ type: 'TopologyNotDeployed', status: 'True', reason: 'Skipped', message: 'x' }],
      1,
      new Date('2026-11-26T08:00:00Z'),
    );
    expect(later[0].lastTransitionTime).toBe(now.toISOString());
  });
});

describe('the status after a pass', () => {
  const benchmark: Benchmark = {
    apiVersion: BENCHMARK_API_VERSION,
    kind: BENCHMARK_KIND,
    metadata: { name: 'demo', uid: 'u', generation: 1 },
    spec: { topologies: ['single', 'nginx'] },
    status: { phase: 'Running', startTime: '2026-12-03T10:00:00.000Z' },
  };
  const running: Decision = {
    actions: [],
    phase: 'Running',
    skippedTopologies: [],
    conditions: [],
    completedRuns: 1,
    totalRuns: 4,
    current: { run: { topology: 'nginx', trial: 1 }, job: 'demo-nginx-t1-a1' },
  };
  const now = new Date('2026-12-03T10:05:00Z');
  const live = { runnersReady: 2, warmup: false, elapsedMs: 1500, requests: 3000, rps: 1999.6, errors: 0 };

  it("keeps the start time, gives the current run's live progress (req/s rounded), and no completion time while running", () => {
    const next = nextStatus(benchmark, plan({ runners: 2 }), running, {}, live, now);
    expect(next.startTime).toBe('2026-12-03T10:00:00.000Z');
    expect(next.completionTime).toBeUndefined();
    expect(next.progress).toEqual({
      completedRuns: 1,
      totalRuns: 4,
      topology: 'nginx',
      trial: 1,
      runners: 2,
      runnersReady: 2,
      warmup: false,
      elapsedMs: 1500,
      requests: 3000,
      rps: 2000,
      errors: 0,
      updatedAt: now.toISOString(),
    });
  });

  it('a finished Benchmark gets its completion time and what the pass wrote; no current run, no live numbers', () => {
    const done: Decision = { ...running, phase: 'Succeeded', completedRuns: 4, current: undefined };
    const next = nextStatus(benchmark, plan(), done, { reportConfigMap: 'demo-report' }, undefined, now);
    expect(next).toMatchObject({ phase: 'Succeeded', completionTime: now.toISOString(), reportConfigMap: 'demo-report' });
    expect(next.progress).toEqual({ completedRuns: 4, totalRuns: 4, updatedAt: now.toISOString() });
  });
});
