import { createHistogram, encodeHistogram, summarizeHistogram } from '../../loadtest/histogram.js';
import { LOAD_RESULT_SCHEMA, type LoadResult } from '../../loadtest/types.js';
import type { BenchmarkPlan } from '../../src/api/validate.js';
import { jobName, type RunId } from '../../src/controller/names.js';
import type { RunnerJobProps } from '../../src/controller/runner-job.js';
import type { ReconcileInput, RunRecord } from '../../src/controller/reconcile.js';
import type { Topology } from '../../src/topologies.js';

/** A plan as resolveBenchmarkSpec would give it. */
export function plan(overrides: Partial<BenchmarkPlan> = {}): BenchmarkPlan {
  return {
    topologies: ['single', 'nginx', 'rpc-gateway'],
    scenarioName: 'quick',
    scenario: 'quick',
    mode: 'closed',
    connections: 64,
    rate: null,
    durationMs: 5_000,
    warmupMs: 1_000,
    timeoutMs: 5_000,
    runners: 2,
    trials: 2,
    killAfterMs: null,
    replicas: null,
    ...overrides,
  };
}

/** The props of a runner Job of `plan`, as the controller would pass them: Benchmark demo's nginx trial 1, attempt 1. */
export function runnerJobProps(plan: BenchmarkPlan): RunnerJobProps {
  return {
    benchmark: { name: 'demo', uid: '6f1c2a9e-0b7d-4e55-9c1a-3d2f8e7b6a50' },
    namespace: 'clusterbench',
    image: 'clusterbench/bench:abc',
    controllerUrl: 'ws://clusterbench-controller.clusterbench.svc:8080/runners',
    plan,
    run: { topology: 'nginx', trial: 1 },
    attempt: 1,
    token: { secret: 'demo-nginx-t1-a1-x7k2p', sha256: 'ab'.repeat(32) },
  };
}

/** A load result with a real histogram of `latenciesUs`. */
export function result(topology: Topology, trial: number, runner: number, latenciesUs: readonly number[], startSkewMs = 0.5): LoadResult {
  const h = createHistogram();
  for (const v of latenciesUs) h.recordValue(v);
  const durationMs = 5_000;
  return {
    schema: LOAD_RESULT_SCHEMA,
    topology,
    trial,
    runner,
    target: `http://${topology}/`,
    mode: 'closed',
    connections: 32,
    rate: null,
    durationMs,
    warmupMs: 1_000,
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, trial)).toISOString(),
    startSkewMs,
    due: latenciesUs.length,
    sent: latenciesUs.length,
    notSent: 0,
    requests: latenciesUs.length,
    errorRps: 0,
    clientStallMs: 0,
    throughputRps: latenciesUs.length / (durationMs / 1000),
    latencyUs: summarizeHistogram(h),
    errors: { connect: 0, timeout: 0, reset: 0, status4xx: 0, status5xx: 0 },
    backends: { [`${topology}-a`]: latenciesUs.length },
    timeline: [1, 2, 3, 4, 5].map((t) => ({ t, rps: latenciesUs.length / 5, p99Us: 100, errors: 0 })),
    histogram: encodeHistogram(h),
  };
}

/** The report environment of a cluster run, for clusterReport. */
/** A Benchmark's identity as names.ts takes it. */
export const DEMO = { name: 'demo', uid: '6f1c2a9e-0b7d-4e55-9c1a-3d2f8e7b6a50' };

export const environment = {
  where: 'cluster: test',
  cpus: { model: 'test', count: 2 },
  versions: {},
  cpuLimits: { perServer: null, mechanism: 'none' },
};

export function succeededRecord(run: RunId, results: LoadResult[]): RunRecord {
  return { run, state: 'succeeded', job: jobName(DEMO, run, 1), attempts: 1, results };
}

/** The two runners' results of a run, as read back from its pods. */
export function runnerResults(run: RunId, latency = 100): Map<number, LoadResult> {
  return new Map([0, 1].map((i) => [i, result(run.topology, run.trial, i, [latency, latency * 2, latency * 3])]));
}

/**
 * A long run's result, as big as a real one: `seconds` timeline points, each with a histogram of
 * 3000 spread-out latencies. 120 distinct histograms take turns (cheaper to build; 120 of them
 * span more than gzip's 32 KB window, so the repeats do not compress away).
 */
export function longResult(topology: Topology, trial: number, runner: number, seconds: number): LoadResult {
  const spread = (seed: number) => Array.from({ length: 3000 }, (_, i) => 50 + ((i * 7919 + seed * 104729) % 200_000));
  const base = result(topology, trial, runner, spread(0));
  const histograms = Array.from({ length: Math.min(seconds, 120) }, (_, i) => result(topology, trial, runner, spread(i + 1)).histogram);
  const timeline = Array.from({ length: seconds }, (_, i) => ({
    t: i + 1,
    rps: 3000,
    p99Us: 198_000,
    errors: 0,
    histogram: histograms[i % histograms.length],
  }));
  return { ...base, durationMs: seconds * 1000, timeline };
}

/** What decide gets for Benchmark `demo`: every topology deployed, nothing run yet. */
export function reconcileInput(overrides: Partial<ReconcileInput> = {}): ReconcileInput {
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
