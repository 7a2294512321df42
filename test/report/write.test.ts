// src/report/write.ts: the three report files.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport, renderHtml, renderMarkdown, writeReportFiles } from '../../src/report/index.js';
import { threeTopologies } from './report-input.js';

describe('writeReportFiles', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('writes report.json, report.md and report.html', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cb-report-'));
    dirs.push(dir);
    const report = buildReport(threeTopologies());
    const files = await writeReportFiles(join(dir, 'nested'), report);
    expect(JSON.parse(await readFile(files.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
    expect(await readFile(files.markdown, 'utf8')).toBe(renderMarkdown(report));
    expect(await readFile(files.html, 'utf8')).toBe(renderHtml(report));
  });
});
