/**
 * Per node, what a replica sweep's pods may ask for, for the scaling section's oversubscription
 * marks. A point is oversubscribed when on some node the run's pods (its hello pods, the balancer
 * pod, its runners) may ask for more CPUs than that node has: on a cluster of several nodes the
 * sum over all of them against one node's CPUs says nothing. The report's `environment.nodes` is
 * read once, when the report is written, so it holds the hello pods of the last count only; the
 * controller therefore keeps each run's placement when it records the run (`runPlacement`), in
 * memory: a run a restarted controller did not record has none, and its point falls back to the
 * single-node sum (said in a note). Pure: report-environment.ts reads the pods and nodes.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { NodeCpus } from '../report/index.js';
import { isPodOfJob } from './observe.js';

/** Where one run's pods ran; null: a pod not scheduled. */
export interface RunPlacement {
  /** The node of each hello pod serving when the run was recorded. */
  readonly hello: readonly (string | null)[];
  /** The node of each runner pod of the run's Job. */
  readonly runners: readonly (string | null)[];
}

/** What the oversubscription marks need besides the records (`sweepPods` in report-environment.ts). */
export interface SweepPods {
  /** By run key (names.ts `runKey`); a run missing here has no known placement. */
  readonly runs: Readonly<Record<string, RunPlacement>>;
  /** By balanced topology: its pod's CPU limit (null: none) and node (null: not known). */
  readonly balancers: Readonly<Record<string, { readonly cpus: number | null; readonly node: string | null }>>;
  /** Each node's CPUs (`status.capacity.cpu`; null: not readable). */
  readonly nodeCpus: Readonly<Record<string, number | null>>;
}

/** The hello pods that serve (not being deleted) and the run's Job's pods, by node. */
export function runPlacement(job: string, helloPods: readonly V1Pod[], runnerPods: readonly V1Pod[]): RunPlacement {
  const node = (p: V1Pod) => p.spec?.nodeName ?? null;
  return {
    hello: helloPods.filter((p) => !p.metadata?.deletionTimestamp).map(node),
    runners: runnerPods.filter((p) => isPodOfJob(p, job)).map(node),
  };
}

/** One run of a sweep point, as `nodeAsks` counts it. */
export interface RunAsk {
  readonly placement: RunPlacement | undefined;
  readonly replicas: number;
  /** Runner pods per run (the plan's `runners`). */
  readonly runners: number;
  /** Each hello pod's CPU limit; null: none, every CPU of its node. */
  readonly perServer: number | null;
  readonly balancer: { readonly cpus: number | null; readonly node: string | null } | undefined;
}

/**
 * Per node, the CPUs the run's pods there may ask for: a hello pod its limit (none: its node's
 * CPUs), the balancer pod its limit (none: its node's CPUs), a runner one CPU (no limit; one Node
 * event loop). Undefined, for the single-node fallback, when the placement is not complete: no
 * placement, hello pods not `replicas` of them, runner pods not `runners`, a pod without a node,
 * the balancer's node not known, or a node's CPUs not readable.
 */
export function nodeAsks(run: RunAsk, nodeCpus: Readonly<Record<string, number | null>>): NodeCpus[] | undefined {
  const { placement, balancer } = run;
  if (!placement || !balancer || balancer.node === null) return undefined;
  if (placement.hello.length !== run.replicas || placement.runners.length !== run.runners) return undefined;
  const pods = [
    ...placement.hello.map((node) => ({ node, cpus: run.perServer })),
    { node: balancer.node, cpus: balancer.cpus },
    ...placement.runners.map((node) => ({ node, cpus: 1 })),
  ];
  const asks = new Map<string, NodeCpus>();
  for (const pod of pods) {
    const cpus = pod.node === null ? null : (nodeCpus[pod.node] ?? null);
    if (pod.node === null || cpus === null) return undefined;
    const before = asks.get(pod.node)?.requestedCpus ?? 0;
    asks.set(pod.node, { node: pod.node, requestedCpus: before + (pod.cpus ?? cpus), cpus });
  }
  return [...asks.values()].sort((a, b) => a.node.localeCompare(b.node));
}

/** The node whose pods may ask for the largest share of its CPUs (the first by name on a tie). */
export function busiestNode(asks: readonly NodeCpus[]): NodeCpus | undefined {
  return asks.reduce<NodeCpus | undefined>((most, a) => (most === undefined || share(a) > share(most) ? a : most), undefined);
}

const share = (a: NodeCpus) => a.requestedCpus / a.cpus;
