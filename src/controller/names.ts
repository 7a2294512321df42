/**
 * Names the controller gives the objects it creates. They are deterministic, so a
 * restarted controller finds its Jobs and records again instead of starting over, and they carry
 * part of the Benchmark's UID: two Benchmarks never share one (`x` with `ingress-nginx` and
 * `x-ingress` with `nginx` once both made `x-ingress-nginx-t1-a1`), and a Benchmark deleted and
 * created again under its name starts from nothing. Their labels and selectors are the cluster
 * contract's (src/api/objects.ts).
 */
import type { RunId } from '../plan/run-plan.js';

/** A run (one topology in one trial) has its attempts as Jobs. */
export type { RunId };

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
  return `${run.topology}.t${run.trial}`;
}

/** `<name>-<uid part>-<suffix>`, the name shortened to fit: the UID part keeps it unique. */
function ownedName(benchmark: BenchmarkRef, suffix: string): string {
  const uid = benchmark.uid.replace(/-/g, '').slice(0, UID_PART_LENGTH);
  const room = MAX_NAME_LENGTH - uid.length - suffix.length - 2;
  return `${benchmark.name.slice(0, room).replace(/-+$/, '')}-${uid}-${suffix}`;
}

export function jobName(benchmark: BenchmarkRef, run: RunId, attempt: number): string {
  return ownedName(benchmark, `${run.topology}-t${run.trial}-a${attempt}`);
}

/** The ConfigMap that keeps a finished run (run-store.ts). */
export function runConfigMapName(benchmark: BenchmarkRef, run: RunId): string {
  return ownedName(benchmark, `${run.topology}-t${run.trial}`);
}

/** The k-th part ConfigMap of a run's results (run-store.ts), from 0. */
export function runPartConfigMapName(benchmark: BenchmarkRef, run: RunId, part: number): string {
  return ownedName(benchmark, `${run.topology}-t${run.trial}-p${part}`);
}
