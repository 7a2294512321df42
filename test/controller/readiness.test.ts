import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1EndpointSlice } from '@kubernetes/client-node';
import {
  INGRESS_PROBE_ATTEMPTS,
  SERVICE_NAME_LABEL,
  whyIngressCannotAnswer,
  whyServiceCannotAnswer,
} from '../../src/controller/readiness.js';

const slice = (service: string, ...ready: (boolean | undefined | 'terminating')[]): V1EndpointSlice => ({
  addressType: 'IPv4',
  metadata: { labels: { [SERVICE_NAME_LABEL]: service } },
  endpoints: ready.map((r, i) => ({
    addresses: [`10.0.0.${i + 1}`],
    conditions: r === 'terminating' ? { ready: false, terminating: true } : r === undefined ? {} : { ready: r },
  })),
});

describe('a topology counts as deployed only when its Service can answer', () => {
  it('needs one ready endpoint in the Service’s own slices; unset ready counts as ready', () => {
    expect(whyServiceCannotAnswer('nginx', [slice('nginx', false, true)])).toBeUndefined();
    expect(whyServiceCannotAnswer('nginx', [slice('nginx', undefined)])).toBeUndefined();
    expect(whyServiceCannotAnswer('nginx', [slice('nginx', false), slice('nginx', true)])).toBeUndefined();
  });

  it('names why not: no endpoints at all, or none ready (terminating ones never are); another Service’s do not count', () => {
    expect(whyServiceCannotAnswer('nginx', [])).toBe('Service nginx has no endpoints (no such Service, or no pods match it)');
    expect(whyServiceCannotAnswer('nginx', [slice('nginx')])).toBe('Service nginx has no endpoints (no such Service, or no pods match it)');
    expect(whyServiceCannotAnswer('nginx', [slice('nginx', false, 'terminating')])).toBe(
      'Service nginx has no ready endpoints (0 of 2 ready)',
    );
    expect(whyServiceCannotAnswer('nginx', [slice('hello', true)])).toBe(
      'Service nginx has no endpoints (no such Service, or no pods match it)',
    );
  });
});

describe('ingress-nginx counts as able to answer only when a hello server answers through it (real sockets)', () => {
  const servers: Server[] = [];
  let requests = 0;
  /** A server on loopback answering every request with `status` and these headers. */
  async function serve(status: number, headers: Record<string, string>): Promise<string> {
    const server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(status, headers).end('x');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }
  /** The hello pods of the Benchmark's namespace. */
  const ours = new Set(['hello-abc', 'hello-def']);
  let hello: string;
  let defaultBackend: string;
  let closed: string;

  beforeAll(async () => {
    hello = await serve(200, { 'x-served-by': 'hello-abc' });
    // ingress-nginx with no Ingress loaded: its default backend's 404; a 200 from something else.
    defaultBackend = await serve(404, {});
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    closed = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/`;
    await new Promise((r) => gone.close(r));
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  it('a hello server answering through it: ready at the first GET', async () => {
    requests = 0;
    expect(await whyIngressCannotAnswer(hello, ours)).toBeUndefined();
    expect(requests).toBe(1);
  });

  it(`a default backend's 404, or a 200 without X-Served-By: not ready after ${INGRESS_PROBE_ATTEMPTS} GETs, saying what came back`, async () => {
    requests = 0;
    expect(await whyIngressCannotAnswer(defaultBackend, ours)).toBe(
      `no hello server answered through the Ingress at ${defaultBackend} (${INGRESS_PROBE_ATTEMPTS} tries, the last: HTTP 404 without X-Served-By)`,
    );
    expect(requests).toBe(INGRESS_PROBE_ATTEMPTS);
    expect(await whyIngressCannotAnswer(await serve(200, {}), ours)).toContain('HTTP 200 without X-Served-By');
  });

  it("another namespace's hello pod answering (its Ingress holds the same path): not ready, naming the pod", async () => {
    expect(await whyIngressCannotAnswer(hello, new Set(['hello-xyz']))).toBe(
      `no hello server answered through the Ingress at ${hello} (${INGRESS_PROBE_ATTEMPTS} tries, the last: answered by hello-abc, not a hello pod of this namespace (another namespace's Ingress on the same path?))`,
    );
  });

  it('nothing listening: the connection error is named', async () => {
    expect(await whyIngressCannotAnswer(closed, ours)).toMatch(/the last: fetch failed \(ECONNREFUSED\)\)$/);
  });
});
