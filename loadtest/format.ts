import type { LatencySummary, LoadProgress, LoadResult } from './types.js';
import {
  DEFAULT_MAX_ERRORS,
  describeFailure,
  describeSaturation,
  failedShare,
  isFailed,
  isSaturated,
  lagWarning,
  stallWarning,
  totalErrors,
} from './verdict.js';

/** Microseconds as a short human figure: 850us, 12.3ms, 1.20s. */
export function formatMicros(us: number): string {
  if (us < 1000) return `${Math.round(us)}us`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

function formatLatency(s: LatencySummary): string {
  return [
    `mean ${formatMicros(s.mean)}`,
    `p50 ${formatMicros(s.p50)}`,
    `p90 ${formatMicros(s.p90)}`,
    `p99 ${formatMicros(s.p99)}`,
    `p99.9 ${formatMicros(s.p999)}`,
    `max ${formatMicros(s.max)}`,
  ].join('  ');
}

/** The readable summary of a result (several lines, no trailing newline). */
export function formatSummary(result: LoadResult, maxErrors = DEFAULT_MAX_ERRORS): string {
  const loop = result.mode === 'open' ? `open loop at ${result.rate} req/s` : 'closed loop';
  const labels = [result.topology && `topology ${result.topology}`, result.trial && `trial ${result.trial}`].filter(Boolean).join(', ');
  const e = result.errors;
  const lines = [
    `${result.target}  ${loop}, ${result.connections} connections, ${result.durationMs / 1000}s (+${result.warmupMs / 1000}s warmup)${labels ? `, ${labels}` : ''}`,
    `  requests      ${result.due} due, ${result.sent} sent${result.mode === 'open' ? `, ${result.notSent} not sent` : ''}; ${result.requests} successful`,
    `  throughput    ${result.throughputRps} req/s${result.rate === null ? '' : ` of ${result.rate} offered`}  (successful responses inside the window)`,
  ];
  if (result.requests === 0) {
    lines.push('  latency       no successful responses');
  } else {
    lines.push(`  latency       ${formatLatency(result.latencyUs)}${result.mode === 'open' ? '  (from the intended send time)' : ''}`);
    if (result.serviceTimeUs !== undefined) lines.push(`  service time  ${formatLatency(result.serviceTimeUs)}`);
  }
  if (result.sendLagUs !== undefined)
    lines.push(
      `  send lag      p50 ${formatMicros(result.sendLagUs.p50)}  p99 ${formatMicros(result.sendLagUs.p99)}  max ${formatMicros(result.sendLagUs.max)}`,
    );
  lines.push(
    `  errors        ${totalErrors(e)}, ${result.errorRps} per s  (connect ${e.connect}, timeout ${e.timeout}, reset ${e.reset}, 4xx ${e.status4xx}, 5xx ${e.status5xx})`,
  );
  const backends = Object.entries(result.backends).sort(([a], [b]) => a.localeCompare(b));
  if (backends.length > 0) {
    const served = backends.reduce((n, [, count]) => n + count, 0);
    const shares = backends.map(([name, count]) => `${name} ${((100 * count) / served).toFixed(1)}%`);
    lines.push(`  backends      ${shares.join(', ')}`);
  }
  if (result.rate !== null && isSaturated(result.throughputRps, result.rate))
    lines.push(`  ${describeSaturation(result.throughputRps, result.rate)}`);
  if (isFailed(result, maxErrors)) lines.push(`  ${describeFailure(failedShare(result), maxErrors)}`);
  const lag = result.sendLagUs === undefined ? null : lagWarning(result.sendLagUs.p50, result.latencyUs.p50);
  if (lag !== null) lines.push(`  warning: ${lag}`);
  const stall = stallWarning(result.clientStallMs, result.errors.timeout);
  if (stall !== null) lines.push(`  warning: ${stall}`);
  return lines.join('\n');
}

/** How often a progress line is printed when stderr is not a terminal. */
const PROGRESS_LINE_EVERY_MS = 5000;

/**
 * Progress on `stream`: a bar redrawn in place on a terminal, otherwise a line every few seconds.
 * Returns the onProgress callback and `done`, which ends the bar's line.
 */
export function progressPrinter(stream: NodeJS.WriteStream, totalMs: number): { onProgress: (p: LoadProgress) => void; done: () => void } {
  const tty = stream.isTTY === true;
  let lastLineAt = 0;
  let drawn = false;
  const describe = (p: LoadProgress) =>
    `${(p.elapsedMs / 1000).toFixed(0)}s/${(totalMs / 1000).toFixed(0)}s${p.warmup ? ' warmup' : ''}  ` +
    `${Math.round(p.rps)} req/s  ${p.requests} requests  ${p.errors} errors`;
  return {
    onProgress: (p) => {
      if (tty) {
        const width = 30;
        const filled = Math.min(width, Math.round((width * p.elapsedMs) / totalMs));
        stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${describe(p)}\x1b[K`);
        drawn = true;
      } else if (p.elapsedMs - lastLineAt >= PROGRESS_LINE_EVERY_MS) {
        lastLineAt = p.elapsedMs;
        stream.write(`load: ${describe(p)}\n`);
      }
    },
    done: () => {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
