/**
 * Builds the report's `scaling` section from a replica sweep: per topology and replica count the
 * throughput with its interval (summarised exactly as the report's topologies are), the ratio to
 * one replica, the ideal linear line, a USL fit over every trial, and whether the processes asked
 * for more CPUs than the machine has, so a flattening caused by the machine is not read as the
 * servers' limit.
 */
import { DEFAULT_MAX_ERRORS } from '../../loadtest/verdict.js';
import { summarizeCpuUse, summarizeTopology } from './build-report.js';
import type { ScalingInput, ScalingPoint, ScalingRun, ScalingSection, ScalingTopology } from './scaling-types.js';
import { fitUsl, uslThroughput } from './usl.js';

export function buildScaling(input: ScalingInput): ScalingSection {
  const { runs, availableCpus } = input;
  if (!(availableCpus > 0)) throw new Error(`buildScaling: availableCpus ${availableCpus} must be greater than 0`);
  const names = [...new Set(runs.map((r) => r.topology))];
  return {
    availableCpus,
    topologies: names.map((name) =>
      scalingTopology(
        name,
        runs.filter((r) => r.topology === name),
        availableCpus,
      ),
    ),
  };
}

function scalingTopology(name: string, runs: readonly ScalingRun[], availableCpus: number): ScalingTopology {
  for (const run of runs) {
    if (!Number.isSafeInteger(run.replicas) || run.replicas < 1)
      throw new Error(`buildScaling: ${name} replicas ${run.replicas} must be a whole number, 1 or more`);
    if (!(run.requestedCpus >= 0)) throw new Error(`buildScaling: ${name} requestedCpus ${run.requestedCpus} must be 0 or more`);
    if (run.results.length === 0) throw new Error(`buildScaling: ${name} at ${run.replicas} replicas has no load results`);
    if (runs.filter((r) => r.replicas === run.replicas).length > 1)
      throw new Error(`buildScaling: ${name} at ${run.replicas} replicas is given twice`);
  }
  const measured = [...runs]
    .sort((a, b) => a.replicas - b.replicas)
    .map((run) => ({
      run,
      summary: summarizeTopology(name, run.results, undefined, DEFAULT_MAX_ERRORS),
      ...summarizeCpuUse(run.cpuUse ?? []),
    }));
  const usl = fitUsl(
    measured.flatMap(({ run, summary }) => summary.trialThroughputRps.map((throughputRps) => ({ replicas: run.replicas, throughputRps }))),
  );
  const one = measured.find(({ run }) => run.replicas === 1)?.summary.throughputRps.median;
  const smallest = measured[0];
  const perReplica = smallest.summary.throughputRps.median / smallest.run.replicas;
  const points = measured.map(({ run, summary, cpuUse }): ScalingPoint => ({
    replicas: run.replicas,
    trials: summary.trials,
    throughputRps: summary.throughputRps,
    trialThroughputRps: summary.trialThroughputRps,
    ratioToOne: one !== undefined && one > 0 ? summary.throughputRps.median / one : null,
    linearRps: perReplica * run.replicas,
    fittedRps: usl ? uslThroughput(usl, run.replicas) : null,
    errors: summary.errors.total,
    requestedCpus: run.requestedCpus,
    ...(run.busiestNode ? { busiestNode: run.busiestNode } : {}),
    oversubscribed: run.busiestNode ? run.busiestNode.requestedCpus > run.busiestNode.cpus : run.requestedCpus > availableCpus,
    ...(cpuUse ? { cpuUse, cpusUsed: Object.values(cpuUse).reduce((s, u) => s + u.cpus, 0) } : {}),
  }));
  return { name, points, usl };
}
