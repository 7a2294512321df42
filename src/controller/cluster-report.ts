/**
 * The cluster's report: the same `buildReport` and renderers as `make local`, fed with the
 * recorded runs. A run that failed is left out and named in the notes (a partial report).
 */
import type { BenchmarkTopologyResult } from '../api/benchmark.js';
import type { BenchmarkPlan } from '../api/validate.js';
import { buildReport, type Report, type ReportEnvironment, type ReportScenario } from '../report/index.js';
import { describeFailover, RUN_ORDER_DESCRIPTION } from '../plan/run-plan.js';
import type { RunRecord } from './reconcile.js';

export function reportScenario(plan: BenchmarkPlan): ReportScenario {
  return {
    name: plan.scenarioName,
    mode: plan.mode,
    connections: plan.connections,
    rate: plan.rate,
    durationMs: plan.durationMs,
    warmupMs: plan.warmupMs,
    trials: plan.trials,
    runners: plan.runners,
    order: RUN_ORDER_DESCRIPTION,
  };
}

/** Largest spread of start times between the runners of one run, ms. */
export function maxStartSkewMs(records: readonly RunRecord[], topology?: string): number {
  const skews = records
    .filter((r) => topology === undefined || r.run.topology === topology)
    .flatMap((r) => (r.results ?? []).map((x) => Math.abs(x.startSkewMs)));
  return skews.length === 0 ? 0 : Math.max(...skews);
}

/** What a reader must know about the runs: failures, skipped topologies, how well runners started together. */
export function reportNotes(
  records: readonly RunRecord[],
  skipped: readonly string[],
  runners: number,
  killAfterMs: number | null,
): string[] {
  const notes = records
    .filter((r) => r.state === 'failed')
    .map((r) => `${r.run.topology} trial ${r.run.trial} failed after ${r.attempts} attempt(s): ${r.reason}; left out`);
  for (const r of records.filter((x) => x.state === 'succeeded' && x.retries)) {
    notes.push(`${r.run.topology} trial ${r.run.trial} was rerun (${r.retries?.join('; ')}); only attempt ${r.attempts} is counted`);
  }
  if (skipped.length > 0) notes.push(`not deployed, skipped: ${skipped.join(', ')}`);
  if (runners > 1)
    notes.push(`${runners} runners per run started together within ${maxStartSkewMs(records).toFixed(1)} ms of the agreed time`);
  if (killAfterMs !== null) notes.push(describeFailover(killAfterMs, null));
  return notes;
}

export function clusterReport(
  plan: BenchmarkPlan,
  records: readonly RunRecord[],
  environment: ReportEnvironment,
  skipped: readonly string[],
  createdAt = new Date(),
): Report {
  const succeeded = records.filter((r) => r.state === 'succeeded');
  return buildReport({
    scenario: reportScenario(plan),
    environment: {
      ...environment,
      notes: [...(environment.notes ?? []), ...reportNotes(records, skipped, plan.runners, plan.killAfterMs)],
    },
    results: succeeded.flatMap((r) => r.results ?? []),
    failover: succeeded.flatMap((r) => (r.failover ? [r.failover] : [])),
    createdAt,
  });
}

/** The per-topology summary kept in `status.results`. */
export function statusResults(report: Report, records: readonly RunRecord[]): BenchmarkTopologyResult[] {
  return report.topologies.map((t) => ({
    topology: t.name,
    trials: t.trials,
    failedTrials: records.filter((r) => r.run.topology === t.name && r.state === 'failed').length,
    throughputRps: t.throughputRps.median,
    ratioToSingle: t.ratioToSingle,
    latencyUs: { mean: t.latencyUs.mean, p50: t.latencyUs.p50, p99: t.latencyUs.p99 },
    errors: t.errors.total,
    maxStartSkewMs: maxStartSkewMs(records, t.name),
  }));
}
