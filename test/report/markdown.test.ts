// src/report/markdown.ts: report.md leads with the answer.
import { describe, expect, it } from 'vitest';
import { buildReport, renderMarkdown } from '../../src/report/index.js';
import { threeTopologies } from './report-input.js';

describe('renderMarkdown', () => {
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
});
