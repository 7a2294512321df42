/** Named load scenarios (DESIGN.md, "Scenarios"). */
export const SCENARIO_NAMES = ['quick', 'standard', 'seed'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface Scenario {
  readonly name: ScenarioName;
  /** closed: N connections, one request in flight each; open: a constant arrival rate. */
  readonly mode: 'closed' | 'open';
  readonly connections: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly trials: number;
}

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  quick: { name: 'quick', mode: 'closed', connections: 64, durationMs: 5_000, warmupMs: 1_000, trials: 1 },
  standard: { name: 'standard', mode: 'closed', connections: 256, durationMs: 10_000, warmupMs: 2_000, trials: 3 },
  // The blog's JMeter run: 1000 concurrent users for one minute.
  seed: { name: 'seed', mode: 'closed', connections: 1000, durationMs: 60_000, warmupMs: 5_000, trials: 3 },
};

export const DEFAULT_SCENARIO: ScenarioName = 'standard';
