/**
 * The report's charts as inline SVG strings: no script, no external file, so report.html works
 * offline and anywhere it is opened.
 */
import { ms, rps } from './format.js';
import type { TopologyReport } from './types.js';

const WIDTH = 760;
const MARGIN = { left: 120, right: 90, top: 40, bottom: 44 };
const FONT = 'font-family="system-ui, sans-serif" font-size="12"';
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

/** The chart's frame with its title drawn at the top (and as the accessible name). */
function svgOpen(kind: string, height: number, title: string): string {
  return (
    `<svg data-chart="${kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${escapeXml(title)}" ${FONT}><title>${escapeXml(title)}</title>` +
    `<text class="chart-title" x="8" y="20" font-size="15" font-weight="600">${escapeXml(title)}</text>`
  );
}

/** An axis title: below the x axis, or turned along the y axis. */
function axisTitle(axis: 'x' | 'y', text: string, at: number): string {
  if (axis === 'x')
    return `<text class="axis-title" x="${MARGIN.left + (WIDTH - MARGIN.left - MARGIN.right) / 2}" y="${at}" text-anchor="middle">${escapeXml(text)}</text>`;
  return `<text class="axis-title" transform="translate(18 ${at}) rotate(-90)" text-anchor="middle">${escapeXml(text)}</text>`;
}

/** One legend entry per topology: its colour and marker on a line. */
function legend(topologies: readonly TopologyReport[], y: number): string {
  return topologies
    .map((t, i) => {
      const x = MARGIN.left + i * 150;
      const color = colorOf(t.name, i);
      return `<g class="legend-entry"><line x1="${x}" y1="${y}" x2="${x + 26}" y2="${y}" stroke="${color}" stroke-width="2.5"/>${marker(markerOf(t.name, i), x + 13, y, color)}<text x="${x + 32}" y="${y + 4}">${escapeXml(t.name)}</text></g>`;
    })
    .join('');
}

/** Horizontal bars of median throughput, the 95% interval as a whisker, each trial as a dot. */
export function throughputChart(topologies: readonly TopologyReport[]): string {
  const rowHeight = 38;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const height = MARGIN.top + topologies.length * rowHeight + MARGIN.bottom;
  const top = Math.max(1, ...topologies.flatMap((t) => [t.throughputRps.median, t.throughputRps.ciHigh ?? 0, ...t.trialThroughputRps]));
  const ticks = linearTicks(top);
  const scale = (v: number) => MARGIN.left + (v / ticks[ticks.length - 1]) * plotWidth;
  const axisY = MARGIN.top + topologies.length * rowHeight;
  const parts = [svgOpen('throughput', height, 'Throughput per topology (req/s): median, 95% interval, each trial')];
  for (const v of ticks) {
    parts.push(
      `<line x1="${scale(v)}" y1="${MARGIN.top}" x2="${scale(v)}" y2="${axisY}" stroke="#ddd"/>`,
      `<text x="${scale(v)}" y="${axisY + 16}" text-anchor="middle">${rps(v)}</text>`,
    );
  }
  topologies.forEach((t, i) => {
    const y = MARGIN.top + i * rowHeight;
    const mid = y + rowHeight / 2;
    const color = colorOf(t.name, i);
    parts.push(
      `<text x="${MARGIN.left - 8}" y="${mid + 4}" text-anchor="end">${escapeXml(t.name)}</text>`,
      `<rect class="bar" x="${MARGIN.left}" y="${y + 8}" width="${Math.max(0, scale(t.throughputRps.median) - MARGIN.left)}" height="${rowHeight - 16}" fill="${color}" fill-opacity="0.75"><title>${escapeXml(t.name)}: median ${rps(t.throughputRps.median)} req/s</title></rect>`,
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
    parts.push(`<text x="${WIDTH - MARGIN.right + 6}" y="${mid + 4}">${rps(t.throughputRps.median)}</text>`);
  });
  parts.push(axisTitle('x', 'throughput (req/s)', height - 6), '</svg>');
  return parts.join('');
}

/** Latency against percentile, both on log scales (the HdrHistogram percentile spectrum). */
export function latencySpectrumChart(topologies: readonly TopologyReport[]): string {
  const height = 360;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotBottom = height - MARGIN.bottom - 20;
  const maxNines = 5; // 99.999%
  const points = topologies.map((t) => t.latencySpectrumUs.filter((p) => p.percentile < 100 && p.us > 0));
  const values = points.flat().map((p) => p.us);
  const lowExp = Math.floor(Math.log10(Math.min(...values, 100)));
  const highExp = Math.max(lowExp + 1, Math.ceil(Math.log10(Math.max(...values, 1000))));
  const x = (percentile: number) => MARGIN.left + (Math.min(maxNines, Math.log10(100 / (100 - percentile))) / maxNines) * plotWidth;
  const y = (us: number) => plotBottom - ((Math.log10(us) - lowExp) / (highExp - lowExp)) * (plotBottom - MARGIN.top);
  const parts = [svgOpen('latency-spectrum', height, 'Latency by percentile (ms), all trials merged')];
  // The spectrum starts at percentile 0, the fastest response: labelled "min".
  for (const p of [0, 50, 90, 99, 99.9, 99.99, 99.999]) {
    parts.push(
      `<line x1="${x(p)}" y1="${MARGIN.top}" x2="${x(p)}" y2="${plotBottom}" stroke="#ddd"/>`,
      `<text class="tick" x="${x(p)}" y="${plotBottom + 16}" text-anchor="${p === 0 ? 'end' : 'middle'}"${p === 0 ? ' dx="4"' : ''}>${p === 0 ? 'min' : `${p}%`}</text>`,
    );
  }
  for (let e = lowExp; e <= highExp; e++) {
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y(10 ** e)}" x2="${MARGIN.left + plotWidth}" y2="${y(10 ** e)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 8}" y="${y(10 ** e) + 4}" text-anchor="end">${10 ** e / 1000} ms</text>`,
    );
  }
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
    axisTitle('x', 'percentile (%), log scale of 1 / (100% − percentile)', plotBottom + 34),
    axisTitle('y', 'latency (ms, log scale)', (MARGIN.top + plotBottom) / 2),
    legend(topologies, height - 10),
    '</svg>',
  );
  return parts.join('');
}

/** Throughput per second of every trial; failover kills and restarts as dashed markers. */
export function timelineChart(topologies: readonly TopologyReport[]): string {
  const height = 360;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotBottom = height - MARGIN.bottom - 44;
  const allPoints = topologies.flatMap((t) => t.timelines.flatMap((tl) => tl.points));
  const seconds = Math.max(1, ...allPoints.map((p) => p.t));
  const yTicks = linearTicks(Math.max(1, ...allPoints.map((p) => p.rps)));
  const x = (t: number) => MARGIN.left + (t / seconds) * plotWidth;
  const y = (v: number) => plotBottom - (v / yTicks[yTicks.length - 1]) * (plotBottom - MARGIN.top);
  const parts = [svgOpen('timeline', height, 'Throughput second by second (req/s), each trial')];
  for (const v of yTicks) {
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y(v)}" x2="${MARGIN.left + plotWidth}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 8}" y="${y(v) + 4}" text-anchor="end">${rps(v)}</text>`,
    );
  }
  for (const t of linearTicks(seconds, 8)) {
    if (t > seconds) break;
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
        parts.push(
          `<line x1="${x(at / 1000)}" y1="${MARGIN.top}" x2="${x(at / 1000)}" y2="${plotBottom}" stroke="${color}" stroke-dasharray="4 4"/>`,
          `<text x="${x(at / 1000) + 3}" y="${MARGIN.top + 12 + i * 13}" fill="${color}">${label} (${escapeXml(t.name)})</text>`,
        );
      }
    }
  });
  parts.push(
    axisTitle('x', 'time after warmup (s)', plotBottom + 34),
    axisTitle('y', 'throughput (req/s)', (MARGIN.top + plotBottom) / 2),
    legend(topologies, height - 34),
    trialLegend(
      [...new Set(topologies.flatMap((t) => t.timelines.map((tl) => tl.trial)))].sort((a, b) => a - b),
      height - 10,
    ),
    '</svg>',
  );
  return parts.join('');
}

/** Trial 1 solid, then dashes; they repeat after four trials. */
function trialDash(trial: number): string {
  return TRIAL_DASHES[(trial - 1) % TRIAL_DASHES.length];
}

/** One grey entry per line style, naming the trials drawn with it. */
function trialLegend(trials: readonly number[], y: number): string {
  const byDash = new Map<string, number[]>();
  for (const trial of trials) byDash.set(trialDash(trial), [...(byDash.get(trialDash(trial)) ?? []), trial]);
  return [...byDash]
    .map(([dash, numbers], k) => {
      const x = MARGIN.left + k * 150;
      return `<g class="trial-legend"><line x1="${x}" y1="${y}" x2="${x + 26}" y2="${y}" stroke="#444" stroke-width="1.8" stroke-dasharray="${dash}"/><text x="${x + 32}" y="${y + 4}">trial ${numbers.join(', ')}</text></g>`;
    })
    .join('');
}
