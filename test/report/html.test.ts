// src/report/html.ts: report.html, self-contained, in the order report.md uses.
import { describe, expect, it } from 'vitest';
import { buildReport, renderHtml } from '../../src/report/index.js';
import { loadResult } from './load-results.js';
import { environment, scenario, threeTopologies } from './report-input.js';

describe('renderHtml', () => {
  const report = buildReport(threeTopologies());

  it('puts the same first table, answer and claim in HTML, in the same order', () => {
    const html = renderHtml(report);
    const at = (text: string) => html.indexOf(text);
    expect(at('data-table="summary"')).toBeGreaterThan(0);
    expect(at('class="answer"')).toBeGreaterThan(at('data-table="summary"'));
    expect(at('data-chart="throughput"')).toBeGreaterThan(at('class="answer"'));
    expect(at('data-table="seed-claim"')).toBeGreaterThan(at('data-table="errors"'));
    expect(html).toContain('<td class="n">852 to 1,348</td>');
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
