import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../loadtest/index.js';
import { Coordinator } from '../../src/controller/coordinator.js';
import { RUNNERS_PATH } from '../../src/controller/protocol.js';
import { RESULT_LOG_PREFIX, decodeResult, encodeResult, isTrimmed, resultFromLog, terminationMessageFor, trimResult } from '../../src/controller/result-codec.js';
import { runRunner, shareOf } from '../../src/controller/runner.js';
import { result } from './fixtures.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('runners and the coordinator, over real sockets with the real load generator', () => {
  let target: Server;
  let targetUrl: string;
  let dir: string;

  beforeAll(async () => {
    // A real HTTP server on loopback, answering like the hello server.
    target = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': 'hello-test' }).end('Hello, World!'));
    targetUrl = `http://127.0.0.1:${await listen(target)}/`;
    dir = mkdtempSync(join(tmpdir(), 'cb-runners-'));
  });

  afterAll(async () => {
    await close(target);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts both runners at one time sent only when both are connected, and collects both results', async () => {
    let expected: number | undefined; // the Job is unknown at first, as before the informer sees it
    const coordinator = new Coordinator({ expectedRunners: () => expected, leadMs: 500 });
    const controller = createServer();
    coordinator.attach(controller);
    const controllerUrl = `ws://127.0.0.1:${await listen(controller)}${RUNNERS_PATH}`;
    const printed: string[] = [];
    const runner = (index: number) =>
      runRunner({
        controllerUrl,
        job: 'demo-single-t1-a1',
        index,
        runners: 2,
        load: { url: targetUrl, connections: 3, durationMs: 1_000, warmupMs: 200, topology: 'single', trial: 1, workers: 1 },
        startDeadlineMs: 20_000,
        terminationLogPath: join(dir, `termination-${index}`),
        runLoad,
        log: () => undefined,
        print: (line) => printed.push(line),
      });
    try {
      const first = runner(0);
      await new Promise((r) => setTimeout(r, 1_500));
      // Runner 0 alone, the Job not known yet: no start time was given.
      expect(coordinator.startTimes().size).toBe(0);
      expected = 2;
      const second = runner(1);
      expect(await Promise.all([first, second])).toEqual([0, 0]);

      const startAt = coordinator.startTimes().get('demo-single-t1-a1');
      expect(startAt).toBeGreaterThan(0);
      const results = coordinator.results().get('demo-single-t1-a1');
      expect([...(results?.keys() ?? [])].sort()).toEqual([0, 1]);
      for (const [index, result] of results ?? []) {
        expect(result.runner).toBe(index);
        expect(result.connections).toBe(shareOf(3, 2, index));
        expect(result.requests).toBeGreaterThan(0);
        // Both began their warmup at the agreed time, give or take scheduling on a loaded machine
        // (both runners share this test's one Node process).
        expect(Math.abs(result.startSkewMs)).toBeLessThan(1_000);
        // The result survives in the "pod": in the termination message (trimmed if the full one is
        // over 4096 bytes) and whole in the log line.
        const message = readFileSync(join(dir, `termination-${index}`), 'utf8');
        expect(Buffer.byteLength(message)).toBeLessThanOrEqual(4096);
        expect(decodeResult(message)).toEqual(isTrimmed(message) ? trimResult(result) : result);
      }
      expect(printed.every((l) => l.startsWith(RESULT_LOG_PREFIX))).toBe(true);
      expect(printed.map((l) => resultFromLog(`noise\n${l}`)).sort((a, b) => (a?.runner ?? 0) - (b?.runner ?? 0))).toEqual([results?.get(0), results?.get(1)]);
    } finally {
      coordinator.close();
      await close(controller);
    }
  });

  it('gives up with exit 1 when no start time comes before the deadline', async () => {
    const coordinator = new Coordinator({ expectedRunners: () => 2 });
    const controller = createServer();
    coordinator.attach(controller);
    const controllerUrl = `ws://127.0.0.1:${await listen(controller)}${RUNNERS_PATH}`;
    const lines: string[] = [];
    try {
      const code = await runRunner({
        controllerUrl,
        job: 'demo-nginx-t1-a1',
        index: 0,
        runners: 2,
        load: { url: targetUrl, connections: 2, durationMs: 500, warmupMs: 0 },
        startDeadlineMs: 800,
        terminationLogPath: join(dir, 'never'),
        runLoad,
        log: (l) => lines.push(l),
        print: () => undefined,
      });
      expect(code).toBe(1);
      expect(lines.join('\n')).toContain('no start time from the controller');
    } finally {
      coordinator.close();
      await close(controller);
    }
  });

  it('splits connections over runners, the first ones taking the remainder', () => {
    expect([0, 1, 2].map((i) => shareOf(10, 3, i))).toEqual([4, 3, 3]);
  });
});

describe('result encoding', () => {
  it('puts a small result whole into the termination message', () => {
    const small = result('single', 1, 0, [100, 200, 300]);
    const message = terminationMessageFor(small) ?? '';
    expect(isTrimmed(message)).toBe(false);
    expect(decodeResult(message)).toEqual(small);
  });

  it('trims the per-second histograms of a result too large for 4096 bytes, and keeps it whole for the log', () => {
    // Sixty seconds, each with its own histogram of spread-out latencies, as a long run has.
    const spread = (seed: number) => Array.from({ length: 3000 }, (_, i) => 50 + ((i * 7919 + seed * 104729) % 200_000));
    const base = result('nginx', 2, 1, spread(0));
    const big = { ...base, timeline: Array.from({ length: 60 }, (_, i) => ({ t: i + 1, rps: 1000, p99Us: 900, errors: 0, histogram: result('nginx', 2, 1, spread(i + 1)).histogram })) };
    expect(Buffer.byteLength(encodeResult(big))).toBeGreaterThan(4096);
    const message = terminationMessageFor(big) ?? '';
    expect(isTrimmed(message)).toBe(true);
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(4096);
    const decoded = decodeResult(message);
    expect(decoded.histogram).toBe(big.histogram);
    expect(decoded.timeline.every((p) => p.histogram === undefined && p.rps === 1000)).toBe(true);
    expect(resultFromLog(`${RESULT_LOG_PREFIX}${encodeResult(big)}\n`)).toEqual(big);
    expect(() => decodeResult('fake kubelet: this runner fails on purpose')).toThrow('not an encoded load result');
  });
});
