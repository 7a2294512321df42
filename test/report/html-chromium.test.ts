import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport, renderHtml } from '../../src/report/index.js';
import { checkReportInChromium, haveChromium } from './chromium.js';
import { loadResult, repeat } from './load-results.js';
import { limitedEnvironment } from './report-input.js';

describe.skipIf(!haveChromium)('report.html in headless Chromium', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('loads offline without console errors and draws every chart, with intervals and a failover', async () => {
    const timeline = (base: number) =>
      Array.from({ length: 10 }, (_, i) => ({ t: i + 1, rps: i === 5 ? base / 2 : base, p99Us: 2000, errors: 0 }));
    const report = buildReport({
      scenario: { name: 'standard', mode: 'closed', connections: 256, rate: null, durationMs: 10_000, warmupMs: 2000, trials: 2 },
      environment: limitedEnvironment('local (browser test)'),
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
    const dir = await mkdtemp(join(tmpdir(), 'cb-report-html-'));
    dirs.push(dir);
    const file = join(dir, 'report.html');
    const html = renderHtml(report);
    expect(html.match(/class="interval"/g)).toHaveLength(3);
    await writeFile(file, html);
    await checkReportInChromium(file, { topologies: 3, timelines: 6, screenshot: 'clusterbench-report.png' });
  });
});
