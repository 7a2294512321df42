/**
 * The `scaling` section as tables with words, one per topology, rendered by both report.md and
 * report.html (as `tables.ts` does for the rest) so the two say the same thing.
 */
import { count, ratio, rps } from './format.js';
import type { ScalingPoint, ScalingSection, ScalingTopology } from './scaling-types.js';
import type { ReportTable } from './tables.js';
import type { CpuUse } from './types.js';
import { USL_MIN_R_SQUARED, USL_MIN_REPLICA_COUNTS, type UslFit } from './usl.js';

const LAW = 'X(N) = λN / (1 + σ(N−1) + κN(N−1))';
/** How the local run and the cluster name a hello server's CPU use: `hello-1`, `hello-2`, … */
const HELLO_SERVER = /^hello-\d+$/;

/** One table per topology; its note says what the fit means and when it cannot be trusted. */
export function scalingTables(section: ScalingSection): ReportTable[] {
  return section.topologies.map((t, i) => ({
    id: `scaling-${t.name}`,
    title: `Scaling: ${t.name}, throughput vs replicas`,
    note: [
      ...(i === 0
        ? [
            `Each replica count measured with the same load; the ideal linear line multiplies the smallest count's throughput per replica. CPUs asked: what the processes may use (their limits, or the cores an unlimited one can run on) against those available; CPUs used: per process, mean over trials. The fitted curve is Gunther's Universal Scalability Law, ${LAW}, by least squares over every trial.`,
          ]
        : []),
      ...describeFit(t),
      ...describeLimits(t, section.availableCpus),
    ].join(' '),
    headers: [
      'replicas',
      'throughput (req/s)',
      '95% interval',
      'ratio to 1 replica',
      'ideal linear (req/s)',
      'USL fit (req/s)',
      'CPUs asked / available',
      'CPUs used',
      'errors',
    ],
    numeric: [true, true, true, true, true, true, true, false, true],
    rows: t.points.map((p) => [
      String(p.replicas),
      rps(p.throughputRps.median),
      p.throughputRps.ciLow === null || p.throughputRps.ciHigh === null
        ? 'n/a (one trial)'
        : `${rps(p.throughputRps.ciLow)} to ${rps(p.throughputRps.ciHigh)}`,
      ratio(p.ratioToOne),
      rps(p.linearRps),
      p.fittedRps === null ? 'n/a' : rps(p.fittedRps),
      `${cpus(p.requestedCpus)} / ${cpus(section.availableCpus)}${p.oversubscribed ? ' (oversubscribed)' : ''}`,
      p.cpuUse ? describeCpuUse(p.cpuUse, p.cpusUsed ?? 0) : 'not measured',
      count(p.errors),
    ]),
  }));
}

/** What the fitted parameters say, and whether to believe them. */
function describeFit(t: ScalingTopology): string[] {
  const fit = t.usl;
  if (fit === null)
    return [`${t.name}: no fit, one replica count measured (the law needs ${USL_MIN_REPLICA_COUNTS} or more to be trusted).`];
  const points = t.points;
  const highest = points[points.length - 1].replicas;
  const words = [
    `${t.name}: λ = ${rps(fit.lambda)} req/s for one replica; contention σ = ${fit.sigma.toFixed(3)} (the share of the work that waits in one queue: alone, it levels throughput off towards λ/σ); coherency κ = ${kappaText(fit.kappa)} (a cost that grows with every pair of replicas kept in step: it makes throughput peak and then fall); R² = ${fit.rSquared === null ? 'n/a (the throughputs do not vary)' : fit.rSquared.toFixed(3)}.`,
    describeShape(fit, highest),
  ];
  if (fit.cautions.includes('few-points'))
    words.push(
      `Not to be trusted: ${fit.replicaCounts} replica counts, and the law needs ${USL_MIN_REPLICA_COUNTS} or more to tell contention from coherency.`,
    );
  if (fit.cautions.includes('poor-fit'))
    words.push(
      `Not to be trusted: R² ${fit.rSquared?.toFixed(3)} is below ${USL_MIN_R_SQUARED}, so the points do not follow the law (noise between trials, or a limit the law does not model).`,
    );
  return words;
}

function describeShape(fit: UslFit, highest: number): string {
  if (fit.sigma === 0 && fit.kappa === 0) return 'The fit is linear: no contention or coherency cost shows in this range.';
  if (fit.peakReplicas === null) return `Without coherency the fit never falls; it approaches ${rps(fit.limitRps ?? 0)} req/s.`;
  const beyond = fit.peakReplicas > highest ? `, beyond the ${highest} replicas measured: an extrapolation` : '';
  return `The fit peaks at ${fit.peakReplicas.toFixed(1)} replicas, ${rps(fit.limitRps ?? 0)} req/s${beyond}; more replicas than that lower throughput.`;
}

/** Points where the machine, or failures, limited the measurement rather than the servers. */
function describeLimits(t: ScalingTopology, availableCpus: number): string[] {
  const at = (ps: readonly ScalingPoint[]) => ps.map((p) => p.replicas).join(', ');
  const over = t.points.filter((p) => p.oversubscribed);
  const failing = t.points.filter((p) => p.errors > 0);
  return [
    ...(over.length > 0
      ? [
          `At ${at(over)} replicas the processes asked for more than the ${cpus(availableCpus)} CPUs available: a flattening there may be the machine's, not the servers'.`,
        ]
      : []),
    ...(failing.length > 0 ? [`Requests failed at ${at(failing)} replicas: there the target was failing, not only slow.`] : []),
  ];
}

/** E.g. `nginx 0.40, load generator 0.90, 6 hello servers 0.24 to 0.25 (total 2.74)`: the hello
 * servers as one range, so the cell stays short at six replicas. */
function describeCpuUse(use: Readonly<Record<string, CpuUse>>, total: number): string {
  const entries = Object.entries(use);
  const hello = entries.filter(([process]) => HELLO_SERVER.test(process)).map(([, u]) => u.cpus);
  const others = entries.filter(([process]) => !HELLO_SERVER.test(process)).map(([process, u]) => `${process} ${cpus(u.cpus)}`);
  const low = Math.min(...hello);
  const high = Math.max(...hello);
  const servers =
    hello.length === 0
      ? []
      : [`${hello.length} hello server${hello.length === 1 ? '' : 's'} ${cpus(low)}${high > low ? ` to ${cpus(high)}` : ''}`];
  return `${[...others, ...servers].join(', ')} (total ${cpus(total)})`;
}

/** Coherency is often tiny (1e-4), so two significant digits rather than fixed decimals. */
export function kappaText(kappa: number): string {
  return kappa === 0 ? '0' : kappa.toPrecision(2);
}

function cpus(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
