import { describe, expect, it } from 'vitest';
import { mergeConditions, progressPatch, statusChange } from '../../src/controller/status.js';

describe('status patches', () => {
  const now = new Date('2026-11-26T07:00:00Z');
  const conditions = mergeConditions([], [{ type: 'TopologyNotDeployed', status: 'True', reason: 'Skipped', message: 'x' }], 1, now);
  const status = {
    phase: 'Running' as const,
    conditions,
    progress: { completedRuns: 1, totalRuns: 4, topology: 'nginx', trial: 1, rps: 100, updatedAt: 'a' },
  };

  it("patches nothing when only the time stamp moved, even with keys in the API server's (sorted) order", () => {
    const fromServer = JSON.parse(
      JSON.stringify({
        progress: { updatedAt: 'b', trial: 1, totalRuns: 4, topology: 'nginx', rps: 100, completedRuns: 1 },
        phase: 'Running',
        conditions: conditions.map((c) => Object.fromEntries(Object.entries(c).sort())),
      }),
    );
    expect(statusChange(fromServer, status)).toBe('none');
  });

  it('tells live numbers (throttled) from steps (patched at once)', () => {
    expect(statusChange(status, { ...status, progress: { ...status.progress, rps: 120 } })).toBe('progress');
    expect(statusChange(status, { ...status, progress: { ...status.progress, completedRuns: 2 } })).toBe('more');
    expect(statusChange(status, { ...status, phase: 'Succeeded' })).toBe('more');
  });

  it("clears the last run's live numbers when the next run has none yet", () => {
    const patch = progressPatch({ completedRuns: 2, totalRuns: 4, topology: 'single', trial: 2, updatedAt: 'x' });
    expect(patch).toMatchObject({
      completedRuns: 2,
      topology: 'single',
      rps: null,
      requests: null,
      errors: null,
      runnersReady: null,
      elapsedMs: null,
      warmup: null,
    });
  });

  it("keeps a condition's transition time while its status stays", () => {
    const later = mergeConditions(
      conditions,
      [{ type: 'TopologyNotDeployed', status: 'True', reason: 'Skipped', message: 'x' }],
      1,
      new Date('2026-11-26T08:00:00Z'),
    );
    expect(later[0].lastTransitionTime).toBe(now.toISOString());
  });
});
