import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildReport,
  buildScaling,
  renderHtml,
  renderMarkdown,
  uslThroughput,
  type Report,
  type ScalingRun,
} from '../../src/report/index.js';
import { checkReportInChromium, haveChromium } from './chromium.js';
import { loadResult, repeat } from './load-results.js';

const NGINX = { sigma: 0.06, kappa: 0.004, lambda: 1000 };
const GATEWAY = { sigma: 0.2, kappa: 0, lambda: 800 };

/** A sweep as part 2 will hand it over: hello servers at 0.25 CPU each, a balancer and a load generator of one CPU each, on 2 CPUs. */
function sweep(): Report {
  const runs: ScalingRun[] = [];
  for (const [topology, law, counts] of [
    ['nginx', NGINX, [1, 2, 3, 4, 6]],
    ['rpc-gateway', GATEWAY, [1, 2, 4]],
  ] as const) {
    for (const replicas of counts) {
      const x = uslThroughput(law, replicas);
      runs.push({
        topology,
        replicas,
        results: [0.97, 1.0, 1.03].map((f, i) =>
          loadResult({ topology, trial: i + 1, throughputRps: x * f, latenciesUs: repeat(900, 20) }),
        ),
        cpuUse: [1, 2, 3].map((trial) => ({
          topology,
          trial,
          cpus: {
            [topology]: 0.4,
            'load generator': 0.9,
            ...Object.fromEntries(Array.from({ length: replicas }, (_, k) => [`hello-${k + 1}`, 0.2 + 0.01 * k])),
          },
        })),
        requestedCpus: 0.25 * replicas + 2 * 0.5,
      });
    }
  }
  const report = buildReport({
    scenario: { name: 'quick', mode: 'closed', connections: 64, rate: null, durationMs: 5000, warmupMs: 1000, trials: 3 },
    environment: {
      where: 'local (test)',
      cpus: { model: 'Test CPU', count: 2 },
      versions: {},
      cpuLimits: { perServer: 0.25, mechanism: 'cgroup v1' },
    },
    results: runs.filter((r) => r.replicas === 2).flatMap((r) => r.results),
    createdAt: new Date('2026-01-02T03:04:05Z'),
  });
  return { ...report, scaling: buildScaling({ runs, availableCpus: 2 }) };
}

describe('the scaling section in report.md', () => {
  const md = renderMarkdown(sweep());

  it('has a table per topology with every replica count, after the other tables', () => {
    const lines = md.split('\n');
    const title = lines.indexOf('## Scaling: nginx, throughput vs replicas');
    expect(title).toBeGreaterThan(lines.indexOf('## Backends'));
    expect(lines.indexOf('## Scaling: rpc-gateway, throughput vs replicas')).toBeGreaterThan(title);
    const header = lines.findIndex((l, i) => i > title && l.startsWith('| replicas |'));
    const rows = lines.slice(header + 2, header + 7);
    expect(rows.map((r) => r.split('|')[1].trim())).toEqual(['1', '2', '3', '4', '6']);
    // 6 replicas: 0.25 x 6 + 1 = 2.5 CPUs asked for on 2.
    expect(rows[4]).toContain('2.50 / 2 (oversubscribed)');
    expect(rows[3]).toContain('2 / 2 |');
    expect(rows[0]).toContain('| 1.00x |');
    expect(rows[0]).toContain('| nginx 0.40, load generator 0.90, 1 hello server 0.20 (total 1.50) |');
    expect(rows[4]).toContain('| nginx 0.40, load generator 0.90, 6 hello servers 0.20 to 0.25 (total 2.65) |');
  });

  it('says what the fit means, where it peaks, and when it cannot be trusted', () => {
    expect(md).toMatch(/nginx: λ = 1,000 req\/s for one replica; contention σ = 0\.060 .*coherency κ = 0\.0040 .*R² = 0\.996/);
    expect(md).toContain(`The fit peaks at ${Math.sqrt(0.94 / 0.004).toFixed(1)} replicas`);
    expect(md).toContain('beyond the 6 replicas measured: an extrapolation');
    expect(md).toContain('At 6 replicas the processes asked for more than the 2 CPUs available');
    expect(md).toMatch(/rpc-gateway: .*σ = 0\.200 .*κ = 0 \(/);
    expect(md).toContain('Without coherency the fit never falls; it approaches 4,000 req/s.');
    expect(md).toContain('Not to be trusted: 3 replica counts, and the law needs 4 or more');
  });

  it('is absent from a report without a sweep', () => {
    const { scaling: _, ...plain } = sweep();
    expect(renderMarkdown(plain)).not.toContain('Scaling');
    expect(renderHtml(plain)).not.toContain('data-chart="scaling"');
  });
});

describe('the chart "throughput vs replicas" in report.html', () => {
  const html = renderHtml(sweep());
  const svg = html.slice(html.indexOf('<svg data-chart="scaling"'), html.indexOf('</svg>', html.indexOf('<svg data-chart="scaling"')));

  it('draws every point, its interval, the linear line and the fit, per topology', () => {
    expect(svg.match(/class="point[ "]/g)).toHaveLength(8);
    expect(svg.match(/class="interval"/g)).toHaveLength(8);
    expect(svg.match(/class="point oversubscribed"/g)).toHaveLength(1);
    for (const name of ['nginx', 'rpc-gateway']) {
      expect(svg).toContain(`class="linear" data-topology="${name}"`);
      expect(svg).toContain(`class="fit" data-topology="${name}"`);
    }
    expect(svg).toContain('>Throughput vs replicas</text>');
    expect(svg).toContain('>throughput (req/s)</text>');
    expect(svg).toContain('>hello server replicas</text>');
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(html).not.toMatch(/<script/i);
  });

  it('draws a topology measured at one replica count without a fit, and says why', () => {
    const report = sweep();
    const one = buildScaling({
      availableCpus: 2,
      runs: [
        {
          topology: 'nginx',
          replicas: 3,
          results: [loadResult({ topology: 'nginx', trial: 1, throughputRps: 900, latenciesUs: [800] })],
          requestedCpus: 1,
        },
      ],
    });
    const lone = renderHtml({ ...report, scaling: one });
    expect(lone.match(/class="point"/g)).toHaveLength(1);
    expect(lone).not.toContain('class="fit"');
    expect(lone).not.toMatch(/NaN|Infinity/);
    expect(renderMarkdown({ ...report, scaling: one })).toContain('nginx: no fit, one replica count measured');
  });

  it('places the medians where the axis says', () => {
    // Gridlines are drawn just before their labels; the 1-replica nginx marker (1,000 req/s) lies
    // halfway between the 0 and 2,000 gridlines.
    const gridline = (label: string) => Number(new RegExp(`<line x1="80" y1="([\\d.]+)"[^>]*/><text[^>]*>${label}</text>`).exec(svg)?.[1]);
    const point = /<circle class="point" cx="[\d.]+" cy="([\d.]+)"[^>]*><title>nginx, 1 replicas: 1,000 req\/s/.exec(svg);
    expect(Number(point?.[1])).toBeCloseTo((gridline('0') + gridline('2,000')) / 2, 6);
  });

  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  it.skipIf(!haveChromium)('is drawn in headless Chromium, offline, without errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cb-scaling-html-'));
    dirs.push(dir);
    const file = join(dir, 'report.html');
    await writeFile(file, html);
    await checkReportInChromium(file, {
      topologies: 2,
      timelines: 6,
      charts: ['scaling'],
      screenshot: 'clusterbench-scaling-screenshot.png',
    });
  });
});
