/**
 * The Universal Scalability Law (Gunther): X(N) = lambda N / (1 + sigma (N-1) + kappa N (N-1)),
 * fitted to throughput at several replica counts by least squares on X.
 *
 * How it is solved, and why this way:
 * - For fixed sigma and kappa the model is linear in lambda, so lambda has a closed form
 *   (lambda = sum(x g) / sum(g^2) with g(N) = N / (1 + sigma (N-1) + kappa N (N-1))). What is left
 *   is a two-parameter problem over sigma, kappa >= 0.
 * - A coarse grid (zero plus log-spaced values, sigma 1e-4..10, kappa 1e-7..10) finds the right
 *   basin and the parameters' scale, which differ by orders of magnitude; the sum of squares has
 *   long flat valleys where a local method started blind wanders off.
 * - A compass search (try +-step along each axis, halve the steps when nothing improves) refines
 *   it. With coordinate directions it converges under bound constraints (Lewis and Torczon 1999)
 *   and lands exactly on kappa = 0 or sigma = 0 when the optimum is on that edge, where
 *   Nelder-Mead's simplex degenerates and Gunther's linearisation (a quadratic in N - 1 through
 *   the origin) returns negative coefficients and weights the points by 1/X(1).
 * - The sum of squares is nearly flat along a valley where sigma and kappa trade off, so the
 *   search can stop a hair off an edge; each edge (kappa 0, sigma 0) is searched too and wins
 *   when it fits as well (within one part in a million of the squared error): the simpler law.
 * - With two replica counts the three parameters are not determined (any kappa fits once sigma
 *   follows it), so kappa is held at 0 (Amdahl's law, two parameters for two points). Among
 *   equally good grid points the one with the least coherency wins (kappa first, then sigma).
 */

/** One measured throughput at a replica count. Several points may share a replica count. */
export interface UslPoint {
  readonly replicas: number;
  readonly throughputRps: number;
}

/** Why a fit should not be read as the servers' law. */
export type UslCaution = 'few-points' | 'poor-fit';

export interface UslFit {
  /** Contention (serialised share, Amdahl): throughput levels off towards lambda / sigma. */
  readonly sigma: number;
  /** Coherency (cost of keeping N parts in step, pairwise): throughput peaks, then falls. */
  readonly kappa: number;
  /** Throughput of one replica as the fit sees it (req/s). */
  readonly lambda: number;
  /** 1 - SSE / SST over the points; null when the points do not vary (nothing to explain). */
  readonly rSquared: number | null;
  /** Replica count where the fitted curve peaks, sqrt((1 - sigma) / kappa); null with kappa 0. */
  readonly peakReplicas: number | null;
  /** The most the fitted curve ever gives: at the peak, or lambda / sigma as N grows without a
   * peak; null when the fit is linear (sigma and kappa 0). */
  readonly limitRps: number | null;
  /** Distinct replica counts fitted. */
  readonly replicaCounts: number;
  /** Empty when the fit can be trusted. */
  readonly cautions: readonly UslCaution[];
}

/** Fewer distinct replica counts than this leave the three parameters undetermined. */
export const USL_MIN_REPLICA_COUNTS = 4;
/** A fit explaining less of the variation than this is not the servers' law. */
export const USL_MIN_R_SQUARED = 0.9;

const SIGMA_GRID = [0, ...logSpace(-4, 1, 26)];
const KAPPA_GRID = [0, ...logSpace(-7, 1, 33)];
const MAX_EVALUATIONS = 20_000;
const RELATIVE_STEP_TOLERANCE = 1e-10;
/** Sums of squares this close (relatively) are the same fit. */
const SAME_FIT = 1e-6;

/** X(N) of the law with these parameters. */
export function uslThroughput(fit: Pick<UslFit, 'sigma' | 'kappa' | 'lambda'>, replicas: number): number {
  return fit.lambda * shape(fit.sigma, fit.kappa, replicas);
}

/**
 * Least-squares USL fit. Null with fewer than two distinct replica counts or no throughput at all
 * (nothing to fit). Throws on a replica count that is not a whole number of 1 or more, or a
 * throughput that is negative or not finite.
 */
export function fitUsl(points: readonly UslPoint[]): UslFit | null {
  for (const p of points) {
    if (!Number.isSafeInteger(p.replicas) || p.replicas < 1)
      throw new Error(`fitUsl: replicas ${p.replicas} must be a whole number, 1 or more`);
    if (!Number.isFinite(p.throughputRps) || p.throughputRps < 0)
      throw new Error(`fitUsl: throughput ${p.throughputRps} must be a finite number, 0 or more`);
  }
  const replicaCounts = new Set(points.map((p) => p.replicas)).size;
  if (replicaCounts < 2 || points.every((p) => p.throughputRps === 0)) return null;

  const sse = (sigma: number, kappa: number) => profile(points, sigma, kappa).sse;
  let best: Candidate = { sigma: 0, kappa: 0, sse: Number.POSITIVE_INFINITY };
  const kappaGrid = replicaCounts < 3 ? [0] : KAPPA_GRID;
  for (const kappa of kappaGrid) {
    for (const sigma of SIGMA_GRID) {
      const value = sse(sigma, kappa);
      if (improves(value, best.sse)) best = { sigma, kappa, sse: value };
    }
  }

  best = compassSearch(sse, best, { sigma: true, kappa: kappaGrid.length > 1 });
  // Seen without this: kappa 4e-7 instead of 0, a peak at 1,400 replicas that the data never showed.
  for (const edge of [
    { sigma: true, kappa: false },
    { sigma: false, kappa: true },
  ]) {
    if ((edge.kappa && best.sigma === 0) || (edge.sigma && best.kappa === 0)) continue;
    const start = { sigma: edge.sigma ? best.sigma : 0, kappa: edge.kappa ? best.kappa : 0 };
    const onEdge = compassSearch(sse, { ...start, sse: sse(start.sigma, start.kappa) }, edge);
    if (onEdge.sse <= best.sse * (1 + SAME_FIT)) best = onEdge;
  }

  const { sigma, kappa } = best;
  const { lambda, sse: residual } = profile(points, sigma, kappa);
  const mean = points.reduce((s, p) => s + p.throughputRps, 0) / points.length;
  const total = points.reduce((s, p) => s + (p.throughputRps - mean) ** 2, 0);
  // Variation below rounding noise of the values is no variation.
  const rSquared = total <= 1e-12 * mean * mean * points.length ? null : Math.max(0, 1 - residual / total);
  const peakReplicas = kappa > 0 ? Math.sqrt(Math.max(0, 1 - sigma) / kappa) : null;
  const limitRps =
    peakReplicas !== null ? uslThroughput({ sigma, kappa, lambda }, Math.max(1, peakReplicas)) : sigma > 0 ? lambda / sigma : null;
  const cautions: UslCaution[] = [
    ...(replicaCounts < USL_MIN_REPLICA_COUNTS ? (['few-points'] as const) : []),
    ...(rSquared !== null && rSquared < USL_MIN_R_SQUARED ? (['poor-fit'] as const) : []),
  ];
  return { sigma, kappa, lambda, rSquared, peakReplicas, limitRps, replicaCounts, cautions };
}

interface Candidate {
  readonly sigma: number;
  readonly kappa: number;
  readonly sse: number;
}

/** Compass search over the free parameters, kept >= 0; steps start at the grid's spacing there. */
function compassSearch(
  sse: (sigma: number, kappa: number) => number,
  start: Candidate,
  free: { sigma: boolean; kappa: boolean },
): Candidate {
  let best = start;
  let steps = {
    sigma: free.sigma ? Math.max(best.sigma, SIGMA_GRID[1]) * 0.6 : 0,
    kappa: free.kappa ? Math.max(best.kappa, KAPPA_GRID[1]) * 0.6 : 0,
  };
  for (let evaluations = 0; evaluations < MAX_EVALUATIONS;) {
    let moved = false;
    for (const [dSigma, dKappa] of [
      [steps.sigma, 0],
      [-steps.sigma, 0],
      [0, steps.kappa],
      [0, -steps.kappa],
    ]) {
      if (dSigma === 0 && dKappa === 0) continue;
      const sigma = Math.max(0, best.sigma + dSigma);
      const kappa = Math.max(0, best.kappa + dKappa);
      const value = sse(sigma, kappa);
      evaluations++;
      if (improves(value, best.sse)) {
        best = { sigma, kappa, sse: value };
        moved = true;
        break;
      }
    }
    if (moved) continue;
    steps = { sigma: steps.sigma / 2, kappa: steps.kappa / 2 };
    if (
      steps.sigma <= RELATIVE_STEP_TOLERANCE * Math.max(best.sigma, 1e-6) &&
      steps.kappa <= RELATIVE_STEP_TOLERANCE * Math.max(best.kappa, 1e-9)
    )
      break;
  }
  return best;
}

/** N / (1 + sigma (N-1) + kappa N (N-1)): the law without lambda. */
function shape(sigma: number, kappa: number, n: number): number {
  return n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
}

/** The best lambda for fixed sigma and kappa (closed form), and the sum of squares it leaves. */
function profile(points: readonly UslPoint[], sigma: number, kappa: number): { lambda: number; sse: number } {
  let xg = 0;
  let gg = 0;
  for (const p of points) {
    const g = shape(sigma, kappa, p.replicas);
    xg += p.throughputRps * g;
    gg += g * g;
  }
  const lambda = Math.max(0, xg / gg);
  const sse = points.reduce((s, p) => s + (p.throughputRps - lambda * shape(sigma, kappa, p.replicas)) ** 2, 0);
  return { lambda, sse };
}

/** Strictly better beyond rounding, so ties keep the earlier (simpler) candidate. */
function improves(value: number, best: number): boolean {
  return !Number.isFinite(best) || value < best - 1e-12 * Math.max(1, best);
}

function logSpace(fromExp: number, toExp: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => 10 ** (fromExp + ((toExp - fromExp) * i) / (count - 1)));
}
