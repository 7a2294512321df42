/**
 * The bounds of every load setting, one set for `load`, `local`, `bench` and the Benchmark CRD, so
 * a number one command accepts the others accept too (DESIGN.md, "Commands").
 */
export const LOAD_LIMITS = {
  /** Connections over all runners: each is an open file of the load generator. */
  connections: { min: 1, max: 100_000 },
  /** Open loop: requests per second over all runners. */
  rate: { min: 1, max: 10_000_000 },
  /**
   * Load pods per run (bench). 100: a large cluster's load needs tens of runners (README, "Running
   * on a large cluster"); the start barrier, result collection and exact merge are tested with 50.
   */
  runners: { min: 1, max: 100 },
  /** Trials per topology (local, bench). */
  trials: { min: 1, max: 10 },
  /** Worker threads of one load generator; never more than its connections. */
  workers: { min: 1, max: 1024 },
} as const;
