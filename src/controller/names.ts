/**
 * Names and labels the controller gives the objects it creates. They are deterministic, so a
 * restarted controller finds its Jobs and records again instead of starting over.
 */
import type { Topology } from '../topologies.js';

/** The product's namespace (DESIGN.md, "Kubernetes objects"). */
export const DEFAULT_NAMESPACE = 'clusterbench';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'clusterbench-controller';
export const LABEL_BENCHMARK = 'clusterbench.dev/benchmark';
export const LABEL_TOPOLOGY = 'clusterbench.dev/topology';
export const LABEL_TRIAL = 'clusterbench.dev/trial';
export const LABEL_ATTEMPT = 'clusterbench.dev/attempt';
/** Set by the Job controller on each pod of an Indexed Job. */
export const ANNOTATION_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

/** Selects everything the controller created (Jobs and their pods). */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;
/** The hello pods behind the balanced topologies, one of which failover deletes. */
export const HELLO_POD_SELECTOR = 'app.kubernetes.io/instance=hello';

/** A run is one topology in one trial. Its attempts are Jobs. */
export interface RunId {
  readonly topology: Topology;
  readonly trial: number;
}

export function runKey(run: RunId): string {
  return `${run.topology}.t${run.trial}`;
}

export function jobName(benchmark: string, run: RunId, attempt: number): string {
  return `${benchmark}-${run.topology}-t${run.trial}-a${attempt}`;
}

/** DESIGN.md: `<benchmark>-report` with `report.md` and `report.json`. */
export function reportConfigMapName(benchmark: string): string {
  return `${benchmark}-report`;
}
