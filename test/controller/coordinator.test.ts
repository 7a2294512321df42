import { describe, expect, it } from 'vitest';
import { decideStart, sumProgress } from '../../src/controller/coordinator.js';

describe('synchronized start', () => {
  it('gives a start time only when every runner of the run is connected', () => {
    expect(decideStart(new Set([0]), 2, undefined, 1000, 2000)).toBeUndefined();
    expect(decideStart(new Set([0, 1]), 2, undefined, 1000, 2000)).toBe(3000);
    expect(decideStart(new Set([0, 1]), undefined, undefined, 1000)).toBeUndefined();
  });

  it('keeps a start time already agreed (runners reconnecting after a controller restart)', () => {
    expect(decideStart(new Set([1]), 2, 500, 1000)).toBe(500);
  });

  it("sums the runners' progress", () => {
    const s = sumProgress(2, [
      { elapsedMs: 3000, warmup: false, requests: 10, rps: 5, errors: 1 },
      { elapsedMs: 2900, warmup: false, requests: 20, rps: 7, errors: 0 },
    ]);
    expect(s).toEqual({ runnersReady: 2, warmup: false, elapsedMs: 2900, requests: 30, rps: 12, errors: 1 });
  });
});
