/**
 * Opens a report.html in headless Chromium (Debian's package) and checks it the way a reader
 * would see it: no console error, no request leaving the file, every chart drawn.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`report.html browser checks skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

/** The widths a reader opens it at: a laptop and a phone. */
export const VIEWPORT_WIDTHS = [1280, 390] as const;

/**
 * Checks the page at each of VIEWPORT_WIDTHS; `topologies` and `timelines` are how many bars and
 * timeline lines to expect. Screenshots go to the temp folder as `<screenshot>-<width>.png`; the
 * paths are returned.
 */
export async function checkReportInChromium(
  file: string,
  expected: { topologies: number; timelines: number; charts?: readonly string[]; screenshot: string },
): Promise<string[]> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const screenshots: string[] = [];
  try {
    for (const width of VIEWPORT_WIDTHS) {
      const page = await browser.newPage({ viewport: { width, height: 1200 } });
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('request', (r) => !r.url().startsWith('file:') && problems.push(`fetched ${r.url()}`));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      for (const chart of expected.charts ?? []) {
        const box = await page.locator(`svg[data-chart="${chart}"]`).boundingBox();
        expect(box?.width, chart).toBeGreaterThan(300);
        expect(box?.height, chart).toBeGreaterThan(100);
      }
      for (const chart of ['throughput', 'latency-spectrum', 'timeline']) {
        const svg = page.locator(`svg[data-chart="${chart}"]`);
        const box = await svg.boundingBox();
        expect(box?.width, chart).toBeGreaterThan(300);
        expect(box?.height, chart).toBeGreaterThan(100);
        // A title a reader sees, drawn inside the chart, and a unit on every axis title.
        const title = svg.locator('text.chart-title');
        expect(await title.isVisible(), `${chart} title at ${width} px`).toBe(true);
        expect(await title.textContent()).toMatch(/\((req\/s|ms)\)/);
        for (const axis of await svg.locator('text.axis-title').allTextContents())
          expect(axis, `${chart} axis`).toMatch(/\((%|s|ms|req\/s)[,)]/);
      }
      expect(await page.locator('svg[data-chart="latency-spectrum"] text.axis-title').count()).toBe(2);
      expect(await page.locator('svg[data-chart="timeline"] text.axis-title').count()).toBe(2);
      expect(await page.locator('svg[data-chart="latency-spectrum"] text.tick').first().textContent()).toBe('min');
      expect(await page.locator('svg[data-chart="timeline"] g.trial-legend').count()).toBeGreaterThan(0);
      expect(await page.locator('svg[data-chart="throughput"] rect.bar').count()).toBe(expected.topologies);
      expect(await page.locator('svg[data-chart="latency-spectrum"] polyline.series').count()).toBe(expected.topologies);
      expect(await page.locator('svg[data-chart="timeline"] polyline.series').count()).toBe(expected.timelines);
      expect(await page.locator('table[data-table="summary"] tbody tr').count()).toBe(expected.topologies);
      // Every drawn coordinate is a number (NaN would leave a chart silently empty).
      expect(await page.locator('svg [points*="NaN"], svg [d*="NaN"], svg [x*="NaN"], svg [width*="NaN"]').count()).toBe(0);
      // The page itself never scrolls sideways: wide tables and charts scroll in their own box.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth'), `page width at ${width} px`).toBeLessThanOrEqual(width);
      // The answer comes first: the results table and its sentence above the charts, the blog's claim after the results.
      const top = async (selector: string) => (await page.locator(selector).first().boundingBox())?.y ?? Number.NaN;
      expect(await top('table[data-table="summary"]')).toBeLessThan(await top('p.answer'));
      expect(await top('p.answer')).toBeLessThan(await top('svg[data-chart="throughput"]'));
      expect(await top('table[data-table="seed-claim"]')).toBeGreaterThan(await top('table[data-table="errors"]'));
      const path = join(tmpdir(), expected.screenshot.replace(/\.png$/, `-${width}.png`));
      await page.screenshot({ path, fullPage: true });
      screenshots.push(path);
      expect(problems).toEqual([]);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return screenshots;
}
