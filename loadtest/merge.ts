import { encodeHistogram, readMergedHistograms, summarizeHistogram } from './histogram.js';
import { LOAD_RESULT_SCHEMA, type ErrorCounts, type LatencySummary, type LoadResult, type TimelinePoint } from './types.js';

/** The one value all results share, or every distinct value joined with commas. */
function joined(values: readonly string[]): string {
  return [...new Set(values)].join(',');
}

/** The one value all results share, or 0 when they differ. */
function shared(values: readonly number[]): number {
  return values.every((v) => v === values[0]) ? values[0] : 0;
}

function sumErrors(results: readonly LoadResult[]): ErrorCounts {
  const sum = (key: keyof ErrorCounts) => results.reduce((n, r) => n + r.errors[key], 0);
  return {
    connect: sum('connect'),
    timeout: sum('timeout'),
    reset: sum('reset'),
    status4xx: sum('status4xx'),
    status5xx: sum('status5xx'),
  };
}

function sumBackends(results: readonly LoadResult[]): Record<string, number> {
  const backends: Record<string, number> = {};
  for (const r of results) {
    for (const [name, count] of Object.entries(r.backends)) backends[name] = (backends[name] ?? 0) + count;
  }
  return backends;
}

/**
 * Second by second: requests and errors summed; p99 from the merged histograms of that second.
 * A point without its histogram (an older or trimmed result) leaves only an upper bound: the
 * largest p99 of the inputs (no more than 1% of the merged samples can lie above it).
 */
function mergeTimelines(results: readonly LoadResult[]): TimelinePoint[] {
  const bySecond = new Map<number, TimelinePoint[]>();
  for (const r of results) {
    for (const point of r.timeline) {
      const points = bySecond.get(point.t) ?? [];
      points.push(point);
      bySecond.set(point.t, points);
    }
  }
  return [...bySecond.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, points]) => {
      const rps = points.reduce((n, p) => n + p.rps, 0);
      const errors = points.reduce((n, p) => n + p.errors, 0);
      const withSamples = points.filter((p) => p.rps > 0);
      if (withSamples.every((p) => p.histogram !== undefined)) {
        if (withSamples.length === 0) return { t, rps, p99Us: 0, errors };
        return readMergedHistograms(
          withSamples.map((p) => p.histogram as string),
          (merged) => ({ t, rps, p99Us: merged.getValueAtPercentile(99), errors, histogram: encodeHistogram(merged) }),
        );
      }
      return { t, rps, p99Us: Math.max(...points.map((p) => p.p99Us)), errors };
    });
}

interface MergedHistogram {
  readonly summary: LatencySummary;
  readonly encoded: string;
}

/** The exact merge of one histogram of every result, or null when any result lacks it. */
function mergeHistograms(encoded: readonly (string | undefined)[]): MergedHistogram | null {
  if (encoded.some((h) => h === undefined)) return null;
  return readMergedHistograms(encoded as string[], (h) => ({ summary: summarizeHistogram(h), encoded: encodeHistogram(h) }));
}

/**
 * Merges results of runs that ran at the same time (worker threads, runners) into one, exactly:
 * histograms are added (HdrHistogram add is lossless) and every percentile is read from the
 * merged histogram, never averaged; counts, errors, backends and rates are summed; the
 * timeline is merged second by second. Labels the inputs share are kept; differing topologies
 * and targets are joined with commas, differing trial or runner numbers become 0.
 */
export function mergeResults(results: readonly LoadResult[]): LoadResult {
  if (results.length === 0) throw new Error('mergeResults: no results to merge');
  for (const r of results) {
    if (r.schema !== LOAD_RESULT_SCHEMA) throw new Error(`mergeResults: schema "${String(r.schema)}" is not ${LOAD_RESULT_SCHEMA}`);
  }
  const mode = results[0].mode;
  if (results.some((r) => r.mode !== mode)) throw new Error('mergeResults: cannot merge closed-loop and open-loop results');
  if (results.length === 1) return results[0];
  const latency = mergeHistograms(results.map((r) => r.histogram)) as MergedHistogram;
  const service = mergeHistograms(results.map((r) => r.serviceHistogram));
  const sendLag = mergeHistograms(results.map((r) => r.sendLagHistogram));
  const rates = results.map((r) => r.rate).filter((r): r is number => r !== null);
  const stalls = results.map((r) => r.clientStallMs).filter((n): n is number => n !== undefined);
  const runIds = results.map((r) => r.runId).filter((id): id is string => id !== undefined);
  const sum = (key: 'due' | 'sent' | 'notSent' | 'requests') => results.reduce((n, r) => n + r[key], 0);
  const sumRps = (key: 'throughputRps' | 'errorRps') => Math.round(results.reduce((n, r) => n + r[key], 0) * 10) / 10;
  return {
    schema: LOAD_RESULT_SCHEMA,
    topology: joined(results.map((r) => r.topology)),
    trial: shared(results.map((r) => r.trial)),
    runner: shared(results.map((r) => r.runner)),
    target: joined(results.map((r) => r.target)),
    mode,
    connections: results.reduce((n, r) => n + r.connections, 0),
    rate: rates.length === 0 ? null : rates.reduce((a, b) => a + b, 0),
    durationMs: Math.max(...results.map((r) => r.durationMs)),
    warmupMs: Math.max(...results.map((r) => r.warmupMs)),
    startedAt: results.map((r) => r.startedAt).sort()[0],
    startSkewMs: Math.max(...results.map((r) => r.startSkewMs)),
    due: sum('due'),
    sent: sum('sent'),
    notSent: sum('notSent'),
    requests: sum('requests'),
    throughputRps: sumRps('throughputRps'),
    errorRps: sumRps('errorRps'),
    latencyUs: latency.summary,
    ...(service === null ? {} : { serviceTimeUs: service.summary, serviceHistogram: service.encoded }),
    errors: sumErrors(results),
    backends: sumBackends(results),
    timeline: mergeTimelines(results),
    histogram: latency.encoded,
    ...(runIds.length === 0 ? {} : { runId: runIds.join(',') }),
    ...(sendLag === null ? {} : { sendLagUs: sendLag.summary, sendLagHistogram: sendLag.encoded }),
    ...(stalls.length === 0 ? {} : { clientStallMs: Math.max(...stalls) }),
  };
}
