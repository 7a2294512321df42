// src/report/scaling-tables.ts: report.md's scaling section.
import { describe, expect, it } from 'vitest';
import { renderHtml, renderMarkdown } from '../../src/report/index.js';
import { sweep } from './scaling-sweep.js';

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
