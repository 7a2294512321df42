/**
 * Servers the load generator's tests aim at: the real hello server (bin/hello), and small raw TCP
 * servers for behaviours the hello server does not have (stalls, resets, silence, chunked bodies).
 * The raw ones are test fixtures, named as such; every one listens on 127.0.0.1 port 0.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'build/src/cli.js');

/** A raw TCP test server that calls `onRequest` once per request head it receives. */
export interface FixtureServer {
  readonly url: string;
  readonly port: number;
  /** Request heads received. */
  readonly requests: () => number;
  /** TCP connections accepted. */
  readonly connections: () => number;
  /** Connections open right now. */
  readonly openConnections: () => Promise<number>;
  close(): Promise<void>;
}

export type OnRequest = (socket: net.Socket, index: number) => void;

export async function startFixtureServer(onRequest: OnRequest): Promise<FixtureServer> {
  let requests = 0;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        pending = pending.slice(end + 4);
        onRequest(socket, requests++);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    requests: () => requests,
    connections: () => connections,
    openConnections: () => new Promise((r, j) => server.getConnections((err, n) => (err ? j(err) : r(n)))),
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A complete response with Content-Length. */
export function response(status: number, body = 'Hello, World!', headers = ''): string {
  return `HTTP/1.1 ${status} X\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`;
}

/** A port that refuses connections (it was just bound and released). */
export async function refusedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, 'close');
  return port;
}

export interface HelloServer {
  readonly url: string;
  readonly id: string;
  readonly process: ChildProcess;
  /** hello_http_requests_total from /metrics. */
  requestsServed(): Promise<number>;
  stop(): Promise<void>;
}

/** Builds bin/hello if needed (make build-go is a no-op when it is current). */
export function buildHello(): string {
  execFileSync('make', ['-s', 'build-go'], { cwd: ROOT, stdio: 'inherit' });
  const bin = join(ROOT, 'bin/hello');
  if (!existsSync(bin)) throw new Error(`${bin} is missing after make build-go`);
  return bin;
}

/** Starts the real hello server on loopback port 0 and reads its listening line. */
export async function startHello(bin: string, args: readonly string[] = []): Promise<HelloServer> {
  const child = spawn(bin, ['--http', '127.0.0.1:0', '--rpc', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const line = await new Promise<string>((resolveLine, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`hello did not start: ${stderr}`)), 20_000);
    child.stderr?.on('data', (d) => {
      stderr += d;
      const match = /hello: listening [^\n]*\n/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolveLine(match[0]);
      }
    });
    child.once('exit', (code) => reject(new Error(`hello exited (${code}): ${stderr}`)));
  });
  const http = /http=(\S+)/.exec(line)?.[1] as string;
  const url = `http://${http}/`;
  return {
    url,
    id: /id=(\S+)/.exec(line)?.[1] as string,
    process: child,
    requestsServed: async () => {
      const text = await (await fetch(`${url}metrics`)).text();
      const match = /^hello_http_requests_total (\d+)$/m.exec(text);
      if (!match) throw new Error(`no hello_http_requests_total in /metrics:\n${text}`);
      return Number(match[1]);
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
