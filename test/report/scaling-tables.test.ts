// src/report/scaling-tables.ts: report.md's scaling section.
import { describe, expect, it } from 'vitest';
import { renderHtml, renderMarkdown } from '../../src/report/index.js';
import { sweep } from './scaling-sweep.js';

describe('the scaling section in report.md', () => {
  const md = renderMarkdown(sweep());

  const rowsAfter = (title: string, count: number) => {
    const lines = md.split('\n');
    const header = lines.findIndex((l, i) => i > lines.indexOf(title) && l.startsWith('| replicas |'));
    return lines.slice(header, header + 2 + count);
  };

  it('has a throughput and a CPU table per topology with every replica count, after the other tables', () => {
    const lines = md.split('\n');
    const title = lines.indexOf('## Scaling: nginx, throughput vs replicas');
    expect(title).toBeGreaterThan(lines.indexOf('## Backends'));
    expect(lines.indexOf('## Scaling: nginx, CPUs vs replicas')).toBeGreaterThan(title);
    expect(lines.indexOf('## Scaling: rpc-gateway, throughput vs replicas')).toBeGreaterThan(
      lines.indexOf('## Scaling: nginx, CPUs vs replicas'),
    );
    const [header, , ...rows] = rowsAfter('## Scaling: nginx, throughput vs replicas', 5);
    expect(header).toBe('| replicas | throughput (req/s) | 95% interval | ratio to 1 | ideal linear | USL fit | errors |');
    expect(rows.map((r) => r.split('|')[1].trim())).toEqual(['1', '2', '3', '4', '6']);
    expect(rows[0]).toBe('| 1 | 1,000 | 925–1,075 | 1.00x | 1,000 | 1,000 | 0 |');
  });

  it('puts one short number per CPU cell, the words once in the note', () => {
    const [header, , ...rows] = rowsAfter('## Scaling: nginx, CPUs vs replicas', 5);
    expect(header).toBe('| replicas | CPUs asked / available | nginx CPUs | load generator CPUs | hello CPUs, each | CPUs used |');
    // 6 replicas: 0.25 x 6 + 1 = 2.5 CPUs asked for on 2.
    expect(rows[4]).toBe('| 6 | 2.50 / 2 over | 0.40 | 0.90 | 0.20–0.25 | 2.65 |');
    expect(rows[3]).toBe('| 4 | 2 / 2 | 0.40 | 0.90 | 0.20–0.23 | 2.16 |');
    expect(rows[0]).toBe('| 1 | 1.25 / 2 | 0.40 | 0.90 | 0.20 | 1.50 |');
    expect(rowsAfter('## Scaling: rpc-gateway, CPUs vs replicas', 0)[0]).toBe(
      '| replicas | CPUs asked / available | rpc-gateway CPUs | load generator CPUs | hello CPUs, each | CPUs used |',
    );
    expect(md).toContain('"over": oversubscribed, they may ask for more.');
    expect(md.match(/"over": oversubscribed/g)).toHaveLength(1);
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
