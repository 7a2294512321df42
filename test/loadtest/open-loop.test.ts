/**
 * Open loop against servers whose truth is known, each claim checked against the server's own
 * count: a server of fixed capacity overloaded 1.25x and 5x (achieved rate, the window's own
 * requests, nothing sent after it), servers that answer late or never (timeouts from the intended
 * send time, also for requests still waiting for a connection), and one that fails every request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHistogram, runLoad, type LoadResult } from '../../loadtest/index.js';
import { isSaturated, totalErrors } from '../../loadtest/verdict.js';
import { type FixtureServer, response, startFixtureServer } from './servers.js';

/** The capacity server (capacity-server.mjs) in its own process, so our load does not slow it. */
interface CapacityServer {
  readonly url: string;
  /** Requests it received and responses it sent in [from, to) (epoch ms). */
  count(from: number, to: number): Promise<{ received: number; answered: number }>;
  stop(): Promise<void>;
}

async function startCapacityServer(serviceMs: number): Promise<CapacityServer> {
  const child: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, 'capacity-server.mjs'), String(serviceMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const port = Number((await lines.next()).value);
  return {
    url: `http://127.0.0.1:${port}/`,
    count: async (from, to) => {
      child.stdin?.write(`count ${from} ${to}\n`);
      const [received, answered] = String((await lines.next()).value)
        .split(' ')
        .map(Number);
      return { received, answered };
    },
    stop: async () => {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}

/** The window of a result, in epoch ms. */
function windowOf(result: LoadResult): { from: number; to: number } {
  const from = Date.parse(result.startedAt);
  return { from, to: from + result.durationMs };
}

/** Every due request ends as exactly one of: success, error, not sent. */
function expectAccounted(r: LoadResult): void {
  expect(r.requests + totalErrors(r.errors) + r.notSent, JSON.stringify({ ...r, histogram: '', timeline: [] })).toBe(r.due);
  expect(r.sent).toBeLessThanOrEqual(r.due);
  expect(r.errors.timeout).toBeLessThanOrEqual(r.due);
  expect(decodeHistogram(r.histogram).totalCount).toBe(r.requests);
}

describe('open loop against a server of known capacity (one request at a time, 2.5 ms each: 400 req/s)', () => {
  const SERVICE_MS = 2.5;
  const CAPACITY = 1000 / SERVICE_MS;
  let server: CapacityServer;
  beforeAll(async () => {
    server = await startCapacityServer(SERVICE_MS);
  });
  afterAll(() => server.stop());

  it.each([
    [1.25, 0, 1],
    [1.25, 1000, 1],
    [5, 0, 1],
    [5, 1000, 2],
  ])(
    'offered %sx capacity, warmup %s ms, %s worker(s): the achieved rate is the server count in the window',
    async (factor, warmupMs, workers) => {
      const rate = factor * CAPACITY;
      const result = await runLoad({ url: server.url, connections: 4, rate, durationMs: 2000, warmupMs, workers });
      const { from, to } = windowOf(result);
      const inWindow = await server.count(from, to);
      const serverRps = inWindow.answered / 2;
      expect(inWindow.answered).toBeGreaterThan(50);
      // Within 3%, or the responses of the warmup's requests still in flight when the window opened
      // (one per connection, counted by the server, not ours), whichever is more: a starved machine
      // may serve only a hundred responses in the window.
      const tolerance = Math.max(0.03 * inWindow.answered, 4);
      expect(
        Math.abs(result.throughputRps * 2 - inWindow.answered),
        `reported ${result.throughputRps} req/s, server ${serverRps}`,
      ).toBeLessThanOrEqual(tolerance);
      expect(isSaturated(result.throughputRps, result.rate)).toBe(true);
      // The window is judged on its own requests: exactly those due in it, each accounted for once.
      expect(result.due).toBe(rate * 2);
      expectAccounted(result);
      expect(result.notSent).toBeGreaterThan(0);
      // Nothing is sent after the window closes (the old engine sent its whole backlog then); the
      // margin is for the server reading late on a busy machine and the workers' start skew.
      expect((await server.count(to + 250, to + 60_000)).received).toBe(0);
      // The server's queue is at most one request per connection: no unbounded backlog was sent.
      expect(result.sent).toBeLessThanOrEqual(inWindow.answered + 2 * 4);
      expect(result.latencyUs.max).toBeLessThanOrEqual(5_000_000 * 1.001);
    },
  );
});

describe('open loop timeouts', () => {
  const fixtures: FixtureServer[] = [];
  afterAll(() => Promise.all(fixtures.map((f) => f.close())));

  it('a response later than its timeout is a timeout, never a success', async () => {
    const late = await startFixtureServer((socket) => setTimeout(() => socket.write(response(200)), 250));
    fixtures.push(late);
    const result = await runLoad({ url: late.url, connections: 10, rate: 20, durationMs: 1000, warmupMs: 0, timeoutMs: 200, workers: 1 });
    expect(result.due).toBe(20);
    expect(result.requests).toBe(0);
    expect(result.errors.timeout).toBe(20);
    expectAccounted(result);
  });

  it('the latency maximum never exceeds the timeout (answers spread over twice the timeout)', async () => {
    const spread = await startFixtureServer((socket, i) => setTimeout(() => socket.write(response(200)), (i * 37) % 400));
    fixtures.push(spread);
    const result = await runLoad({
      url: spread.url,
      connections: 40,
      rate: 100,
      durationMs: 1000,
      warmupMs: 0,
      timeoutMs: 200,
      workers: 1,
    });
    expect(result.requests).toBeGreaterThan(20);
    expect(result.errors.timeout).toBeGreaterThan(20);
    expect(result.latencyUs.max).toBeLessThanOrEqual(200_000 * 1.001);
    expectAccounted(result);
  });

  it('runs from the intended send time and is found within max(10 ms, 1%): a server that never answers sees the client give up', async () => {
    const arrivals = new Map<object, number>();
    const giveUps: number[] = [];
    const silent = await startFixtureServer((socket) => {
      arrivals.set(socket, performance.now());
      socket.once('close', () => giveUps.push(performance.now() - (arrivals.get(socket) as number)));
    });
    fixtures.push(silent);
    const result = await runLoad({ url: silent.url, connections: 30, rate: 20, durationMs: 1000, warmupMs: 0, timeoutMs: 300, workers: 1 });
    expect(result.errors.timeout).toBe(20);
    await expect.poll(() => giveUps.length).toBe(20);
    giveUps.sort((a, b) => a - b);
    // The median within the bound (a late send shortens what the server sees, a starved CPU on a
    // shared machine lengthens the tail).
    expect(giveUps[10]).toBeGreaterThan(300 - 10);
    expect(giveUps[10]).toBeLessThanOrEqual(300 + 10);
  });

  it('a request that waited for a connection has only the rest of its timeout', async () => {
    const closedAfter: number[] = [];
    const stuck = await startFixtureServer((socket) => {
      const arrived = performance.now();
      socket.once('close', () => closedAfter.push(performance.now() - arrived));
    });
    fixtures.push(stuck);
    // One connection, 100 req/s, 200 ms timeout, a server that never answers: the first request
    // holds the connection 200 ms while the next ones wait; each sent later has only what is left
    // of its 200 ms, and those whose 200 ms ran out while waiting time out unsent.
    const result = await runLoad({ url: stuck.url, connections: 1, rate: 100, durationMs: 1000, warmupMs: 0, timeoutMs: 200, workers: 1 });
    expect(result.due).toBe(100);
    expect(result.requests).toBe(0);
    expectAccounted(result);
    expect(result.errors.timeout + result.notSent).toBe(100);
    // Every sent request timed out; with the sweep on time each waiting request is sent with a few
    // ms left (timeouts = sent), with a late sweep some run out unsent (timeouts > sent).
    expect(result.errors.timeout).toBeGreaterThanOrEqual(result.sent);
    expect(result.notSent).toBeGreaterThan(10);
    await expect.poll(() => [closedAfter.length, stuck.requests()]).toEqual([result.sent, result.sent]);
    closedAfter.sort((a, b) => a - b);
    expect(closedAfter[closedAfter.length >> 1]).toBeLessThan(30);
  });
});
