/**
 * The `scaling` section as tables with words, one per topology, rendered by both report.md and
 * report.html (as `tables.ts` does for the rest) so the two say the same thing.
 */
import { count, ratio, rps } from './format.js';
import type { ScalingPoint, ScalingSection, ScalingTopology } from './scaling-types.js';
import type { ReportTable } from './tables.js';
import { USL_MIN_R_SQUARED, USL_MIN_REPLICA_COUNTS, type UslFit } from './usl.js';

const LAW = 'X(N) = λN / (1 + σ(N−1) + κN(N−1))';
/** How the local run and the cluster name a hello server's CPU use: `hello-1`, `hello-2`, … */
const HELLO_SERVER = /^hello-\d+$/;

/**
 * Two tables per topology, throughput then CPUs, their notes saying what the fit means, when it
 * cannot be trusted, and where the machine may have limited it. Every cell is a number or two, so
 * a row stays one line on a phone (report.html lets a table scroll sideways in its box): the words
 * are said once, in the first tables' notes.
 */
export function scalingTables(section: ScalingSection): ReportTable[] {
  const measured = section.topologies.some((t) => t.points.some((p) => p.cpuUse));
  const nodes = section.topologies.some((t) => t.points.some((p) => p.busiestNode));
  return section.topologies.flatMap((t, i): ReportTable[] => {
    const processes = usedColumns(t);
    return [
      {
        id: `scaling-${t.name}`,
        title: `Scaling: ${t.name}, throughput vs replicas`,
        note: [...(i === 0 ? [THROUGHPUT_LEGEND] : []), ...describeFit(t), ...describeFailures(t)].join(' '),
        headers: ['replicas', 'throughput (req/s)', '95% interval', 'ratio to 1', 'ideal linear', 'USL fit', 'errors'],
        numeric: [true, true, true, true, true, true, true],
        rows: t.points.map((p) => [
          String(p.replicas),
          rps(p.throughputRps.median),
          p.throughputRps.ciLow === null || p.throughputRps.ciHigh === null
            ? 'n/a'
            : `${rps(p.throughputRps.ciLow)}–${rps(p.throughputRps.ciHigh)}`,
          ratio(p.ratioToOne),
          rps(p.linearRps),
          p.fittedRps === null ? 'n/a' : rps(p.fittedRps),
          count(p.errors),
        ]),
      },
      {
        id: `scaling-${t.name}-cpus`,
        title: `Scaling: ${t.name}, CPUs vs replicas`,
        note: [...(i === 0 ? [cpuLegend(measured, nodes)] : []), ...describeLimits(t, section.availableCpus)].join(' '),
        headers: [
          'replicas',
          'CPUs asked / available',
          ...(nodes ? ['on node'] : []),
          ...processes.map((process) => `${process} CPUs`),
          ...(processes.length > 0 ? [`${HELLO_COLUMN} CPUs, each`, 'CPUs used'] : []),
        ],
        numeric: [true, true, ...(nodes ? [false] : []), ...processes.map(() => true), ...(processes.length > 0 ? [true, true] : [])],
        rows: t.points.map((p) => [
          String(p.replicas),
          `${cpus(p.busiestNode?.requestedCpus ?? p.requestedCpus)} / ${cpus(p.busiestNode?.cpus ?? section.availableCpus)}${p.oversubscribed ? ` ${OVER}` : ''}`,
          ...(nodes ? [p.busiestNode?.node ?? 'n/a'] : []),
          ...(processes.length > 0 ? usedCells(p, processes) : []),
        ]),
      },
    ];
  });
}

/** The mark of an oversubscribed point in its CPUs cell. */
const OVER = 'over';
/** The hello servers' column, one range for all of them, so the table keeps its width at sixteen replicas. */
const HELLO_COLUMN = 'hello';

/** The words the throughput cells leave out, said once above the first table. */
const THROUGHPUT_LEGEND = [
  "Each replica count measured with the same load. Throughput (the median over trials), its 95% interval (n/a with one trial), the ideal linear line (the smallest count's throughput per replica, times replicas) and the USL fit are in req/s.",
  `The fitted curve is Gunther's Universal Scalability Law, ${LAW}, by least squares over every trial.`,
].join(' ');

/** The words the CPU cells leave out, said once above the first CPU table. */
function cpuLegend(measured: boolean, nodes: boolean): string {
  return [
    `CPUs asked / available: what the processes may use (their limits, or the cores an unlimited one can run on) against the CPUs there are; "${OVER}": oversubscribed, they may ask for more.`,
    ...(nodes
      ? [
          "In a cluster whose pods' nodes are known, counted per node: the node whose pods (hello servers, the balancer, runners) may ask for the largest share of its CPUs; n/a: not known, then all pods as if on one node of the available CPUs.",
        ]
      : []),
    measured
      ? `CPUs used, mean over trials: per process, the ${HELLO_COLUMN} servers as one range (lowest–highest), and in all.`
      : 'CPUs used: not measured.',
  ].join(' ');
}

/** The processes besides the hello servers that any of the topology's points measured, in the order first seen. */
function usedColumns(t: ScalingTopology): string[] {
  const names = t.points.flatMap((p) => Object.keys(p.cpuUse ?? {}));
  return [...new Set(names.filter((process) => !HELLO_SERVER.test(process)))];
}

/** E.g. `0.40 | 0.90 | 0.20–0.25 | 2.65`: each process, the hello servers as one range, the total. */
function usedCells(p: ScalingPoint, processes: readonly string[]): string[] {
  const use = p.cpuUse;
  if (!use) return [...processes.map(() => 'n/a'), 'n/a', 'n/a'];
  const hello = Object.entries(use)
    .filter(([process]) => HELLO_SERVER.test(process))
    .map(([, u]) => u.cpus);
  const low = Math.min(...hello);
  const high = Math.max(...hello);
  return [
    ...processes.map((process) => (use[process] ? cpus(use[process].cpus) : 'n/a')),
    hello.length === 0 ? 'n/a' : `${cpus(low)}${high > low ? `–${cpus(high)}` : ''}`,
    cpus(p.cpusUsed ?? 0),
  ];
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

/** Points where the machine limited the measurement rather than the servers. */
function describeLimits(t: ScalingTopology, availableCpus: number): string[] {
  const over = t.points.filter((p) => p.oversubscribed);
  const alike = over.filter((p) => !p.busiestNode);
  const perNode = over.flatMap((p) =>
    p.busiestNode
      ? [
          `at ${p.replicas} replicas node ${p.busiestNode.node}'s pods may ask for ${cpus(p.busiestNode.requestedCpus)} of its ${cpus(p.busiestNode.cpus)} CPUs`,
        ]
      : [],
  );
  const flattening = "a flattening there may be the machine's, not the servers'.";
  return [
    ...(alike.length > 0
      ? [`At ${at(alike)} replicas the processes asked for more than the ${cpus(availableCpus)} CPUs available: ${flattening}`]
      : []),
    ...(perNode.length > 0 ? [`Oversubscribed ${perNode.join('; ')}: ${flattening}`] : []),
  ];
}

/** Points where failures, not the servers' speed, limited the measurement. */
function describeFailures(t: ScalingTopology): string[] {
  const failing = t.points.filter((p) => p.errors > 0);
  return failing.length > 0 ? [`Requests failed at ${at(failing)} replicas: there the target was failing, not only slow.`] : [];
}

const at = (ps: readonly ScalingPoint[]) => ps.map((p) => p.replicas).join(', ');

/** Coherency is often tiny (1e-4), so two significant digits rather than fixed decimals. */
export function kappaText(kappa: number): string {
  return kappa === 0 ? '0' : kappa.toPrecision(2);
}

function cpus(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
