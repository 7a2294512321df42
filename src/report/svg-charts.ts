/**
 * The report's charts as inline SVG strings: no script, no external file, so report.html works
 * offline and anywhere it is opened.
 */
import { ms, rps } from './format.js';
import type { TopologyReport } from './types.js';

const WIDTH = 760;
const MARGIN = { left: 120, right: 90, top: 16, bottom: 44 };
const FONT = 'font-family="system-ui, sans-serif" font-size="12"';
const TOPOLOGY_COLORS: Record<string, string> = {
  single: '#4e79a7',
  nginx: '#f28e2b',
  'ingress-nginx': '#59a14f',
  'rpc-gateway': '#e15759',
};
const OTHER_COLORS = ['#76b7b2', '#b07aa1', '#9c755f', '#edc948'];
const TRIAL_DASHES = ['', '6 3', '2 3', '8 3 2 3'];

export function colorOf(topology: string, index: number): string {
  return TOPOLOGY_COLORS[topology] ?? OTHER_COLORS[index % OTHER_COLORS.length];
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

function svgOpen(kind: string, height: number, label: string): string {
  return `<svg data-chart="${kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${escapeXml(label)}" ${FONT}><title>${escapeXml(label)}</title>`;
}

function legend(topologies: readonly TopologyReport[], y: number, extra = ''): string {
  return topologies
    .map((t, i) => {
      const x = MARGIN.left + i * 150;
      return `<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${colorOf(t.name, i)}" stroke-width="3"/><text x="${x + 28}" y="${y + 4}">${escapeXml(t.name)}</text>`;
    })
    .join('') + extra;
}

/** Horizontal bars of median throughput, the 95% interval as a whisker, each trial as a dot. */
export function throughputChart(topologies: readonly TopologyReport[]): string {
  const rowHeight = 38;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const height = MARGIN.top + topologies.length * rowHeight + MARGIN.bottom;
  const top = Math.max(
    1,
    ...topologies.flatMap((t) => [t.throughputRps.median, t.throughputRps.ciHigh ?? 0, ...t.trialThroughputRps]),
  );
  const ticks = linearTicks(top);
  const scale = (v: number) => MARGIN.left + (v / ticks[ticks.length - 1]) * plotWidth;
  const axisY = MARGIN.top + topologies.length * rowHeight;
  const parts = [svgOpen('throughput', height, 'Throughput per topology (req/s): median, 95% interval, trials')];
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
      parts.push(`<circle class="trial" cx="${scale(v)}" cy="${mid}" r="3" fill="#fff" stroke="#222"><title>trial: ${rps(v)} req/s</title></circle>`);
    }
    parts.push(`<text x="${WIDTH - MARGIN.right + 6}" y="${mid + 4}">${rps(t.throughputRps.median)}</text>`);
  });
  parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${height - 6}" text-anchor="middle">requests per second</text>`, '</svg>');
  return parts.join('');
}

/** Latency against percentile, both on log scales (the HdrHistogram percentile spectrum). */
export function latencySpectrumChart(topologies: readonly TopologyReport[]): string {
  const height = 340;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotBottom = height - MARGIN.bottom - 20;
  const maxNines = 5; // 99.999%
  const points = topologies.map((t) => t.latencySpectrumUs.filter((p) => p.percentile < 100 && p.us > 0));
  const values = points.flat().map((p) => p.us);
  const lowExp = Math.floor(Math.log10(Math.min(...values, 100)));
  const highExp = Math.max(lowExp + 1, Math.ceil(Math.log10(Math.max(...values, 1000))));
  const x = (percentile: number) => MARGIN.left + (Math.min(maxNines, Math.log10(100 / (100 - percentile))) / maxNines) * plotWidth;
  const y = (us: number) => plotBottom - ((Math.log10(us) - lowExp) / (highExp - lowExp)) * (plotBottom - MARGIN.top);
  const parts = [svgOpen('latency-spectrum', height, 'Latency by percentile (log scales), merged histograms')];
  for (const p of [50, 90, 99, 99.9, 99.99, 99.999]) {
    parts.push(
      `<line x1="${x(p)}" y1="${MARGIN.top}" x2="${x(p)}" y2="${plotBottom}" stroke="#ddd"/>`,
      `<text x="${x(p)}" y="${plotBottom + 16}" text-anchor="middle">${p}%</text>`,
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
      ...pts.map(
        (p) => `<circle cx="${x(p.percentile).toFixed(1)}" cy="${y(p.us).toFixed(1)}" r="2.5" fill="${color}"><title>${escapeXml(t.name)} p${p.percentile}: ${ms(p.us)} ms</title></circle>`,
      ),
    );
  });
  parts.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${plotBottom + 32}" text-anchor="middle">percentile</text>`,
    legend(topologies, height - 10),
    '</svg>',
  );
  return parts.join('');
}

/** Throughput per second of every trial; failover kills and restarts as dashed markers. */
export function timelineChart(topologies: readonly TopologyReport[]): string {
  const height = 320;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotBottom = height - MARGIN.bottom - 20;
  const allPoints = topologies.flatMap((t) => t.timelines.flatMap((tl) => tl.points));
  const seconds = Math.max(1, ...allPoints.map((p) => p.t));
  const yTicks = linearTicks(Math.max(1, ...allPoints.map((p) => p.rps)));
  const x = (t: number) => MARGIN.left + (t / seconds) * plotWidth;
  const y = (v: number) => plotBottom - (v / yTicks[yTicks.length - 1]) * (plotBottom - MARGIN.top);
  const parts = [svgOpen('timeline', height, 'Throughput per second of each trial')];
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
      parts.push(
        `<polyline class="series" points="${path}" fill="none" stroke="${color}" stroke-width="1.8" stroke-dasharray="${TRIAL_DASHES[k % TRIAL_DASHES.length]}"><title>${escapeXml(t.name)}, trial ${tl.trial}</title></polyline>`,
      );
    });
    const f = t.failover;
    if (f) {
      for (const [label, at] of [['kill', f.killedAtMs], ['restart', f.restartedAtMs]] as const) {
        if (at === null) continue;
        parts.push(
          `<line x1="${x(at / 1000)}" y1="${MARGIN.top}" x2="${x(at / 1000)}" y2="${plotBottom}" stroke="${color}" stroke-dasharray="4 4"/>`,
          `<text x="${x(at / 1000) + 3}" y="${MARGIN.top + 12 + i * 13}" fill="${color}">${label} (${escapeXml(t.name)})</text>`,
        );
      }
    }
  });
  parts.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${plotBottom + 32}" text-anchor="middle">seconds after warmup (line style: trial 1, 2, 3…)</text>`,
    legend(topologies, height - 10),
    '</svg>',
  );
  return parts.join('');
}
