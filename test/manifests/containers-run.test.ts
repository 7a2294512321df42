import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { find, freePort, synth, type K8sObject } from './manifests.js';

// The containers' commands, arguments, environment and probe paths, exactly as synthesized, run
// against the real programs (bin/hello, bin/rpc-gateway from `make build`, and nginx) on
// loopback: a renamed flag or env variable, or a probe path a server does not serve, fails here
// instead of in a cluster. Only the listen addresses are moved to free loopback ports.

const work = mkdtempSync(join(tmpdir(), 'clusterbench-containers-'));
const children: ChildProcess[] = [];
const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
async function stopAll(): Promise<void> {
  for (const child of children) if (running(child)) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (running(child) ? new Promise((r) => child.once('exit', r)) : Promise.resolve())));
}
afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

const POD_NAME = 'hello-5d8f9c7b6d-x2k4q';

function container(o: K8sObject) {
  const c = o.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) env[e.name] = e.value ?? (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name' ? POD_NAME : '');
  return {
    command: c.command as string[] | undefined,
    args: (c.args ?? []) as string[],
    env,
    readiness: c.readinessProbe.httpGet.path as string,
    liveness: c.livenessProbe.httpGet.path as string,
  };
}

/** Starts a program and resolves with the first stderr line matching `ready`. */
function start(program: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<RegExpMatchArray> {
  const child = spawn(program, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${program} did not start within 20 s: ${err}`)), 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const match = err.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once('exit', (code) => reject(new Error(`${program} exited ${code}: ${err}`)));
  });
}

async function get(url: string, tries = 50): Promise<Response> {
  for (let i = 1; ; i++) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(2_000) });
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Polls like kubelet's readiness probe: 200 within 10 s. */
async function ready(url: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { status } = await get(url);
    if (status === 200 || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const listenAnywhere = (args: string[]) => args.map((a) => (/^:\d+$/.test(a) ? '127.0.0.1:0' : a));

describe.skipIf(!existsSync('bin/hello') || !existsSync('bin/rpc-gateway'))(
  'containers run as synthesized (bin/ from make build)',
  { timeout: 120_000 },
  () => {
    const { objects } = synth(['hello.work=50us', 'hello.payload=64', 'nginx.resolveUpstreams=false']);
    let helloHttp = '';
    let helloRpc = '';

    it('hello: its args and HELLO_* env are accepted; probes and X-Served-By answer', async () => {
      const hello = container(find(objects, 'Deployment', 'hello'));
      expect(hello.env).toMatchObject({ HELLO_WORK: '50us', HELLO_PAYLOAD: '64', POD_NAME });
      const [, http, rpc] = await start('bin/hello', listenAnywhere(hello.args), hello.env, /listening http=(\S+) rpc=(\S+)/);
      helloHttp = http;
      helloRpc = rpc;
      for (const path of [hello.readiness, hello.liveness]) expect(await ready(`http://${helloHttp}${path}`), path).toBe(200);
      const res = await get(`http://${helloHttp}/`);
      expect(res.headers.get('x-served-by')).toBe(POD_NAME);
      expect((await res.arrayBuffer()).byteLength).toBe(64);
    });

    it('rpc-gateway: its args are accepted; it reaches hello over net/rpc', async () => {
      const gateway = container(find(objects, 'Deployment', 'rpc-gateway'));
      const args = listenAnywhere(gateway.args).map((a) => (a.startsWith('hello-headless.') ? helloRpc : a));
      const [, http] = await start('bin/rpc-gateway', args, gateway.env, /listening http=(\S+)/);
      for (const path of [gateway.readiness, gateway.liveness]) expect(await ready(`http://${http}${path}`), path).toBe(200);
      const res = await get(`http://${http}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-served-by')).toBe(POD_NAME);
    });

    it('nginx: its command and the ConfigMap config run; it proxies to hello', async () => {
      const nginx = container(find(objects, 'Deployment', 'nginx'));
      const port = await freePort();
      const runDir = mkdtempSync(join(work, 'nginx-'));
      const conf = (find(objects, 'ConfigMap', 'nginx-config').data['nginx.conf'] as string)
        .replace(/listen 8080 /, `listen 127.0.0.1:${port} `)
        .replace(/hello-headless\.clusterbench\.svc\.cluster\.local:8080/, helloHttp)
        .replace(/resolver \S+/, 'resolver 127.0.0.1')
        .replaceAll('/tmp/nginx', runDir);
      const confPath = join(runDir, 'nginx.conf');
      writeFileSync(confPath, conf);
      const [program, ...args] = nginx.command!.map((a) => (a === '/etc/clusterbench/nginx.conf' ? confPath : a));
      const child = spawn(program, args, { stdio: 'ignore' });
      children.push(child);
      expect(await ready(`http://127.0.0.1:${port}${nginx.readiness}`)).toBe(200);
      const res = await get(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-served-by')).toBe(POD_NAME);
    });

    it('stops every process it started', async () => {
      expect(children).toHaveLength(3);
      await stopAll();
      expect(children.filter(running)).toEqual([]);
      await expect(fetch(`http://${helloHttp}/`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    });
  },
);
