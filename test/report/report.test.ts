import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport, renderHtml, renderMarkdown, writeReportFiles, type ReportInput } from '../../src/report/index.js';
import { confidenceInterval95, median } from '../../src/report/statistics.js';
import type { LoadResult } from '../../loadtest/types.js';
import { answerSentence } from '../../src/report/tables.js';
import { loadResult, repeat } from './load-results.js';

const scenario: ReportInput['scenario'] = {
  name: 'quick',
  mode: 'closed',
  connections: 8,
  rate: null,
  durationMs: 5000,
  warmupMs: 1000,
  trials: 3,
};
const environment: ReportInput['environment'] = {
  where: 'local (test)',
  cpus: { model: 'Test CPU', count: 2 },
  versions: { node: process.version },
  cpuLimits: { perServer: null, mechanism: 'none' },
};

/** single: 1000, 1100, 1200 req/s; nginx: two runners per trial; rpc-gateway: slow second trial. */
function threeTopologies(): ReportInput {
  return {
    scenario,
    environment,
    createdAt: new Date('2026-01-02T03:04:05Z'),
    results: [
      loadResult({
        topology: 'rpc-gateway',
        trial: 1,
        throughputRps: 3000,
        latenciesUs: repeat(1000, 100),
        backends: { a: 50, b: 30, c: 20 },
      }),
      loadResult({
        topology: 'rpc-gateway',
        trial: 2,
        throughputRps: 3200,
        latenciesUs: repeat(10_000, 100),
        backends: { a: 50, b: 30, c: 20 },
      }),
      loadResult({
        topology: 'rpc-gateway',
        trial: 3,
        throughputRps: 3100,
        latenciesUs: repeat(1000, 100),
        backends: { a: 50, b: 30, c: 20 },
      }),
      ...[1000, 1100, 1200].map((rps, i) =>
        loadResult({
          topology: 'single',
          trial: i + 1,
          throughputRps: rps,
          latenciesUs: repeat(2000, 50),
          errors: { status5xx: i, reset: 1 },
        }),
      ),
      ...[1, 2, 3].flatMap((trial) =>
        [0, 1].map((runner) =>
          loadResult({ topology: 'nginx', trial, runner, throughputRps: 900 + trial * 100, latenciesUs: repeat(1500, 40) }),
        ),
      ),
    ],
  };
}

describe('statistics', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('gives the Student t 95% interval of the mean, none for one value', () => {
    const ci = confidenceInterval95([100, 110, 120]);
    // mean 110, s 10, t(2) 4.303: 110 ± 24.84
    expect(ci?.low).toBeCloseTo(85.16, 1);
    expect(ci?.high).toBeCloseTo(134.84, 1);
    expect(confidenceInterval95([100])).toBeNull();
  });
});

describe('buildReport', () => {
  const report = buildReport(threeTopologies());
  const byName = Object.fromEntries(report.topologies.map((t) => [t.name, t]));

  it('orders topologies as DESIGN.md lists them and keeps the scenario', () => {
    expect(report.schema).toBe('clusterbench/report@1');
    expect(report.topologies.map((t) => t.name)).toEqual(['single', 'nginx', 'rpc-gateway']);
    expect(report.scenario.name).toBe('quick');
  });

  it('adds the runners of a trial and takes the median over trials with an interval', () => {
    expect(byName.nginx.trials).toBe(3);
    expect(byName.nginx.runners).toBe(2);
    expect(byName.nginx.trialThroughputRps).toEqual([2000, 2200, 2400]);
    expect(byName.nginx.throughputRps.median).toBe(2200);
    expect(byName.single.throughputRps.median).toBe(1100);
    const { ciLow, ciHigh } = byName.single.throughputRps;
    expect(ciLow).toBeLessThan(1100);
    expect(ciHigh).toBeGreaterThan(1100);
  });

  it('gives ratios to single', () => {
    expect(byName.single.ratioToSingle).toBe(1);
    expect(byName.nginx.ratioToSingle).toBe(2);
    expect(byName['rpc-gateway'].ratioToSingle).toBeCloseTo(3100 / 1100, 6);
  });

  it('reads percentiles from the merged histogram, not averages of trials', () => {
    // 200 samples at 1 ms and 100 at 10 ms: the merged p90 is 10 ms (an average of trial p90s is 4 ms).
    const rpc = byName['rpc-gateway'];
    expect(rpc.latencyUs.p50).toBeGreaterThanOrEqual(995);
    expect(rpc.latencyUs.p50).toBeLessThanOrEqual(1005);
    expect(rpc.latencyUs.p90).toBeGreaterThanOrEqual(9950);
    expect(rpc.latencyUs.mean).toBeCloseTo(4000, -2);
    expect(rpc.requests).toBe(300);
    expect(rpc.latencySpectrumUs.map((p) => p.percentile)).toContain(99.9);
  });

  it('sums errors and gives each backend its share', () => {
    expect(byName.single.errors).toMatchObject({ status5xx: 3, reset: 3, total: 6 });
    expect(byName['rpc-gateway'].backends).toEqual({ a: 0.5, b: 0.3, c: 0.2 });
    expect(byName.nginx.errors.total).toBe(0);
  });

  it('has no ratio without a single topology, and no interval with one trial', () => {
    const one = buildReport({
      scenario: { ...scenario, trials: 1 },
      environment,
      results: [loadResult({ topology: 'nginx', trial: 1, throughputRps: 500, latenciesUs: repeat(100, 10) })],
    });
    expect(one.topologies[0].ratioToSingle).toBeNull();
    expect(one.topologies[0].throughputRps).toEqual({ median: 500, ciLow: null, ciHigh: null });
  });

  it('averages CPU use over trials and shows it', () => {
    const input = threeTopologies();
    const withCpu = buildReport({
      ...input,
      cpuUse: [
        { topology: 'single', trial: 1, cpus: { single: 0.2, 'load generator': 0.1 }, throttled: { single: 0.5 } },
        { topology: 'single', trial: 2, cpus: { single: 0.3, 'load generator': 0.3 }, throttled: { single: 0.7 } },
      ],
    });
    const single = withCpu.topologies.find((t) => t.name === 'single');
    expect(single?.cpuUse?.single.cpus).toBeCloseTo(0.25, 6);
    expect(single?.cpuUse?.single.throttled).toBeCloseTo(0.6, 6);
    expect(single?.cpuUse?.['load generator']).toEqual({ cpus: 0.2 });
    expect(withCpu.topologies.find((t) => t.name === 'nginx')?.cpuUse).toBeUndefined();
    expect(renderMarkdown(withCpu)).toMatch(/\| single \| single \| 0\.25 \| 60\.0% \|/);
  });

  it('finds the errors and time to recover of a failover trial', () => {
    const rps = [1000, 1000, 1000, 1000, 500, 700, 980, 1000, 1000, 1000];
    const timeline = rps.map((r, i) => ({ t: i + 1, rps: r, p99Us: 1000, errors: i === 4 ? 3 : 0 }));
    const failover = buildReport({
      scenario,
      environment,
      results: [
        loadResult({
          topology: 'nginx',
          trial: 1,
          throughputRps: 920,
          latenciesUs: repeat(100, 10),
          errors: { reset: 3 },
          timeline,
          durationMs: 10_000,
        }),
      ],
      failover: [{ topology: 'nginx', trial: 1, backend: 'b', killedAtMs: 4200, restartedAtMs: 5200, servingAgainAtMs: 5600 }],
    }).topologies[0].failover;
    // Second 7 (6 s to 7 s) is the first whole second after the restart at >= 90% of 1000 req/s.
    expect(failover).toEqual({
      trial: 1,
      backend: 'b',
      killedAtMs: 4200,
      restartedAtMs: 5200,
      servingAgainMs: 1400,
      errors: 3,
      drillErrors: 3,
      recoveryMs: 2800,
    });
  });

  it("counts the failover drill's errors apart from --max-errors, but not errors outside it", () => {
    const report = (errorsPerSecond: number[]) => {
      const timeline = errorsPerSecond.map((errors, i) => ({ t: i + 1, rps: 1000, p99Us: 1000, errors }));
      const reset = errorsPerSecond.reduce((a, b) => a + b, 0);
      return buildReport({
        scenario,
        environment,
        results: [
          loadResult({
            topology: 'nginx',
            trial: 1,
            throughputRps: 1000,
            latenciesUs: repeat(100, 1000),
            errors: { reset },
            timeline,
            durationMs: 6000,
          }),
        ],
        failover: [{ topology: 'nginx', trial: 1, backend: 'b', killedAtMs: 2500, restartedAtMs: 3500 }],
      }).topologies[0];
    };
    // 50 errors in the kill's second (3) and the next: the drill's; recovered in second 5.
    expect(report([0, 0, 30, 20, 0, 0])).toMatchObject({ failed: false, failover: { errors: 50, drillErrors: 50 } });
    // 30 more in the first second, before the kill: 3% of the 1080 due.
    const failing = report([30, 0, 30, 20, 0, 0]);
    expect(failing).toMatchObject({ failed: true, failover: { errors: 80, drillErrors: 50 } });
    expect(failing.failedShare).toBeCloseTo(30 / 1080, 6);
  });

  it('marks failed and saturated topologies in the first table, and warns of send lag', () => {
    const open = (topology: string, throughputRps: number, spec: Partial<LoadResult>) => ({
      ...loadResult({ topology, trial: 1, throughputRps, latenciesUs: repeat(1000, 5000) }),
      mode: 'open' as const,
      rate: 1000,
      ...spec,
    });
    const lag = (p50: number) => ({ mean: p50, p50, p90: p50, p99: 2 * p50, p999: 2 * p50, max: 2 * p50 });
    const marked = buildReport({
      scenario: { ...scenario, mode: 'open', rate: 1000, trials: 1 },
      environment,
      results: [
        open('single', 990, { sendLagUs: lag(50) }),
        open('nginx', 0, {
          requests: 0,
          due: 5000,
          errors: { connect: 0, timeout: 0, reset: 0, status4xx: 0, status5xx: 5000 },
          sendLagUs: lag(50),
        }),
        open('rpc-gateway', 400, { notSent: 3000, due: 8000, sendLagUs: lag(300) }),
      ],
    });
    const [single, nginx, gateway] = marked.topologies;
    expect([single.failed, single.saturated]).toEqual([false, false]);
    expect([nginx.failed, nginx.saturated]).toEqual([true, true]);
    expect([gateway.failed, gateway.saturated, gateway.offeredRps]).toEqual([false, true, 1000]);
    const md = renderMarkdown(marked);
    expect(md).toMatch(/^\| single \| 990 \|.*\| ok \|$/m);
    expect(md).toMatch(
      /^\| nginx \| 0 \|.*\| no successful responses \|.*\| failed: 100% of requests failed \(--max-errors 1%\); saturated: achieved 0 of 1,000 req\/s offered \|$/m,
    );
    expect(md).toMatch(/^\| rpc-gateway \| 400 \|.*\| 1\.00 \|.*\| saturated: achieved 400 of 1,000 req\/s offered \|$/m);
    // Lag p50 300 us against a latency p50 of 1 ms: more than 10%; 50 us is not.
    expect(md).toContain('Warning, rpc-gateway: the load generator sent late: send lag p50 300 us');
    expect(md).not.toContain('Warning, single');
    expect(md).toMatch(/\| rpc-gateway \| 1\.00 \| 1\.00 \| 1\.00 \| 1\.00 \| 1\.00 \| 1\.00 \| 0\.30 \| 0\.60 \|/);
  });
});

describe('rendering', () => {
  const report = buildReport(threeTopologies());

  it("leads with the results table and the answer, the blog post's claim after the results", () => {
    const md = renderMarkdown(report);
    const lines = md.split('\n');
    const firstTable = lines.findIndex((l) => l.startsWith('|'));
    expect(lines[firstTable]).toBe(
      '| topology | throughput (req/s) | 95% interval (req/s) | ratio to single | mean latency (ms) | p99 latency (ms) | errors | status |',
    );
    // single: 1000/1100/1200 req/s, 2 ms, 3 5xx + 3 resets; nginx 2200 req/s, twice single.
    expect(md).toMatch(
      /^\| single \| 1,100 \| 852 to 1,348 \| 1\.00x \| 2\.00 \| 2\.00 \| 6 \| failed: 3\.85% of requests failed \(--max-errors 1%\) \|$/m,
    );
    expect(md).toMatch(/^\| nginx \| 2,200 \| 1,703 to 2,697 \| 2\.00x \| 1\.50 \| 1\.50 \| 0 \| ok \|$/m);
    const tableEnd = lines.findIndex((l, i) => i > firstTable && !l.startsWith('|'));
    expect(lines[tableEnd + 1]).toBe(
      "**rpc-gateway is fastest: 3,100 req/s, 1.41x the next, nginx (2,200 req/s), and its 95% interval overlaps no other topology's. single failed (too many errors; see status) and is not ranked.**",
    );
    const claim = md.indexOf("## The blog post's claim (not measured)");
    expect(claim).toBeGreaterThan(md.indexOf('## Errors'));
    expect(md.slice(0, claim)).not.toMatch(/\b500\b.*req\/s|basic Go web server/);
    expect(md.slice(claim)).toMatch(/\| single \| basic Go web server \| 100 \| 500 \|/);
    for (const section of ['## Throughput of each trial', '## Latency', '## Errors', '## Backends', '## Environment'])
      expect(md).toContain(section);
    expect(md).not.toContain('## Failover');
  });

  it('puts the same first table, answer and claim in HTML, in the same order', () => {
    const html = renderHtml(report);
    const at = (text: string) => html.indexOf(text);
    expect(at('data-table="summary"')).toBeGreaterThan(0);
    expect(at('class="answer"')).toBeGreaterThan(at('data-table="summary"'));
    expect(at('data-chart="throughput"')).toBeGreaterThan(at('class="answer"'));
    expect(at('data-table="seed-claim"')).toBeGreaterThan(at('data-table="errors"'));
    expect(html).toContain('<td class="n">852 to 1,348</td>');
  });

  it('charts: a title, units on each axis, colour-blind-safe colours and a marker per topology, a trial legend, the minimum labelled', () => {
    const html = renderHtml(report);
    const charts = html.split('<svg').slice(1);
    expect(charts).toHaveLength(3);
    for (const chart of charts) {
      expect(chart).toMatch(/<text class="chart-title"[^>]*>[^<]*\((req\/s|ms)\)/);
      for (const [, axis] of chart.matchAll(/class="axis-title"[^>]*>([^<]*)</g)) expect(axis).toMatch(/\((%|s|ms|req\/s)[,)]/);
    }
    const [, spectrum, timeline] = charts;
    expect(spectrum.match(/class="axis-title"/g)).toHaveLength(2);
    expect(timeline.match(/class="axis-title"/g)).toHaveLength(2);
    expect(spectrum).toMatch(/class="tick"[^>]*>min</);
    // Okabe-Ito orange and blue; and their markers differ in shape (rect vs polygon).
    expect(spectrum).toMatch(/<rect class="marker"[^>]*fill="#e69f00"/);
    expect(spectrum).toMatch(/<polygon class="marker"[^>]*fill="#0072b2"/);
    expect(timeline.match(/class="trial-legend"/g)).toHaveLength(3);
  });

  it("states whether the fastest topology's interval overlaps another's", () => {
    const withTrials = (perTopology: Record<string, number[]>) =>
      buildReport({
        scenario,
        environment,
        results: Object.entries(perTopology).flatMap(([topology, list]) =>
          list.map((throughputRps, i) => loadResult({ topology, trial: i + 1, throughputRps, latenciesUs: repeat(1000, 10) })),
        ),
      });
    expect(answerSentence(withTrials({ single: [1000, 1100, 1200], nginx: [1050, 1150, 1250], 'rpc-gateway': [400, 410, 420] }))).toBe(
      'nginx has the highest throughput, 1,150 req/s, 1.05x the next, single (1,100 req/s), but its 95% interval overlaps that of single: this run does not show that it is faster than single.',
    );
    expect(answerSentence(withTrials({ single: [1000], nginx: [900] }))).toBe(
      'single has the highest throughput, 1,000 req/s, 1.11x the next, nginx (900 req/s); with one trial there is no interval, so this run does not show that the difference is more than noise.',
    );
    expect(answerSentence(withTrials({ nginx: [900, 950] }))).toBe(
      'nginx has the highest throughput, 925 req/s (the only topology measured).',
    );
    const oneFailed = withTrials({ nginx: [900, 950], single: [1000, 1000] });
    const failedSingle = { ...oneFailed, topologies: oneFailed.topologies.map((t) => (t.name === 'single' ? { ...t, failed: true } : t)) };
    expect(answerSentence(failedSingle)).toBe(
      'nginx has the highest throughput, 925 req/s (the only topology ranked). single failed (too many errors; see status) and is not ranked.',
    );
  });

  it('renders self-contained HTML with three charts and no script or external reference', () => {
    const html = renderHtml(report);
    for (const chart of ['throughput', 'latency-spectrum', 'timeline']) expect(html).toContain(`data-chart="${chart}"`);
    expect(html).not.toMatch(/<script|<link|src=|url\(|@import/i);
    expect(html.match(/class="bar"/g)).toHaveLength(3);
  });

  it('escapes names that come from servers', () => {
    const hostile = buildReport({
      scenario,
      environment,
      results: [loadResult({ topology: 'single', trial: 1, throughputRps: 1, latenciesUs: [5], backends: { '<b>x</b>': 1 } })],
    });
    expect(renderHtml(hostile)).not.toContain('<b>x</b>');
  });
});

describe("README's sample report", () => {
  it('has the header the report prints, and each table the sentence its numbers give', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').split('\n');
    const header = renderMarkdown(buildReport(threeTopologies()))
      .split('\n')
      .find((l) => l.startsWith('|'));
    const starts = readme.flatMap((l, i) => (l.startsWith('| topology | throughput') || l.startsWith('| topology | average') ? [i] : []));
    expect(starts.length).toBeGreaterThanOrEqual(2);
    for (const start of starts) {
      expect(readme[start]).toBe(header);
      const rows = readme.slice(start + 2).filter((_, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('|')));
      // Rebuild the topologies from the printed numbers and check the sentence README shows.
      const num = (text: string) => Number(text.replace(/,/g, ''));
      const topologies = rows.map((row) => {
        const [name, median, ci] = row
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim());
        const [low, high] = ci.split(' to ').map(num);
        return { name, throughputRps: { median: num(median), ciLow: low, ciHigh: high } };
      });
      const sentence = answerSentence({ topologies } as unknown as Parameters<typeof answerSentence>[0]);
      expect(readme[start + 2 + rows.length + 1]).toBe(`**${sentence}**`);
    }
  });
});

describe('writeReportFiles', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('writes report.json, report.md and report.html', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cb-report-'));
    dirs.push(dir);
    const report = buildReport(threeTopologies());
    const files = await writeReportFiles(join(dir, 'nested'), report);
    expect(JSON.parse(await readFile(files.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
    expect(await readFile(files.markdown, 'utf8')).toBe(renderMarkdown(report));
    expect(await readFile(files.html, 'utf8')).toBe(renderHtml(report));
  });
});
