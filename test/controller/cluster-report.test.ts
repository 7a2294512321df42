import { describe, expect, it } from 'vitest';
import type { RunId } from '../../src/controller/names.js';
import { clusterReport, statusResults } from '../../src/controller/cluster-report.js';
import { environment, plan, result, succeededRecord } from './fixtures.js';

describe('merge and status summary', () => {
  it('merges runners exactly: percentiles from the merged histogram, not averaged', () => {
    const p = plan({ topologies: ['single'], trials: 1 });
    const fast = result('single', 1, 0, Array(99).fill(100));
    const slow = result('single', 1, 1, Array(99).fill(10_000));
    const run: RunId = { topology: 'single', trial: 1 };
    const report = clusterReport(p, [succeededRecord(run, [fast, slow])], environment, []);
    const [single] = report.topologies;
    expect(single.requests).toBe(198);
    // The median of the merged samples is one of the two real values, never their average (5050).
    expect([100, 10_000].some((v) => Math.abs(single.latencyUs.p50 - v) / v < 0.01)).toBe(true);
    expect(single.throughputRps.median).toBeCloseTo(fast.throughputRps + slow.throughputRps);
    const [summary] = statusResults(report, [succeededRecord(run, [fast, slow])]);
    expect(summary).toMatchObject({ topology: 'single', trials: 1, failedTrials: 0, errors: 0, maxStartSkewMs: 0.5 });
  });
});
