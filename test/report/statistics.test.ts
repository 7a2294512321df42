// src/report/statistics.ts: median and the Student t 95% interval.
import { describe, expect, it } from 'vitest';
import { confidenceInterval95, median } from '../../src/report/statistics.js';

describe('statistics', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('gives the Student t 95% interval of the mean, none for one value', () => {
    const ci = confidenceInterval95([100, 110, 120]);
    // mean 110, s 10, t(2) 4.303: 110 ± 24.84
    expect(ci?.low).toBeCloseTo(85.16, 1);
    expect(ci?.high).toBeCloseTo(134.84, 1);
    expect(confidenceInterval95([100])).toBeNull();
  });
});
