/**
 * What a result says about its target, in one place for the CLI summary, `make local`, the
 * controller and the report: did the target keep up with the offered rate (saturated), and did
 * too many requests fail (failed, `--max-errors`).
 */
import type { ErrorCounts, LoadResult } from './types.js';

/** DEFAULT of `--max-errors`: a run whose failed requests exceed this share of its due ones failed. */
export const DEFAULT_MAX_ERRORS = 0.01;
/**
 * Open loop: a target that achieved less than this share of the offered rate is saturated. The
 * margin covers what a sound target still loses at the window's edges (responses of the last
 * requests arrive after it).
 */
export const SATURATED_BELOW = 0.97;

export function totalErrors(errors: ErrorCounts): number {
  return errors.connect + errors.timeout + errors.reset + errors.status4xx + errors.status5xx;
}

/** Failed requests over the window's due requests (1 when nothing succeeded though some were due). */
export function failedShare(result: Pick<LoadResult, 'errors' | 'due' | 'requests'>, excused = 0): number {
  if (result.due === 0) return 0;
  if (result.requests === 0) return 1;
  return Math.max(0, totalErrors(result.errors) - excused) / result.due;
}

/** Whether more than `maxErrors` of the due requests failed, or none succeeded. */
export function isFailed(result: Pick<LoadResult, 'errors' | 'due' | 'requests'>, maxErrors: number, excused = 0): boolean {
  return failedShare(result, excused) > maxErrors;
}

/** Open loop: whether the achieved rate fell short of the offered one. */
export function isSaturated(achievedRps: number, offeredRps: number | null): boolean {
  return offeredRps !== null && achievedRps < SATURATED_BELOW * offeredRps;
}

export function describeSaturation(achievedRps: number, offeredRps: number): string {
  return `saturated: achieved ${Math.round(achievedRps).toLocaleString('en-US')} of ${Math.round(offeredRps).toLocaleString('en-US')} req/s offered`;
}

export function describeFailure(share: number, maxErrors: number): string {
  return `failed: ${formatShare(share)} of requests failed (--max-errors ${formatShare(maxErrors)})`;
}

function formatShare(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}

/**
 * The lag warning: the load generator's own send lag is a visible part of the latency it reports
 * when its p50 exceeds this share of the latency p50.
 */
export const LAG_WARNING_SHARE = 0.1;

/** A stall of the generator itself this long is worth a warning (ms). */
export const STALL_WARNING_MS = 100;

/** A warning when the load generator itself stood still long enough to misjudge answers, else null. */
export function stallWarning(clientStallMs: number | undefined, timeouts: number): string | null {
  if (clientStallMs === undefined || clientStallMs < STALL_WARNING_MS) return null;
  return `the load generator itself stalled for ${clientStallMs} ms (its event loop did not run)${timeouts > 0 ? `; some of the ${timeouts} timeouts may be its own, not the server's` : ''}`;
}

export function lagWarning(sendLagP50Us: number, latencyP50Us: number): string | null {
  if (latencyP50Us === 0 || sendLagP50Us <= LAG_WARNING_SHARE * latencyP50Us) return null;
  return `the load generator sent late: send lag p50 ${sendLagP50Us} us is more than ${LAG_WARNING_SHARE * 100}% of the latency p50 (${latencyP50Us} us), which includes it`;
}
