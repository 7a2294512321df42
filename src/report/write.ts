import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from './types.js';

/** The three files written for every report. */
export interface ReportFiles {
  readonly json: string;
  readonly markdown: string;
  readonly html: string;
}

/** Writes report.json, report.md and report.html into `dir` (created if missing); returns their paths. */
export async function writeReportFiles(dir: string, report: Report): Promise<ReportFiles> {
  // Render everything before writing anything, so a rendering error leaves no half-written folder.
  const contents = { json: `${JSON.stringify(report, null, 2)}\n`, markdown: renderMarkdown(report), html: renderHtml(report) };
  const files: ReportFiles = { json: join(dir, 'report.json'), markdown: join(dir, 'report.md'), html: join(dir, 'report.html') };
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(files.json, contents.json),
    writeFile(files.markdown, contents.markdown),
    writeFile(files.html, contents.html),
  ]);
  return files;
}
