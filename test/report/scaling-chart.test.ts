// src/report/scaling-chart.ts: report.html's chart of throughput vs replicas.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildScaling, renderHtml, renderMarkdown } from '../../src/report/index.js';
import { checkReportInChromium, haveChromium } from './chromium.js';
import { loadResult } from './load-results.js';
import { sweep } from './scaling-sweep.js';

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
    expect(svg).toContain('>Throughput vs replicas (req/s)</text>');
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
      tables: ['scaling-nginx', 'scaling-nginx-cpus', 'scaling-rpc-gateway', 'scaling-rpc-gateway-cpus'],
      screenshot: 'clusterbench-scaling.png',
    });
  });
});
