/**
 * For the integration tests against a real Kubernetes API server (KUBECONFIG): find out whether
 * one answers, install the CRD the manifests ship, and stand in for the kubelet, which such a
 * control plane lacks: the "fake kubelet" runs each runner pod's real `clusterbench runner` code
 * in this process, against a local target, and writes the pod's status (phase, termination
 * message) as a kubelet would. The Job controller, the API server and etcd are real.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  V1JSONSchemaProps,
  VersionApi,
  setHeaderOptions,
  type V1CustomResourceDefinition,
  type V1Pod,
} from '@kubernetes/client-node';
import { Testing } from 'cdk8s';
import { runLoad } from '../../loadtest/index.js';
import { BenchmarkCrd } from '../../src/constructs/benchmark-crd.js';
import { ANNOTATION_COMPLETION_INDEX, MANAGED_SELECTOR } from '../../src/api/objects.js';
import { runRunner } from '../../src/controller/runner.js';
import { runPartConfigMapName, type BenchmarkRef } from '../../src/controller/names.js';
import { PART_KEY, RunStore, runSelector, type StoredRuns } from '../../src/controller/run-store.js';
import { RUNNER_TOKEN_ENV } from '../../src/controller/protocol.js';
import type { Topology } from '../../src/topologies.js';

/**
 * The API server from KUBECONFIG, or why there is none (the tests then skip, saying so), and
 * whether the fake kubelet may stand in: only where no real node would run the same pods.
 */
export async function findApiServer(): Promise<{ kc: KubeConfig; fakeKubeletSkip?: string } | { skip: string }> {
  if (!process.env.KUBECONFIG) {
    return {
      skip: 'KUBECONFIG is unset: no Kubernetes API server to test against (test/cluster/cluster-up.sh --control-plane-only starts one)',
    };
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
    const version = await Promise.race([
      kc.makeApiClient(VersionApi).getCode(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5_000)),
    ]);
    process.stderr.write(`integration tests against Kubernetes ${version.gitVersion} at ${kc.getCurrentCluster()?.server}\n`);
    const nodes = (await kc.makeApiClient(CoreV1Api).listNode()).items.length;
    return nodes === 0
      ? { kc }
      : {
          kc,
          fakeKubeletSkip: `the cluster has ${nodes} node(s): its kubelet, not the fake one, runs pods there (make e2e covers real runner pods)`,
        };
  } catch (err) {
    return { skip: `KUBECONFIG=${process.env.KUBECONFIG}: API server unreachable (${(err as Error).message.split('\n')[0]})` };
  }
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000, everyMs = 300): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * client-node's serializer knows schema keys by its own names (`_enum`, `_default`,
 * `x_kubernetes_list_type`) and silently drops the JSON ones (`enum`, `default`, ...) a synthesized
 * manifest carries: rename them where the model is typed, or the API server gets a CRD without
 * enums and defaults.
 */
export function toClientSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const renames = new Map(V1JSONSchemaProps.getAttributeTypeMap().map((a) => [a.baseName, a.name]));
  const nested = (value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value) ? toClientSchema(value as Record<string, unknown>) : value;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => {
      if (key === 'properties') return [key, Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, nested(v)]))];
      // `items` and `additionalProperties` are typed `any`: passed through as JSON, keys untouched.
      return [renames.get(key) ?? key, value];
    }),
  );
}

/** Applies the Benchmark CRD exactly as the manifests synthesize it, and waits until it is served. */
export async function installCrd(kc: KubeConfig): Promise<void> {
  const chart = Testing.chart();
  new BenchmarkCrd(chart, 'Benchmark');
  const [synthesized] = Testing.synth(chart) as V1CustomResourceDefinition[];
  const crd: V1CustomResourceDefinition = {
    ...synthesized,
    spec: {
      ...synthesized.spec,
      versions: synthesized.spec.versions.map((v) => ({
        ...v,
        schema: { openAPIV3Schema: toClientSchema(v.schema?.openAPIV3Schema as Record<string, unknown>) },
      })),
    },
  };
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const name = crd.metadata?.name ?? '';
  try {
    const existing = await api.readCustomResourceDefinition({ name });
    await api.replaceCustomResourceDefinition({
      name,
      body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion } },
    });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    await api.createCustomResourceDefinition({ body: crd });
  }
  await until('the Benchmark CRD to be established', async () => {
    const c = await api.readCustomResourceDefinition({ name });
    return c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') ? true : undefined;
  });
}

/** What a kubelet gives the runner container as env CLUSTERBENCH_RUNNER_TOKEN: the key of the Secret its env names. */
export async function runnerToken(core: CoreV1Api, namespace: string, pod: V1Pod): Promise<string> {
  const ref = pod.spec?.containers?.[0]?.env?.find((e) => e.name === RUNNER_TOKEN_ENV)?.valueFrom?.secretKeyRef;
  if (!ref?.name) return '';
  const secret = await core.readNamespacedSecret({ name: ref.name, namespace });
  return Buffer.from(secret.data?.[ref.key] ?? '', 'base64').toString('utf8');
}

/** Parses `--flag value` pairs of a runner pod's command. */
function flagsOf(command: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = command.indexOf('runner') + 1; i < command.length - 1; i += 2) flags.set(command[i], command[i + 1]);
  return flags;
}

/** A Benchmark's run records, read as the controller reads them (results from their part ConfigMaps). */
export async function readRunRecords(core: CoreV1Api, namespace: string, ref: BenchmarkRef): Promise<StoredRuns> {
  const records = (await core.listNamespacedConfigMap({ namespace, labelSelector: runSelector(ref) })).items;
  return new RunStore().read(ref, records, async (run, k) => {
    const name = runPartConfigMapName(ref, run, k);
    return (await core.listNamespacedConfigMap({ namespace, fieldSelector: `metadata.name=${name}` })).items[0]?.data?.[PART_KEY];
  });
}

/**
 * A Service and an EndpointSlice of it with one endpoint, ready or not (no EndpointSlice controller
 * manages it): the controller counts a topology as deployed only when its Service has a ready endpoint.
 */
export async function createServiceWithEndpoint(kc: KubeConfig, namespace: string, name: string, ready: boolean): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespacedService({
    namespace,
    body: { metadata: { name }, spec: { ports: [{ port: 8080 }], selector: { app: name } } },
  });
  await kc.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
    namespace,
    body: {
      metadata: {
        name: `${name}-test`,
        labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'clusterbench-test' },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready } }],
      ports: [{ port: 8080 }],
    },
  });
}

export interface FakeKubeletOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  /** Where each topology answers on this machine (in-cluster names do not resolve here). */
  readonly targets: Readonly<Partial<Record<Topology, string>>>;
  /** Pods whose runner should fail (exit 1) instead of running. */
  readonly fails?: (pod: V1Pod) => boolean;
  /** Pods whose runner gets SIGTERM (as when its pod is deleted) this many ms after it starts. */
  readonly stopAfterMs?: (pod: V1Pod) => number | undefined;
  /**
   * A stopped pod is deleted first (as `kubectl delete pod`, a drain or an eviction does) and left
   * without a terminated status: nothing of it (no termination message) is there to read.
   * @default false: the pod stays and gets its runner's log tail as termination message
   */
  readonly deleteStopped?: boolean;
  /** The node each pod is bound to first (as the scheduler would; the Node need not run anything). @default none: unscheduled */
  readonly nodeOf?: (pod: V1Pod) => string | undefined;
  /** What measures the load of runner `index`. @default the real engine, `runLoad` */
  readonly runLoad?: (options: Parameters<typeof runLoad>[0], index: number) => ReturnType<typeof runLoad>;
}

/** Runs runner pods in this process and reports their status as a kubelet would. */
export class FakeKubelet {
  private readonly core: CoreV1Api;
  private readonly seen = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly dir = mkdtempSync(join(tmpdir(), 'cb-kubelet-'));
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Pods run, by name. */
  readonly ran: string[] = [];

  constructor(private readonly options: FakeKubeletOptions) {
    this.core = options.kc.makeApiClient(CoreV1Api);
  }

  start(): void {
    const tick = async () => {
      try {
        const pods = await this.core.listNamespacedPod({ namespace: this.options.namespace, labelSelector: MANAGED_SELECTOR });
        for (const pod of pods.items) {
          const uid = pod.metadata?.uid ?? '';
          if (this.seen.has(uid) || pod.status?.phase !== 'Pending' || pod.metadata?.deletionTimestamp) continue;
          this.seen.add(uid);
          const run = this.run(pod).finally(() => this.running.delete(run));
          this.running.add(run);
        }
      } catch {
        // the API server may be busy; try again on the next tick
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), 300);
    };
    void tick();
  }

  private async run(pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name ?? '';
    this.ran.push(name);
    const command = pod.spec?.containers?.[0]?.command ?? [];
    const flags = flagsOf(command);
    const index = Number(pod.metadata?.annotations?.[ANNOTATION_COMPLETION_INDEX]);
    const startedAt = new Date();
    const node = this.options.nodeOf?.(pod);
    if (node) {
      await this.core.createNamespacedPodBinding({
        name,
        namespace: this.options.namespace,
        body: { metadata: { name }, target: { kind: 'Node', name: node } },
      });
    }
    // Every fake pod is on loopback: the controller checks a runner's address against its pod's.
    await this.setStatus(name, {
      phase: 'Running',
      startTime: startedAt,
      podIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      containerStatuses: [this.container({ running: { startedAt } })],
    });
    if (this.options.fails?.(pod)) {
      await this.setStatus(name, {
        phase: 'Failed',
        containerStatuses: [
          this.container({
            terminated: {
              exitCode: 1,
              reason: 'Error',
              message: 'fake kubelet: this runner fails on purpose',
              startedAt,
              finishedAt: new Date(),
            },
          }),
        ],
      });
      return;
    }
    const topology = flags.get('--topology') as Topology;
    const terminationLogPath = join(this.dir, name);
    const ms = (flag: string) => Number((flags.get(flag) ?? '0ms').replace(/ms$/, ''));
    // What `clusterbench runner` does on SIGTERM: abort the load.
    const sigterm = new AbortController();
    const stopAfter = this.options.stopAfterMs?.(pod);
    const stop = async () => {
      if (this.options.deleteStopped)
        await this.core.deleteNamespacedPod({ name, namespace: this.options.namespace }).catch(() => undefined);
      sigterm.abort();
    };
    const stopTimer = stopAfter === undefined ? undefined : setTimeout(() => void stop(), stopAfter);
    const logged: string[] = [];
    const code = await runRunner({
      controllerUrl: flags.get('--controller') ?? '',
      job: flags.get('--job') ?? '',
      index,
      token: await runnerToken(this.core, this.options.namespace, pod),
      runners: Number(flags.get('--runners')),
      load: {
        url: this.options.targets[topology] ?? 'http://127.0.0.1:9/',
        connections: Number(flags.get('--connections')),
        durationMs: ms('--duration'),
        warmupMs: ms('--warmup'),
        timeoutMs: ms('--timeout'),
        topology,
        trial: Number(flags.get('--trial')),
        workers: 1,
      },
      startDeadlineMs: 60_000,
      terminationLogPath,
      runLoad: (load) => (this.options.runLoad ?? runLoad)(load, index),
      signal: sigterm.signal,
      log: (line) => logged.push(line),
      print: () => undefined,
    });
    clearTimeout(stopTimer);
    if (sigterm.signal.aborted && this.options.deleteStopped) return; // the pod is gone
    let message = '';
    try {
      message = readFileSync(terminationLogPath, 'utf8');
    } catch {
      // the result did not fit the termination message; a failed runner's log tail stands in (FallbackToLogsOnError)
      if (code !== 0) message = logged.slice(-3).join('\n');
    }
    await this.setStatus(name, {
      phase: code === 0 ? 'Succeeded' : 'Failed',
      containerStatuses: [
        this.container({
          terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', message, startedAt, finishedAt: new Date() },
        }),
      ],
    });
  }

  private container(state: object) {
    return { name: 'runner', ready: false, restartCount: 0, image: 'clusterbench/bench:test', imageID: '', state };
  }

  private async setStatus(name: string, status: object): Promise<void> {
    try {
      await this.core.patchNamespacedPodStatus({ name, namespace: this.options.namespace, body: { status } }, mergePatch);
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err; // a pod deleted meanwhile
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.allSettled([...this.running]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
