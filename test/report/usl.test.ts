import { describe, expect, it } from 'vitest';
import { fitUsl, uslThroughput, type UslFit, type UslPoint } from '../../src/report/usl.js';

/** Points on the law with known parameters, each scaled by (1 + noise[i]). */
function curve(
  law: { sigma: number; kappa: number; lambda: number },
  replicas: readonly number[],
  noise: readonly number[] = [],
): UslPoint[] {
  return replicas.map((n, i) => ({ replicas: n, throughputRps: uslThroughput(law, n) * (1 + (noise[i] ?? 0)) }));
}

function sse(points: readonly UslPoint[], fit: Pick<UslFit, 'sigma' | 'kappa' | 'lambda'>): number {
  return points.reduce((s, p) => s + (p.throughputRps - uslThroughput(fit, p.replicas)) ** 2, 0);
}

function mustFit(points: readonly UslPoint[]): UslFit {
  const fit = fitUsl(points);
  if (fit === null) throw new Error('expected a fit');
  return fit;
}

// Deterministic "measurement noise" of up to 3%, alternating in sign.
const NOISE = [0.02, -0.015, 0.01, -0.03, 0.015, -0.01, 0.025, -0.005];

describe('fitUsl on exact curves recovers the parameters', () => {
  it.each([
    { name: 'contention and coherency', law: { sigma: 0.05, kappa: 0.002, lambda: 1000 }, replicas: [1, 2, 3, 4, 6, 8] },
    { name: 'contention only (Amdahl)', law: { sigma: 0.1, kappa: 0, lambda: 500 }, replicas: [1, 2, 4, 8, 16] },
    { name: 'coherency only', law: { sigma: 0, kappa: 0.01, lambda: 500 }, replicas: [1, 2, 4, 8, 16, 32] },
    { name: 'strong contention, past the peak', law: { sigma: 0.3, kappa: 0.05, lambda: 2000 }, replicas: [1, 2, 3, 4, 5, 6] },
    { name: 'without one replica measured', law: { sigma: 0.02, kappa: 0.0005, lambda: 3000 }, replicas: [2, 3, 4, 6, 12, 24] },
  ])('$name', ({ law, replicas }) => {
    const fit = mustFit(curve(law, replicas));
    expect(fit.sigma).toBeCloseTo(law.sigma, 5);
    expect(fit.kappa).toBeCloseTo(law.kappa, 6);
    expect(fit.lambda / law.lambda).toBeCloseTo(1, 6);
    expect(fit.rSquared).toBeCloseTo(1, 9);
    expect(fit.cautions).toEqual([]);
    expect(fit.replicaCounts).toBe(replicas.length);
  });

  it('gives the peak at sqrt((1 - sigma) / kappa) and the throughput there', () => {
    const law = { sigma: 0.04, kappa: 0.0016, lambda: 1000 };
    const fit = mustFit(curve(law, [1, 2, 4, 8, 16, 32]));
    expect(fit.peakReplicas).toBeCloseTo(Math.sqrt(0.96 / 0.0016), 3); // 24.49
    expect(fit.limitRps).toBeCloseTo(uslThroughput(law, Math.sqrt(0.96 / 0.0016)), 1);
  });

  it('has no peak without coherency, and a ceiling of lambda / sigma', () => {
    const fit = mustFit(curve({ sigma: 0.1, kappa: 0, lambda: 500 }, [1, 2, 4, 8, 16]));
    expect(fit.kappa).toBe(0);
    expect(fit.peakReplicas).toBeNull();
    expect(fit.limitRps).toBeCloseTo(5000, 3);
  });
});

describe('fitUsl on noisy curves', () => {
  it('stays near the true parameters with up to 3% noise', () => {
    const law = { sigma: 0.05, kappa: 0.002, lambda: 1000 };
    const fit = mustFit(curve(law, [1, 2, 3, 4, 6, 8, 12, 16], NOISE));
    // The USL is ill-conditioned: sigma and kappa trade off against each other. Measured with this
    // noise: sigma 0.039, kappa 0.0024, lambda 972, peak 20.0 (true 21.8), R squared 0.9989.
    expect(fit.sigma).toBeGreaterThan(0.03);
    expect(fit.sigma).toBeLessThan(0.07);
    expect(fit.kappa).toBeGreaterThan(0.0015);
    expect(fit.kappa).toBeLessThan(0.0027);
    expect(fit.lambda).toBeGreaterThan(950);
    expect(fit.lambda).toBeLessThan(1050);
    expect(fit.peakReplicas).toBeGreaterThan(18);
    expect(fit.peakReplicas).toBeLessThan(25);
    expect(fit.rSquared).toBeGreaterThan(0.99);
    expect(fit.cautions).toEqual([]);
  });

  it('lands exactly on kappa 0 when contention alone explains the trials', () => {
    // Three trials 3% apart at each count; without the edge search kappa came out 4e-7 (a peak at 1,417).
    const law = { sigma: 0.2, kappa: 0, lambda: 800 };
    const fit = mustFit([1, 2, 4].flatMap((n) => [0.97, 1, 1.03].map((f) => ({ replicas: n, throughputRps: uslThroughput(law, n) * f }))));
    expect(fit.kappa).toBe(0);
    expect(fit.peakReplicas).toBeNull();
    expect(fit.sigma).toBeCloseTo(0.2, 6);
  });

  it('is the least-squares optimum: no point of a fine grid fits better', () => {
    const points = curve({ sigma: 0.08, kappa: 0.004, lambda: 800 }, [1, 2, 3, 4, 5, 6], NOISE);
    const fit = mustFit(points);
    let gridBest = Number.POSITIVE_INFINITY;
    for (let i = 0; i <= 200; i++) {
      for (let j = 0; j <= 200; j++) {
        const sigma = (0.3 * i) / 200;
        const kappa = (0.02 * j) / 200;
        // lambda at its own optimum for this sigma, kappa: the same closed form, written out.
        const g = points.map((p) => p.replicas / (1 + sigma * (p.replicas - 1) + kappa * p.replicas * (p.replicas - 1)));
        const lambda = points.reduce((s, p, k) => s + p.throughputRps * g[k], 0) / g.reduce((s, v) => s + v * v, 0);
        gridBest = Math.min(gridBest, sse(points, { sigma, kappa, lambda }));
      }
    }
    expect(gridBest).toBeGreaterThanOrEqual(sse(points, fit) * (1 - 1e-9));
  });

  it('flags a poor R squared when the points do not follow the law', () => {
    // Up, down, up: no USL curve explains a zig-zag.
    const fit = mustFit([1, 2, 3, 4, 5, 6].map((n) => ({ replicas: n, throughputRps: n % 2 === 0 ? 1000 : 2000 })));
    expect(fit.rSquared).toBeLessThan(0.9);
    expect(fit.cautions).toEqual(['poor-fit']);
  });
});

describe('fitUsl on degenerate input', () => {
  it('does not fit one replica count, or no throughput', () => {
    expect(fitUsl([])).toBeNull();
    expect(fitUsl([{ replicas: 3, throughputRps: 900 }])).toBeNull();
    expect(
      fitUsl([
        { replicas: 2, throughputRps: 900 },
        { replicas: 2, throughputRps: 950 },
      ]),
    ).toBeNull();
    expect(
      fitUsl([
        { replicas: 1, throughputRps: 0 },
        { replicas: 2, throughputRps: 0 },
      ]),
    ).toBeNull();
  });

  it('fits two replica counts with sigma alone (kappa 0), flagged as too few points', () => {
    const fit = mustFit(curve({ sigma: 0.25, kappa: 0, lambda: 1000 }, [1, 2]));
    expect(fit.kappa).toBe(0);
    expect(fit.sigma).toBeCloseTo(0.25, 6);
    expect(fit.lambda).toBeCloseTo(1000, 3);
    expect(fit.cautions).toEqual(['few-points']);
  });

  it('flags three replica counts as too few even when the fit is exact', () => {
    const fit = mustFit(curve({ sigma: 0.05, kappa: 0.002, lambda: 1000 }, [1, 2, 3]));
    expect(fit.rSquared).toBeCloseTo(1, 9);
    expect(fit.cautions).toEqual(['few-points']);
  });

  it('reads a flat line as pure contention (sigma 1), with no variation to explain', () => {
    const fit = mustFit([1, 2, 3, 4].map((n) => ({ replicas: n, throughputRps: 700 })));
    expect(fit.sigma).toBeCloseTo(1, 6);
    expect(fit.kappa).toBeCloseTo(0, 9);
    expect(fit.lambda).toBeCloseTo(700, 3);
    expect(fit.rSquared).toBeNull();
    expect(fit.limitRps).toBeCloseTo(700, 3);
  });

  it('reads a straight line through the origin as linear scaling (sigma and kappa 0)', () => {
    const fit = mustFit([1, 2, 3, 4, 6].map((n) => ({ replicas: n, throughputRps: 450 * n })));
    expect(fit.sigma).toBe(0);
    expect(fit.kappa).toBe(0);
    expect(fit.lambda).toBeCloseTo(450, 6);
    expect(fit.peakReplicas).toBeNull();
    expect(fit.limitRps).toBeNull();
    expect(fit.rSquared).toBeCloseTo(1, 9);
  });

  it('fits several trials at the same replica count', () => {
    const law = { sigma: 0.05, kappa: 0.002, lambda: 1000 };
    const points = [1, 2, 4, 8].flatMap((n) => [0.98, 1.02].map((f) => ({ replicas: n, throughputRps: uslThroughput(law, n) * f })));
    const fit = mustFit(points);
    expect(fit.replicaCounts).toBe(4);
    expect(fit.sigma).toBeCloseTo(0.05, 4);
    expect(fit.kappa).toBeCloseTo(0.002, 5);
  });

  it('rejects replica counts and throughputs that are not measurements', () => {
    expect(() =>
      fitUsl([
        { replicas: 0, throughputRps: 1 },
        { replicas: 2, throughputRps: 2 },
      ]),
    ).toThrow(/replicas 0/);
    expect(() =>
      fitUsl([
        { replicas: 1.5, throughputRps: 1 },
        { replicas: 2, throughputRps: 2 },
      ]),
    ).toThrow(/replicas 1.5/);
    expect(() =>
      fitUsl([
        { replicas: 1, throughputRps: -1 },
        { replicas: 2, throughputRps: 2 },
      ]),
    ).toThrow(/throughput -1/);
    expect(() =>
      fitUsl([
        { replicas: 1, throughputRps: Number.NaN },
        { replicas: 2, throughputRps: 2 },
      ]),
    ).toThrow(/throughput NaN/);
  });
});
