import { createHistogram, encodeHistogram, summarizeHistogram } from '../../loadtest/histogram.js';
import { LOAD_RESULT_SCHEMA, type LoadResult } from '../../loadtest/types.js';
import type { BenchmarkPlan } from '../../src/api/validate.js';
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
    ...overrides,
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
    requests: latenciesUs.length,
    throughputRps: latenciesUs.length / (durationMs / 1000),
    latencyUs: summarizeHistogram(h),
    errors: { connect: 0, timeout: 0, reset: 0, status4xx: 0, status5xx: 0 },
    backends: { [`${topology}-a`]: latenciesUs.length },
    timeline: [1, 2, 3, 4, 5].map((t) => ({ t, rps: latenciesUs.length / 5, p99Us: 100, errors: 0 })),
    histogram: encodeHistogram(h),
  };
}
