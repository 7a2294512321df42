/**
 * The report's charts as inline SVG strings: no script, no external file, so report.html works
 * offline and anywhere it is opened.
 */
import { ms, rps } from './format.js';
import type { TopologyReport } from './types.js';

/**
 * The charts' drawing width. report.html draws them at the page's width (at most CHART_MAX_PX), so
 * on a 390 px phone (358 px of page) text of FONT_SIZE units is drawn 10.6 px high: legible, and
 * no chart wider than the screen. Margins are sized from the labels they hold, so nothing is cut.
 */
export const CHART_WIDTH = 440;
/** The widest report.html draws a chart, CSS px (where its text is set smaller: html.ts). */
export const CHART_MAX_PX = 560;
const FONT_SIZE = 13;
const FONT = `font-family="system-ui, sans-serif" font-size="${FONT_SIZE}"`;
const TITLE_SIZE = 15;
/** The plot's top (below the title) and the room under it for tick labels and the axis title. */
const PLOT_TOP = 40;
const UNDER_PLOT = 44;
export const LEGEND_ROW = 20;
// Okabe and Ito's palette, told apart with any colour vision: nginx orange, rpc-gateway blue.
const TOPOLOGY_COLORS: Record<string, string> = {
  single: '#009e73',
  nginx: '#e69f00',
  'ingress-nginx': '#cc79a7',
  'rpc-gateway': '#0072b2',
};
const OTHER_COLORS = ['#d55e00', '#56b4e9', '#000000', '#f0e442'];
// Each topology's lines also carry its own marker, so they differ without colour too.
const TOPOLOGY_MARKERS: Record<string, Marker> = {
  single: 'circle',
  nginx: 'square',
  'ingress-nginx': 'diamond',
  'rpc-gateway': 'triangle',
};
const OTHER_MARKERS: readonly Marker[] = ['cross', 'circle', 'square', 'triangle'];
const TRIAL_DASHES = ['', '7 4', '2 3', '9 3 2 3'];

type Marker = 'circle' | 'square' | 'diamond' | 'triangle' | 'cross';

export function colorOf(topology: string, index: number): string {
  return TOPOLOGY_COLORS[topology] ?? OTHER_COLORS[index % OTHER_COLORS.length];
}

export function markerOf(topology: string, index: number): Marker {
  return TOPOLOGY_MARKERS[topology] ?? OTHER_MARKERS[index % OTHER_MARKERS.length];
}

/** A marker of `shape` centred on (x, y), `tooltip` as its title. */
function marker(shape: Marker, x: number, y: number, color: string, tooltip = ''): string {
  const title = tooltip ? `<title>${escapeXml(tooltip)}</title>` : '';
  const at = (dx: number, dy: number) => `${(x + dx).toFixed(1)},${(y + dy).toFixed(1)}`;
  const r = 3.5;
  switch (shape) {
    case 'circle':
      return `<circle class="marker" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="${color}">${title}</circle>`;
    case 'square':
      return `<rect class="marker" x="${(x - r).toFixed(1)}" y="${(y - r).toFixed(1)}" width="${2 * r}" height="${2 * r}" fill="${color}">${title}</rect>`;
    case 'diamond':
      return `<polygon class="marker" points="${at(0, -r - 1)} ${at(r + 1, 0)} ${at(0, r + 1)} ${at(-r - 1, 0)}" fill="${color}">${title}</polygon>`;
    case 'triangle':
      return `<polygon class="marker" points="${at(0, -r - 1)} ${at(r + 1, r)} ${at(-r - 1, r)}" fill="${color}">${title}</polygon>`;
    case 'cross':
      return `<path class="marker" d="M${at(-r, -r)}L${at(r, r)}M${at(-r, r)}L${at(r, -r)}" stroke="${color}" stroke-width="2">${title}</path>`;
  }
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Round tick values from 0 to at least `max`. */
export function linearTicks(max: number, target = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) ticks.push(v);
  return ticks;
}

/**
 * About how wide `text` is drawn at `size`: system-ui's glyphs (DejaVu Sans on Debian, the widest
 * common one) average under 0.62 em; digits are 0.64 em, which the margins' padding absorbs.
 */
function textWidth(text: string, size = FONT_SIZE): number {
  return text.length * size * 0.62;
}

/** The chart's frame with its title drawn at the top (and as the accessible name). */
export function svgOpen(kind: string, height: number, title: string): string {
  return (
    `<svg data-chart="${kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${CHART_WIDTH} ${height}" width="${CHART_WIDTH}" height="${height}" role="img" aria-label="${escapeXml(title)}" ${FONT}><title>${escapeXml(title)}</title>` +
    `<text class="chart-title" x="8" y="20" font-size="${TITLE_SIZE}" font-weight="600">${escapeXml(title)}</text>`
  );
}

/** The plot's left and right edges. */
interface Plot {
  readonly left: number;
  readonly right: number;
}

/** A gridline across the plot at height `y`, its value labelled to the left. */
export function rowGridline(plot: Plot, y: number, label: string): string {
  return (
    `<line x1="${plot.left}" y1="${y}" x2="${plot.right}" y2="${y}" stroke="#ddd"/>` +
    `<text x="${plot.left - 8}" y="${y + 4}" text-anchor="end">${label}</text>`
  );
}

/** A gridline down the plot at `x`, from `top` to `bottom`, its value labelled under it. */
function columnGridline(x: number, top: number, bottom: number, label: string, labelAttributes = 'text-anchor="middle"'): string {
  return `<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="#ddd"/><text ${labelAttributes} x="${x}" y="${bottom + 16}">${label}</text>`;
}

/** An axis title: centred below the plot, or turned along the y axis. */
function axisTitle(axis: 'x' | 'y', text: string, at: number, plot: Plot): string {
  if (axis === 'x')
    return `<text class="axis-title" x="${(plot.left + plot.right) / 2}" y="${at}" text-anchor="middle">${escapeXml(text)}</text>`;
  return `<text class="axis-title" transform="translate(18 ${at}) rotate(-90)" text-anchor="middle">${escapeXml(text)}</text>`;
}

/** A y axis: its title turned along it, then its widest tick label: where the plot can begin. */
function leftOfPlot(tickLabels: readonly string[]): number {
  return 30 + Math.max(...tickLabels.map((l) => textWidth(l))) + 8;
}

/** A legend entry: what it draws as its key at (x, y), and its label. */
export interface LegendEntry {
  readonly cls: string;
  readonly key: (x: number, y: number) => string;
  readonly label: string;
}

/**
 * Legend entries from left to right under the plot, a new row where the next would not fit the
 * width (a phone gets two rows where a laptop would need one). Returns the rows drawn.
 */
export function flowLegend(entries: readonly LegendEntry[], top: number): { svg: string; rows: number } {
  const parts: string[] = [];
  let x = 8;
  let row = 0;
  for (const entry of entries) {
    const entryWidth = 32 + textWidth(entry.label);
    if (x > 8 && x + entryWidth > CHART_WIDTH - 8) {
      x = 8;
      row++;
    }
    const y = top + row * LEGEND_ROW;
    parts.push(`<g class="${entry.cls}">${entry.key(x, y)}<text x="${x + 32}" y="${y + 4}">${escapeXml(entry.label)}</text></g>`);
    x += entryWidth + 18;
  }
  return { svg: parts.join(''), rows: entries.length === 0 ? 0 : row + 1 };
}

/** One legend entry per topology: its colour and marker on a line. */
function topologyLegend(topologies: readonly TopologyReport[]): LegendEntry[] {
  return topologies.map((t, i) => {
    const color = colorOf(t.name, i);
    return {
      cls: 'legend-entry',
      key: (x, y) =>
        `<line x1="${x}" y1="${y}" x2="${x + 26}" y2="${y}" stroke="${color}" stroke-width="2.5"/>${marker(markerOf(t.name, i), x + 13, y, color)}`,
      label: t.name,
    };
  });
}

/** Horizontal bars of median throughput, the 95% interval as a whisker, each trial as a dot. */
export function throughputChart(topologies: readonly TopologyReport[]): string {
  const rowHeight = 38;
  const top = Math.max(1, ...topologies.flatMap((t) => [t.throughputRps.median, t.throughputRps.ciHigh ?? 0, ...t.trialThroughputRps]));
  const ticks = linearTicks(top);
  // Names to the left of the bars, each median to the right, the last tick label centred on the end.
  const plot = {
    left: 8 + Math.max(...topologies.map((t) => textWidth(t.name))) + 8,
    right:
      CHART_WIDTH -
      8 -
      Math.max(...topologies.map((t) => textWidth(rps(t.throughputRps.median)) + 6), textWidth(rps(ticks[ticks.length - 1])) / 2),
  };
  const height = PLOT_TOP + topologies.length * rowHeight + UNDER_PLOT;
  const scale = (v: number) => plot.left + (v / ticks[ticks.length - 1]) * (plot.right - plot.left);
  const axisY = PLOT_TOP + topologies.length * rowHeight;
  const parts = [svgOpen('throughput', height, 'Throughput per topology (req/s)')];
  for (const v of ticks) parts.push(columnGridline(scale(v), PLOT_TOP, axisY, rps(v)));
  topologies.forEach((t, i) => {
    const y = PLOT_TOP + i * rowHeight;
    const mid = y + rowHeight / 2;
    const color = colorOf(t.name, i);
    parts.push(
      `<text x="${plot.left - 8}" y="${mid + 4}" text-anchor="end">${escapeXml(t.name)}</text>`,
      `<rect class="bar" x="${plot.left}" y="${y + 8}" width="${Math.max(0, scale(t.throughputRps.median) - plot.left)}" height="${rowHeight - 16}" fill="${color}" fill-opacity="0.75"><title>${escapeXml(t.name)}: median ${rps(t.throughputRps.median)} req/s</title></rect>`,
    );
    const { ciLow, ciHigh } = t.throughputRps;
    if (ciLow !== null && ciHigh !== null) {
      parts.push(
        `<path class="interval" d="M${scale(ciLow)} ${mid}H${scale(ciHigh)}M${scale(ciLow)} ${mid - 7}V${mid + 7}M${scale(ciHigh)} ${mid - 7}V${mid + 7}" stroke="#222" stroke-width="1.5" fill="none"><title>95% interval ${rps(ciLow)} to ${rps(ciHigh)} req/s</title></path>`,
      );
    }
    for (const v of t.trialThroughputRps) {
      parts.push(
        `<circle class="trial" cx="${scale(v)}" cy="${mid}" r="3" fill="#fff" stroke="#222"><title>trial: ${rps(v)} req/s</title></circle>`,
      );
    }
    parts.push(`<text x="${plot.right + 6}" y="${mid + 4}">${rps(t.throughputRps.median)}</text>`);
  });
  parts.push(axisTitle('x', 'throughput (req/s)', height - 6, plot), '</svg>');
  return parts.join('');
}

/** Latency against percentile, both on log scales (the HdrHistogram percentile spectrum). */
export function latencySpectrumChart(topologies: readonly TopologyReport[]): string {
  const maxNines = 5; // 99.999%
  const percentiles = [0, 50, 90, 99, 99.9, 99.99, 99.999];
  const points = topologies.map((t) => t.latencySpectrumUs.filter((p) => p.percentile < 100 && p.us > 0));
  const values = points.flat().map((p) => p.us);
  const lowExp = Math.floor(Math.log10(Math.min(...values, 100)));
  const highExp = Math.max(lowExp + 1, Math.ceil(Math.log10(Math.max(...values, 1000))));
  const exps = Array.from({ length: highExp - lowExp + 1 }, (_, k) => lowExp + k);
  const msLabel = (e: number) => `${10 ** e / 1000} ms`;
  // The last percentile's label is centred on the plot's right edge.
  const plot = { left: leftOfPlot(exps.map(msLabel)), right: CHART_WIDTH - 6 - textWidth(`${percentiles[percentiles.length - 1]}%`) / 2 };
  const plotBottom = PLOT_TOP + 220;
  const legend = flowLegend(topologyLegend(topologies), plotBottom + UNDER_PLOT + 16);
  const height = plotBottom + UNDER_PLOT + 16 + (legend.rows - 1) * LEGEND_ROW + 12;
  const x = (percentile: number) =>
    plot.left + (Math.min(maxNines, Math.log10(100 / (100 - percentile))) / maxNines) * (plot.right - plot.left);
  const y = (us: number) => plotBottom - ((Math.log10(us) - lowExp) / (highExp - lowExp)) * (plotBottom - PLOT_TOP);
  const parts = [svgOpen('latency-spectrum', height, 'Latency by percentile (ms), all trials merged')];
  // The spectrum starts at percentile 0, the fastest response: labelled "min".
  for (const p of percentiles) {
    const anchor = p === 0 ? 'text-anchor="end" dx="-2"' : 'text-anchor="middle"';
    parts.push(columnGridline(x(p), PLOT_TOP, plotBottom, p === 0 ? 'min' : `${p}%`, `class="tick" ${anchor}`));
  }
  for (const e of exps) parts.push(rowGridline(plot, y(10 ** e), msLabel(e)));
  topologies.forEach((t, i) => {
    const pts = points[i];
    if (pts.length === 0) return;
    const color = colorOf(t.name, i);
    parts.push(
      `<polyline class="series" points="${pts.map((p) => `${x(p.percentile).toFixed(1)},${y(p.us).toFixed(1)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`,
      ...pts.map((p) =>
        marker(
          markerOf(t.name, i),
          x(p.percentile),
          y(p.us),
          color,
          `${t.name} ${p.percentile === 0 ? 'min' : `p${p.percentile}`}: ${ms(p.us)} ms`,
        ),
      ),
    );
  });
  parts.push(
    axisTitle('x', 'percentile (%, log scale of 1 / (100% − p))', plotBottom + 34, plot),
    axisTitle('y', 'latency (ms, log scale)', (PLOT_TOP + plotBottom) / 2, plot),
    legend.svg,
    '</svg>',
  );
  return parts.join('');
}

/** Throughput per second of every trial; failover kills and restarts as dashed markers. */
export function timelineChart(topologies: readonly TopologyReport[]): string {
  const allPoints = topologies.flatMap((t) => t.timelines.flatMap((tl) => tl.points));
  const seconds = Math.max(1, ...allPoints.map((p) => p.t));
  const yTicks = linearTicks(Math.max(1, ...allPoints.map((p) => p.rps)));
  const xTicks = linearTicks(seconds, 6).filter((t) => t <= seconds);
  const plot = { left: leftOfPlot(yTicks.map(rps)), right: CHART_WIDTH - 8 - textWidth(String(xTicks[xTicks.length - 1])) / 2 };
  const plotBottom = PLOT_TOP + 220;
  const trials = [...new Set(topologies.flatMap((t) => t.timelines.map((tl) => tl.trial)))].sort((a, b) => a - b);
  const legendTop = plotBottom + UNDER_PLOT + 16;
  const legend = flowLegend(topologyLegend(topologies), legendTop);
  const trialKeys = flowLegend(trialLegend(trials), legendTop + legend.rows * LEGEND_ROW);
  const height = legendTop + (legend.rows + trialKeys.rows - 1) * LEGEND_ROW + 12;
  const x = (t: number) => plot.left + (t / seconds) * (plot.right - plot.left);
  const y = (v: number) => plotBottom - (v / yTicks[yTicks.length - 1]) * (plotBottom - PLOT_TOP);
  const parts = [svgOpen('timeline', height, 'Throughput second by second (req/s), each trial')];
  let eventRow = 0;
  for (const v of yTicks) parts.push(rowGridline(plot, y(v), rps(v)));
  for (const t of xTicks) {
    parts.push(`<text x="${x(t)}" y="${plotBottom + 16}" text-anchor="middle">${t}</text>`);
  }
  topologies.forEach((t, i) => {
    const color = colorOf(t.name, i);
    t.timelines.forEach((tl, k) => {
      if (tl.points.length === 0) return;
      // Each point covers the second that ends at t; start the line at 0 s.
      const path = [{ t: 0, rps: tl.points[0].rps }, ...tl.points].map((p) => `${x(p.t).toFixed(1)},${y(p.rps).toFixed(1)}`).join(' ');
      // A marker every few points: enough to tell the topology, few enough to keep the line readable.
      const every = Math.max(1, Math.ceil(tl.points.length / 10));
      parts.push(
        `<polyline class="series" points="${path}" fill="none" stroke="${color}" stroke-width="1.8" stroke-dasharray="${trialDash(tl.trial)}"><title>${escapeXml(t.name)}, trial ${tl.trial}</title></polyline>`,
        ...tl.points.filter((_, n) => (n + k) % every === 0).map((p) => marker(markerOf(t.name, i), x(p.t), y(p.rps), color)),
      );
    });
    const f = t.failover;
    if (f) {
      for (const [label, at] of [
        ['kill', f.killedAtMs],
        ['restart', f.restartedAtMs],
      ] as const) {
        if (at === null) continue;
        const text = `${label} (${t.name})`;
        // Each label on its own row, beside its line (to the left where the right has no room),
        // haloed in white to stay readable over the lines.
        const right = x(at / 1000) + 3 + textWidth(text) <= CHART_WIDTH - 4;
        parts.push(
          `<line x1="${x(at / 1000)}" y1="${PLOT_TOP}" x2="${x(at / 1000)}" y2="${plotBottom}" stroke="${color}" stroke-dasharray="4 4"/>`,
          `<text x="${x(at / 1000) + (right ? 3 : -3)}" y="${PLOT_TOP + 14 + eventRow++ * 15}"${right ? '' : ' text-anchor="end"'} fill="${color}" stroke="#fff" stroke-width="3" paint-order="stroke">${escapeXml(text)}</text>`,
        );
      }
    }
  });
  parts.push(
    axisTitle('x', 'time after warmup (s)', plotBottom + 34, plot),
    axisTitle('y', 'throughput (req/s)', (PLOT_TOP + plotBottom) / 2, plot),
    legend.svg,
    trialKeys.svg,
    '</svg>',
  );
  return parts.join('');
}

/** Trial 1 solid, then dashes; they repeat after four trials. */
function trialDash(trial: number): string {
  return TRIAL_DASHES[(trial - 1) % TRIAL_DASHES.length];
}

/** One grey entry per line style, naming the trials drawn with it. */
function trialLegend(trials: readonly number[]): LegendEntry[] {
  const byDash = new Map<string, number[]>();
  for (const trial of trials) byDash.set(trialDash(trial), [...(byDash.get(trialDash(trial)) ?? []), trial]);
  return [...byDash].map(([dash, numbers]) => ({
    cls: 'trial-legend',
    key: (x, y) => `<line x1="${x}" y1="${y}" x2="${x + 26}" y2="${y}" stroke="#444" stroke-width="1.8" stroke-dasharray="${dash}"/>`,
    label: `trial ${numbers.join(', ')}`,
  }));
}
