/**
 * The load generator's contracts (DESIGN.md, "Load result"). The engine, the merge, the local
 * runner, the controller and the report all speak these types.
 */
export const LOAD_RESULT_SCHEMA = 'clusterbench/load-result@2';

/** Latency summary in microseconds. */
export interface LatencySummary {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** Failed requests by class. */
export interface ErrorCounts {
  readonly connect: number;
  readonly timeout: number;
  readonly reset: number;
  readonly status4xx: number;
  readonly status5xx: number;
}

/**
 * One second of the measured run (t counts from 1 after warmup): successful responses that arrived
 * in that second, their p99, and errors in that second (the drain's after the end land in the last).
 */
export interface TimelinePoint {
  readonly t: number;
  readonly rps: number;
  readonly p99Us: number;
  readonly errors: number;
  /** HdrHistogram of that second's latencies (same encoding as LoadResult.histogram), so that
   * merged timelines have exact p99s; absent when the second had no responses. */
  readonly histogram?: string;
}

export type LoadMode = 'closed' | 'open';

/** One runner, one topology, one trial. */
export interface LoadResult {
  readonly schema: typeof LOAD_RESULT_SCHEMA;
  readonly topology: string;
  readonly trial: number;
  readonly runner: number;
  readonly target: string;
  readonly mode: LoadMode;
  readonly connections: number;
  /** The offered rate: requests per second in open loop; null in closed loop. */
  readonly rate: number | null;
  readonly durationMs: number;
  readonly warmupMs: number;
  /** ISO time the measured part began. */
  readonly startedAt: string;
  /** How far this runner's start was from the agreed start time, ms (0 when alone). */
  readonly startSkewMs: number;
  /** The window's requests: open loop, those whose intended send time fell inside it; closed
   * loop, those sent inside it. Each ends as a success, an error or not sent. */
  readonly due: number;
  /** Of `due`, sent. */
  readonly sent: number;
  /** Of `due`, still waiting for a connection when the window closed (the backlog; open loop). */
  readonly notSent: number;
  /** Successful responses (status below 400, within the timeout) to the window's requests. */
  readonly requests: number;
  /** The achieved rate: successful responses that arrived inside the window, per second of it. */
  readonly throughputRps: number;
  /** Failed window requests (every error class) per second of the window. */
  readonly errorRps: number;
  /** Of the successful responses. Closed loop: from send. Open loop: from the intended send time
   * (CO corrected). Never more than the timeout. */
  readonly latencyUs: LatencySummary;
  /** Open loop only: from the actual send to the response. */
  readonly serviceTimeUs?: LatencySummary;
  /** Failed requests by class; `timeout` includes requests that waited a whole timeout unsent. */
  readonly errors: ErrorCounts;
  /** Responses per X-Served-By value. */
  readonly backends: Readonly<Record<string, number>>;
  readonly timeline: readonly TimelinePoint[];
  /** HdrHistogram of latencyUs, compressed base64 (hdr-histogram-js encodeIntoCompressedBase64). */
  readonly histogram: string;
  /** Open loop only: HdrHistogram of serviceTimeUs, same encoding. */
  readonly serviceHistogram?: string;
  /** A random id runLoad gives each run; a merged result carries its inputs' ids, comma-separated. */
  readonly runId?: string;
  /** Open loop only: the load generator's own lag in sending, from the later of the intended send
   * time and the moment a connection was free, to the send. */
  readonly sendLagUs?: LatencySummary;
  /** Open loop only: HdrHistogram of sendLagUs, same encoding. */
  readonly sendLagHistogram?: string;
  /** The load generator's own longest stall, ms: how long its event loop did not run (starved CPU,
   * GC, a stopped process). Answers arriving meanwhile are read late and may count as timeouts. */
  readonly clientStallMs?: number;
}

/** Live progress of a running load, reported about once a second. */
export interface LoadProgress {
  readonly elapsedMs: number;
  /** Whether the warmup is still running. */
  readonly warmup: boolean;
  readonly requests: number;
  readonly rps: number;
  readonly errors: number;
}

/** What `runLoad` needs; the CLI flags of `clusterbench load` map onto these. */
export interface LoadOptions {
  readonly url: string;
  /** @default 'closed', or 'open' when rate is set */
  readonly mode?: LoadMode;
  readonly connections: number;
  /** Open loop: total requests per second over all connections. */
  readonly rate?: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Per-request timeout. @default 5000 */
  readonly timeoutMs?: number;
  /** Worker threads. @default one per CPU */
  readonly workers?: number;
  /** @default true */
  readonly keepAlive?: boolean;
  /** Labels copied into the result. */
  readonly topology?: string;
  readonly trial?: number;
  readonly runner?: number;
  /** Epoch ms at which the warmup should begin (synchronized start); @default now */
  readonly startAt?: number;
  /**
   * Called once, when the worker threads are ready and the start is fixed, with the epoch ms the
   * warmup begins (startAt, or now if that has passed): timers for events inside the measured part
   * are set from here, not from when the load was asked for (worker start-up takes seconds on a
   * busy machine).
   */
  readonly onStart?: (startAt: number) => void;
  readonly onProgress?: (progress: LoadProgress) => void;
  /** Aborting stops the run early; the result covers what was measured. */
  readonly signal?: AbortSignal;
}
