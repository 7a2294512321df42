import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, renderHtml } from '../../src/report/index.js';
import { loadResult, repeat } from './load-results.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`report.html browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

describe.skipIf(!haveChromium)('report.html in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cb-report-html-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads offline without console errors and draws every chart', async () => {
    const timeline = (base: number) => Array.from({ length: 10 }, (_, i) => ({ t: i + 1, rps: i === 5 ? base / 2 : base, p99Us: 2000, errors: 0 }));
    const report = buildReport({
      scenario: { name: 'standard', mode: 'closed', connections: 256, rate: null, durationMs: 10_000, warmupMs: 2000, trials: 2 },
      environment: { where: 'local (browser test)', cpus: { model: 'Test CPU', count: 2 }, versions: {}, cpuLimits: { perServer: 0.25, mechanism: 'cgroup v1' } },
      results: ['single', 'nginx', 'rpc-gateway'].flatMap((topology, i) =>
        [1, 2].map((trial) =>
          loadResult({
            topology,
            trial,
            throughputRps: 1000 * (i + 1) + trial * 50,
            latenciesUs: [...repeat(800 * (3 - i), 900), ...repeat(20_000, 9), 90_000],
            timeline: timeline(1000 * (i + 1)),
            durationMs: 10_000,
          }),
        ),
      ),
      failover: [{ topology: 'nginx', trial: 2, backend: 'hello-2', killedAtMs: 5000, restartedAtMs: 7000 }],
    });
    const file = join(dir, 'report.html');
    await writeFile(file, renderHtml(report));

    const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => !r.url().startsWith('file:') && problems.push(`fetched ${r.url()}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    for (const chart of ['throughput', 'latency-spectrum', 'timeline']) {
      const box = await page.locator(`svg[data-chart="${chart}"]`).boundingBox();
      expect(box?.width, chart).toBeGreaterThan(300);
      expect(box?.height, chart).toBeGreaterThan(100);
    }
    expect(await page.locator('svg[data-chart="throughput"] rect.bar').count()).toBe(3);
    expect(await page.locator('svg[data-chart="throughput"] path.interval').count()).toBe(3);
    expect(await page.locator('svg[data-chart="latency-spectrum"] polyline.series').count()).toBe(3);
    expect(await page.locator('svg[data-chart="timeline"] polyline.series').count()).toBe(6);
    expect(await page.locator('table[data-table="summary"] tbody tr').count()).toBe(3);
    await page.screenshot({ path: join(tmpdir(), 'clusterbench-report-screenshot.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
