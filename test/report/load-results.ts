/**
 * Load results built from chosen latencies, so the report's arithmetic can be checked exactly.
 * (The report's end-to-end test with real servers lives in test/local/.)
 */
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { LOAD_RESULT_SCHEMA, type ErrorCounts, type LoadResult, type TimelinePoint } from '../../loadtest/types.js';

export interface ResultSpec {
  readonly topology: string;
  readonly trial: number;
  readonly runner?: number;
  readonly throughputRps: number;
  /** Every recorded latency, µs. */
  readonly latenciesUs: readonly number[];
  readonly backends?: Record<string, number>;
  readonly errors?: Partial<ErrorCounts>;
  readonly timeline?: readonly TimelinePoint[];
  readonly durationMs?: number;
}

export function loadResult(spec: ResultSpec): LoadResult {
  const histogram = build({ numberOfSignificantValueDigits: 3 });
  for (const us of spec.latenciesUs) histogram.recordValue(us);
  const encoded = encodeIntoCompressedBase64(histogram);
  const durationMs = spec.durationMs ?? 5000;
  const summary = {
    mean: histogram.mean,
    p50: histogram.getValueAtPercentile(50),
    p90: histogram.getValueAtPercentile(90),
    p99: histogram.getValueAtPercentile(99),
    p999: histogram.getValueAtPercentile(99.9),
    max: histogram.maxValue,
  };
  histogram.destroy();
  const seconds = Math.round(durationMs / 1000);
  const errors = { connect: 0, timeout: 0, reset: 0, status4xx: 0, status5xx: 0, ...spec.errors };
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    schema: LOAD_RESULT_SCHEMA,
    topology: spec.topology,
    trial: spec.trial,
    runner: spec.runner ?? 0,
    target: 'http://127.0.0.1:1/',
    mode: 'closed',
    connections: 8,
    rate: null,
    durationMs,
    warmupMs: 1000,
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, spec.trial * 10)).toISOString(),
    startSkewMs: 0,
    due: spec.latenciesUs.length + failed,
    sent: spec.latenciesUs.length + failed,
    notSent: 0,
    requests: spec.latenciesUs.length,
    throughputRps: spec.throughputRps,
    errorRps: (failed * 1000) / durationMs,
    latencyUs: summary,
    errors,
    backends: spec.backends ?? { [`${spec.topology}-a`]: spec.latenciesUs.length },
    timeline:
      spec.timeline ?? Array.from({ length: seconds }, (_, i) => ({ t: i + 1, rps: spec.throughputRps, p99Us: summary.p99, errors: 0 })),
    histogram: encoded,
  };
}

/** `n` copies of `us`. */
export function repeat(us: number, n: number): number[] {
  return Array.from({ length: n }, () => us);
}
