/**
 * The report input the report suites share: a three-topology run whose arithmetic is known
 * (built from chosen latencies by load-results.ts).
 */
import type { ReportInput } from '../../src/report/index.js';
import { loadResult, repeat } from './load-results.js';

export const scenario: ReportInput['scenario'] = {
  name: 'quick',
  mode: 'closed',
  connections: 8,
  rate: null,
  durationMs: 5000,
  warmupMs: 1000,
  trials: 3,
};
export const environment: ReportInput['environment'] = {
  where: 'local (test)',
  cpus: { model: 'Test CPU', count: 2 },
  versions: { node: process.version },
  cpuLimits: { perServer: null, mechanism: 'none' },
};
/** An environment whose servers ran at 0.25 CPU each (cgroup v1), as a report with CPU limits shows it. */
export function limitedEnvironment(where: string): ReportInput['environment'] {
  return { where, cpus: { model: 'Test CPU', count: 2 }, versions: {}, cpuLimits: { perServer: 0.25, mechanism: 'cgroup v1' } };
}

/** single: 1000, 1100, 1200 req/s; nginx: two runners per trial; rpc-gateway: slow second trial. */
export function threeTopologies(): ReportInput {
  return {
    scenario,
    environment,
    createdAt: new Date('2026-01-02T03:04:05Z'),
    results: [
      loadResult({
        topology: 'rpc-gateway',
        trial: 1,
        throughputRps: 3000,
        latenciesUs: repeat(1000, 100),
        backends: { a: 50, b: 30, c: 20 },
      }),
      loadResult({
        topology: 'rpc-gateway',
        trial: 2,
        throughputRps: 3200,
        latenciesUs: repeat(10_000, 100),
        backends: { a: 50, b: 30, c: 20 },
      }),
      loadResult({
        topology: 'rpc-gateway',
        trial: 3,
        throughputRps: 3100,
        latenciesUs: repeat(1000, 100),
        backends: { a: 50, b: 30, c: 20 },
      }),
      ...[1000, 1100, 1200].map((rps, i) =>
        loadResult({
          topology: 'single',
          trial: i + 1,
          throughputRps: rps,
          latenciesUs: repeat(2000, 50),
          errors: { status5xx: i, reset: 1 },
        }),
      ),
      ...[1, 2, 3].flatMap((trial) =>
        [0, 1].map((runner) =>
          loadResult({ topology: 'nginx', trial, runner, throughputRps: 900 + trial * 100, latenciesUs: repeat(1500, 40) }),
        ),
      ),
    ],
  };
}
