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

/** Checks the page; `topologies` and `timelines` are how many bars and timeline lines to expect. */
export async function checkReportInChromium(file: string, expected: { topologies: number; timelines: number; charts?: readonly string[]; screenshot: string }): Promise<void> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => !r.url().startsWith('file:') && problems.push(`fetched ${r.url()}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    for (const chart of ['throughput', 'latency-spectrum', 'timeline', ...(expected.charts ?? [])]) {
      const box = await page.locator(`svg[data-chart="${chart}"]`).boundingBox();
      expect(box?.width, chart).toBeGreaterThan(300);
      expect(box?.height, chart).toBeGreaterThan(100);
    }
    expect(await page.locator('svg[data-chart="throughput"] rect.bar').count()).toBe(expected.topologies);
    expect(await page.locator('svg[data-chart="latency-spectrum"] polyline.series').count()).toBe(expected.topologies);
    expect(await page.locator('svg[data-chart="timeline"] polyline.series').count()).toBe(expected.timelines);
    expect(await page.locator('table[data-table="summary"] tbody tr').count()).toBe(expected.topologies);
    // Every drawn coordinate is a number (NaN would leave a chart silently empty).
    expect(await page.locator('svg [points*="NaN"], svg [d*="NaN"], svg [x*="NaN"], svg [width*="NaN"]').count()).toBe(0);
    await page.screenshot({ path: join(tmpdir(), expected.screenshot), fullPage: true });
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
}
