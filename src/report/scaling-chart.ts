/**
 * The chart "throughput vs replicas" as inline SVG (no script): per topology the measured
 * medians with their 95% intervals, the ideal linear line and the fitted USL curve. Topologies
 * differ by colour (Okabe-Ito, safe for colour-blind readers) and by marker shape; the kinds of
 * line differ by style (fit solid, its extrapolation dashed, linear dotted), so nothing rests on
 * colour alone. A hollow marker is a point where the processes asked for more CPUs than there are.
 */
import { rps } from './format.js';
import type { ScalingSection, ScalingTopology } from './scaling-types.js';
import { kappaText } from './scaling-tables.js';
import { CHART_WIDTH, LEGEND_ROW, escapeXml, flowLegend, linearTicks, rowGridline, svgOpen, type LegendEntry } from './svg-charts.js';
import { uslThroughput } from './usl.js';

// As wide as the report's other charts, so it reads as well on a phone (svg-charts.ts).
const WIDTH = CHART_WIDTH;
const PLOT = { left: 80, right: 16, top: 40, bottom: 280 };
const LEGEND_TOP = PLOT.bottom + 60;
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond'] as const;
const DASH = { fit: '', extrapolated: '7 4', linear: '2 4' };
const TITLE = 'Throughput vs replicas (req/s)';

/** The chart's caption in report.html. */
export const SCALING_CAPTION =
  'Throughput against the number of hello servers behind each balancer: markers at the median over trials, whiskers the 95% interval, solid the Universal Scalability Law fit (dashed beyond the measured range), dotted the ideal linear line. A hollow marker: the processes asked for more CPUs than the machine (in a cluster, a node) has, so the machine, not the servers, may have limited that point.';

export function scalingChart(section: ScalingSection): string {
  const topologies = section.topologies;
  const highest = Math.max(1, ...topologies.flatMap((t) => t.points.map((p) => p.replicas)));
  const xMax = highest + 1;
  const yTop = Math.max(
    1,
    ...topologies.flatMap((t) =>
      t.points.flatMap((p) => [p.throughputRps.median, p.throughputRps.ciHigh ?? 0, p.linearRps, p.fittedRps ?? 0]),
    ),
    ...topologies.map((t) => (t.usl ? uslThroughput(t.usl, xMax) : 0)),
  );
  const yTicks = linearTicks(yTop);
  const yMax = yTicks[yTicks.length - 1];
  const x = (n: number) => PLOT.left + (n / xMax) * (WIDTH - PLOT.left - PLOT.right);
  const y = (v: number) => PLOT.bottom - (v / yMax) * (PLOT.bottom - PLOT.top);
  const xTicks = xMax <= 16 ? Array.from({ length: xMax + 1 }, (_, i) => i) : linearTicks(xMax, 8).filter((v) => v <= xMax);

  const keys = flowLegend(topologyLegend(topologies), LEGEND_TOP);
  const styles = flowLegend(STYLE_LEGEND, LEGEND_TOP + keys.rows * LEGEND_ROW);
  const height = LEGEND_TOP + (keys.rows + styles.rows - 1) * LEGEND_ROW + 12;
  const parts = [
    svgOpen('scaling', height, TITLE),
    `<defs><clipPath id="scaling-plot"><rect x="${PLOT.left}" y="${PLOT.top}" width="${WIDTH - PLOT.left - PLOT.right}" height="${PLOT.bottom - PLOT.top}"/></clipPath></defs>`,
  ];
  for (const v of yTicks) parts.push(rowGridline({ left: PLOT.left, right: WIDTH - PLOT.right }, y(v), rps(v)));
  for (const n of xTicks) parts.push(`<text x="${x(n)}" y="${PLOT.bottom + 16}" text-anchor="middle">${n}</text>`);
  parts.push(
    `<line x1="${PLOT.left}" y1="${PLOT.bottom}" x2="${WIDTH - PLOT.right}" y2="${PLOT.bottom}" stroke="#222"/>`,
    `<text x="${(PLOT.left + WIDTH - PLOT.right) / 2}" y="${PLOT.bottom + 34}" text-anchor="middle">hello server replicas</text>`,
    `<text transform="translate(18 ${(PLOT.top + PLOT.bottom) / 2}) rotate(-90)" text-anchor="middle">throughput (req/s)</text>`,
  );
  topologies.forEach((t, i) => parts.push(series(t, i, { x, y, xMax })));
  parts.push(keys.svg, styles.svg, '</svg>');
  return parts.join('');
}

interface Scales {
  readonly x: (n: number) => number;
  readonly y: (v: number) => number;
  readonly xMax: number;
}

function series(t: ScalingTopology, index: number, { x, y, xMax }: Scales): string {
  const color = COLORS[index % COLORS.length];
  const points = t.points;
  const first = points[0];
  const highest = points[points.length - 1].replicas;
  const perReplica = first.linearRps / first.replicas;
  const line = (cls: string, from: number, to: number, value: (n: number) => number, dash: string, title: string) => {
    const samples = Array.from({ length: 41 }, (_, k) => from + ((to - from) * k) / 40);
    const path = samples.map((n) => `${x(n).toFixed(1)},${y(value(n)).toFixed(1)}`).join(' ');
    return `<polyline class="${cls}" data-topology="${escapeXml(t.name)}" points="${path}" fill="none" stroke="${color}" stroke-width="${cls === 'linear' ? 1.5 : 2}" stroke-dasharray="${dash}" clip-path="url(#scaling-plot)"><title>${escapeXml(title)}</title></polyline>`;
  };
  const parts = [
    line('linear', 0, xMax, (n) => perReplica * n, DASH.linear, `${t.name}: ideal linear, ${rps(perReplica)} req/s per replica`),
  ];
  const fit = t.usl;
  if (fit) {
    const law = (n: number) => uslThroughput(fit, n);
    const words = `${t.name}: USL fit, σ ${fit.sigma.toFixed(3)}, κ ${kappaText(fit.kappa)}, λ ${rps(fit.lambda)} req/s`;
    parts.push(
      line('fit', 1, highest, law, DASH.fit, words),
      line('fit-extrapolated', highest, xMax, law, DASH.extrapolated, `${words} (beyond the measured range)`),
    );
  }
  for (const p of points) {
    const cx = x(p.replicas);
    const cy = y(p.throughputRps.median);
    const { ciLow, ciHigh } = p.throughputRps;
    if (ciLow !== null && ciHigh !== null) {
      parts.push(
        `<path class="interval" d="M${cx} ${y(ciLow)}V${y(ciHigh)}M${cx - 5} ${y(ciLow)}H${cx + 5}M${cx - 5} ${y(ciHigh)}H${cx + 5}" stroke="${color}" stroke-width="1.5" fill="none"/>`,
      );
    }
    const label = `${t.name}, ${p.replicas} replicas: ${rps(p.throughputRps.median)} req/s${ciLow !== null && ciHigh !== null ? ` (95% interval ${rps(ciLow)} to ${rps(ciHigh)})` : ''}${p.oversubscribed ? '; CPUs oversubscribed' : ''}`;
    parts.push(marker('point', MARKERS[index % MARKERS.length], cx, cy, color, p.oversubscribed, label));
  }
  return parts.join('');
}

function marker(
  kind: 'point' | 'legend',
  shape: (typeof MARKERS)[number],
  cx: number,
  cy: number,
  color: string,
  hollow: boolean,
  label: string,
): string {
  const paint = `fill="${hollow ? '#fff' : color}" stroke="${color}" stroke-width="2"`;
  const title = `<title>${escapeXml(label)}</title>`;
  const cls = `class="${kind}${hollow ? ' oversubscribed' : ''}"`;
  const r = 5;
  switch (shape) {
    case 'circle':
      return `<circle ${cls} cx="${cx}" cy="${cy}" r="${r}" ${paint}>${title}</circle>`;
    case 'square':
      return `<rect ${cls} x="${cx - r}" y="${cy - r}" width="${2 * r}" height="${2 * r}" ${paint}>${title}</rect>`;
    case 'triangle':
      return `<path ${cls} d="M${cx} ${cy - r - 1}L${cx + r + 1} ${cy + r}H${cx - r - 1}Z" ${paint}>${title}</path>`;
    case 'diamond':
      return `<path ${cls} d="M${cx} ${cy - r - 1}L${cx + r + 1} ${cy}L${cx} ${cy + r + 1}L${cx - r - 1} ${cy}Z" ${paint}>${title}</path>`;
  }
}

/** Each topology's marker and colour. */
function topologyLegend(topologies: readonly ScalingTopology[]): LegendEntry[] {
  return topologies.map((t, i) => {
    const color = COLORS[i % COLORS.length];
    return {
      cls: 'legend-entry',
      key: (x, y) =>
        `${marker('legend', MARKERS[i % MARKERS.length], x + 13, y, color, false, t.name)}<line x1="${x}" y1="${y}" x2="${x + 26}" y2="${y}" stroke="${color}" stroke-width="2"/>`,
      label: t.name,
    };
  });
}

/** What each line style and a hollow marker mean (a row of its own under the topologies). */
const STYLE_LEGEND: readonly LegendEntry[] = [
  ...(
    [
      [DASH.fit, 'USL fit'],
      [DASH.extrapolated, 'fit, extrapolated'],
      [DASH.linear, 'ideal linear'],
    ] as const
  ).map(([dash, label]) => ({
    cls: 'legend-style',
    key: (x: number, y: number) =>
      `<line x1="${x}" y1="${y}" x2="${x + 26}" y2="${y}" stroke="#444" stroke-width="2" stroke-dasharray="${dash}"/>`,
    label,
  })),
  {
    cls: 'legend-style',
    key: (x, y) => `<circle cx="${x + 13}" cy="${y}" r="5" fill="#fff" stroke="#444" stroke-width="2"/>`,
    label: 'CPUs oversubscribed; whisker: 95% interval',
  },
];
