/**
 * The report's `scaling` section (DESIGN.md, "Report"): throughput of each balanced topology at
 * several replica counts, the ideal linear line and a Universal Scalability Law fit. Built by
 * `buildScaling` from a replica sweep; absent from reports of a run without one.
 */
import type { LoadResult } from '../../loadtest/types.js';
import type { CpuUse, CpuUseSample, ThroughputSummary } from './types.js';
import type { UslFit } from './usl.js';

/** One topology at one replica count: what a sweep measured (input to `buildScaling`). */
export interface ScalingRun {
  readonly topology: string;
  /** Hello servers behind the balancer. */
  readonly replicas: number;
  /** Every load result of this topology at this replica count: all trials and runners. */
  readonly results: readonly LoadResult[];
  /** CPU each process used in those trials, when measured. */
  readonly cpuUse?: readonly CpuUseSample[];
  /**
   * CPUs the run's processes asked for, summed: each process's CPU limit, or for one without a
   * limit the CPUs it can run on at once (Go's GOMAXPROCS, nginx's workers, the load generator's
   * threads). Locally: servers, balancer and load generator; in a cluster: the pods on the node.
   */
  readonly requestedCpus: number;
  /**
   * A cluster run whose pods' nodes are known: the node whose pods may ask for the largest share
   * of its CPUs, over the count's trials. Without it the processes are taken to share one machine
   * of `availableCpus`.
   */
  readonly busiestNode?: NodeCpus;
}

/** What the pods of one run on one node may ask for, and the CPUs the node has. */
export interface NodeCpus {
  readonly node: string;
  readonly requestedCpus: number;
  /** The node's CPUs (`status.capacity.cpu`). */
  readonly cpus: number;
}

export interface ScalingInput {
  readonly runs: readonly ScalingRun[];
  /** CPUs of the machine (local) or of the node the pods shared (cluster). */
  readonly availableCpus: number;
}

/** One replica count of one topology. */
export interface ScalingPoint {
  readonly replicas: number;
  readonly trials: number;
  /** Median over trials with its 95% interval, as for the report's topologies. */
  readonly throughputRps: ThroughputSummary;
  readonly trialThroughputRps: readonly number[];
  /** Median over the one-replica median; null when one replica was not measured. */
  readonly ratioToOne: number | null;
  /** The ideal linear line here: the smallest replica count's throughput per replica, times replicas. */
  readonly linearRps: number;
  /** The USL fit's throughput here; null without a fit. */
  readonly fittedRps: number | null;
  /** Failed requests, all trials: a failing target is not a scaling limit. */
  readonly errors: number;
  readonly requestedCpus: number;
  /** The run's `busiestNode`, when known. */
  readonly busiestNode?: NodeCpus;
  /**
   * The processes may ask for more CPUs than there are (with `busiestNode`, more than that node
   * has): a flattening here may be the machine's.
   */
  readonly oversubscribed: boolean;
  /** CPUs used per process (mean over trials), when measured. */
  readonly cpuUse?: Readonly<Record<string, CpuUse>>;
  /** The sum of `cpuUse`, when measured. */
  readonly cpusUsed?: number;
}

export interface ScalingTopology {
  readonly name: string;
  /** Ascending replica counts. */
  readonly points: readonly ScalingPoint[];
  /** Fitted to every trial's throughput; null with fewer than two replica counts. */
  readonly usl: UslFit | null;
}

export interface ScalingSection {
  readonly availableCpus: number;
  /** In the order of the input's runs. */
  readonly topologies: readonly ScalingTopology[];
}
