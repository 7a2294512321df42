/**
 * Opens a report.html in headless Chromium (Debian's package) and checks it the way a reader
 * would see it: no console error, no request leaving the file, every chart drawn.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`report.html browser checks skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

/** The smallest text a reader can read on a phone without zooming, CSS px. */
const LEGIBLE_PX = 10;

/** A table row's most lines where every cell is a number or two (the scaling tables), and its header's. */
const MAX_ROW_LINES = 1;
const MAX_HEADER_LINES = 3;

/** The widths a reader opens it at: a laptop and a phone. */
export const VIEWPORT_WIDTHS = [1280, 390] as const;

/**
 * Checks the page at each of VIEWPORT_WIDTHS; `topologies` and `timelines` are how many bars and
 * timeline lines to expect, `tables` the tables (data-table) whose rows must not wrap. Screenshots go to the temp folder as `<screenshot>-<width>.png`; the
 * paths are returned.
 */
export async function checkReportInChromium(
  file: string,
  expected: { topologies: number; timelines: number; charts?: readonly string[]; tables?: readonly string[]; screenshot: string },
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
      // The page itself never scrolls sideways: wide tables scroll in their own box.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth'), `page width at ${width} px`).toBeLessThanOrEqual(width);
      for (const chart of ['throughput', 'latency-spectrum', 'timeline', ...(expected.charts ?? [])])
        expect(await chartFit(page, chart), `${chart} at ${width} px`).toEqual({
          titleInView: true,
          scrolls: false,
          clipped: [],
          tooSmall: [],
        });
      // A row that wraps into a tall block is hard to read across: one line per row, sideways in its box.
      for (const table of expected.tables ?? []) {
        const fit = await tableLines(page, table);
        const at = `${table} at ${width} px (row heights ${fit.heightsPx.join(', ')} px)`;
        expect(fit.header, at).toBeLessThanOrEqual(MAX_HEADER_LINES);
        expect(Math.max(...fit.rows), at).toBeLessThanOrEqual(MAX_ROW_LINES);
      }
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

/**
 * How a chart sits in the page as the reader sees it, without scrolling sideways (element boxes as
 * laid out): its title whole inside the viewport's width and inside the chart's own visible box, the chart box
 * not scrolling sideways, no text cut off at the chart's edge, and every text at least LEGIBLE_PX
 * tall on screen (its font size times the chart's scale).
 */
async function chartFit(page: Page, chart: string) {
  // Runs in the page: this project compiles without the DOM types, so its objects are untyped here.
  return page.locator(`svg[data-chart="${chart}"]`).evaluate((svg: any, legiblePx) => {
    const { document, window, getComputedStyle } = globalThis as any;
    type Box = { left: number; right: number; top: number; bottom: number };
    const inside = (inner: Box, outer: Box) =>
      inner.left >= outer.left - 0.5 &&
      inner.right <= outer.right + 0.5 &&
      inner.top >= outer.top - 0.5 &&
      inner.bottom <= outer.bottom + 0.5;
    const box = svg.getBoundingClientRect();
    const holder = svg.parentElement;
    const title = svg.querySelector('text.chart-title').getBoundingClientRect();
    // Sideways: the reader scrolls down to a chart, never sideways to read it.
    const viewport = { left: 0, right: document.documentElement.clientWidth, top: -Infinity, bottom: Infinity };
    const scale: number = svg.getScreenCTM().a;
    const texts: any[] = [...svg.querySelectorAll('text')];
    const onScreenPx = (text: any) => parseFloat(getComputedStyle(text).fontSize) * scale;
    return {
      titleInView: window.scrollX === 0 && inside(title, viewport) && inside(title, holder.getBoundingClientRect()),
      scrolls: holder.scrollWidth > holder.clientWidth,
      clipped: texts.filter((text) => !inside(text.getBoundingClientRect(), box)).map((text) => text.textContent as string),
      tooSmall: texts
        .filter((text) => onScreenPx(text) < legiblePx)
        .map((text) => `${text.textContent} (${onScreenPx(text).toFixed(1)} px)`),
    };
  }, LEGIBLE_PX);
}

/**
 * How many lines of text a table's header and each body row take as laid out (a row's cells
 * stretch to its tallest, so its height less padding and border, over the line height), and each
 * row's height, header first.
 */
async function tableLines(page: Page, table: string) {
  return page.locator(`table[data-table="${table}"]`).evaluate((element: any) => {
    const { getComputedStyle } = globalThis as any;
    const lines = (row: any): number =>
      Math.max(
        ...[...row.cells].map((cell: any) => {
          const style = getComputedStyle(cell);
          const edges = ['paddingTop', 'paddingBottom', 'borderTopWidth', 'borderBottomWidth'].reduce(
            (sum, side) => sum + parseFloat(style[side]),
            0,
          );
          return Math.round((cell.getBoundingClientRect().height - edges) / parseFloat(style.lineHeight));
        }),
      );
    return {
      header: lines(element.tHead.rows[0]),
      rows: [...element.tBodies[0].rows].map(lines),
      heightsPx: [...element.rows].map((row: any): number => Math.round(row.getBoundingClientRect().height)),
    };
  });
}
