/**
 * Names the controller gives the objects it creates. They are deterministic, so a
 * restarted controller finds its Jobs and records again instead of starting over, and they carry
 * part of the Benchmark's UID: two Benchmarks never share one (`x` with `ingress-nginx` and
 * `x-ingress` with `nginx` once both made `x-ingress-nginx-t1-a1`), and a Benchmark deleted and
 * created again under its name starts from nothing. Their labels and selectors are the cluster
 * contract's (src/api/objects.ts).
 */
import type { RunId as PlanRunId } from '../plan/run-plan.js';

/**
 * A run (one topology in one trial) has its attempts as Jobs. In a replica sweep a balanced
 * topology's run also names its count of hello pods (`replicas`); other runs have none.
 */
export interface RunId extends PlanRunId {
  readonly replicas?: number;
}

/** The Benchmark an object belongs to. */
export interface BenchmarkRef {
  readonly name: string;
  readonly uid: string;
}

/** Object names and label values stay within 63 characters (a Job's name is its pods' `job-name` label). */
export const MAX_NAME_LENGTH = 63;
/** Hex digits of the UID in a name: 40 random bits, and a clash is still caught by the owner check. */
const UID_PART_LENGTH = 10;

export function runKey(run: RunId): string {
  return run.replicas === undefined ? `${run.topology}.t${run.trial}` : `${run.topology}.r${run.replicas}.t${run.trial}`;
}

/** A run in the report's and the conditions' words: `nginx trial 1`, in a sweep `nginx at 2 replicas trial 1`. */
export function runName(run: RunId): string {
  return `${run.topology}${run.replicas === undefined ? '' : ` at ${run.replicas} replica${run.replicas === 1 ? '' : 's'}`} trial ${run.trial}`;
}

/** `<topology>[-r<replicas>]-t<trial>`: the part of a run's object names that says which run. */
function runSuffix(run: RunId): string {
  return `${run.topology}${run.replicas === undefined ? '' : `-r${run.replicas}`}-t${run.trial}`;
}

/** `<name>-<uid part>-<suffix>`, the name shortened to fit: the UID part keeps it unique. */
function ownedName(benchmark: BenchmarkRef, suffix: string): string {
  const uid = benchmark.uid.replace(/-/g, '').slice(0, UID_PART_LENGTH);
  const room = MAX_NAME_LENGTH - uid.length - suffix.length - 2;
  return `${benchmark.name.slice(0, room).replace(/-+$/, '')}-${uid}-${suffix}`;
}

export function jobName(benchmark: BenchmarkRef, run: RunId, attempt: number): string {
  return ownedName(benchmark, `${runSuffix(run)}-a${attempt}`);
}

/** The ConfigMap that keeps a finished run (run-store.ts). */
export function runConfigMapName(benchmark: BenchmarkRef, run: RunId): string {
  return ownedName(benchmark, runSuffix(run));
}

/** The k-th part ConfigMap of a run's results (run-store.ts), from 0. */
export function runPartConfigMapName(benchmark: BenchmarkRef, run: RunId, part: number): string {
  return ownedName(benchmark, `${runSuffix(run)}-p${part}`);
}
