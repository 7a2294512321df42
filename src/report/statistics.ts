/** Small statistics over trials: a median and a 95% interval. */

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// Two-sided 95% quantiles of Student's t, degrees of freedom 1 to 30.
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** The 97.5% quantile of Student's t with `df` degrees of freedom. */
export function studentT975(df: number): number {
  if (!(df >= 1)) throw new Error(`studentT975: df ${df} must be 1 or more`);
  if (df <= T_975.length) return T_975[Math.floor(df) - 1];
  // Cornish-Fisher expansion around the normal quantile; within 0.001 of the table beyond df 30.
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

/**
 * 95% confidence interval of the mean of `values` (Student's t), clamped at zero because a
 * throughput cannot be negative. Null with fewer than two values: one trial gives no interval.
 */
export function confidenceInterval95(values: readonly number[]): { low: number; high: number } | null {
  const n = values.length;
  if (n < 2) return null;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  const half = studentT975(n - 1) * Math.sqrt(variance / n);
  return { low: Math.max(0, mean - half), high: mean + half };
}
