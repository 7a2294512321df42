/**
 * Many runners (issue 18): one Benchmark of 50 runners against a real API server and Job
 * controller, the controller a separate `clusterbench controller` process (so its CPU and memory
 * are its own, read from /proc), the 50 runner pods run by the fake kubelet (test/controller/
 * apiserver-harness.ts: the real runner code, in this process, against a local target).
 * Proves at that scale: the start barrier (every runner starts at the agreed time: the start
 * skews), result collection (50 results recorded) and the exact merge (the report's numbers are
 * the merge of the 50 results, and the target's own counter agrees), and the report's account of
 * where they ran (the pods bound to two Node objects, as a scheduler would). Prints the numbers the README
 * quotes: wall time, start skew, the controller's CPU seconds and peak memory.
 * Run by `make test-integration`; skipped, saying why, without an API server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import {
  BENCHMARK_API_VERSION,
  BENCHMARK_GROUP,
  BENCHMARK_KIND,
  BENCHMARK_PLURAL,
  BENCHMARK_VERSION,
  type Benchmark,
} from '../../src/api/benchmark.js';
import { ANNOTATION_COMPLETION_INDEX, reportConfigMapName } from '../../src/api/objects.js';
import { RUNNERS_PATH } from '../../src/controller/protocol.js';
import { mergeResults } from '../../loadtest/merge.js';
import type { Report } from '../../src/report/index.js';
import { FakeKubelet, createServiceWithEndpoint, findApiServer, installCrd, readRunRecords, until } from './apiserver-harness.js';
import { freePort } from '../manifests/manifests.js';

const RUNNERS = 50;
/** Node objects the runners are bound to (unschedulable: nothing runs there), deleted afterwards. */
const FAKE_NODES = ['cb-fake-node-a', 'cb-fake-node-b'];
const found = await findApiServer();
const skip = 'skip' in found ? found.skip : 'fakeKubeletSkip' in found ? found.fakeKubeletSkip : undefined;
// make test-integration starts an API server and sets this: there a skip would hide a failure.
if ('skip' in found && process.env.CLUSTERBENCH_REQUIRE_APISERVER)
  throw new Error(`no API server for the integration tests: ${found.skip}`);
if (skip) process.stderr.write(`test/controller/many-runners.test.ts skipped: ${skip}\n`);

/** CPU seconds (user + system) of a process, from /proc (clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident and peak resident memory of a process, MiB. */
function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

describe.skipIf(skip !== undefined)(`${RUNNERS} runners against a real API server`, () => {
  const kc = (found as { kc: KubeConfig }).kc;
  const namespace = `cb-many-${Date.now().toString(36)}`;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let target: Server;
  let served = 0;
  let controller: ChildProcess;
  const controllerLog: string[] = [];

  beforeAll(async () => {
    core = kc.makeApiClient(CoreV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
    await installCrd(kc);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    // The controller counts a topology as deployed when its Service has a ready endpoint.
    await createServiceWithEndpoint(kc, namespace, 'hello-single', true);
    // The target's own count of answered requests: the ground truth the report must not exceed.
    target = createServer((_req, res) => {
      served++;
      res.writeHead(200, { 'x-served-by': 'hello-local' }).end('Hello, World!');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    controller?.kill('SIGTERM');
    target?.closeAllConnections();
    await new Promise((r) => target?.close(r));
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    // Other suites run their fake kubelet only on a cluster without nodes.
    for (const name of FAKE_NODES) await core?.deleteNode({ name }).catch(() => undefined);
  });

  it(`${RUNNERS} runners start together, all 50 results are collected, the report is their exact merge; the controller stays small`, async () => {
    const port = await freePort();
    controller = spawn(
      process.execPath,
      [
        join(process.cwd(), 'build/src/cli.js'),
        'controller',
        '--namespace',
        namespace,
        '--image',
        'clusterbench/bench:test',
        '--port',
        String(port),
        '--controller-url',
        `ws://127.0.0.1:${port}${RUNNERS_PATH}`,
      ],
      { env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const stream of [controller.stdout, controller.stderr]) stream?.on('data', (d: Buffer) => controllerLog.push(d.toString()));
    const pid = controller.pid ?? 0;
    const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
    // Where things ran: two Nodes of 8 CPUs (7.5 allocatable), the runners bound to them in turn,
    // and a hello-single pod bound to the first, so runners and a server share it.
    for (const name of FAKE_NODES) {
      await core.createNode({ body: { metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: { unschedulable: true } } });
      await core.patchNodeStatus(
        {
          name,
          body: {
            status: { capacity: { cpu: '8', memory: '16Gi', pods: '110' }, allocatable: { cpu: '7500m', memory: '15Gi', pods: '110' } },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'hello-single-x', labels: { 'app.kubernetes.io/instance': 'hello-single', 'app.kubernetes.io/name': 'hello' } },
        spec: { containers: [{ name: 'hello', image: 'clusterbench/hello:test' }] },
      },
    });
    await core.createNamespacedPodBinding({
      name: 'hello-single-x',
      namespace,
      body: { metadata: { name: 'hello-single-x' }, target: { kind: 'Node', name: FAKE_NODES[0] } },
    });
    const kubelet = new FakeKubelet({
      kc,
      namespace,
      targets: { single: targetUrl },
      nodeOf: (pod) => FAKE_NODES[Number(pod.metadata?.annotations?.[ANNOTATION_COMPLETION_INDEX]) % 2],
    });
    kubelet.start();
    let peakMiB = 0;
    const sampler = setInterval(() => {
      peakMiB = Math.max(peakMiB, memoryMiB(pid).rss);
    }, 250);
    try {
      await until(
        'the controller to serve',
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok || undefined,
        60_000,
      );
      const cpuBefore = cpuSeconds(pid);
      const idleMiB = memoryMiB(pid).rss;
      const started = Date.now();
      await custom.createNamespacedCustomObject({
        group: BENCHMARK_GROUP,
        version: BENCHMARK_VERSION,
        namespace,
        plural: BENCHMARK_PLURAL,
        body: {
          apiVersion: BENCHMARK_API_VERSION,
          kind: BENCHMARK_KIND,
          metadata: { name: 'many', namespace },
          // One connection per runner, 2 s measured: the scale is in the runners, not the load.
          spec: {
            topologies: ['single'],
            scenario: 'quick',
            load: { connections: RUNNERS, duration: '2s', warmup: '500ms', timeout: '2s' },
            runners: RUNNERS,
            trials: 1,
          },
        },
      });
      const b = await until(
        'the 50-runner Benchmark to finish',
        async () => {
          const x = (await custom.getNamespacedCustomObject({
            group: BENCHMARK_GROUP,
            version: BENCHMARK_VERSION,
            namespace,
            plural: BENCHMARK_PLURAL,
            name: 'many',
          })) as Benchmark;
          return x.status?.phase === 'Succeeded' || x.status?.phase === 'Failed' ? x : undefined;
        },
        200_000,
        500,
      );
      const wallMs = Date.now() - started;
      const cpu = cpuSeconds(pid) - cpuBefore;
      clearInterval(sampler);
      expect(b.status?.phase, JSON.stringify(b.status?.conditions)).toBe('Succeeded');

      // Collection: one result per runner, each pod run once.
      const { records } = await readRunRecords(core, namespace, { name: 'many', uid: b.metadata.uid ?? '' });
      const results = [...records.values()].flatMap((r) => r.results ?? []);
      expect(results.map((r) => r.runner).sort((x, y) => x - y)).toEqual(Array.from({ length: RUNNERS }, (_, i) => i));
      expect(kubelet.ran).toHaveLength(RUNNERS);

      // The start barrier: every runner started within a bound of the agreed time. All 50, the
      // target and the test share one Node process on a loaded 2-CPU machine: a loose bound.
      const skews = results.map((r) => Math.abs(r.startSkewMs)).sort((x, y) => x - y);
      const maxSkew = skews[skews.length - 1];
      expect(b.status?.results?.[0]?.maxStartSkewMs).toBe(maxSkew);
      expect(maxSkew).toBeLessThan(1_500);

      // The exact merge: the report is the merge of the 50 results, to the request and the microsecond.
      const cm = await core.readNamespacedConfigMap({ name: reportConfigMapName('many'), namespace });
      const report = JSON.parse(cm.data?.['report.json'] ?? '{}') as Report;
      const merged = mergeResults(results);
      const topology = report.topologies[0];
      expect(topology.runners).toBe(RUNNERS);
      expect(topology.requests).toBe(results.reduce((n, r) => n + r.requests, 0));
      expect(topology.latencyUs).toEqual(merged.latencyUs);
      expect(topology.requests).toBeGreaterThan(0);
      // Ground truth: the target answered every request the runners counted (and the warmup's).
      expect(served).toBeGreaterThanOrEqual(topology.requests);

      // Where things ran: each runner's node, the server's, the nodes' CPUs, and the warning.
      const nodes = report.environment.nodes;
      const runnerNodes = Object.values(nodes?.topologies.single?.runners ?? {});
      expect(runnerNodes).toHaveLength(RUNNERS);
      expect(runnerNodes.filter((n) => n === FAKE_NODES[0])).toHaveLength(RUNNERS / 2);
      expect(nodes?.topologies.single?.servers).toEqual({ 'hello-single-x': FAKE_NODES[0] });
      expect(nodes?.nodes).toEqual(Object.fromEntries(FAKE_NODES.map((n) => [n, { cpus: 8, allocatableCpus: 7.5 }])));
      expect(nodes?.shared).toEqual([FAKE_NODES[0]]);
      const markdown = cm.data?.['report.md'] ?? '';
      expect(markdown).toContain(
        `- nodes of single: runner pods: ${FAKE_NODES[0]} ×25, ${FAKE_NODES[1]} ×25; server pods: hello-single-x on ${FAKE_NODES[0]}`,
      );
      expect(markdown).toContain(`- node CPUs: ${FAKE_NODES[0]} 8 CPUs, 7.5 allocatable; ${FAKE_NODES[1]} 8 CPUs, 7.5 allocatable`);
      expect(markdown).toContain(`- warning: runners and servers shared node(s) ${FAKE_NODES[0]}:`);

      // The run's stored size: its record and result parts (every ConfigMap the Benchmark owns but the report).
      const configMaps = (await core.listNamespacedConfigMap({ namespace })).items.filter(
        (c) => c.metadata?.name !== reportConfigMapName('many') && c.metadata?.ownerReferences?.some((o) => o.uid === b.metadata.uid),
      );
      const bytes = configMaps.reduce((n, c) => n + JSON.stringify(c.data ?? {}).length + JSON.stringify(c.binaryData ?? {}).length, 0);
      const p50 = skews[Math.floor(skews.length / 2)];
      process.stderr.write(
        `${RUNNERS} runners: wall ${(wallMs / 1000).toFixed(1)} s from create to Succeeded; start skew p50 ${p50.toFixed(1)} ms, max ${maxSkew.toFixed(1)} ms; ` +
          `controller CPU ${cpu.toFixed(2)} s (${((cpu / (wallMs / 1000)) * 100).toFixed(1)}% of one core), RSS ${idleMiB.toFixed(0)} MiB idle, ${peakMiB.toFixed(0)} MiB peak; ` +
          `run record and parts ${(bytes / 1024).toFixed(0)} KiB; ${topology.requests} requests, target served ${served}\n`,
      );
      // The controller's cost at this scale: well under its 500m / 256Mi limits.
      expect(peakMiB).toBeLessThan(256);
    } finally {
      clearInterval(sampler);
      await kubelet.stop();
    }
  }, 240_000);
});
