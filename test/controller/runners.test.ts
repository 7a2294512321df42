import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../loadtest/index.js';
import { gzipSync } from 'node:zlib';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { frameText } from '../../src/controller/protocol.js';
import { Coordinator, type CoordinatorOptions } from '../../src/controller/coordinator.js';
import { INDEX_HEADER, JOB_HEADER, MAX_REASON_CHARS, RUNNERS_PATH } from '../../src/controller/protocol.js';
import { authorizeRunner, newRunnerToken } from '../../src/controller/runner-auth.js';
import {
  RESULT_LOG_PREFIX,
  decodeResult,
  encodeResult,
  isTrimmed,
  resultFromLog,
  terminationMessageFor,
  trimResult,
} from '../../src/controller/result-codec.js';
import { chunkResult } from '../../src/controller/result-chunks.js';
import { runRunner, shareOf } from '../../src/controller/runner.js';
import { longResult, result } from './fixtures.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A Job of `runners` runner pods, all on loopback (127.0.0.1), and its token, as the controller's informers would show them. */
function loopbackJob(name: string, topology: string, trial: number, runners: number) {
  const { token, sha256 } = newRunnerToken();
  const job: V1Job = {
    metadata: {
      name,
      annotations: { 'clusterbench.dev/runner-token-sha256': sha256 },
      labels: { 'clusterbench.dev/topology': topology, 'clusterbench.dev/trial': String(trial) },
    },
    spec: { completions: runners, template: {} },
  };
  const pods: V1Pod[] = [...Array(runners).keys()].map((i) => ({
    metadata: { annotations: { 'batch.kubernetes.io/job-completion-index': String(i) } },
    status: { podIP: '127.0.0.1' },
  }));
  return {
    token,
    authorize: (claim: Parameters<typeof authorizeRunner>[0]) => authorizeRunner(claim, claim.job === name ? job : undefined, pods),
  };
}

/** A Coordinator on a fresh HTTP server on loopback: the runners' URL, and a stop that closes both. */
async function startCoordinator(options: CoordinatorOptions) {
  const coordinator = new Coordinator(options);
  const controller = createServer();
  coordinator.attach(controller);
  const controllerUrl = `ws://127.0.0.1:${await listen(controller)}${RUNNERS_PATH}`;
  const stop = async () => {
    coordinator.close();
    await close(controller);
  };
  return { coordinator, controllerUrl, stop };
}

/** Opens a runner socket as a client would: resolves with the socket once open, or the refused HTTP status. */
function connect(url: string, headers: Record<string, string>, localAddress = '127.0.0.1'): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, localAddress });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
}

/** Sends a runner message: the controller's answer (an ack), or how it closed the socket. */
function sendAndWait(ws: WebSocket, message: object): Promise<string> {
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const acked = new Promise<string>((resolve) => ws.once('message', (d) => resolve(frameText(d))));
  ws.send(JSON.stringify(message));
  return Promise.race([closed.then((code) => `closed ${code}`), acked]);
}

describe('runners and the coordinator, over real sockets with the real load generator', () => {
  let target: Server;
  let targetUrl: string;
  let dir: string;

  beforeAll(async () => {
    // A real HTTP server on loopback, answering like the hello server.
    target = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': 'hello-test' }).end('Hello, World!'),
    );
    targetUrl = `http://127.0.0.1:${await listen(target)}/`;
    dir = mkdtempSync(join(tmpdir(), 'cb-runners-'));
  });

  afterAll(async () => {
    await close(target);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts both runners at one time sent only when both are connected, and collects both results', async () => {
    let expected: number | undefined; // the Job is unknown at first, as before the informer sees it
    const { token, authorize } = loopbackJob('demo-single-t1-a1', 'single', 1, 2);
    const { coordinator, controllerUrl, stop } = await startCoordinator({ expectedRunners: () => expected, authorize, leadMs: 500 });
    const printed: string[] = [];
    const runner = (index: number) =>
      runRunner({
        controllerUrl,
        job: 'demo-single-t1-a1',
        index,
        token,
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
      expect(printed.map((l) => resultFromLog(`noise\n${l}`)).sort((a, b) => (a?.runner ?? 0) - (b?.runner ?? 0))).toEqual([
        results?.get(0),
        results?.get(1),
      ]);
    } finally {
      await stop();
    }
  });

  it('gives up with exit 1 when no start time comes before the deadline', async () => {
    const { token, authorize } = loopbackJob('demo-nginx-t1-a1', 'nginx', 1, 2);
    const { controllerUrl, stop } = await startCoordinator({ expectedRunners: () => 2, authorize });
    const lines: string[] = [];
    try {
      const code = await runRunner({
        controllerUrl,
        job: 'demo-nginx-t1-a1',
        index: 0,
        token,
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
      await stop();
    }
  });

  it('a runner stopped early (SIGTERM) exits 1 without a result instead of passing a short run off as a whole one', async () => {
    const { token, authorize } = loopbackJob('demo-single-t3-a1', 'single', 3, 1);
    const { coordinator, controllerUrl, stop } = await startCoordinator({ expectedRunners: () => 1, authorize, leadMs: 200 });
    const lines: string[] = [];
    const printed: string[] = [];
    const sigterm = new AbortController();
    setTimeout(() => sigterm.abort(), 1_200);
    try {
      const code = await runRunner({
        controllerUrl,
        job: 'demo-single-t3-a1',
        index: 0,
        token,
        runners: 1,
        load: { url: targetUrl, connections: 2, durationMs: 3_000, warmupMs: 0, topology: 'single', trial: 3, workers: 1 },
        terminationLogPath: join(dir, 'stopped'),
        runLoad,
        signal: sigterm.signal,
        log: (l) => lines.push(l),
        print: (l) => printed.push(l),
      });
      expect(code).toBe(1);
      expect(lines.at(-1)).toMatch(/stopped early \(SIGTERM\) after \d+ ms of the 3000 ms measured; no result/);
      expect(printed).toEqual([]);
      expect(coordinator.results().get('demo-single-t3-a1')?.size ?? 0).toBe(0);
      // Said over the socket too (and acked: no "did not take" line), for when its pod is gone.
      expect(coordinator.failures('demo-single-t3-a1').get(0)).toMatch(/^stopped early \(SIGTERM\) after \d+ ms of the 3000 ms/);
      expect(lines.join('\n')).not.toContain('did not take');
    } finally {
      await stop();
    }
  });

  it("refuses sockets without the Job's token or from another address, and results that are not the runner's, logging why", async () => {
    const job = 'demo-nginx-t2-a1';
    const { token, authorize } = loopbackJob(job, 'nginx', 2, 1);
    const lines: string[] = [];
    const {
      coordinator,
      controllerUrl: url,
      stop,
    } = await startCoordinator({ expectedRunners: () => 1, authorize, log: (l) => lines.push(l), leadMs: 60_000 });
    const as = (t: string, index = 0) => ({ authorization: `Bearer ${t}`, [JOB_HEADER]: job, [INDEX_HEADER]: String(index) });
    try {
      expect(await connect(url, { [JOB_HEADER]: job, [INDEX_HEADER]: '0' })).toBe(403);
      expect(await connect(url, as(newRunnerToken().token))).toBe(403);
      expect(await connect(url, { ...as(token), [JOB_HEADER]: 'demo-single-t2-a1' })).toBe(403);
      // The right token, from an address that is not the runner pod's: a leaked token is not enough.
      expect(await connect(url, as(token), '127.0.0.2')).toBe(403);
      expect(lines).toEqual([
        expect.stringContaining('no token'),
        expect.stringContaining("not the Job's token"),
        expect.stringContaining('no such Job'),
        expect.stringMatching(/refused 127\.0\.0\.2 .*address 127\.0\.0\.2 is not the pod of runner 0/),
      ]);
      expect(coordinator.results().size).toBe(0); // unknown jobs and refused runners made no session

      // Let in, the runner may speak only for itself, and only a result of its own run counts.
      const encode = (topology: string, trial: number, runner: number) =>
        encodeResult(result(topology as never, trial, runner, [100, 200]));
      /** A result small enough for one chunk, as a runner sends it. */
      const resultMessage = (forJob: string, encoded: string) => ({ type: 'result', job: forJob, index: 0, ...chunkResult(encoded)[0] });
      let ws = (await connect(url, as(token))) as WebSocket;
      expect(await sendAndWait(ws, resultMessage(job, encode('single', 2, 0)))).toBe('closed 1008');
      ws = (await connect(url, as(token))) as WebSocket;
      expect(await sendAndWait(ws, resultMessage('demo-nginx-t1-a1', encode('nginx', 1, 0)))).toBe('closed 1008');
      // A gzip bomb: 64 MiB of zeros in 64 KB, under the frame limit.
      ws = (await connect(url, as(token))) as WebSocket;
      const bomb = `cbr1:${gzipSync(Buffer.alloc(64 << 20), { level: 9 }).toString('base64')}`;
      expect(bomb.length).toBeLessThan(1 << 20);
      expect(await sendAndWait(ws, resultMessage(job, bomb))).toBe('closed 1008');
      // A chunk whose data is not what its digest says.
      ws = (await connect(url, as(token))) as WebSocket;
      expect(
        await sendAndWait(ws, { ...resultMessage(job, encode('nginx', 2, 0)), data: encode('nginx', 2, 0).replace('cbr1:', 'cbr1:A') }),
      ).toBe('closed 1008');
      expect(coordinator.results().get(job)?.size ?? 0).toBe(0);
      ws = (await connect(url, as(token))) as WebSocket;
      expect(await sendAndWait(ws, resultMessage(job, encode('nginx', 2, 0)))).toBe('{"type":"ack"}');
      // A second result does not replace the first.
      const second = result('nginx', 2, 0, [999_999]);
      expect(await sendAndWait(ws, resultMessage(job, encodeResult(second)))).toBe('{"type":"ack"}');
      expect(coordinator.results().get(job)?.get(0)?.latencyUs.max).toBeLessThan(1_000);
      ws.close();
      expect(lines.slice(4)).toEqual([
        expect.stringContaining('result of another run: topology "single", not nginx'),
        expect.stringContaining('a message for demo-nginx-t1-a1/0 on its socket'),
        expect.stringContaining('decompressed'),
        expect.stringContaining('result sha256 does not match its chunks'),
      ]);
    } finally {
      await stop();
    }
  });

  it("takes a runner's failure reason only from an authenticated runner of that Job and index, and bounded", async () => {
    const job = 'demo-nginx-t1-a1';
    const { token, authorize } = loopbackJob(job, 'nginx', 1, 2);
    const lines: string[] = [];
    const coordinator = new Coordinator({ expectedRunners: () => 2, authorize, log: (l) => lines.push(l), leadMs: 60_000 });
    const controller = createServer();
    coordinator.attach(controller);
    const url = `ws://127.0.0.1:${await listen(controller)}${RUNNERS_PATH}`;
    const as = (t: string, forJob = job, index = 0) => ({
      authorization: `Bearer ${t}`,
      [JOB_HEADER]: forJob,
      [INDEX_HEADER]: String(index),
    });
    const failed = (forJob: string, index: number, reason: string) => ({ type: 'failed', job: forJob, index, reason });
    try {
      // No socket at all without the Job's token, or for an unknown Job.
      expect(await connect(url, as(newRunnerToken().token))).toBe(403);
      expect(await connect(url, as(token, 'demo-nginx-t9-a1'))).toBe(403);
      // On runner 0's socket: another Job, another index, an oversize or empty reason close it.
      let ws = (await connect(url, as(token))) as WebSocket;
      expect(await sendAndWait(ws, failed('demo-nginx-t9-a1', 0, 'stopped early'))).toBe('closed 1008');
      ws = (await connect(url, as(token))) as WebSocket;
      expect(await sendAndWait(ws, failed(job, 1, 'stopped early'))).toBe('closed 1008');
      ws = (await connect(url, as(token))) as WebSocket;
      expect(await sendAndWait(ws, failed(job, 0, 'x'.repeat(MAX_REASON_CHARS + 1)))).toBe('closed 1008');
      ws = (await connect(url, as(token))) as WebSocket;
      expect(await sendAndWait(ws, failed(job, 0, ''))).toBe('closed 1008');
      expect(coordinator.failures(job).size).toBe(0);
      expect(coordinator.failures('demo-nginx-t9-a1').size).toBe(0);
      // Its own Job and index: held and acked; the first reason stands.
      ws = (await connect(url, as(token))) as WebSocket;
      expect(await sendAndWait(ws, failed(job, 0, 'x'.repeat(MAX_REASON_CHARS)))).toBe('{"type":"ack"}');
      expect(await sendAndWait(ws, failed(job, 0, 'a second reason'))).toBe('{"type":"ack"}');
      ws.close();
      expect([...coordinator.failures(job)]).toEqual([[0, 'x'.repeat(MAX_REASON_CHARS)]]);
      expect(lines.slice(2)).toEqual([
        expect.stringContaining('a message for demo-nginx-t9-a1/0 on its socket'),
        expect.stringContaining('a message for demo-nginx-t1-a1/1 on its socket'),
        expect.stringContaining(`failed: reason must be 1 to ${MAX_REASON_CHARS} characters`),
        expect.stringContaining(`failed: reason must be 1 to ${MAX_REASON_CHARS} characters`),
      ]);
      // Freed with the rest of the run's state.
      coordinator.forget(job);
      expect(coordinator.failures(job).size).toBe(0);
    } finally {
      coordinator.close();
      await close(controller);
    }
  });

  it('a 30-minute result (over the 1 MiB frame limit) reaches the controller whole, in chunks, and is acked', async () => {
    const job = 'demo-rpc-gateway-t2-a1';
    const { token, authorize } = loopbackJob(job, 'rpc-gateway', 2, 1);
    const lines: string[] = [];
    const { coordinator, controllerUrl, stop } = await startCoordinator({
      expectedRunners: () => 1,
      authorize,
      log: (l) => lines.push(l),
      leadMs: 100,
    });
    const thirtyMinutes = longResult('rpc-gateway', 2, 0, 1800);
    expect(encodeResult(thirtyMinutes).length).toBeGreaterThan(1 << 20);
    const runnerLog: string[] = [];
    const printed: string[] = [];
    try {
      const code = await runRunner({
        controllerUrl,
        job,
        index: 0,
        token,
        runners: 1,
        load: { url: targetUrl, connections: 1, durationMs: 1_800_000, warmupMs: 0, topology: 'rpc-gateway', trial: 2 },
        terminationLogPath: join(dir, 'thirty-minutes'),
        // The load itself is not under test here: the run "ends" with the long result.
        runLoad: () => Promise.resolve(thirtyMinutes),
        log: (l) => runnerLog.push(l),
        print: (l) => printed.push(l),
      });
      expect(code).toBe(0);
      expect(coordinator.results().get(job)?.get(0)).toEqual(thirtyMinutes);
      // Acked: the runner did not give up waiting, and the controller refused nothing.
      expect(runnerLog.filter((l) => l.includes('no ack') || l.includes('not connected'))).toEqual([]);
      expect(lines.filter((l) => l.includes('closing'))).toEqual([]);
      expect(resultFromLog(printed.join(''))).toEqual(thirtyMinutes);
    } finally {
      await stop();
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
    const big = {
      ...base,
      timeline: Array.from({ length: 60 }, (_, i) => ({
        t: i + 1,
        rps: 1000,
        p99Us: 900,
        errors: 0,
        histogram: result('nginx', 2, 1, spread(i + 1)).histogram,
      })),
    };
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
