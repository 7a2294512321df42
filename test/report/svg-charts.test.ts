// src/report/svg-charts.ts: the report's three charts, titled, with units, readable by colour-blind readers.
import { describe, expect, it } from 'vitest';
import { buildReport, renderHtml } from '../../src/report/index.js';
import { threeTopologies } from './report-input.js';

describe('the SVG charts', () => {
  const report = buildReport(threeTopologies());

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
});
