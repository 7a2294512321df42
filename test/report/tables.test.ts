// src/report/tables.ts: the answer sentence, and README's sample tables match what the report prints.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildReport, renderMarkdown } from '../../src/report/index.js';
import { answerSentence } from '../../src/report/tables.js';
import { loadResult, repeat } from './load-results.js';
import { environment, scenario, threeTopologies } from './report-input.js';

describe('answerSentence', () => {
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
