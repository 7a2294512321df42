/**
 * The cluster's report: the same `buildReport` and renderers as `make local`, fed with the
 * recorded runs. A run that failed is left out and named in the notes (a partial report).
 */
import type { BenchmarkTopologyResult } from '../api/benchmark.js';
import type { BenchmarkPlan } from '../api/validate.js';
import { buildReport, buildScaling, type Report, type ReportEnvironment, type ReportScenario, type ScalingRun } from '../report/index.js';
import { describeFailover, describeSweep, mainReplicas, RUN_ORDER_DESCRIPTION } from '../plan/run-plan.js';
import type { RunRecord } from './reconcile.js';
import { runKey, runName } from './names.js';
import { trimmedAway } from './result-codec.js';
import { busiestNode, nodeAsks, type SweepPods } from './sweep-nodes.js';

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

/**
 * What a reader must know about the runs: failures, reruns, results recovered trimmed, skipped
 * topologies, how well runners started together.
 */
export function reportNotes(
  records: readonly RunRecord[],
  skipped: readonly string[],
  runners: number,
  killAfterMs: number | null,
): string[] {
  const notes = records
    .filter((r) => r.state === 'failed')
    .map(
      (r) => `${runName(r.run)} ${r.attempts === 0 ? 'was not started' : `failed after ${r.attempts} attempt(s)`}: ${r.reason}; left out`,
    );
  for (const r of records.filter((x) => x.state === 'succeeded' && x.retries)) {
    notes.push(`${runName(r.run)} was rerun (${r.retries?.join('; ')}); only attempt ${r.attempts} is counted`);
  }
  for (const r of records.filter((x) => x.state === 'succeeded')) {
    for (const x of r.results ?? []) {
      const lacking = trimmedAway(x);
      if (lacking === undefined) continue;
      const p99 =
        (r.results?.length ?? 0) > 1
          ? "so each second's p99 of the run is the largest of its runners' p99s, an upper bound"
          : "each second's p99 is the runner's own";
      notes.push(
        `${runName(r.run)}: runner ${x.runner}'s result was recovered from its trimmed termination message: ${lacking} missing, ${p99}`,
      );
    }
  }
  if (skipped.length > 0) notes.push(`not deployed, skipped: ${skipped.join(', ')}`);
  if (runners > 1)
    notes.push(`${runners} runners per run started together within ${maxStartSkewMs(records).toFixed(1)} ms of the agreed time`);
  if (killAfterMs !== null) notes.push(describeFailover(killAfterMs, null));
  return notes;
}

/**
 * The CPUs a sweep's pods may use at once, for the scaling section's oversubscription marks: the
 * controller's node's (the fallback where the pods' nodes are not known: the nodes then taken as
 * alike) and each hello pod's limit (null: no limit, every CPU of its node).
 */
export interface SweepCpus {
  readonly nodeCpus: number;
  readonly perServer: number | null;
}

/**
 * The scaling section's input from a sweep's records: per balanced topology and count its results
 * and what its pods could ask for: N hello pods, the balancer, and one CPU per runner (a runner
 * has no CPU limit; its load generator is one Node event loop), summed, and per node where every
 * run of the count has its pods' nodes (sweep-nodes.ts). `unplaced`: the counts without, in words.
 */
export function sweepScalingRuns(
  records: readonly RunRecord[],
  runners: number,
  cpus: SweepCpus,
  pods: SweepPods,
): { runs: ScalingRun[]; unplaced: string[] } {
  const swept = records.filter((r) => r.state === 'succeeded' && r.run.replicas !== undefined);
  const keys = [...new Set(swept.map((r) => `${r.run.topology}\n${r.run.replicas}`))];
  const unplaced: string[] = [];
  const runs = keys.map((key): ScalingRun => {
    const here = swept.filter((r) => `${r.run.topology}\n${r.run.replicas}` === key);
    const { topology, replicas = 0 } = here[0].run;
    const balancer = pods.balancers[topology];
    const asks = here.map((r) =>
      nodeAsks({ placement: pods.runs[runKey(r.run)], replicas, runners, perServer: cpus.perServer, balancer }, pods.nodeCpus),
    );
    const busiest = asks.every((a) => a !== undefined) ? busiestNode(asks.flat()) : undefined;
    if (!busiest) unplaced.push(`${topology} at ${replicas}`);
    return {
      topology,
      replicas,
      results: here.flatMap((r) => r.results ?? []),
      requestedCpus: replicas * (cpus.perServer ?? cpus.nodeCpus) + (balancer?.cpus ?? cpus.nodeCpus) + runners,
      ...(busiest ? { busiestNode: busiest } : {}),
    };
  });
  return { runs, unplaced };
}

/** Said when some counts' marks fall back to one node's CPUs. */
export function unplacedNote(unplaced: readonly string[], nodeCpus: number): string {
  return `scaling: the nodes of the pods of ${unplaced.join(', ')} replicas are not known (recorded by an earlier controller, pods gone, or a node not readable); their oversubscription marks compare all their pods' CPUs with the ${nodeCpus} CPUs of the controller's node, as if every pod ran on one node like it`;
}

export function clusterReport(
  plan: BenchmarkPlan,
  records: readonly RunRecord[],
  environment: ReportEnvironment,
  skipped: readonly string[],
  createdAt = new Date(),
  pods: SweepPods = { runs: {}, balancers: {}, nodeCpus: {} },
): Report {
  const succeeded = records.filter((r) => r.state === 'succeeded');
  // A sweep's main tables: single and the balancers at one count (mainReplicas), as locally.
  const main = succeeded.filter((r) => r.run.replicas === undefined || r.run.replicas === mainReplicas(plan.replicas));
  const report = buildReport({
    scenario: reportScenario(plan),
    environment: {
      ...environment,
      notes: [
        ...(environment.notes ?? []),
        ...(plan.replicas ? [describeSweep(plan.replicas)] : []),
        ...reportNotes(records, skipped, plan.runners, plan.killAfterMs),
      ],
    },
    results: main.flatMap((r) => r.results ?? []),
    failover: main.flatMap((r) => (r.failover ? [r.failover] : [])),
    createdAt,
  });
  if (!plan.replicas) return report;
  const cpus = { nodeCpus: environment.cpus.count, perServer: environment.cpuLimits.perServer };
  const { runs, unplaced } = sweepScalingRuns(records, plan.runners, cpus, pods);
  if (runs.length === 0) return report;
  const notes = [...(report.environment.notes ?? []), ...(unplaced.length > 0 ? [unplacedNote(unplaced, cpus.nodeCpus)] : [])];
  return { ...report, environment: { ...report.environment, notes }, scaling: buildScaling({ runs, availableCpus: cpus.nodeCpus }) };
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
