/**
 * A Benchmark's status: the next one from a pass's decision, what changed between two (so a pass
 * patches only when needed), the progress as a merge patch, and conditions merged with their
 * transition times.
 */
import {
  benchmarkStatusSchema,
  type Benchmark,
  type BenchmarkCondition,
  type BenchmarkProgress,
  type BenchmarkStatus,
} from '../api/benchmark.js';
import type { BenchmarkPlan } from '../api/validate.js';
import type { RunProgress } from './coordinator.js';
import type { ConditionUpdate, Decision } from './reconcile.js';

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

/**
 * The status after a pass: the decision's phase, counts and conditions, the current run's live
 * progress (`live`, from its runners), and `extra` (what the pass's actions wrote, e.g. the report).
 */
export function nextStatus(
  benchmark: Benchmark,
  plan: BenchmarkPlan,
  decision: Decision,
  extra: BenchmarkStatus,
  live: RunProgress | undefined,
  now: Date,
): BenchmarkStatus {
  const status = benchmark.status ?? {};
  return {
    phase: decision.phase,
    observedGeneration: benchmark.metadata.generation,
    skippedTopologies: [...decision.skippedTopologies],
    startTime: status.startTime ?? now.toISOString(),
    ...(FINAL_PHASES.has(decision.phase) ? { completionTime: now.toISOString() } : {}),
    conditions: mergeConditions(status.conditions ?? [], decision.conditions, benchmark.metadata.generation, now),
    progress: {
      completedRuns: decision.completedRuns,
      totalRuns: decision.totalRuns,
      ...(decision.current ? { topology: decision.current.run.topology, trial: decision.current.run.trial, runners: plan.runners } : {}),
      ...(live
        ? {
            runnersReady: live.runnersReady,
            warmup: live.warmup,
            elapsedMs: live.elapsedMs,
            requests: live.requests,
            rps: Math.round(live.rps),
            errors: live.errors,
          }
        : {}),
      updatedAt: now.toISOString(),
    },
    ...extra,
  };
}
