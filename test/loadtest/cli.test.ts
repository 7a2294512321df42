/** `clusterbench load` and `clusterbench merge` as users run them: the built CLI (make test builds it). */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLoadFlags } from '../../loadtest/cli.js';
import { decodeHistogram, type LoadResult, runLoad } from '../../loadtest/index.js';
import { UsageError } from '../../loadtest/usage-error.js';
import { runProcess, type Run } from '../cli/run-process.js';
import { CLI, type FixtureServer, refusedPort, response, ROOT, startFixtureServer } from './servers.js';

const work = mkdtempSync(join(tmpdir(), 'clusterbench-load-'));
let server: FixtureServer;
beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (make test does) first`);
  server = await startFixtureServer((socket) => socket.write(response(200, 'Hello, World!', 'X-Served-By: fixture\r\n')));
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs the CLI without blocking this process (the fixture server answers from it). */
function clusterbench(...args: string[]): Promise<Run> {
  return runProcess(process.execPath, [CLI, ...args], { cwd: ROOT, timeoutMs: 30_000 });
}

const FLAGS = { connections: '64', duration: '10s', warmup: '2s', timeout: '5s', keepalive: true };

describe('clusterbench load', () => {
  it.each([
    ['not-a-url', {}, 'url'],
    ['https://127.0.0.1/', {}, 'url'],
    ['http://127.0.0.1:1/', { connections: '0' }, '--connections'],
    ['http://127.0.0.1:1/', { connections: '-3' }, '--connections'],
    ['http://127.0.0.1:1/', { duration: '0' }, '--duration'],
    ['http://127.0.0.1:1/', { duration: '-1s' }, '--duration'],
    ['http://127.0.0.1:1/', { duration: '10 parsecs' }, '--duration'],
    ['http://127.0.0.1:1/', { rate: '0' }, '--rate'],
    ['http://127.0.0.1:1/', { rate: '-100' }, '--rate'],
    ['http://127.0.0.1:1/', { workers: '0' }, '--workers'],
    ['http://127.0.0.1:1/', { warmup: 'soon' }, '--warmup'],
    ['http://127.0.0.1:1/', { timeout: '0s' }, '--timeout'],
    ['http://127.0.0.1:1/', { startAt: 'tomorrow' }, '--start-at'],
  ])('%s %j: a UsageError naming %s', (url, flags, option) => {
    expect(() => parseLoadFlags(url, { ...FLAGS, ...flags })).toThrow(UsageError);
    expect(() => parseLoadFlags(url, { ...FLAGS, ...flags })).toThrow(new RegExp(`^${option}: `));
  });

  it.each([
    [['URL', '--connections', '-3'], '--connections'],
    [['URL', '--bogus'], '--bogus'],
    [['URL', '--max-errors', 'few'], '--max-errors'],
  ])('%j: exit 2, one error line naming %s, nothing written', async (args, option) => {
    const out = join(work, 'never.json');
    const r = await clusterbench('load', ...args.map((a) => (a === 'URL' ? server.url : a)), '--out', out);
    expect(r.code, r.stderr).toBe(2);
    const errorLines = r.stderr.split('\n').filter((line) => /error|clusterbench:/.test(line));
    expect(errorLines, r.stderr).toHaveLength(1);
    expect(errorLines[0]).toContain(option);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('writes the result JSON (--out and --json), a summary on stderr, labels included', async () => {
    const out = join(work, 'one.json');
    const r = await clusterbench(
      'load',
      server.url,
      '-c',
      '3',
      '-d',
      '600ms',
      '-w',
      '200ms',
      '--workers',
      '1',
      '--json',
      '--out',
      out,
      '--topology',
      'single',
      '--trial',
      '2',
      '--runner',
      '1',
    );
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as LoadResult;
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(printed);
    expect(printed).toMatchObject({
      schema: 'clusterbench/load-result@2',
      topology: 'single',
      trial: 2,
      runner: 1,
      mode: 'closed',
      connections: 3,
      durationMs: 600,
      warmupMs: 200,
    });
    expect(printed.requests).toBeGreaterThan(0);
    expect(printed.backends).toEqual({ fixture: printed.requests });
    expect(r.stderr).toContain(`requests      ${printed.due} due, ${printed.sent} sent; ${printed.requests} successful`);
    expect(r.stderr).toMatch(/latency\s+mean \S+\s+p50/);
  });

  it('a target answering 502 to everything: no throughput, every request an error, exit 1 unless --max-errors allows it', async () => {
    const failing = await startFixtureServer((socket) => socket.write(response(502, 'bad gateway')));
    try {
      const args = ['load', failing.url, '-c', '2', '-d', '400ms', '-w', '0', '--workers', '1', '--json'];
      const [strict, lenient] = await Promise.all([clusterbench(...args), clusterbench(...args, '--max-errors', '100%')]);
      expect(strict.code, strict.stderr).toBe(1);
      const result = JSON.parse(strict.stdout) as LoadResult;
      expect([result.requests, result.throughputRps]).toEqual([0, 0]);
      expect(result.errors.status5xx).toBe(result.due);
      expect(result.errorRps).toBeGreaterThan(10);
      expect(strict.stderr).toContain('no successful responses');
      expect(strict.stderr).toContain('failed: 100% of requests failed (--max-errors 1%)');
      expect(lenient.code, lenient.stderr).toBe(0);
    } finally {
      await failing.close();
    }
  });

  it('says when an open loop could not keep up: saturated, the backlog not sent', async () => {
    const slow = await startFixtureServer((socket) => setTimeout(() => socket.write(response(200)), 50));
    try {
      // 2 connections of one request per 50 ms serve 40 req/s at most; 200 are offered.
      const r = await clusterbench('load', slow.url, '-c', '2', '--rate', '200', '-d', '1s', '-w', '0', '--workers', '1', '--json');
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as LoadResult;
      expect(result.throughputRps).toBeLessThan(45);
      expect(result.notSent).toBeGreaterThan(100);
      expect(r.stderr).toMatch(/saturated: achieved \d+ of 200 req\/s offered/);
      expect(r.stderr).toContain(`200 due, ${result.sent} sent, ${result.notSent} not sent`);
      expect(r.stderr).toMatch(/send lag\s+p50 \S+\s+p99/);
    } finally {
      await slow.close();
    }
  });
});

describe('clusterbench merge', () => {
  it('merges the results of runners of one run exactly; a target that is down gives a result of connect errors, not a crash', async () => {
    const [runner0, runner1, down, merged] = [
      join(work, 'runner0.json'),
      join(work, 'runner1.json'),
      join(work, 'down.json'),
      join(work, 'merged.json'),
    ];
    const [r0, r1] = await Promise.all(
      [0, 1].map((runner) => runLoad({ url: server.url, connections: 2, durationMs: 400, warmupMs: 0, workers: 1, runner })),
    );
    writeFileSync(runner0, JSON.stringify(r0));
    writeFileSync(runner1, JSON.stringify(r1));
    const [downRun, bad] = await Promise.all([
      clusterbench(
        'load',
        `http://127.0.0.1:${await refusedPort()}/`,
        '-c',
        '2',
        '-d',
        '400ms',
        '-w',
        '0',
        '--workers',
        '1',
        '--out',
        down,
      ),
      clusterbench('merge', runner0, join(ROOT, 'package.json')),
    ]);
    // Every request failed: exit 1, said so, and no made-up latencies.
    expect(downRun.code, downRun.stderr).toBe(1);
    expect(downRun.stderr).toContain('latency       no successful responses');
    expect(downRun.stderr).toContain('failed: 100% of requests failed (--max-errors 1%)');
    const downResult = JSON.parse(readFileSync(down, 'utf8')) as LoadResult;
    expect(r0.requests).toBeGreaterThan(0);
    expect(downResult.requests).toBe(0);
    expect(downResult.errors.connect).toBeGreaterThan(2);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('package.json: not a clusterbench/load-result@2 result');
    // Another target is another run: refused, not summed.
    const other = await clusterbench('merge', runner0, down);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/differ in target/);

    const json = await clusterbench('merge', runner0, runner1, '--json', '--out', merged);
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout) as LoadResult;
    expect(JSON.parse(readFileSync(merged, 'utf8'))).toEqual(result);
    expect(result.requests).toBe(r0.requests + r1.requests);
    expect(decodeHistogram(result.histogram).totalCount).toBe(result.requests);
    expect(result.connections).toBe(4);
    expect(result.runId).toBe(`${r0.runId},${r1.runId}`);
  });
});
