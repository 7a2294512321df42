/**
 * The report's contract, `clusterbench/report@1` (DESIGN.md, "Report"). `make local` and the
 * cluster's controller both build it with `buildReport` and render it the same way.
 */
import type { ErrorCounts, LatencySummary, LoadMode, LoadResult, TimelinePoint } from '../../loadtest/types.js';
import type { ScalingSection } from './scaling-types.js';

export const REPORT_SCHEMA = 'clusterbench/report@1';

/** The load every topology received, identical for all of them. */
export interface ReportScenario {
  /** `quick`, `standard`, `seed`, or `custom` when flags overrode a named scenario. */
  readonly name: string;
  readonly mode: LoadMode;
  readonly connections: number;
  /** Open loop: requests per second; null in closed loop. */
  readonly rate: number | null;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly trials: number;
  /** Load runners per trial (1 locally). @default 1 */
  readonly runners?: number;
  /** How the trials were ordered, e.g. `interleaved, rotating order`. */
  readonly order?: string;
  /** Settings of the servers under test, e.g. `{ work: '200us' }`. */
  readonly serverSettings?: Readonly<Record<string, string>>;
  /** A topology whose failed requests exceed this share of its due ones failed (`--max-errors`).
   * @default 0.01 */
  readonly maxErrors?: number;
}

/** CPU limits applied to the hello servers. */
export interface ReportCpuLimits {
  /** CPUs each hello server may use, e.g. 0.25; null when unlimited. */
  readonly perServer: number | null;
  /** How the limit was enforced, e.g. `cgroup v1 cpu.cfs_quota_us`, `kubernetes limits`, `none`. */
  readonly mechanism: string;
  /** Why a requested limit was not applied, if it was not. */
  readonly note?: string;
}

/** Where and on what the run happened. */
export interface ReportEnvironment {
  /** `local` (one machine, processes on loopback) or `cluster`, with a few words of detail. */
  readonly where: string;
  readonly cpus: { readonly model: string; readonly count: number };
  /** Program versions: node, go, nginx, kernel, clusterbench, … */
  readonly versions: Readonly<Record<string, string>>;
  readonly cpuLimits: ReportCpuLimits;
  /** What ran where: load generator, servers, scheduler notes. */
  readonly placement?: Readonly<Record<string, string>>;
  /** 1, 5 and 15 minute load averages at the start and the end of the run. */
  readonly loadAverage?: { readonly start: readonly number[]; readonly end: readonly number[] };
  /** Anything a reader must know to trust the numbers. */
  readonly notes?: readonly string[];
  /** Cluster runs: the node of each runner and server pod, and those nodes' CPUs (issue 18). */
  readonly nodes?: ReportNodes;
}

/** A node a pod of the run was on. CPUs are null when the node could not be read (gone, or not allowed). */
export interface ReportNode {
  /** `status.capacity.cpu`, cores. */
  readonly cpus: number | null;
  /** `status.allocatable.cpu`, cores: what pods may request of it. */
  readonly allocatableCpus: number | null;
}

/** Where one topology's pods ran: pod name -> node name (null: not scheduled). */
export interface TopologyPlacement {
  readonly runners: Readonly<Record<string, string | null>>;
  readonly servers: Readonly<Record<string, string | null>>;
}

export interface ReportNodes {
  readonly topologies: Readonly<Record<string, TopologyPlacement>>;
  readonly nodes: Readonly<Record<string, ReportNode>>;
  /** Nodes that ran a runner and a server of the same topology: the load generator took CPU from what it measured. */
  readonly shared: readonly string[];
  /** What the lists leave out (e.g. ingress-nginx's own pod, in another namespace). */
  readonly notes?: readonly string[];
}

/** One backend killed during a trial (input to `buildReport`). */
export interface FailoverEvent {
  readonly topology: string;
  readonly trial: number;
  /** The X-Served-By of the killed server. */
  readonly backend: string;
  /** When it was killed, ms after the measured part began. */
  readonly killedAtMs: number;
  /** When it was started again, ms after the measured part began; null if it was not. */
  readonly restartedAtMs: number | null;
  /** When the restarted server answered its first request through the balancer, ms after the
   * measured part began; null if it did not within the trial, absent if not observed. */
  readonly servingAgainAtMs?: number | null;
}

/** CPU the processes of one run used during its measured part (input to `buildReport`). */
export interface CpuUseSample {
  readonly topology: string;
  readonly trial: number;
  /** CPUs used on average, per process: `single`, `hello-1`, `nginx`, `load generator`, … */
  readonly cpus: Readonly<Record<string, number>>;
  /** Share of CPU-limit periods in which a limited server was throttled (cgroups only). */
  readonly throttled?: Readonly<Record<string, number>>;
}

/** One process's CPU use over a topology's trials. */
export interface CpuUse {
  /** CPUs used on average during the measured parts, mean over trials. */
  readonly cpus: number;
  /** Share of CPU-limit periods throttled, mean over trials; absent without a limit. */
  readonly throttled?: number;
}

/** What happened to a topology when one of its backends was killed. */
export interface FailoverSummary {
  readonly trial: number;
  readonly backend: string;
  readonly killedAtMs: number;
  readonly restartedAtMs: number | null;
  /** From the kill until the restarted server answered through the balancer again; null if it
   * did not within the trial, absent if not observed. */
  readonly servingAgainMs?: number | null;
  /** Failed requests in that trial. */
  readonly errors: number;
  /** Of those, the ones in the seconds from the kill until recovered (or the trial's end): what
   * the drill is expected to cause, counted apart from `--max-errors`. */
  readonly drillErrors: number;
  /**
   * From the kill to the end of the first whole second, after the restart, with no errors and
   * at least 90% of the throughput before the kill; null if that never happened in the trial.
   */
  readonly recoveryMs: number | null;
}

export interface ThroughputSummary {
  /** Median over trials of each trial's throughput (runners of a trial summed). */
  readonly median: number;
  /** 95% interval over trials (Student's t on the trials' mean); null with one trial. */
  readonly ciLow: number | null;
  readonly ciHigh: number | null;
}

export interface SpectrumPoint {
  readonly percentile: number;
  readonly us: number;
}

export interface TopologyReport {
  readonly name: string;
  readonly trials: number;
  readonly runners: number;
  readonly throughputRps: ThroughputSummary;
  /** Each trial's throughput, in trial order. */
  readonly trialThroughputRps: readonly number[];
  /** Median throughput over the baseline's (`single`); null without a baseline. */
  readonly ratioToSingle: number | null;
  /** Open loop: the offered rate (median over trials, runners summed); null in closed loop. */
  readonly offeredRps: number | null;
  /** Open loop: the median throughput fell short of the offered rate (verdict.ts, SATURATED_BELOW). */
  readonly saturated: boolean;
  /** Failed requests (the failover drill's apart) exceeded `scenario.maxErrors` of the due ones,
   * or none succeeded. */
  readonly failed: boolean;
  /** Failed requests (the failover drill's apart) over the due ones, all trials. */
  readonly failedShare: number;
  /** The window's requests, all trials (LoadResult.due), and those never sent (the backlog). */
  readonly due: number;
  readonly notSent: number;
  /** Successful responses, all trials. */
  readonly requests: number;
  /** Of the successful responses, from the histogram merged over all trials and runners. */
  readonly latencyUs: LatencySummary;
  /** Open loop: the load generator's own send lag, merged over all trials and runners. */
  readonly sendLagUs?: LatencySummary;
  /** The load generator's own longest stall over the trials, ms (see the load result). */
  readonly clientStallMs?: number;
  /** Percentile spectrum of the merged histogram, for the log-scale chart. */
  readonly latencySpectrumUs: readonly SpectrumPoint[];
  readonly errors: ErrorCounts & { readonly total: number };
  /** Share of responses per X-Served-By, summing to 1. */
  readonly backends: Readonly<Record<string, number>>;
  /** Per-second throughput of each trial (runners summed). */
  readonly timelines: readonly { readonly trial: number; readonly points: readonly TimelinePoint[] }[];
  readonly failover?: FailoverSummary;
  /** CPU used per process (servers, balancer, load generator), when the runner measured it. */
  readonly cpuUse?: Readonly<Record<string, CpuUse>>;
}

export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  /** ISO time the report was built. */
  readonly createdAt: string;
  readonly scenario: ReportScenario;
  readonly environment: ReportEnvironment;
  readonly topologies: readonly TopologyReport[];
  /** Throughput against replica count with a USL fit (`buildScaling`); only after a replica sweep. */
  readonly scaling?: ScalingSection;
}

/** What `buildReport` needs. */
export interface ReportInput {
  readonly scenario: ReportScenario;
  readonly environment: ReportEnvironment;
  /** Every load result of the run: any topologies, trials and runners, in any order. */
  readonly results: readonly LoadResult[];
  readonly failover?: readonly FailoverEvent[];
  readonly cpuUse?: readonly CpuUseSample[];
  /** @default now */
  readonly createdAt?: Date;
}
