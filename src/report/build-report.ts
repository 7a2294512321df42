import { decodeHistogram, mergeResults } from '../../loadtest/index.js';
import type { LoadResult, TimelinePoint } from '../../loadtest/types.js';
import { DEFAULT_MAX_ERRORS, failedShare, isSaturated, totalErrors } from '../../loadtest/verdict.js';
import { BASELINE_TOPOLOGY, TOPOLOGIES } from '../topologies.js';
import { confidenceInterval95, median } from './statistics.js';
import {
  REPORT_SCHEMA,
  type CpuUse,
  type CpuUseSample,
  type FailoverEvent,
  type FailoverSummary,
  type Report,
  type ReportInput,
  type SpectrumPoint,
  type TopologyReport,
} from './types.js';

/** Percentiles drawn in the latency spectrum: evenly spaced on a log scale of 1/(1-p). */
export const SPECTRUM_PERCENTILES = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100] as const;

/** Share of the throughput before a kill that counts as recovered. */
const RECOVERED_FRACTION = 0.9;

/**
 * Builds the report from every load result of a run: groups by topology and trial, merges the
 * runners of a trial, takes the median and 95% interval of throughput over trials and reads
 * latency percentiles from the histogram merged over all trials and runners.
 */
export function buildReport(input: ReportInput): Report {
  const { scenario, environment, results, failover = [], cpuUse = [], createdAt = new Date() } = input;
  if (results.length === 0) throw new Error('buildReport: no load results');

  const byTopology = groupBy(results, (r) => r.topology);
  const names = [...byTopology.keys()].sort((a, b) => topologyRank(a) - topologyRank(b) || a.localeCompare(b));
  const maxErrors = scenario.maxErrors ?? DEFAULT_MAX_ERRORS;
  const drafts = names.map((name) => ({
    ...summarizeTopology(
      name,
      byTopology.get(name) ?? [],
      failover.find((f) => f.topology === name),
      maxErrors,
    ),
    ...summarizeCpuUse(cpuUse.filter((c) => c.topology === name)),
  }));
  const baseline = drafts.find((t) => t.name === BASELINE_TOPOLOGY);
  const topologies = drafts.map((t) => ({
    ...t,
    ratioToSingle: baseline && baseline.throughputRps.median > 0 ? t.throughputRps.median / baseline.throughputRps.median : null,
  }));
  return { schema: REPORT_SCHEMA, createdAt: createdAt.toISOString(), scenario, environment, topologies };
}

export function summarizeTopology(
  name: string,
  results: readonly LoadResult[],
  failover: FailoverEvent | undefined,
  maxErrors: number,
): TopologyReport {
  const byTrial = groupBy(results, (r) => r.trial);
  const trialNumbers = [...byTrial.keys()].sort((a, b) => a - b);
  const trials = trialNumbers.map((trial) => ({ trial, merged: mergeResults(byTrial.get(trial) ?? []) }));
  const trialThroughputRps = trials.map((t) => t.merged.throughputRps);
  const interval = confidenceInterval95(trialThroughputRps);
  const all = mergeResults(results);
  const errors = { ...all.errors, total: totalErrors(all.errors) };
  const answered = Object.values(all.backends).reduce((s, n) => s + n, 0);
  const backends = Object.fromEntries(
    Object.entries(all.backends)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, n]) => [id, answered > 0 ? n / answered : 0]),
  );
  const failoverTrial = failover && trials.find((t) => t.trial === failover.trial);
  const failoverSummary = failover && failoverTrial ? summarizeFailover(failover, failoverTrial.merged) : undefined;
  const throughput = median(trialThroughputRps);
  const offered = all.rate === null ? null : median(trials.map((t) => t.merged.rate ?? 0));
  const share = failedShare(all, failoverSummary?.drillErrors ?? 0);
  return {
    name,
    trials: trials.length,
    runners: Math.max(...[...byTrial.values()].map((rs) => rs.length)),
    throughputRps: { median: throughput, ciLow: interval?.low ?? null, ciHigh: interval?.high ?? null },
    trialThroughputRps,
    ratioToSingle: null,
    offeredRps: offered,
    saturated: isSaturated(throughput, offered),
    failed: share > maxErrors,
    failedShare: share,
    due: all.due,
    notSent: all.notSent,
    requests: all.requests,
    latencyUs: all.latencyUs,
    ...(all.sendLagUs === undefined ? {} : { sendLagUs: all.sendLagUs }),
    ...(all.clientStallMs === undefined ? {} : { clientStallMs: all.clientStallMs }),
    latencySpectrumUs: spectrum(all.histogram),
    errors,
    backends,
    // Without the per-second histograms: the report keeps their p99s, not the samples.
    timelines: trials.map((t) => ({
      trial: t.trial,
      points: t.merged.timeline.map(({ t: s, rps, p99Us, errors }) => ({ t: s, rps, p99Us, errors })),
    })),
    ...(failoverSummary ? { failover: failoverSummary } : {}),
  };
}

/** Errors and time to recover of the trial in which a backend was killed. */
export function summarizeFailover(event: FailoverEvent, trial: LoadResult): FailoverSummary {
  const { timeline } = trial;
  const killSecond = Math.floor(event.killedAtMs / 1000); // seconds 1..killSecond ended before the kill
  const before = timeline.filter((p) => p.t <= killSecond && p.t > 1); // the first second may still ramp up
  const reference = before.length > 0 ? before : timeline.filter((p) => p.t <= killSecond);
  const baselineRps = reference.length > 0 ? reference.reduce((s, p) => s + p.rps, 0) / reference.length : 0;
  const backFromMs = event.restartedAtMs ?? Number.POSITIVE_INFINITY;
  const recovered = timeline.find(
    (p: TimelinePoint) => (p.t - 1) * 1000 >= backFromMs && p.errors === 0 && p.rps >= RECOVERED_FRACTION * baselineRps,
  );
  // The drill's own errors: from the second of the kill until recovered (or the trial's end).
  const drillErrors = timeline
    .filter((p) => p.t > killSecond && (recovered === undefined || p.t <= recovered.t))
    .reduce((n, p) => n + p.errors, 0);
  return {
    trial: event.trial,
    backend: event.backend,
    killedAtMs: event.killedAtMs,
    restartedAtMs: event.restartedAtMs,
    ...(event.servingAgainAtMs === undefined
      ? {}
      : { servingAgainMs: event.servingAgainAtMs === null ? null : event.servingAgainAtMs - event.killedAtMs }),
    errors: totalErrors(trial.errors),
    drillErrors,
    recoveryMs: recovered ? Math.round(recovered.t * 1000 - event.killedAtMs) : null,
  };
}

/** Mean over trials of each process's CPU use and throttling; nothing when not measured. */
export function summarizeCpuUse(samples: readonly CpuUseSample[]): { cpuUse?: Record<string, CpuUse> } {
  if (samples.length === 0) return {};
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.cpus)))];
  const cpuUse = Object.fromEntries(
    names.map((name) => {
      const cpus = samples.flatMap((s) => (name in s.cpus ? [s.cpus[name]] : []));
      const throttled = samples.flatMap((s) => (s.throttled && name in s.throttled ? [s.throttled[name]] : []));
      return [name, { cpus: mean(cpus), ...(throttled.length > 0 ? { throttled: mean(throttled) } : {}) }];
    }),
  );
  return { cpuUse };
}

function spectrum(encoded: string): SpectrumPoint[] {
  if (!encoded) return [];
  const histogram = decodeHistogram(encoded);
  if (histogram.totalCount === 0) return [];
  return SPECTRUM_PERCENTILES.map((percentile) => ({
    percentile,
    us: percentile === 0 ? histogram.minNonZeroValue : histogram.getValueAtPercentile(percentile),
  }));
}

function topologyRank(name: string): number {
  const i = (TOPOLOGIES as readonly string[]).indexOf(name);
  return i === -1 ? TOPOLOGIES.length : i;
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
