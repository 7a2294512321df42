/**
 * The report's tables, built once and rendered both as Markdown and as HTML so the two files
 * always say the same thing.
 */
import { SEED_CLAIM, count, describeCpuLimits, interval, ms, percent, ratio, rps, seconds } from './format.js';
import type { Report } from './types.js';

export interface ReportTable {
  readonly id: string;
  readonly title: string;
  readonly note?: string;
  readonly headers: readonly string[];
  /** Per column: numbers align right. */
  readonly numeric: readonly boolean[];
  readonly rows: readonly (readonly string[])[];
}

/** The seed's table: average response time and throughput, as the blog reported them. */
export function seedTable(report: Report): ReportTable {
  return {
    id: 'summary',
    title: 'Summary',
    note: `The seed's claim, for comparison: ${SEED_CLAIM.map((s) => `${s.topology} ${s.avgMs} ms / ${count(s.rps)} req/s`).join('; ')}.`,
    headers: ['topology', 'average response time (ms)', 'throughput (req/s)'],
    numeric: [false, true, true],
    rows: report.topologies.map((t) => [t.name, ms(t.latencyUs.mean), rps(t.throughputRps.median)]),
  };
}

/** The tables after the seed's: throughput over trials, latency, errors, backends, failover. */
export function detailTables(report: Report): ReportTable[] {
  const t = report.topologies;
  const tables: ReportTable[] = [
    {
      id: 'throughput',
      title: 'Throughput over trials',
      note: 'Median over trials, with the 95% interval of the mean over trials (Student t); the ratio is to the median of `single`.',
      headers: ['topology', 'median (req/s)', '95% interval', 'ratio to single', 'each trial (req/s)'],
      numeric: [false, true, true, true, false],
      rows: t.map((x) => [x.name, rps(x.throughputRps.median), interval(x), ratio(x.ratioToSingle), x.trialThroughputRps.map(rps).join(', ')]),
    },
    {
      id: 'latency',
      title: 'Latency (ms)',
      note: 'From the histogram merged over all trials and runners; percentiles are never averaged.',
      headers: ['topology', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max'],
      numeric: [false, true, true, true, true, true, true],
      rows: t.map((x) => [x.name, ...[x.latencyUs.mean, x.latencyUs.p50, x.latencyUs.p90, x.latencyUs.p99, x.latencyUs.p999, x.latencyUs.max].map(ms)]),
    },
    {
      id: 'errors',
      title: 'Errors',
      headers: ['topology', 'requests', 'connect', 'timeout', 'reset', '4xx', '5xx', 'total'],
      numeric: [false, true, true, true, true, true, true, true],
      rows: t.map((x) => [
        x.name,
        ...[x.requests, x.errors.connect, x.errors.timeout, x.errors.reset, x.errors.status4xx, x.errors.status5xx, x.errors.total].map(count),
      ]),
    },
    {
      id: 'backends',
      title: 'Backends',
      note: 'Share of the responses each server (X-Served-By) gave.',
      headers: ['topology', 'share per backend'],
      numeric: [false, false],
      rows: t.map((x) => [x.name, Object.entries(x.backends).map(([id, share]) => `${id} ${percent(share)}`).join(', ') || 'none']),
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
      note: 'One backend killed (SIGKILL) during a trial and started again; times from the start of the measured part. Serving again: from the kill until the restarted server answered its first request through the balancer. Recovered: from the kill to the end of the first whole second after the restart with no errors and at least 90% of the throughput before the kill.',
      headers: ['topology', 'trial', 'backend killed', 'killed at', 'restarted at', 'errors', 'serving again after', 'recovered after'],
      numeric: [false, true, false, true, true, true, true, true],
      rows: failovers.map(({ name, f }) => [
        name,
        String(f.trial),
        f.backend,
        seconds(f.killedAtMs, 2),
        f.restartedAtMs === null ? 'not restarted' : seconds(f.restartedAtMs, 2),
        count(f.errors),
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
    ['versions', Object.entries(env.versions).map(([k, v]) => `${k} ${v}`).join(', ')],
    ...Object.entries(env.placement ?? {}),
  ];
  if (env.loadAverage) {
    const fmt = (v: readonly number[]) => v.map((x) => x.toFixed(2)).join(', ');
    items.push(['load average (1, 5, 15 min)', `${fmt(env.loadAverage.start)} at the start, ${fmt(env.loadAverage.end)} at the end`]);
  }
  for (const note of env.notes ?? []) items.push(['note', note]);
  return items;
}
