/**
 * Names the controller gives the objects it creates. They are deterministic, so a
 * restarted controller finds its Jobs and records again instead of starting over.
 * Their labels and selectors are the cluster contract's (src/api/objects.ts).
 */
import type { RunId } from '../plan/run-plan.js';

/** A run (one topology in one trial) has its attempts as Jobs. */
export type { RunId };

export function runKey(run: RunId): string {
  return `${run.topology}.t${run.trial}`;
}

export function jobName(benchmark: string, run: RunId, attempt: number): string {
  return `${benchmark}-${run.topology}-t${run.trial}-a${attempt}`;
}
