/**
 * The run plan `make local` and the controller share: the order of the runs and the failover rule
 * (which run, which backend, when it is killed, when it comes back). Data and pure functions, so
 * the two ways of running cannot drift apart, and both reports describe the plan in the same words.
 */
import { BALANCED_TOPOLOGIES, type Topology } from '../topologies.js';

/** A run is one topology in one trial. */
export interface RunId<T extends Topology = Topology> {
  readonly topology: T;
  readonly trial: number;
}

/** The report's words for the order `runOrder` gives. */
export const RUN_ORDER_DESCRIPTION = 'trials interleaved, topologies in rotating order';

/**
 * Every run in execution order: trials one after another, topologies interleaved within a trial
 * and rotated by one place per trial, so no topology always runs first (on a warming or
 * throttled node) and drifting conditions spread over all of them.
 */
export function runOrder<T extends Topology>(topologies: readonly T[], trials: number): RunId<T>[] {
  const runs: RunId<T>[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    for (const topology of rotate(topologies, trial - 1)) runs.push({ topology, trial });
  }
  return runs;
}

/**
 * Whether a failover run disturbs this run: the last trial of each balanced topology, so the
 * earlier trials measure the undisturbed topology and the report takes one event per topology.
 */
export function isFailoverRun(run: RunId, trials: number): boolean {
  return run.trial === trials && (BALANCED_TOPOLOGIES as readonly Topology[]).includes(run.topology);
}

/** The backend failover kills: the first ready one by name (`hello-1` locally; a hello pod in a cluster). */
export function failoverVictim(backends: readonly { readonly name: string; readonly ready: boolean }[]): string | undefined {
  return backends
    .filter((b) => b.ready)
    .map((b) => b.name)
    .sort()[0];
}

/** When the victim is killed (epoch ms): `killAfterMs` into the measured part of a run that starts (warmup begins) at `startAt`. */
export function failoverKillAt(startAt: number, warmupMs: number, killAfterMs: number): number {
  return startAt + warmupMs + killAfterMs;
}

/** `make local --failover` kills halfway through the measured part (a Benchmark gives spec.failover.killAfter). */
export function localKillAfterMs(durationMs: number): number {
  return durationMs / 2;
}

/** Most a killed local server stays down before it is started again. */
const LOCAL_RESTART_MS = 3000;

/**
 * How long `make local` leaves the victim down: a few seconds, less in short runs. In a cluster
 * the victim's Deployment starts a replacement at once.
 */
export function localDownMs(durationMs: number): number {
  return Math.min(LOCAL_RESTART_MS, durationMs / 4);
}

/**
 * The report's note on failover, for both ways of running: `downMs` locally, null in a cluster
 * (the pod is deleted with no grace period and its Deployment replaces it).
 */
export function describeFailover(killAfterMs: number, downMs: number | null): string {
  const how = downMs === null ? 'hello pod by name deleted (grace period 0)' : 'hello server by name killed (SIGKILL)';
  const back = downMs === null ? 'its Deployment started a replacement at once' : `started again about ${downMs / 1000} s later`;
  return `failover: the first ready ${how} ${killAfterMs / 1000} s into the measured part of the last trial of each balanced topology; ${back}`;
}

/** A run of a replica sweep: one topology in one trial behind `replicas` hello servers (`single`: 1). */
export interface SweepRunId<T extends Topology = Topology> extends RunId<T> {
  readonly replicas: number;
}

/**
 * Every run of a replica sweep in execution order: trial after trial; within a trial each replica
 * count in turn, rotated by one place per trial like the topologies, so drift spreads over the
 * counts too; within a count the topologies as `runOrder` gives them, `single` (one server
 * whatever the count) once per trial, at the trial's first count. The runs of one count are
 * consecutive, so the balancers change their backends once per count and trial.
 */
export function sweepOrder<T extends Topology>(topologies: readonly T[], trials: number, replicas: readonly number[]): SweepRunId<T>[] {
  const order = runOrder(topologies, trials);
  const runs: SweepRunId<T>[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    const inTrial = order.filter((r) => r.trial === trial);
    rotate(replicas, trial - 1).forEach((count, i) => {
      for (const { topology } of inTrial)
        if (topology !== 'single' || i === 0) runs.push({ topology, trial, replicas: topology === 'single' ? 1 : count });
    });
  }
  return runs;
}

/** Hello servers behind each balancer without a sweep, as in the seed. */
export const DEFAULT_REPLICAS = 3;

/**
 * The replica count whose runs fill the report's main tables in a sweep: three, as a run without
 * a sweep (comparable with it), or the largest count when three is not swept.
 */
export function mainReplicas(replicas: readonly number[] | null | undefined): number {
  if (!replicas || replicas.includes(DEFAULT_REPLICAS)) return DEFAULT_REPLICAS;
  return Math.max(...replicas);
}

/** The report's note on a sweep, for both ways of running. */
export function describeSweep(replicas: readonly number[]): string {
  return `replica sweep: ${replicas.join(', ')} hello servers behind each balancer, every count in every trial; the tables before the scaling section show the balancers at ${mainReplicas(replicas)}`;
}

/** `list` shifted left by `by` places, wrapping round. */
function rotate<T>(list: readonly T[], by: number): T[] {
  const shift = by % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}
