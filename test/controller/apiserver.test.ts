/**
 * Integration tests against a real Kubernetes API server (KUBECONFIG; skipped with the reason
 * when there is none). The controller runs in this process with that kubeconfig, as it does out
 * of the cluster; without a kubelet, the "fake kubelet" runs each runner pod's real runner code.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import {
  BENCHMARK_API_VERSION,
  BENCHMARK_GROUP,
  BENCHMARK_KIND,
  BENCHMARK_PLURAL,
  BENCHMARK_VERSION,
  controllerRbacRules,
  SPEC_IMMUTABLE_MESSAGE,
  type Benchmark,
  type BenchmarkSpec,
} from '../../src/api/benchmark.js';
import { BenchmarkController, type ControllerOptions } from '../../src/controller/controller.js';
import { INGRESS_PROBE_ATTEMPTS } from '../../src/controller/readiness.js';
import {
  HELLO_BALANCED,
  HELLO_SCALE_RECORD,
  LABEL_BENCHMARK,
  LABEL_INSTANCE,
  LABEL_TOPOLOGY,
  reportConfigMapName,
} from '../../src/api/objects.js';
import { INDEX_HEADER, JOB_HEADER, RUNNERS_PATH } from '../../src/controller/protocol.js';
import { encodeResult } from '../../src/controller/result-codec.js';
import { chunkResult } from '../../src/controller/result-chunks.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { buildReport, renderMarkdown, type Report } from '../../src/report/index.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchReport, runBench } from '../../src/bench/bench.js';
import { checkRequest } from '../../src/bench/request.js';
import { benchRequest } from '../../src/bench/command.js';
import {
  FakeKubelet,
  type FakeKubeletOptions,
  createServiceWithEndpoint,
  findApiServer,
  installCrd,
  readRunRecords,
  runnerToken,
  until,
} from './apiserver-harness.js';
import { SupervisedInformer } from '../../src/controller/informers.js';
import { longResult, result } from './fixtures.js';
import { clusterReport } from '../../src/controller/cluster-report.js';
import { trimResult } from '../../src/controller/result-codec.js';
import { LABEL_BENCHMARK_UID } from '../../src/api/objects.js';
import { LABEL_COMPONENT, RUN_PART_COMPONENT } from '../../src/controller/run-store.js';
import { resolveBenchmarkSpec } from '../../src/api/validate.js';
import type { Topology } from '../../src/topologies.js';

const execFileAsync = promisify(execFile);

const found = await findApiServer();
const skip = 'skip' in found ? found.skip : undefined;
// make test-integration starts an API server and sets this: there a skip would hide a failure.
if (skip && process.env.CLUSTERBENCH_REQUIRE_APISERVER) throw new Error(`no API server for the integration tests: ${skip}`);
if (skip) process.stderr.write(`test/controller/apiserver.test.ts skipped: ${skip}\n`);

const fakeKubeletSkip = 'kc' in found ? found.fakeKubeletSkip : undefined;
if (fakeKubeletSkip) process.stderr.write(`test/controller/apiserver.test.ts: fake kubelet tests skipped: ${fakeKubeletSkip}\n`);
/** Long enough for a few runs on a loaded 2-CPU machine. */
const RUNS_TIMEOUT_MS = 240_000;

const quickLoad = { connections: 4, duration: '1s', warmup: '300ms', timeout: '2s' };

describe.skipIf(skip !== undefined)('real API server', () => {
  const kc = (found as { kc: KubeConfig }).kc;
  const namespace = `cb-it-${Date.now().toString(36)}`;
  let custom: CustomObjectsApi;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let target: Server;
  let targetUrl: string;

  beforeAll(async () => {
    custom = kc.makeApiClient(CustomObjectsApi);
    core = kc.makeApiClient(CoreV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    await installCrd(kc);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    // Only the Services and their ready endpoints matter to the controller (it checks a topology
    // can answer); no pods behind them are needed: their EndpointSlices are written here.
    for (const name of ['hello-single', 'nginx']) await serviceWithEndpoint(name, true);
    target = createServer((_req, res) => res.writeHead(200, { 'x-served-by': 'hello-local' }).end('Hello, World!'));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
  });

  const serviceWithEndpoint = (name: string, ready: boolean) => createServiceWithEndpoint(kc, namespace, name, ready);

  /** Hello pods, marked Running and Ready as a kubelet would (none runs them): the failover's victims. */
  async function readyHelloPods(names: readonly string[]): Promise<void> {
    const labels = { 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/instance': 'hello' };
    for (const name of names) {
      await core
        .createNamespacedPod({
          namespace,
          body: { metadata: { name, labels }, spec: { containers: [{ name: 'hello', image: 'hello:test' }] } },
        })
        .catch(() => undefined);
      await core.patchNamespacedPodStatus(
        {
          name,
          namespace,
          body: { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date() }] } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
  }

  /**
   * Makes the API server refuse `operations` on `resource` in this namespace where `expression`
   * (CEL) is false, until the returned function removes the policy.
   */
  async function refuse(policy: string, resource: string, operations: string[], expression: string, message: string) {
    const admission = kc.makeApiClient(AdmissionregistrationV1Api);
    const name = `${namespace}-${policy}`;
    await admission.createValidatingAdmissionPolicy({
      body: {
        metadata: { name },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations, resources: [resource] }] },
          validations: [{ expression, message }],
        },
      },
    });
    await admission.createValidatingAdmissionPolicyBinding({
      body: {
        metadata: { name },
        spec: {
          policyName: name,
          validationActions: ['Deny'],
          matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } },
        },
      },
    });
    return async () => {
      await admission.deleteValidatingAdmissionPolicyBinding({ name }).catch(() => undefined);
      await admission.deleteValidatingAdmissionPolicy({ name }).catch(() => undefined);
    };
  }

  afterAll(async () => {
    target?.closeAllConnections();
    await new Promise((r) => target?.close(r));
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  /** A kubeconfig of a ServiceAccount bound to a Role of exactly `controllerRbacRules`, as the manifests grant. */
  let account: Promise<KubeConfig> | undefined;
  /** Made once: every test that wants it shares the account. */
  function controllerAccount(): Promise<KubeConfig> {
    account ??= makeControllerAccount();
    return account;
  }

  async function makeControllerAccount(): Promise<KubeConfig> {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'controller' } } });
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'controller' },
        rules: controllerRbacRules.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })),
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'controller' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'controller' },
        subjects: [{ kind: 'ServiceAccount', name: 'controller', namespace }],
      },
    });
    const token = await core.createNamespacedServiceAccountToken({
      name: 'controller',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const account = new KubeConfig();
    const cluster = kc.getCurrentCluster();
    account.loadFromOptions({
      clusters: [
        {
          name: 'c',
          server: cluster?.server ?? '',
          skipTLSVerify: cluster?.skipTLSVerify ?? false,
          caData: cluster?.caData,
          caFile: cluster?.caFile,
        },
      ],
      users: [{ name: 'controller', token: token.status?.token }],
      contexts: [{ name: 'controller', cluster: 'c', user: 'controller', namespace }],
      currentContext: 'controller',
    });
    return account;
  }

  /** Everything the controllers logged, to look for refusals. */
  const controllerLog: string[] = [];

  async function startController(
    port = 0,
    account = kc,
    election: {
      identity?: string;
      leaseDurationSeconds?: number;
      settleTimeoutMs?: number;
      topologyUrls?: ControllerOptions['topologyUrls'];
    } = {},
  ): Promise<{ controller: BenchmarkController; port: number }> {
    // Runners dial the controller on loopback here; in the cluster, its Service.
    let actualPort = port;
    const controller = new BenchmarkController({
      kc: account,
      namespace,
      image: 'clusterbench/bench:test',
      port,
      get controllerUrl() {
        return `ws://127.0.0.1:${actualPort}${RUNNERS_PATH}`;
      },
      resyncMs: 500,
      ...election,
      log: (line) => controllerLog.push(line),
    });
    actualPort = (await controller.start()).port;
    return { controller, port: actualPort };
  }

  type ControllerTestOptions = NonNullable<Parameters<typeof startController>[2]>;

  /** What a fake-kubelet test runs with (withRunners). */
  interface Rig {
    readonly kubelet: FakeKubelet;
    /** The first controller's port; a replacement listens on it too (the runners dial it there). */
    readonly port: number;
    /** The first controller. */
    readonly controller: BenchmarkController;
    /** Stops the controller, as a deleted pod's would stop. */
    stopController(): Promise<void>;
    /** Starts a controller on the same port, with the same grants, in place of the first (stopped first if running). */
    replaceController(options?: ControllerTestOptions): Promise<void>;
  }

  /**
   * A test whose runner pods run: `start` brings up the fake kubelet (`kubelet`: its options but
   * kc and namespace) and a controller (with only the Role's grants when `role`); whatever the
   * test does, both are stopped after it.
   */
  function withRunners(
    name: string,
    body: (
      start: (setup: {
        readonly kubelet: Omit<FakeKubeletOptions, 'kc' | 'namespace'>;
        readonly role?: boolean;
        readonly controller?: ControllerTestOptions;
      }) => Promise<Rig>,
    ) => Promise<void>,
  ): void {
    it.skipIf(fakeKubeletSkip !== undefined)(
      `fake kubelet: ${name}`,
      async () => {
        const stops: (() => Promise<void>)[] = [];
        try {
          await body(async (setup) => {
            const kubelet = new FakeKubelet({ kc, namespace, ...setup.kubelet });
            kubelet.start();
            stops.push(() => kubelet.stop());
            const account = setup.role ? await controllerAccount() : kc;
            const first = await startController(0, account, setup.controller);
            let running: BenchmarkController | undefined = first.controller;
            // The controller first, then the kubelet.
            stops.unshift(async () => running?.stop());
            return {
              kubelet,
              port: first.port,
              controller: first.controller,
              async stopController() {
                await running?.stop();
                running = undefined;
              },
              async replaceController(options = setup.controller) {
                await running?.stop();
                running = (await startController(first.port, account, options)).controller;
              },
            };
          });
        } finally {
          for (const stop of stops) await stop();
        }
      },
      RUNS_TIMEOUT_MS,
    );
  }

  /** A short Benchmark of `topologies`: scenario quick, quickLoad for `duration`, 1 runner, 1 trial; `more` adds to the spec. */
  function createQuickBenchmark(name: string, topologies: Topology[], duration: string, more: Partial<BenchmarkSpec> = {}) {
    return createBenchmark(name, { topologies, scenario: 'quick', load: { ...quickLoad, duration }, runners: 1, trials: 1, ...more });
  }

  /** An Ingress in the namespace, as the manifests make one: ingress-nginx's half of "deployed". */
  function createIngress(name: string) {
    return kc.makeApiClient(NetworkingV1Api).createNamespacedIngress({
      namespace,
      body: { metadata: { name }, spec: { defaultBackend: { service: { name: 'hello', port: { number: 8080 } } } } },
    });
  }

  function createBenchmark(name: string, spec: unknown) {
    const body = { apiVersion: BENCHMARK_API_VERSION, kind: BENCHMARK_KIND, metadata: { name, namespace }, spec };
    return custom.createNamespacedCustomObject({
      group: BENCHMARK_GROUP,
      version: BENCHMARK_VERSION,
      namespace,
      plural: BENCHMARK_PLURAL,
      body,
    });
  }

  function getBenchmark(name: string): Promise<Benchmark> {
    return custom.getNamespacedCustomObject({
      group: BENCHMARK_GROUP,
      version: BENCHMARK_VERSION,
      namespace,
      plural: BENCHMARK_PLURAL,
      name,
    }) as Promise<Benchmark>;
  }

  function finished(name: string, timeoutMs = 150_000): Promise<Benchmark> {
    return until(
      `benchmark ${name} to finish`,
      async () => {
        const b = await getBenchmark(name);
        return b.status?.phase === 'Succeeded' || b.status?.phase === 'Failed' ? b : undefined;
      },
      timeoutMs,
    );
  }

  /** A Benchmark's Jobs' names without the UID part (`full-single-t1-a1`; names.ts has the whole form). */
  async function jobNames(benchmark: string): Promise<string[]> {
    const jobs = await batch.listNamespacedJob({ namespace, labelSelector: `${LABEL_BENCHMARK}=${benchmark}` });
    return jobs.items.map((j) => shortName(j.metadata?.name ?? '')).sort();
  }

  const shortName = (name: string) => name.replace(/-[0-9a-f]{10}-/, '-');

  /** A Job by its name without the UID part. */
  async function readJob(short: string): Promise<V1Job> {
    const jobs = await batch.listNamespacedJob({ namespace });
    const job = jobs.items.find((j) => shortName(j.metadata?.name ?? '') === short);
    if (!job) throw new Error(`no Job ${short}`);
    return job;
  }

  /** A Benchmark's run records, read as the controller reads them (results from their part ConfigMaps). */
  async function runRecords(benchmark: string) {
    return readRunRecords(core, namespace, { name: benchmark, uid: (await getBenchmark(benchmark)).metadata.uid ?? '' });
  }

  async function reportOf(benchmark: string): Promise<{ markdown: string; report: Report }> {
    const cm = await core.readNamespacedConfigMap({ name: reportConfigMapName(benchmark), namespace });
    return { markdown: cm.data?.['report.md'] ?? '', report: JSON.parse(cm.data?.['report.json'] ?? '{}') as Report };
  }

  it('informers: one that fails is restarted with growing backoff; the watchdog re-lists a silent one and it keeps working', async () => {
    const lines: string[] = [];
    // A resource the API server does not serve: every list fails.
    const broken = new SupervisedInformer(
      kc,
      `/api/v1/namespaces/${namespace}/nosuchthings`,
      () => custom.listNamespacedCustomObject({ group: 'nosuch.dev', version: 'v1', namespace, plural: 'nosuchthings' }),
      undefined,
      () => undefined,
      (l) => lines.push(l),
    );
    broken.start();
    await until('two restarts', () => Promise.resolve(lines.length >= 2 ? true : undefined), 20_000, 100);
    await broken.stop();
    expect(lines[0]).toMatch(/HTTP 404.*restarting in 1000 ms/);
    expect(lines[1]).toMatch(/restarting in 2000 ms/);

    let changes = 0;
    const configMaps = new SupervisedInformer(
      kc,
      `/api/v1/namespaces/${namespace}/configmaps`,
      () => core.listNamespacedConfigMap({ namespace }),
      undefined,
      () => changes++,
      (l) => lines.push(l),
    );
    configMaps.start();
    try {
      await until('the first list', () => Promise.resolve(configMaps.synced ? true : undefined), 20_000, 100);
      await configMaps.watchdog(Date.now() + 10 * 60_000);
      expect(lines.at(-1)).toMatch(/silent for \d+ s; re-listing/);
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'after-watchdog' } } });
      await until(
        'the informer to see a new ConfigMap',
        () => Promise.resolve(configMaps.list().some((c) => c.metadata?.name === 'after-watchdog') ? true : undefined),
        20_000,
        100,
      );
      expect(lines.filter((l) => l.includes('/configmaps'))).toHaveLength(1); // the re-list, no error
      expect(changes).toBeGreaterThan(0);
    } finally {
      await configMaps.stop();
    }
  });

  it("rejects an edit of a running Benchmark's spec (the CRD's self == oldSelf), status and metadata stay writable", async () => {
    await createBenchmark('frozen', { topologies: ['single'], scenario: 'quick' });
    const patch = (body: object) =>
      custom
        .patchNamespacedCustomObject(
          { group: BENCHMARK_GROUP, version: BENCHMARK_VERSION, namespace, plural: BENCHMARK_PLURAL, name: 'frozen', body },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )
        .then(
          () => undefined,
          (e: unknown) => e as { code: number; body: string },
        );
    for (const spec of [{ runners: 3 }, { load: { connections: 8 } }, { topologies: ['single', 'nginx'] }]) {
      const err = await patch({ spec });
      expect(err?.code, JSON.stringify(spec)).toBe(422);
      expect((JSON.parse(err?.body ?? '{}') as { message?: string }).message).toBe(
        `Benchmark.clusterbench.dev "frozen" is invalid: spec: Invalid value: "object": ${SPEC_IMMUTABLE_MESSAGE}`,
      );
    }
    expect(await patch({ metadata: { labels: { team: 'a' } } })).toBeUndefined();
    const stored = await getBenchmark('frozen');
    await custom.deleteNamespacedCustomObject({
      group: BENCHMARK_GROUP,
      version: BENCHMARK_VERSION,
      namespace,
      plural: BENCHMARK_PLURAL,
      name: 'frozen',
    });
    expect(stored.spec).toEqual({ topologies: ['single'], scenario: 'quick', runners: 1 });
  });

  it('rejects bad Benchmarks by the CRD schema: out-of-range runners, unknown topology, unknown scenario', async () => {
    const cases: [unknown, string][] = [
      [{ topologies: ['single'], runners: 101 }, 'spec.runners'],
      [{ topologies: ['single', 'haproxy'] }, 'spec.topologies[1]'],
      [{ topologies: ['nginx'], scenario: 'fast' }, 'spec.scenario'],
      [{ scenario: 'quick' }, 'spec.topologies'],
      // The CRD's CEL rule, as validate.ts: a sweep's counts ascending.
      [{ topologies: ['nginx'], replicas: [3, 1] }, 'must be ascending'],
    ];
    for (const [spec, field] of cases) {
      const err = await createBenchmark('bad', spec).then(
        () => undefined,
        (e: unknown) => e as { code: number; body: string },
      );
      expect(err?.code, JSON.stringify(spec)).toBe(422);
      expect(err?.body).toContain(field);
    }
    // What the schema defaults, the API server fills in.
    await createBenchmark('defaults', { topologies: ['single'] });
    const stored = await getBenchmark('defaults');
    await custom.deleteNamespacedCustomObject({
      group: BENCHMARK_GROUP,
      version: BENCHMARK_VERSION,
      namespace,
      plural: BENCHMARK_PLURAL,
      name: 'defaults',
    });
    expect(stored.spec).toEqual({ topologies: ['single'], scenario: 'standard', runners: 1 });
  });

  /** A `hello` Deployment of `replicas` pods (pods only the scheduler sees: no node runs them). */
  async function helloDeployment(replicas: number): Promise<AppsV1Api> {
    const apps = kc.makeApiClient(AppsV1Api);
    const labels = { [LABEL_INSTANCE]: HELLO_BALANCED };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: HELLO_BALANCED },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'hello', image: 'clusterbench/hello:test' }] } },
        },
      },
    });
    return apps;
  }

  /** Until the hello Deployment is back at `replicas` and the sweep's record says restored. */
  function restoredTo(apps: AppsV1Api, replicas: number): Promise<true> {
    return until(`the hello Deployment back at ${replicas} and the record restored`, async () => {
      const scale = await apps.readNamespacedDeploymentScale({ name: HELLO_BALANCED, namespace });
      const cm = await core.readNamespacedConfigMap({ name: HELLO_SCALE_RECORD, namespace });
      return scale.spec?.replicas === replicas && JSON.parse(cm.data?.record ?? '{}').restored === true ? true : undefined;
    });
  }

  it("gives the hello Deployment back the count a deleted Benchmark's sweep kept (a restarted controller, only the Role's grants)", async () => {
    const apps = await helloDeployment(1);
    // What a controller leaves when its sweep's Benchmark is deleted at 1 replica of 3 (and the controller restarts).
    const record = { uid: 'deleted-benchmark-uid', benchmark: 'gone', originalReplicas: 3, restored: false };
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: HELLO_SCALE_RECORD }, data: { record: JSON.stringify(record) } },
    });
    const { controller } = await startController(0, await controllerAccount());
    try {
      await restoredTo(apps, 3);
    } finally {
      await controller.stop();
      await apps.deleteNamespacedDeployment({ name: HELLO_BALANCED, namespace });
    }
    expect(controllerLog).toContain('benchmark gone: replica sweep over: the hello Deployment back to 3');
  });

  it('fails a sweep run whose hello pods never become ready (the real scheduler has no node for them) within the settle bound, saying so; bench exits 1; the count is restored', async () => {
    // No node takes pods here: the scheduler leaves every hello pod Pending with its reason.
    const apps = await helloDeployment(1);
    // A short bound for the test (the default is SETTLE_TIMEOUT_MS, 180 s).
    const { controller } = await startController(0, await controllerAccount(), { settleTimeoutMs: 8_000 });
    const out = mkdtempSync(join(tmpdir(), 'cb-settle-'));
    try {
      const request = benchRequest({
        name: 'unsettled',
        namespace,
        scenario: 'quick',
        topologies: 'nginx',
        trials: '1',
        replicas: '2',
        duration: '1s',
        warmup: '300ms',
        connections: '4',
        out,
      });
      const said: string[] = [];
      const code = await runBench(kc, request, checkRequest(request), out, {
        out: () => undefined,
        err: (t) => said.push(t),
        tty: false,
        pollMs: 200,
      });
      expect(code).toBe(1);
      const reason =
        /the hello Deployment did not settle at 2 replicas within 8 s: 0 of 2 hello pods serving, 2 starting or stopping \(hello-[^()]* Pending: [^;]*nodes? (are )?available/;
      expect(said.join('')).toMatch(new RegExp(`TrialFailed: nginx at 2 replicas trial 1: ${reason.source}.*\\(not started\\)`));
      const b = await getBenchmark('unsettled');
      expect(b.status?.phase).toBe('Failed');
      const record = (await runRecords('unsettled')).records.get('nginx.r2.t1');
      expect(record).toMatchObject({ state: 'failed', attempts: 0 });
      expect(record?.job).toBeUndefined();
      expect(record?.reason).toMatch(reason);
      expect(await jobNames('unsettled')).toEqual([]);
      await restoredTo(apps, 1);
    } finally {
      rmSync(out, { recursive: true, force: true });
      await controller.stop();
      await apps.deleteNamespacedDeployment({ name: HELLO_BALANCED, namespace });
    }
  });

  it('clusterbench bench says in one line that clusterbench is not deployed where the namespace has no Benchmarks', async () => {
    const request = benchRequest({ name: 'x', namespace: `${namespace}-absent`, scenario: 'quick', topologies: 'single', out: 'reports' });
    await expect(
      runBench(kc, request, checkRequest(request), 'reports', { out: () => undefined, err: () => undefined, tty: false }),
    ).rejects.toThrow(
      `no Benchmark resource in namespace ${namespace}-absent (context ${kc.getCurrentContext()}): deploy clusterbench first (make deploy)`,
    );
  });

  it('sets an InvalidSpec condition naming the field when a spec passes the schema but not the cross-field rules; the spec cannot be edited', async () => {
    const { controller } = await startController();
    try {
      await createBenchmark('open-no-rate', { topologies: ['single'], load: { mode: 'open' } });
      const b = await finished('open-no-rate', 30_000);
      expect(b.status?.phase).toBe('Failed');
      const invalid = b.status?.conditions?.find((c) => c.type === 'InvalidSpec');
      expect(invalid?.message).toBe('spec.load.rate: is required when spec.load.mode is open');
      expect(await jobNames('open-no-rate')).toEqual([]);
      // The spec cannot be fixed in place: the API server rejects any edit, with the reason.
      const edit = await custom
        .patchNamespacedCustomObject(
          {
            group: BENCHMARK_GROUP,
            version: BENCHMARK_VERSION,
            namespace,
            plural: BENCHMARK_PLURAL,
            name: 'open-no-rate',
            body: { spec: { load: { mode: 'open', rate: 100 } } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )
        .then(
          () => undefined,
          (e: unknown) => e as { code: number; body: string },
        );
      expect(edit?.code).toBe(422);
      expect(edit?.body).toContain(SPEC_IMMUTABLE_MESSAGE);
      expect((await getBenchmark('open-no-rate')).spec.load).toEqual({ mode: 'open' });
      await custom.deleteNamespacedCustomObject({
        group: BENCHMARK_GROUP,
        version: BENCHMARK_VERSION,
        namespace,
        plural: BENCHMARK_PLURAL,
        name: 'open-no-rate',
      });
    } finally {
      await controller.stop();
    }
  });

  withRunners(
    "with only its Role, the controller creates Jobs in rotating order, runners start together, the ConfigMap report appears with the local report's shape",
    async (start) => {
      // The controller runs with only the Role the manifests give it.
      const { kubelet } = await start({ kubelet: { targets: { single: targetUrl, nginx: targetUrl } }, role: true });
      const spec: BenchmarkSpec = {
        topologies: ['single', 'ingress-nginx', 'nginx'],
        scenario: 'quick',
        load: quickLoad,
        runners: 2,
        trials: 2,
      };
      await createBenchmark('full', spec);
      const b = await finished('full');
      expect(b.status?.phase).toBe('Succeeded');
      expect(await jobNames('full')).toEqual(['full-nginx-t1-a1', 'full-nginx-t2-a1', 'full-single-t1-a1', 'full-single-t2-a1']);
      // Two runners per Job, each a pod run once.
      expect(kubelet.ran.filter((pod) => pod.startsWith('full-'))).toHaveLength(8);
      expect(b.status?.conditions?.find((c) => c.type === 'TopologyNotDeployed')?.message).toContain('ingress-nginx');
      expect(b.status?.reportConfigMap).toBe('full-report');
      expect(controllerLog.filter((l) => l.includes('HTTP 403'))).toEqual([]);
      expect(b.status?.progress).toMatchObject({ completedRuns: 4, totalRuns: 4 });

      const { markdown, report } = await reportOf('full');
      expect(report.topologies.map((t) => [t.name, t.trials, t.runners])).toEqual([
        ['single', 2, 2],
        ['nginx', 2, 2],
      ]);
      // Every runner's start skew is kept, and the summary gives the largest. Here all runners,
      // the controller and the target share one Node process on a loaded machine, so the bound
      // is loose: within half the 3 s lead of the agreed time.
      const runs = await runRecords('full');
      for (const r of b.status?.results ?? []) {
        const skews = [...runs.records.values()]
          .filter((x) => x.run.topology === r.topology)
          .flatMap((x) => (x.results ?? []).map((y) => Math.abs(y.startSkewMs)));
        expect(skews).toHaveLength(4);
        expect(r.maxStartSkewMs).toBe(Math.max(...skews));
        expect(r.maxStartSkewMs).toBeLessThan(1_500);
      }
      expect(b.status?.results?.map((r) => r.topology)).toEqual(['single', 'nginx']);
      // Same renderer, same shape as a local report.
      expect(markdown).toBe(renderMarkdown(report));
      const local = buildReport({
        scenario: report.scenario,
        environment: { where: 'local', cpus: { model: 'x', count: 1 }, versions: {}, cpuLimits: { perServer: null, mechanism: 'none' } },
        results: [result('single', 1, 0, [100])],
      });
      expect(Object.keys(report).sort()).toEqual(Object.keys(local).sort());
      expect(Object.keys(report.topologies[0]).sort()).toEqual(Object.keys(local.topologies[0]).sort());

      // The report ConfigMap and the Jobs are owned by the Benchmark (garbage-collected with it).
      const cm = await core.readNamespacedConfigMap({ name: 'full-report', namespace });
      expect(cm.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Benchmark', name: 'full', uid: b.metadata.uid });
      const job = await readJob('full-single-t1-a1');
      expect(job.spec?.ttlSecondsAfterFinished).toBeGreaterThan(0);
      expect(job.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Benchmark', uid: b.metadata.uid });
    },
  );

  withRunners(
    "a process that is not a runner cannot deliver a result: refused with a logged reason, the report holds only the runners' results",
    async (start) => {
      const { port } = await start({ kubelet: { targets: { single: targetUrl } } });
      await createQuickBenchmark('guarded', ['single'], '3s');
      const job = await until(
        "the run's Job",
        async () => (await batch.listNamespacedJob({ namespace, labelSelector: `${LABEL_BENCHMARK}=guarded` })).items[0]?.metadata?.name,
        60_000,
        100,
      );
      const pod = await until(
        'its pod',
        async () => (await core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` })).items[0],
        60_000,
        100,
      );
      // The strongest intruder: it knows the Job name and even the Job's token, but it is not the
      // runner pod (another address on this machine). Without the token it fares no better.
      const token = await runnerToken(core, namespace, pod);
      const forged = encodeResult({ ...result('single', 1, 0, [50]), requests: 108_500_000, throughputRps: 10_850_000 });
      const intruder = (headers: Record<string, string>) => `
      import WebSocket from 'ws';
      const ws = new WebSocket('ws://127.0.0.1:${port}${RUNNERS_PATH}', { headers: ${JSON.stringify(headers)}, localAddress: '127.0.0.2' });
      ws.on('open', () => { ws.send(${JSON.stringify(JSON.stringify({ type: 'result', job, index: 0, ...chunkResult(forged)[0] }))}); setTimeout(() => { console.log('sent'); process.exit(0); }, 500); });
      ws.on('unexpected-response', (_req, res) => { console.log(res.statusCode); process.exit(0); });
      ws.on('error', (err) => { console.log(err.message); process.exit(0); });`;
      // Another process (not execFileSync: the controller answering it runs in this one).
      const run = async (code: string) =>
        (await execFileAsync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000 })).stdout.trim();
      expect(await run(intruder({ authorization: `Bearer ${token}`, [JOB_HEADER]: job, [INDEX_HEADER]: '0' }))).toBe('403');
      expect(await run(intruder({ [JOB_HEADER]: job, [INDEX_HEADER]: '0' }))).toBe('403');
      expect(await run(intruder({ authorization: `Bearer ${token}`, [JOB_HEADER]: 'guarded-nginx-t1-a1', [INDEX_HEADER]: '0' }))).toBe(
        '403',
      );
      const b = await finished('guarded');
      expect(b.status?.phase).toBe('Succeeded');
      const refusals = controllerLog.filter((l) => l.includes('refused 127.0.0.2'));
      expect(refusals).toEqual([
        expect.stringContaining('address 127.0.0.2 is not the pod of runner 0'),
        expect.stringContaining('no token'),
        expect.stringContaining('no such Job'),
      ]);
      const { report } = await reportOf('guarded');
      expect(report.topologies.map((t) => t.name)).toEqual(['single']);
      expect(report.topologies[0].throughputRps.median).toBeLessThan(1_000_000);
      expect(report.topologies[0].requests).not.toBe(108_500_000);
    },
  );

  withRunners(
    'two Benchmarks at once: the second waits Queued behind the first (bench says so) and starts when the first is deleted',
    async (start) => {
      await start({ kubelet: { targets: { single: targetUrl } } });
      const out = mkdtempSync(join(tmpdir(), 'cb-queue-'));
      try {
        await createQuickBenchmark('first', ['single'], '30s');
        await until(
          'the first to run',
          async () => ((await getBenchmark('first')).status?.phase === 'Running' ? true : undefined),
          60_000,
          100,
        );
        const request = benchRequest({
          name: 'second',
          namespace,
          scenario: 'quick',
          topologies: 'single',
          trials: '1',
          duration: '1s',
          warmup: '300ms',
          connections: '4',
          out,
        });
        const progress: string[] = [];
        const bench = runBench(kc, request, checkRequest(request), out, {
          out: () => undefined,
          err: (t) => progress.push(t),
          tty: false,
          pollMs: 200,
        });
        const queued = await until(
          'the second to be queued',
          async () => {
            const b = await getBenchmark('second').catch(() => undefined); // bench creates it meanwhile
            return b?.status?.conditions?.some((c) => c.type === 'Queued' && c.status === 'True') ? b : undefined;
          },
          30_000,
          100,
        );
        expect(queued.status?.phase).toBe('Pending');
        expect(queued.status?.conditions?.find((c) => c.type === 'Queued')).toMatchObject({
          status: 'True',
          message: 'queued behind first',
        });
        // While queued, nothing of it runs.
        await new Promise((r) => setTimeout(r, 2_000));
        expect(await jobNames('second')).toEqual([]);
        expect((await getBenchmark('first')).status?.phase).toBe('Running');
        await until(
          'bench to say so',
          () => Promise.resolve(progress.join('').includes('queued behind first') ? true : undefined),
          10_000,
          100,
        );
        await custom.deleteNamespacedCustomObject({
          group: BENCHMARK_GROUP,
          version: BENCHMARK_VERSION,
          namespace,
          plural: BENCHMARK_PLURAL,
          name: 'first',
        });
        expect(await bench).toBe(0);
        const b = await getBenchmark('second');
        expect(b.status?.phase).toBe('Succeeded');
        expect(b.status?.conditions?.find((c) => c.type === 'Queued')).toMatchObject({ status: 'False', reason: 'Started' });
        expect(progress.join('')).toMatch(/Pending \[-+\] 0\/0 runs · queued behind first\n/);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  );

  withRunners(
    'identity by UID: x (ingress-nginx) and x-ingress (nginx) both finish with their own Jobs; x deleted mid-run and created again starts from nothing',
    async (start) => {
      // ingress-nginx counts as deployed here: an Ingress in the namespace, and a hello server
      // answering at its address (no cluster DNS here: the local target stands in for the Service).
      await createIngress('hello');
      // The target answers as hello-local: a hello pod of this namespace, as the Ingress's would be.
      await readyHelloPods(['hello-local']);
      await start({
        kubelet: { targets: { 'ingress-nginx': targetUrl, nginx: targetUrl } },
        controller: { topologyUrls: { 'ingress-nginx': targetUrl } },
      });
      try {
        const quick = { scenario: 'quick', load: { ...quickLoad, duration: '2s' }, runners: 1, trials: 1 };
        await createBenchmark('x', { topologies: ['ingress-nginx'], ...quick, load: { ...quick.load, duration: '20s' } });
        await createBenchmark('x-ingress', { topologies: ['nginx'], ...quick });
        // x runs; deleted while its runner loads, and created again at once under the same name.
        const old = await until(
          'x to be under way',
          async () => {
            const b = await getBenchmark('x');
            return (b.status?.progress?.rps ?? 0) > 0 ? b : undefined;
          },
          60_000,
          100,
        );
        const oldJob = (await batch.listNamespacedJob({ namespace, labelSelector: `${LABEL_BENCHMARK}=x` })).items[0].metadata?.name;
        await custom.deleteNamespacedCustomObject({
          group: BENCHMARK_GROUP,
          version: BENCHMARK_VERSION,
          namespace,
          plural: BENCHMARK_PLURAL,
          name: 'x',
        });
        await until(
          'x to be gone',
          async () =>
            await getBenchmark('x').then(
              () => undefined,
              () => true,
            ),
          30_000,
          100,
        );
        await createBenchmark('x', { topologies: ['ingress-nginx'], ...quick });
        const [again, other] = [await finished('x'), await finished('x-ingress')];
        expect(again.metadata.uid).not.toBe(old.metadata.uid);
        expect([again.status?.phase, other.status?.phase]).toEqual(['Succeeded', 'Succeeded']);
        expect(await jobNames('x-ingress')).toEqual(['x-ingress-nginx-t1-a1']);
        const jobs = (await batch.listNamespacedJob({ namespace, labelSelector: `${LABEL_BENCHMARK}=x` })).items;
        expect(jobs.map((j) => j.metadata?.name)).not.toContain(oldJob);
        expect(jobs.every((j) => j.metadata?.ownerReferences?.[0].uid === again.metadata.uid)).toBe(true);
        // The new x waited for its own runner (a fresh barrier), measured its own 2 s, and its report has one run.
        const runs = await runRecords('x');
        const [record] = [...runs.records.values()];
        expect(runs.records.size).toBe(1);
        expect(record.attempts).toBe(1);
        expect(Date.parse(record.results?.[0].startedAt ?? '')).toBeGreaterThan(new Date(again.metadata.creationTimestamp ?? 0).getTime());
        expect(record.results?.[0].durationMs).toBe(2_000);
        expect((await reportOf('x')).report.topologies.map((t) => [t.name, t.trials])).toEqual([['ingress-nginx', 1]]);
      } finally {
        await kc
          .makeApiClient(NetworkingV1Api)
          .deleteNamespacedIngress({ namespace, name: 'hello' })
          .catch(() => undefined);
        await core.deleteNamespacedPod({ name: 'hello-local', namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    },
  );

  withRunners('a controller stopped mid-run is replaced and the Benchmark finishes with no run lost or counted twice', async (start) => {
    // A slow target keeps each result small enough for the termination message: with no real
    // kubelet there are no pod logs to fall back on.
    const slow = createServer((_req, res) => setTimeout(() => res.writeHead(200, { 'x-served-by': 'hello-slow' }).end('Hello, World!'), 5));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`;
    const rig = await start({ kubelet: { targets: { single: slowUrl, nginx: slowUrl } } });
    try {
      await createBenchmark('restart', {
        topologies: ['single', 'nginx'],
        scenario: 'quick',
        load: { ...quickLoad, connections: 2, duration: '3s' },
        runners: 2,
        trials: 2,
      });
      // Stop the controller while the second run's runners are loading ...
      const running = await until(
        'the second run to be under way',
        async () => {
          const p = (await getBenchmark('restart')).status?.progress;
          return (p?.completedRuns ?? 0) >= 1 && p?.topology && p.trial && (p.rps ?? 0) > 0
            ? { topology: p.topology, trial: p.trial }
            : undefined;
        },
        120_000,
        100,
      );
      await rig.stopController();
      // ... and keep it down until that run's Job has finished: its results are then only in its pods.
      const job = `restart-${running.topology}-t${running.trial}-a1`;
      await until(`${job} to complete`, async () => {
        const j = await readJob(job);
        return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? true : undefined;
      });
      await rig.replaceController();
      const b = await finished('restart');
      expect(b.status?.phase).toBe('Succeeded');
      // Nothing was rerun: one attempt per run.
      expect(await jobNames('restart')).toEqual([
        'restart-nginx-t1-a1',
        'restart-nginx-t2-a1',
        'restart-single-t1-a1',
        'restart-single-t2-a1',
      ]);
      const runs = await runRecords('restart');
      expect([...runs.records.keys()].sort()).toEqual(['nginx.t1', 'nginx.t2', 'single.t1', 'single.t2']);
      const { report } = await reportOf('restart');
      for (const t of report.topologies) {
        const recorded = [...runs.records.values()].filter((r) => r.run.topology === t.name).flatMap((r) => r.results ?? []);
        expect(t.trials).toBe(2);
        expect(recorded).toHaveLength(4);
        // Every runner's requests counted exactly once.
        expect(t.requests).toBe(recorded.reduce((s, r) => s + r.requests, 0));
      }
    } finally {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });

  it.skipIf(fakeKubeletSkip !== undefined)(
    'fake kubelet: two controllers, one Lease: only the leader acts; when it dies the other takes over within the lease time and the run completes',
    async () => {
      const kubelet = new FakeKubelet({ kc, namespace, targets: { single: targetUrl, nginx: targetUrl } });
      kubelet.start();
      const leaseDurationSeconds = 4;
      // Both with only the Role the manifests give (which must cover the Lease).
      const account = await controllerAccount();
      const a = await startController(0, account, { identity: 'replica-a', leaseDurationSeconds });
      await until(
        'replica-a to lead',
        () => Promise.resolve(controllerLog.some((l) => l.includes('replica-a leads')) ? true : undefined),
        30_000,
        100,
      );
      const b = await startController(0, account, { identity: 'replica-b', leaseDurationSeconds });
      const ready = async (port: number) => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
      try {
        await until('the leader to be ready', async () => ((await ready(a.port)) === 200 ? true : undefined), 30_000, 100);
        expect(await ready(b.port)).toBe(503);
        await createQuickBenchmark('ha', ['single', 'nginx'], '3s');
        await until(
          'the first run under way',
          async () => (((await getBenchmark('ha')).status?.progress?.rps ?? 0) > 0 ? true : undefined),
          60_000,
          100,
        );
        expect(controllerLog.some((l) => l.includes('replica-b leads'))).toBe(false);
        // The leader dies without handing the Lease back (as a killed pod would).
        const diedAt = Date.now();
        await a.controller.stop(false);
        await until(
          'replica-b to lead',
          () => Promise.resolve(controllerLog.some((l) => l.includes('replica-b leads')) ? true : undefined),
          30_000,
          100,
        );
        const tookOverMs = Date.now() - diedAt;
        expect(tookOverMs).toBeLessThan(leaseDurationSeconds * 1000 + 3_000);
        // b's runners dial b: the fake kubelet's pods were told a's address, so the next run is b's alone.
        const done = await finished('ha');
        expect(done.status?.phase, JSON.stringify(done.status?.conditions)).toBe('Succeeded');
        expect(done.status?.progress).toMatchObject({ completedRuns: 2, totalRuns: 2 });
        const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'clusterbench-controller', namespace });
        expect(lease.spec?.holderIdentity).toBe('replica-b');
        expect(controllerLog.filter((l) => l.includes('HTTP 403'))).toEqual([]);
      } finally {
        await a.controller.stop(false);
        await b.controller.stop();
        await kubelet.stop();
      }
    },
    RUNS_TIMEOUT_MS,
  );

  withRunners('a failing runner is retried once, then its trial is failed and a partial report is still written', async (start) => {
    const failsNginx = (pod: V1Pod) => pod.metadata?.labels?.[LABEL_TOPOLOGY] === 'nginx';
    await start({ kubelet: { targets: { single: targetUrl, nginx: targetUrl }, fails: failsNginx } });
    await createBenchmark('flaky', { topologies: ['nginx', 'single'], scenario: 'quick', load: quickLoad, runners: 1, trials: 1 });
    const b = await finished('flaky');
    expect(b.status?.phase).toBe('Failed');
    expect(await jobNames('flaky')).toEqual(['flaky-nginx-t1-a1', 'flaky-nginx-t1-a2', 'flaky-single-t1-a1']);
    const failed = b.status?.conditions?.find((c) => c.type === 'TrialFailed');
    expect(failed?.message).toContain('nginx trial 1');
    expect(failed?.message).toContain('fails on purpose');
    const { report } = await reportOf('flaky');
    expect(report.topologies.map((t) => t.name)).toEqual(['single']);
    expect(report.environment.notes?.join('\n')).toContain('nginx trial 1 failed after 2 attempt(s)');
  });

  withRunners('a runner stopped with SIGTERM mid-run fails its attempt; the run is rerun and the report says so', async (start) => {
    // The first attempt's runner gets SIGTERM about 1.5 s into its 3 s measured part (3 s start lead, 0.3 s warmup).
    const stopAfterMs = (pod: V1Pod) => (pod.metadata?.labels?.['clusterbench.dev/attempt'] === '1' ? 4_800 : undefined);
    // Its pod is deleted: its words reach the controller only over the socket.
    await start({ kubelet: { targets: { single: targetUrl }, stopAfterMs, deleteStopped: true } });
    await createQuickBenchmark('stopped', ['single'], '3s');
    const b = await finished('stopped');
    expect(b.status?.phase).toBe('Succeeded');
    expect(await jobNames('stopped')).toEqual(['stopped-single-t1-a1', 'stopped-single-t1-a2']);
    expect(b.status?.conditions?.find((c) => c.type === 'RunRetried')?.message).toMatch(
      /stopped-[0-9a-f]{10}-single-t1-a1: .*stopped early \(SIGTERM\) after \d+ ms of the 3000 ms measured/,
    );
    const { report } = await reportOf('stopped');
    expect(report.topologies[0].trials).toBe(1);
    expect(report.environment.notes?.join('\n')).toMatch(
      /single trial 1 was rerun \(attempt 1: .*stopped early \(SIGTERM\).*\); only attempt 2 is counted/,
    );
    const runs = await runRecords('stopped');
    expect([...runs.records.values()][0].results?.[0].durationMs).toBe(3_000);
  });

  withRunners(
    'clusterbench bench creates the Benchmark, shows progress, prints and saves the report; clusterbench report prints it again',
    async (start) => {
      await start({ kubelet: { targets: { single: targetUrl } } });
      const out = mkdtempSync(join(tmpdir(), 'cb-bench-'));
      try {
        const request = benchRequest({
          name: 'via-cli',
          namespace,
          scenario: 'quick',
          topologies: 'single',
          trials: '2',
          duration: '1s',
          warmup: '300ms',
          connections: '4',
          out,
        });
        const printed: string[] = [];
        const progress: string[] = [];
        const code = await runBench(kc, request, checkRequest(request), out, {
          out: (t) => printed.push(t),
          err: (t) => progress.push(t),
          tty: false,
          pollMs: 200,
        });
        expect(code).toBe(0);
        expect(progress.join('')).toMatch(/Running \[[#-]+\] 1\/2 runs · single trial 2/);
        expect(progress.join('')).toContain('Succeeded [########################] 2/2 runs');
        const markdown = printed.join('');
        expect(markdown).toBe(readFileSync(join(out, 'via-cli', 'report.md'), 'utf8'));
        expect(readFileSync(join(out, 'via-cli', 'report.html'), 'utf8')).toContain('<html');
        expect((await fetchReport(kc, namespace, 'via-cli')).markdown).toBe(markdown);
        await expect(fetchReport(kc, namespace, 'no-such-benchmark')).rejects.toThrow('no report for benchmark no-such-benchmark');
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  );

  withRunners(
    "a 30-minute run's result (about 1.3 MB encoded) reaches the report whole: kept in part ConfigMaps, per-second data as sent",
    async (start) => {
      // The load itself is not under test: each of two runners "measures" a synthetic 30-minute result.
      const sent = [0, 1].map((runner) => longResult('single', 1, runner, 1800));
      const encoded = encodeResult(sent[0]).length;
      expect(encoded).toBeGreaterThan(1_200_000);
      await start({ kubelet: { targets: {}, runLoad: (_load, index) => Promise.resolve(sent[index]) }, role: true });
      const spec = { topologies: ['single'], scenario: 'quick', load: quickLoad, runners: 2, trials: 1 };
      await createBenchmark('long', spec);
      const b = await finished('long');
      expect(b.status?.phase).toBe('Succeeded');
      const uid = b.metadata.uid ?? '';
      // Its record's results came back exactly as sent, from parts each under the ConfigMap limit.
      const runs = await runRecords('long');
      expect(runs.records.get('single.t1')?.results).toEqual(sent);
      const parts = (
        await core.listNamespacedConfigMap({
          namespace,
          labelSelector: `${LABEL_BENCHMARK_UID}=${uid},${LABEL_COMPONENT}=${RUN_PART_COMPONENT}`,
        })
      ).items;
      expect(parts.length).toBe(3);
      for (const part of parts) {
        expect(part.metadata?.name?.length).toBeLessThanOrEqual(63);
        expect(part.metadata?.ownerReferences?.[0]?.uid).toBe(uid);
        expect(Buffer.byteLength(JSON.stringify(part))).toBeLessThan(1 << 20);
      }
      // The report's per-second data is what the full result gives, not the upper bounds a
      // result without its per-second histograms gives (the test would not tell them apart otherwise).
      const resolved = resolveBenchmarkSpec(spec);
      if (!('plan' in resolved)) throw new Error('spec');
      const record = { run: { topology: 'single', trial: 1 }, state: 'succeeded', job: 'long', attempts: 1 } as const;
      const { report, markdown } = await reportOf('long');
      const timelinesOf = (results: typeof sent) =>
        clusterReport(resolved.plan, [{ ...record, results }], report.environment, []).topologies[0].timelines;
      expect(report.topologies[0].timelines).toEqual(timelinesOf(sent));
      expect(report.topologies[0].timelines).not.toEqual(timelinesOf(sent.map(trimResult)));
      expect(report.topologies[0].timelines[0].points).toHaveLength(1800);
      expect(markdown).not.toContain('upper bounds');
      process.stderr.write(`30-minute result: ${encoded} characters encoded per runner, ${parts.length} part ConfigMaps\n`);
    },
  );

  withRunners(
    'a controller stopped after a failover delete but before its record: the next one records that kill and deletes no second pod',
    async (start) => {
      const hello = ['hello-x', 'hello-y', 'hello-z'];
      await readyHelloPods(hello);
      const helloLeft = async () =>
        (await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/instance=hello' })).items.map((p) => p.metadata?.name);
      // The API server refuses to record a kill until the policy goes: the controller has deleted
      // the pod and dies before its record, as one killed in between would.
      const allow = await refuse(
        'no-kill-record',
        'configmaps',
        ['CREATE', 'UPDATE'],
        "!has(object.data) || !('failover-kill' in object.data)",
        'test: kills may not be recorded now',
      );
      const rig = await start({ kubelet: { targets: { nginx: targetUrl } }, role: true });
      try {
        await createQuickBenchmark('kill-once', ['nginx'], '8s', { failover: { killAfter: '1s' } });
        await until('a hello pod to be deleted', async () => ((await helloLeft()).length < hello.length ? true : undefined), 60_000, 100);
        // A few passes of the same controller meanwhile: none picks a second victim either.
        await new Promise((r) => setTimeout(r, 1_500));
        expect(controllerLog.some((l) => l.includes('failover:') && l.includes('no-kill-record'))).toBe(true);
        await rig.stopController();
        const afterFirst = await helloLeft();
        expect(afterFirst).toHaveLength(2);
        const [victim] = hello.filter((n) => !afterFirst.includes(n));
        expect((await runRecords('kill-once')).intents.get('nginx.t1')?.pod).toBe(victim);
        await allow();
        await rig.replaceController();
        const done = await finished('kill-once');
        expect(done.status?.phase).toBe('Succeeded');
        // Exactly one hello pod deleted in all, and that one is the kill recorded and reported.
        expect(await helloLeft()).toEqual(afterFirst);
        expect((await runRecords('kill-once')).kills.get('nginx.t1')?.pod).toBe(victim);
        expect((await reportOf('kill-once')).report.topologies[0].failover?.backend).toBe(victim);
      } finally {
        await allow();
        for (const name of hello) await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    },
  );

  withRunners('a topology whose Service has no ready endpoints is skipped, its condition naming why; the others run', async (start) => {
    await serviceWithEndpoint('rpc-gateway', false);
    await start({ kubelet: { targets: { single: targetUrl, 'rpc-gateway': targetUrl } }, role: true });
    await createQuickBenchmark('unready', ['single', 'rpc-gateway'], '1s');
    const b = await finished('unready');
    expect(b.status?.phase).toBe('Succeeded');
    expect(b.status?.skippedTopologies).toEqual(['rpc-gateway']);
    expect(b.status?.conditions?.find((c) => c.type === 'TopologyNotDeployed')?.message).toBe(
      'not deployed in the namespace, skipped: rpc-gateway (Service rpc-gateway has no ready endpoints (0 of 1 ready))',
    );
    expect(await jobNames('unready')).toEqual(['unready-single-t1-a1']);
  });

  withRunners(
    'ingress-nginx with an Ingress that no hello server answers through is skipped, saying why; a restarted controller keeps the reason',
    async (start) => {
      await createIngress('hello-unanswered');
      // Where ingress-nginx would be: a port nothing listens on.
      const gone = createServer();
      await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
      const silentUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/`;
      await new Promise((r) => gone.close(r));
      const rig = await start({
        kubelet: { targets: { single: targetUrl } },
        role: true,
        controller: { topologyUrls: { 'ingress-nginx': silentUrl } },
      });
      try {
        await createQuickBenchmark('unanswered', ['single', 'ingress-nginx'], '3s');
        const reason = `not deployed in the namespace, skipped: ingress-nginx (no hello server answered through the Ingress at ${silentUrl} (${INGRESS_PROBE_ATTEMPTS} tries, the last: fetch failed (ECONNREFUSED)))`;
        const skipped = async () => (await getBenchmark('unanswered')).status?.conditions?.find((c) => c.type === 'TopologyNotDeployed');
        await until('the skip to be written', async () => ((await skipped())?.message === reason ? true : undefined));
        // A new controller (ingress-nginx answering by now) goes on with the plan decided, and the reason stays.
        await rig.stopController();
        await rig.replaceController({ topologyUrls: { 'ingress-nginx': targetUrl } });
        const b = await finished('unanswered');
        expect(b.status?.phase).toBe('Succeeded');
        expect(b.status?.skippedTopologies).toEqual(['ingress-nginx']);
        expect((await skipped())?.message).toBe(reason);
        expect(await jobNames('unanswered')).toEqual(['unanswered-single-t1-a1']);
      } finally {
        await kc.makeApiClient(NetworkingV1Api).deleteNamespacedIngress({ namespace, name: 'hello-unanswered' });
      }
    },
  );

  withRunners('a failover kill whose delete fails is not recorded; it is retried and recorded when the delete succeeds', async (start) => {
    await readyHelloPods(['hello-a', 'hello-b']);
    // The API server refuses to delete hello pods in this namespace until the policy goes.
    const allow = await refuse(
      'no-hello-delete',
      'pods',
      ['DELETE'],
      "!oldObject.metadata.name.startsWith('hello-')",
      'test: hello pods may not be deleted now',
    );
    await start({ kubelet: { targets: { nginx: targetUrl } } });
    let allowedAt: number;
    try {
      await createQuickBenchmark('kill-retry', ['nginx'], '8s', { failover: { killAfter: '1s' } });
      await until(
        'a refused delete',
        () =>
          Promise.resolve(
            controllerLog.some((l) => l.includes('failover: deleting pod hello-a failed') && l.includes('may not be deleted now'))
              ? true
              : undefined,
          ),
        60_000,
        100,
      );
      const b = await getBenchmark('kill-retry');
      expect((await runRecords('kill-retry')).kills.size).toBe(0); // not recorded
      await new Promise((r) => setTimeout(r, 1_500));
      await allow();
      allowedAt = Date.now();
      const kills = await until(
        'the kill to be recorded',
        async () => {
          const k = (await runRecords('kill-retry')).kills;
          return k.size > 0 ? k : undefined;
        },
        30_000,
        100,
      );
      const [kill] = [...kills.values()];
      expect(kill.pod).toBe('hello-a');
      expect(kill.atEpochMs).toBeGreaterThanOrEqual(allowedAt - 1_000);
      expect(
        (await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/instance=hello' })).items.map((p) => p.metadata?.name),
      ).not.toContain('hello-a');
      const done = await finished('kill-retry');
      expect(done.status?.phase).toBe('Succeeded');
      expect(b.metadata.uid).toBe(done.metadata.uid);
      const failover = (await reportOf('kill-retry')).report.topologies[0].failover;
      expect(failover?.backend).toBe('hello-a');
      expect(failover?.killedAtMs).toBeGreaterThan(2_000); // not at 1 s, when the first delete was refused
    } finally {
      await allow();
      for (const name of ['hello-a', 'hello-b'])
        await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  });

  withRunners(
    "each Benchmark's report has the environment of when it started: a redeploy with another CPU limit shows in the next one",
    async (start) => {
      const helloWith = (name: string, cpu: string) =>
        core.createNamespacedPod({
          namespace,
          body: {
            metadata: { name, labels: { 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/instance': 'hello' } },
            spec: { containers: [{ name: 'hello', image: 'hello:test', resources: { limits: { cpu } } }] },
          },
        });
      await helloWith('hello-env1', '500m');
      await start({ kubelet: { targets: { single: targetUrl } } });
      try {
        const spec = { topologies: ['single'], scenario: 'quick', load: quickLoad, runners: 1, trials: 1 };
        await createBenchmark('env-before', spec);
        await finished('env-before');
        // "Redeploy" the hello servers with 200m, then run again with the same controller process.
        await core.deleteNamespacedPod({ name: 'hello-env1', namespace, gracePeriodSeconds: 0 });
        await helloWith('hello-env2', '200m');
        await until(
          'the controller to see the new pod',
          async () =>
            (await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/instance=hello' })).items.length === 1
              ? true
              : undefined,
          10_000,
          100,
        );
        await new Promise((r) => setTimeout(r, 1_000));
        await createBenchmark('env-after', spec);
        await finished('env-after');
        expect((await reportOf('env-before')).report.environment.cpuLimits.perServer).toBe(0.5);
        expect((await reportOf('env-after')).report.environment.cpuLimits.perServer).toBe(0.2);
      } finally {
        await core.deleteNamespacedPod({ name: 'hello-env2', namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    },
  );

  withRunners(
    'failover deletes one ready hello pod killAfter into the last trial and the report gives kill and recovery times',
    async (start) => {
      await readyHelloPods(['hello-a', 'hello-b', 'hello-c']);
      await start({ kubelet: { targets: { nginx: targetUrl } } });
      await createQuickBenchmark('failover', ['nginx'], '4s', { failover: { killAfter: '1s' } });
      // Stand in for the ReplicaSet and the kubelet: replace the deleted pod with a ready one.
      await until(
        'a hello pod to be deleted',
        async () => {
          const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/instance=hello' });
          return pods.items.length < 3 ? true : undefined;
        },
        60_000,
        100,
      );
      await readyHelloPods(['hello-d']);
      // Meanwhile the runners' live progress shows in the status.
      const live = await until(
        'live progress in the status',
        async () => {
          const p = (await getBenchmark('failover')).status?.progress;
          return p?.rps && p.rps > 0 && p.warmup === false ? p : undefined;
        },
        30_000,
        200,
      );
      expect(live).toMatchObject({ topology: 'nginx', trial: 1, runners: 1, runnersReady: 1, warmup: false });
      expect(live.requests).toBeGreaterThan(0);
      const b = await finished('failover');
      expect(b.status?.phase).toBe('Succeeded');
      const { report } = await reportOf('failover');
      const failover = report.topologies[0].failover;
      expect(failover?.backend).toBe('hello-a');
      // Deleted about 1 s into the measured part: scheduled from the agreed start (a runner that
      // began its measurement late sees it a little earlier), checked every 0.5 s here.
      expect(failover?.killedAtMs).toBeGreaterThanOrEqual(750);
      expect(failover?.killedAtMs).toBeLessThan(2_500);
      expect(failover?.restartedAtMs).toBeGreaterThanOrEqual(failover?.killedAtMs ?? Infinity);
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/instance=hello' });
      expect(pods.items.map((p) => p.metadata?.name).sort()).toEqual(['hello-b', 'hello-c', 'hello-d']);
    },
  );
});
