/** Starting the programs under test on loopback and waiting until they really serve. */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { renderNginxConfig } from '../nginx/nginx-config.js';
import type { ProcessGroup } from './process-group.js';

const LOOPBACK = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;

export interface HelloServer {
  /** Its X-Served-By. */
  readonly id: string;
  readonly pid: number;
  /** `127.0.0.1:port` */
  readonly http: string;
  readonly rpc: string;
  /** Hash rounds per request that --work was calibrated to at start-up (0 without --work). */
  readonly workRounds: number | null;
}

export interface HelloSettings {
  readonly binary: string;
  /** --work, e.g. `200us`; none by default. */
  readonly work?: string;
}

/**
 * Starts one hello server. Without addresses it binds port 0 and reads the ports from its
 * `hello: listening http=… rpc=… id=…` line (printed after --work calibration); a restart passes
 * the addresses it had.
 */
export async function startHello(
  group: ProcessGroup,
  settings: HelloSettings,
  id: string,
  addresses: { http: string; rpc: string } = { http: `${LOOPBACK}:0`, rpc: `${LOOPBACK}:0` },
): Promise<HelloServer> {
  const args = ['--http', addresses.http, '--rpc', addresses.rpc, '--id', id, ...(settings.work ? ['--work', settings.work] : [])];
  const started = await group.start({
    name: id,
    command: settings.binary,
    args,
    readyLine: /^hello: listening http=(\S+) rpc=(\S+)(?:.* work-rounds=(\d+))?/,
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  const [, http, rpc, rounds] = started.readyMatch ?? [];
  await waitForHttp(`http://${http}/readyz`);
  return { id, pid: started.pid, http, rpc, workRounds: rounds === undefined ? null : Number(rounds) };
}

/** Debian's nginx over `upstreams`, configured by the shared template, in the foreground; `runDir` (its config, pid file and temp paths) must exist. */
export async function startNginx(
  group: ProcessGroup,
  binary: string,
  upstreams: readonly HelloServer[],
  runDir: string,
): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const config = join(runDir, 'nginx.conf');
  await writeFile(config, renderNginxConfig({ listen: `${LOOPBACK}:${port}`, upstreams: upstreams.map((u) => u.http), runDir }));
  // -e: its own error log from the first moment (the compiled-in path may not be writable).
  const { pid } = await group.start({ name: 'nginx', command: binary, args: ['-e', 'stderr', '-p', runDir, '-c', config] });
  await waitForHttp(`http://${LOOPBACK}:${port}/nginx-healthz`);
  return { url: `http://${LOOPBACK}:${port}/`, pid };
}

/** The Go net/rpc gateway over the hello servers' RPC ports. */
export async function startGateway(
  group: ProcessGroup,
  binary: string,
  upstreams: readonly HelloServer[],
): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const { pid } = await group.start({
    name: 'rpc-gateway',
    command: binary,
    args: ['--http', `${LOOPBACK}:${port}`, '--backends', upstreams.map((u) => u.rpc).join(','), '--balancer', 'p2c'],
  });
  await waitForHttp(`http://${LOOPBACK}:${port}/readyz`);
  return { url: `http://${LOOPBACK}:${port}/`, pid };
}

/** A port that was free a moment ago, for programs that cannot report the port they bound. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `url` until it answers 200. */
export async function waitForHttp(url: string, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} was not ready within ${timeoutMs / 1000} s (${last})`);
}

/**
 * Sends requests through a balancer until every one of `ids` has answered (X-Served-By), so a
 * measurement never starts with a backend the balancer has not reached yet.
 */
export async function waitForBackends(url: string, ids: readonly string[], timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const missing = new Set(ids);
  const deadline = Date.now() + timeoutMs;
  while (missing.size > 0 && Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      const servedBy = res.headers.get('x-served-by');
      if (res.status === 200 && servedBy) missing.delete(servedBy);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (missing.size > 0) throw new Error(`${url} never reached ${[...missing].join(', ')} within ${timeoutMs / 1000} s`);
}

/**
 * Polls a hello server's /metrics until it has answered a request (HTTP or RPC), i.e. a balancer
 * sends it traffic again; resolves with that time (epoch ms), or null at `untilMs` or on abort.
 */
export async function waitUntilServing(server: HelloServer, untilMs: number, signal: AbortSignal): Promise<number | null> {
  while (Date.now() < untilMs && !signal.aborted) {
    try {
      const res = await fetch(`http://${server.http}/metrics`, { signal: AbortSignal.timeout(1000) });
      const text = await res.text();
      const served = [...text.matchAll(/^hello_(?:http_requests|rpc_calls)_total (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
      if (served > 0) return Date.now();
    } catch {
      // not answering yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return null;
}
