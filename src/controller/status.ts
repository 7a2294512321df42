/**
 * A Benchmark's status: what changed between two (so a pass patches only when needed), the
 * progress as a merge patch, and conditions merged with their transition times.
 */
import { benchmarkStatusSchema, type BenchmarkCondition, type BenchmarkProgress, type BenchmarkStatus } from '../api/benchmark.js';
import type { ConditionUpdate } from './reconcile.js';

export const FINAL_PHASES = new Set(['Succeeded', 'Failed']);
/** Live progress goes into the status about this often. */
export const PROGRESS_EVERY_MS = 2_000;

/** JSON with object keys sorted and undefined fields dropped: the API server returns keys sorted. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/** What differs between two statuses: nothing, only the live progress numbers, or more. */
export function statusChange(current: BenchmarkStatus, next: BenchmarkStatus): 'none' | 'progress' | 'more' {
  const { progress: a, ...restA } = current;
  const { progress: b, ...restB } = next;
  if (canonical(restA) !== canonical(restB)) return 'more';
  const steady = (p: BenchmarkStatus['progress']) => p && canonical([p.completedRuns, p.totalRuns, p.topology, p.trial]);
  if (steady(a) !== steady(b)) return 'more';
  return canonical({ ...a, updatedAt: undefined }) === canonical({ ...b, updatedAt: undefined }) ? 'none' : 'progress';
}

/** Every field `status.progress` may carry (the CRD schema's list). */
const PROGRESS_FIELDS = Object.keys(benchmarkStatusSchema.properties?.progress?.properties ?? {});

/**
 * The progress as a merge patch: fields the run does not have (yet) are null, which deletes them,
 * so the last run's numbers do not linger as if they were the current run's.
 */
export function progressPatch(progress: BenchmarkProgress): Record<string, unknown> {
  return {
    ...Object.fromEntries(PROGRESS_FIELDS.map((f) => [f, null])),
    ...Object.fromEntries(Object.entries(progress).filter(([, v]) => v !== undefined)),
  };
}

/** Merges condition updates into the current list, keeping transition times of unchanged ones. */
export function mergeConditions(
  current: readonly BenchmarkCondition[],
  updates: readonly ConditionUpdate[],
  generation: number | undefined,
  now: Date,
): BenchmarkCondition[] {
  const byType = new Map(current.map((c) => [c.type, c]));
  for (const u of updates) {
    const old = byType.get(u.type);
    const lastTransitionTime = old && old.status === u.status ? old.lastTransitionTime : now.toISOString();
    byType.set(u.type, { ...u, lastTransitionTime, ...(generation === undefined ? {} : { observedGeneration: generation }) });
  }
  return [...byType.values()];
}
