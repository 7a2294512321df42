/**
 * The report's tables, built once and rendered both as Markdown and as HTML so the two files
 * always say the same thing.
 */
import { nodeItems } from './nodes.js';
import { DEFAULT_MAX_ERRORS, describeFailure, describeSaturation, lagWarning, stallWarning } from '../../loadtest/verdict.js';
import { SEED_CLAIM, count, describeCpuLimits, interval, ms, percent, ratio, rps, seconds } from './format.js';
import type { Report, TopologyReport } from './types.js';

export interface ReportTable {
  readonly id: string;
  readonly title: string;
  readonly note?: string;
  readonly headers: readonly string[];
  /** Per column: numbers align right. */
  readonly numeric: readonly boolean[];
  readonly rows: readonly (readonly string[])[];
}

/** A column of the results table; a new column (a status mark, say) is one more entry. */
interface ResultColumn {
  readonly header: string;
  readonly numeric: boolean;
  readonly cell: (t: TopologyReport, report: Report) => string;
}

const RESULT_COLUMNS: readonly ResultColumn[] = [
  { header: 'topology', numeric: false, cell: (t) => t.name },
  { header: 'throughput (req/s)', numeric: true, cell: (t) => rps(t.throughputRps.median) },
  { header: '95% interval (req/s)', numeric: true, cell: interval },
  { header: 'ratio to single', numeric: true, cell: (t) => ratio(t.ratioToSingle) },
  { header: 'mean latency (ms)', numeric: true, cell: (t) => (t.requests === 0 ? 'no successful responses' : ms(t.latencyUs.mean)) },
  { header: 'p99 latency (ms)', numeric: true, cell: (t) => (t.requests === 0 ? '' : ms(t.latencyUs.p99)) },
  { header: 'errors', numeric: true, cell: (t) => count(t.errors.total) },
  { header: 'status', numeric: false, cell: status },
];

/** `ok`, or what makes the topology's numbers not what they seem: failed, saturated. */
function status(t: TopologyReport, report: Report): string {
  const marks = [
    ...(t.failed ? [describeFailure(t.failedShare, report.scenario.maxErrors ?? DEFAULT_MAX_ERRORS)] : []),
    ...(t.saturated && t.offeredRps !== null ? [describeSaturation(t.throughputRps.median, t.offeredRps)] : []),
  ];
  return marks.length === 0 ? 'ok' : marks.join('; ');
}

/** The first table, the answer: throughput with its interval, ratio, mean and p99 latency, errors. */
export function resultsTable(report: Report): ReportTable {
  const warnings = report.topologies.flatMap((t) => {
    const lag = t.sendLagUs === undefined ? null : lagWarning(t.sendLagUs.p50, t.latencyUs.p50);
    const stall = stallWarning(t.clientStallMs, t.errors.timeout);
    return [lag, stall].filter((w) => w !== null).map((w) => `Warning, ${t.name}: ${w}.`);
  });
  return {
    id: 'summary',
    title: 'Results',
    note: [
      'Throughput: successful responses inside the measured window, median over trials, with the 95% interval of the mean over trials; latency from the histogram merged over all trials; errors of every class (see Errors).',
      ...warnings,
    ].join(' '),
    headers: RESULT_COLUMNS.map((c) => c.header),
    numeric: RESULT_COLUMNS.map((c) => c.numeric),
    rows: report.topologies.map((t) => RESULT_COLUMNS.map((c) => c.cell(t, report))),
  };
}

/**
 * One sentence that states the answer: which topology is fastest, by how much over the next, and
 * whether its 95% interval overlaps another's (then this run does not show it is faster).
 */
export function answerSentence(report: Pick<Report, 'topologies'>): string {
  const failed = report.topologies.filter((t) => t.failed === true).map((t) => t.name);
  const failedNote =
    failed.length === 0
      ? ''
      : ` ${failed.join(' and ')} failed (too many errors; see status) and ${failed.length === 1 ? 'is' : 'are'} not ranked.`;
  const ranked = report.topologies.filter((t) => t.failed !== true).sort((a, b) => b.throughputRps.median - a.throughputRps.median);
  return `${rankedSentence(ranked, failed.length > 0 ? 'ranked' : 'measured')}${failedNote}`;
}

function rankedSentence(ranked: readonly TopologyReport[], only: 'ranked' | 'measured'): string {
  const [first, next] = ranked;
  if (!first) return 'No topology answered without failing.';
  const lead = `${first.name} has the highest throughput, ${rps(first.throughputRps.median)} req/s`;
  if (!next) return `${lead} (the only topology ${only}).`;
  const margin =
    next.throughputRps.median > 0
      ? `${ratio(first.throughputRps.median / next.throughputRps.median)} the next, ${next.name} (${rps(next.throughputRps.median)} req/s)`
      : `ahead of ${next.name} (0 req/s)`;
  const unknown = ranked.filter((t) => t.throughputRps.ciLow === null || t.throughputRps.ciHigh === null);
  if (unknown.length > 0)
    return `${lead}, ${margin}; with one trial there is no interval, so this run does not show that the difference is more than noise.`;
  const overlapping = ranked.slice(1).filter((t) => (t.throughputRps.ciHigh ?? 0) >= (first.throughputRps.ciLow ?? 0));
  if (overlapping.length > 0) {
    const names = overlapping.map((t) => t.name).join(' and ');
    return `${lead}, ${margin}, but its 95% interval overlaps that of ${names}: this run does not show that it is faster than ${names}.`;
  }
  return `${first.name} is fastest: ${rps(first.throughputRps.median)} req/s, ${margin}, and its 95% interval overlaps no other topology's.`;
}

/** The seed's own table, after the results: the blog post's claim, not a measurement. */
export function seedClaimTable(): ReportTable {
  return {
    id: 'seed-claim',
    title: "The blog post's claim (not measured)",
    note: 'The table of the blog post clusterbench checks, quoted as published; nothing in it was measured here.',
    headers: ['topology', 'the post called it', 'claimed average response time (ms)', 'claimed throughput (req/s)'],
    numeric: [false, false, true, true],
    rows: SEED_CLAIM.map((s) => [s.topology, s.label, String(s.avgMs), count(s.rps)]),
  };
}

/** The tables after the results: each trial, latency, errors, backends, CPU, failover. */
export function detailTables(report: Report): ReportTable[] {
  const t = report.topologies;
  const open = report.scenario.mode === 'open';
  const lagged = t.some((x) => x.sendLagUs !== undefined);
  const tables: ReportTable[] = [
    {
      id: 'throughput',
      title: 'Throughput of each trial',
      note: 'The results table gives their median and 95% interval.',
      headers: ['topology', 'trials', 'each trial (req/s)'],
      numeric: [false, true, false],
      rows: t.map((x) => [x.name, String(x.trials), x.trialThroughputRps.map(rps).join(', ')]),
    },
    {
      id: 'latency',
      title: 'Latency (ms)',
      note: `Of the successful responses, from the histogram merged over all trials and runners; percentiles are never averaged.${lagged ? " Send lag: the load generator's own delay in sending a request that was due on a free connection; it is part of the latency." : ''}`,
      headers: ['topology', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max', ...(lagged ? ['send lag p50', 'send lag p99'] : [])],
      numeric: [false, true, true, true, true, true, true, true, true],
      rows: t.map((x) => [
        x.name,
        ...[x.latencyUs.mean, x.latencyUs.p50, x.latencyUs.p90, x.latencyUs.p99, x.latencyUs.p999, x.latencyUs.max].map(ms),
        ...(lagged ? [x.sendLagUs?.p50, x.sendLagUs?.p99].map((us) => (us === undefined ? '' : ms(us))) : []),
      ]),
    },
    {
      id: 'errors',
      title: 'Errors',
      note: `Due: the requests of the measured windows${open ? ' (whose intended send time fell in them)' : ''}; each ended successful, failed${open ? ', or not sent (still waiting for a connection at the end)' : ''}.`,
      headers: ['topology', 'due', 'successful', 'connect', 'timeout', 'reset', '4xx', '5xx', 'total', ...(open ? ['not sent'] : [])],
      numeric: [false, true, true, true, true, true, true, true, true, true],
      rows: t.map((x) => [
        x.name,
        ...[
          x.due,
          x.requests,
          x.errors.connect,
          x.errors.timeout,
          x.errors.reset,
          x.errors.status4xx,
          x.errors.status5xx,
          x.errors.total,
          ...(open ? [x.notSent] : []),
        ].map(count),
      ]),
    },
    {
      id: 'backends',
      title: 'Backends',
      note: 'Share of the responses each server (X-Served-By) gave.',
      headers: ['topology', 'share per backend'],
      numeric: [false, false],
      rows: t.map((x) => [
        x.name,
        Object.entries(x.backends)
          .map(([id, share]) => `${id} ${percent(share)}`)
          .join(', ') || 'none',
      ]),
    },
  ];
  const measured = t.filter((x) => x.cpuUse);
  if (measured.length > 0) {
    const limit = report.environment.cpuLimits.perServer;
    const throttling = measured.some((x) => Object.values(x.cpuUse ?? {}).some((use) => use.throttled !== undefined));
    tables.push({
      id: 'cpu',
      title: 'CPU used',
      note: `CPUs each process used on average while measured (mean over trials)${limit === null ? '' : `; each hello server limited to ${limit} CPU, with the share of limit periods in which it was throttled`}. A server below its limit and unthrottled was not the bottleneck.`,
      headers: ['topology', 'process', 'CPUs used', ...(throttling ? ['throttled'] : [])],
      numeric: [false, false, true, true],
      rows: measured.flatMap((x) =>
        Object.entries(x.cpuUse ?? {}).map(([process, use]) => [
          x.name,
          process,
          use.cpus.toFixed(2),
          ...(throttling ? [use.throttled === undefined ? '' : percent(use.throttled)] : []),
        ]),
      ),
    });
  }
  const failovers = t.flatMap((x) => (x.failover ? [{ name: x.name, f: x.failover }] : []));
  if (failovers.length > 0) {
    tables.push({
      id: 'failover',
      title: 'Failover',
      note: 'One backend killed (SIGKILL) during a trial and started again; times from the start of the measured part. Serving again: from the kill until the restarted server answered its first request through the balancer. Recovered: from the kill to the end of the first whole second after the restart with no errors and at least 90% of the throughput before the kill. Errors from the kill until recovered, caused by the drill, and do not count against --max-errors.',
      headers: [
        'topology',
        'trial',
        'backend killed',
        'killed at',
        'restarted at',
        'errors',
        'caused by the drill',
        'serving again after',
        'recovered after',
      ],
      numeric: [false, true, false, true, true, true, true, true, true],
      rows: failovers.map(({ name, f }) => [
        name,
        String(f.trial),
        f.backend,
        seconds(f.killedAtMs, 2),
        f.restartedAtMs === null ? 'not restarted' : seconds(f.restartedAtMs, 2),
        count(f.errors),
        count(f.drillErrors),
        f.servingAgainMs === undefined ? 'n/a' : f.servingAgainMs === null ? 'not within the trial' : seconds(f.servingAgainMs, 2),
        f.recoveryMs === null ? 'not within the trial' : seconds(f.recoveryMs, 2),
      ]),
    });
  }
  return tables;
}

/** The environment as label/value pairs. */
export function environmentItems(report: Report): [string, string][] {
  const env = report.environment;
  const items: [string, string][] = [
    ['where', env.where],
    ['CPUs', `${env.cpus.count} × ${env.cpus.model}`],
    ['CPU limits', describeCpuLimits(report)],
    [
      'versions',
      Object.entries(env.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ...Object.entries(env.placement ?? {}),
  ];
  if (env.loadAverage) {
    const fmt = (v: readonly number[]) => v.map((x) => x.toFixed(2)).join(', ');
    items.push(['load average (1, 5, 15 min)', `${fmt(env.loadAverage.start)} at the start, ${fmt(env.loadAverage.end)} at the end`]);
  }
  for (const note of env.notes ?? []) items.push(['note', note]);
  if (env.nodes) items.push(...nodeItems(env.nodes));
  return items;
}
