import { describe, expect, it } from 'vitest';
import { createHistogram, decodeHistogram, encodeHistogram, summarizeHistogram } from '../../loadtest/histogram.js';
import { mergeResults } from '../../loadtest/merge.js';
import { LOAD_RESULT_SCHEMA, type LoadResult } from '../../loadtest/types.js';

/** A deterministic, long-tailed latency sample (us): mostly ~1 ms, some up to 2 s. */
function samples(seed: number, n: number): number[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, () => Math.round(200 + 1000 * next() + (next() < 0.02 ? 2_000_000 * next() : 0)));
}

/** A result whose histograms hold exactly `perSecond` (one array of samples per second). */
function resultOf(perSecond: number[][], overrides: Partial<LoadResult> = {}): LoadResult {
  const total = createHistogram();
  const timeline = perSecond.map((values, i) => {
    const second = createHistogram();
    for (const v of values) {
      second.recordValue(v);
      total.recordValue(v);
    }
    return { t: i + 1, rps: values.length, p99Us: second.getValueAtPercentile(99), errors: i, histogram: encodeHistogram(second) };
  });
  const requests = total.totalCount;
  return {
    schema: LOAD_RESULT_SCHEMA,
    topology: 'single',
    trial: 1,
    runner: 0,
    target: 'http://127.0.0.1:1/',
    mode: 'closed',
    connections: 10,
    rate: null,
    durationMs: 1000 * perSecond.length,
    warmupMs: 0,
    startedAt: '2026-01-01T00:00:00.000Z',
    startSkewMs: 0,
    due: requests,
    sent: requests,
    notSent: 0,
    requests,
    throughputRps: requests / perSecond.length,
    errorRps: 15 / perSecond.length,
    latencyUs: summarizeHistogram(total),
    errors: { connect: 1, timeout: 2, reset: 3, status4xx: 4, status5xx: 5 },
    backends: { a: requests - 1, b: 1 },
    timeline,
    histogram: encodeHistogram(total),
    ...overrides,
  };
}

describe('mergeResults', () => {
  const first = [samples(1, 3000), samples(2, 2000)];
  const second = [samples(3, 500), samples(4, 4000), samples(5, 100)];

  it('equals one histogram fed every sample: counts and every percentile', () => {
    const merged = mergeResults([resultOf(first), resultOf(second, { runner: 1, startedAt: '2025-12-31T23:59:59.000Z' })]);
    const all = createHistogram();
    for (const v of [...first, ...second].flat()) all.recordValue(v);
    expect(merged.requests).toBe(all.totalCount);
    expect(merged.latencyUs).toEqual(summarizeHistogram(all));
    const decoded = decodeHistogram(merged.histogram);
    expect(decoded.totalCount).toBe(all.totalCount);
    for (const p of [1, 25, 50, 75, 90, 99, 99.9, 99.99, 100]) {
      expect(decoded.getValueAtPercentile(p), `p${p}`).toBe(all.getValueAtPercentile(p));
    }
    // Not the average of the inputs' percentiles (the long tail makes them differ).
    const averaged = (resultOf(first).latencyUs.p99 + resultOf(second).latencyUs.p99) / 2;
    expect(merged.latencyUs.p99).not.toBe(averaged);
    // Labels and sums.
    expect(merged.runner).toBe(0);
    expect(merged.topology).toBe('single');
    expect(merged.connections).toBe(20);
    expect(merged.startedAt).toBe('2025-12-31T23:59:59.000Z');
    expect(merged.errors).toEqual({ connect: 2, timeout: 4, reset: 6, status4xx: 8, status5xx: 10 });
    expect(merged.backends).toEqual({ a: all.totalCount - 2, b: 2 });
  });

  it('merges timelines second by second, p99 from the merged histogram of that second', () => {
    const merged = mergeResults([resultOf(first), resultOf(second)]);
    expect(merged.timeline.map((p) => p.t)).toEqual([1, 2, 3]);
    expect(merged.timeline.map((p) => p.rps)).toEqual([3500, 6000, 100]);
    expect(merged.timeline.map((p) => p.errors)).toEqual([0, 2, 2]);
    const secondTwo = createHistogram();
    for (const v of [...first[1], ...second[1]]) secondTwo.recordValue(v);
    expect(merged.timeline[1].p99Us).toBe(secondTwo.getValueAtPercentile(99));
  });

  it('merges open-loop service times and send lags, sums the counts; refuses to mix open and closed loops', () => {
    const open = (values: number[][]) => {
      const r = resultOf(values, { mode: 'open', rate: 100, due: 10, sent: 8, notSent: 2, errorRps: 1.5 });
      return { ...r, serviceHistogram: r.histogram, serviceTimeUs: r.latencyUs, sendLagHistogram: r.histogram, sendLagUs: r.latencyUs };
    };
    const merged = mergeResults([open(first), open(second)]);
    expect(merged.rate).toBe(200);
    expect([merged.due, merged.sent, merged.notSent, merged.errorRps]).toEqual([20, 16, 4, 3]);
    expect(merged.serviceTimeUs).toEqual(merged.latencyUs);
    expect(merged.sendLagUs).toEqual(merged.latencyUs);
    expect(mergeResults([open(first), { ...open(second), sendLagHistogram: undefined }]).sendLagUs).toBeUndefined();
    expect(() => mergeResults([open(first), resultOf(second)])).toThrow(/closed-loop and open-loop/);
    expect(() => mergeResults([])).toThrow(/no results/);
  });
});
