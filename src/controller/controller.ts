/**
 * The Benchmark controller: watches Benchmarks, Jobs and pods of one namespace, turns what it sees
 * into the inputs of `decide` (reconcile.ts) and carries out its actions against the API server.
 * Everything it needs to resume lives in the cluster: Job names are deterministic, runners'
 * results are read back from their pods, finished runs are kept in one ConfigMap each (run-store.ts).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import {
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  NetworkingV1Api,
  type KubeConfig,
  type KubernetesObject,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import type { LoadResult } from '../../loadtest/types.js';
import { BENCHMARK_GROUP, BENCHMARK_PLURAL, BENCHMARK_VERSION, type Benchmark, type BenchmarkStatus } from '../api/benchmark.js';
import { checkBenchmarkName, resolveBenchmarkSpec, type BenchmarkPlan } from '../api/validate.js';
import { renderMarkdown } from '../report/index.js';
import type { Topology } from '../topologies.js';
import { clusterReport, statusResults } from './cluster-report.js';
import { Coordinator } from './coordinator.js';
import { describeError, isApiCode } from '../kube/kube.js';
import { SupervisedInformer } from './informers.js';
import {
  ANNOTATION_COMPLETION_INDEX,
  CONTROLLER,
  HELLO_POD_SELECTOR,
  LABEL_BENCHMARK,
  LABEL_MANAGED_BY,
  MANAGED_BY,
  MANAGED_SELECTOR,
  reportConfigMapName,
  topologyUrl,
} from '../api/objects.js';
import { jobName, runKey, runPartConfigMapName, type BenchmarkRef } from './names.js';
import { authorizeRunner, newRunnerToken, runnerTokenSecret } from './runner-auth.js';
import { decide, type Action, type Decision } from './reconcile.js';
import { isPodOfJob, observeHelloPod, observeJob } from './observe.js';
import { resultOfPod } from './pod-results.js';
import { FINAL_PHASES, PROGRESS_EVERY_MS, mergeConditions, nextStatus, progressPatch, statusChange } from './status.js';
import { runnerJob } from './runner-job.js';
import { queuedBehind } from './queue.js';
import { LeaderElection } from './leader.js';
import { HelloScaler } from './hello-scaler.js';
import { describeProbe, probeMatches } from './sweep.js';
import { PART_KEY, RUN_PART_COMPONENT, intentData, recordData, type KillIntent } from './run-store.js';
import { whyNotDeployed } from './readiness.js';
import { mergePatch, RunConfigMaps } from './run-configmaps.js';
import { FailoverKills } from './failover-kills.js';
import { ReportEnvironments } from './report-environment.js';
import { controllerUid, ownerOf } from './owners.js';

export interface ControllerOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  /** The bench image the runner Jobs run. */
  readonly image: string;
  /** Port of the runners' WebSocket (and /healthz). */
  readonly port: number;
  /** What runners dial, e.g. ws://clusterbench-controller.clusterbench.svc:8080/runners */
  readonly controllerUrl: string;
  /** Seconds between reconcile passes while nothing happens (progress, failover timing). @default 2000 */
  readonly resyncMs?: number;
  readonly log?: (line: string) => void;
  /** This replica in the leader election, e.g. its pod name. @default host name, pid and a random part */
  readonly identity?: string;
  /** @default LEASE_DURATION_SECONDS */
  readonly leaseDurationSeconds?: number;
  /** Called when leadership is lost (the controller has stopped acting); the command exits. */
  readonly onLeadershipLost?: (why: string) => void;
  /** A sweep point's settle bound; tests shorten it. @default SETTLE_TIMEOUT_MS */
  readonly settleTimeoutMs?: number;
  /**
   * Where the controller itself reaches a topology (ingress-nginx's readiness, the sweep's balancer
   * probe); tests without cluster DNS point these at local servers. @default topologyUrl (cluster DNS)
   */
  readonly topologyUrls?: Partial<Record<Topology, string>>;
}

export class BenchmarkController {
  private readonly log: (line: string) => void;
  private readonly custom: CustomObjectsApi;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly networking: NetworkingV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly coordinator: Coordinator;
  private readonly benchmarks: SupervisedInformer<Benchmark & KubernetesObject>;
  private readonly jobs: SupervisedInformer<V1Job>;
  private readonly runnerPods: SupervisedInformer<V1Pod>;
  private readonly helloPods: SupervisedInformer<V1Pod>;
  private server?: Server;
  private readonly election: LeaderElection;
  private leading = false;
  private timer?: NodeJS.Timeout;
  private pass?: Promise<void>;
  private again = false;
  /** Each Benchmark's report environment, read when it starts (report-environment.ts). */
  private readonly environments: ReportEnvironments;
  private readonly progressPatchedAt = new Map<string, number>();
  /** Benchmarks (by UID) this controller created a Job for: started, before the Job reaches the informer (queue.ts). */
  private readonly startedHere = new Set<string>();
  private wakeTimer?: NodeJS.Timeout;
  /** The run ConfigMaps, read and written (run-configmaps.ts). */
  private readonly runs: RunConfigMaps;
  /** Failover kills carried out and their intents settled (failover-kills.ts). */
  private readonly failover: FailoverKills;
  /** A replica sweep's scaling of the hello Deployment, and its restore. */
  private readonly scaler: HelloScaler;
  /** What each Benchmark's sweep last waited for, by UID: logged once per change. */
  private readonly waitingFor = new Map<string, string>();

  /** Where this controller reaches a topology over HTTP (ControllerOptions.topologyUrls). */
  private readonly urlOf = (topology: Topology): string =>
    this.options.topologyUrls?.[topology] ?? topologyUrl(topology, this.options.namespace);

  constructor(private readonly options: ControllerOptions) {
    const { kc, namespace } = options;
    this.log = options.log ?? ((line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.runs = new RunConfigMaps(this.core, namespace, this.log);
    this.networking = kc.makeApiClient(NetworkingV1Api);
    this.scaler = new HelloScaler({ kc, namespace, log: this.log, settleTimeoutMs: options.settleTimeoutMs, urlOf: this.urlOf });
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
    const kick = () => this.kick();
    this.benchmarks = new SupervisedInformer<Benchmark & KubernetesObject>(
      kc,
      `/apis/${BENCHMARK_GROUP}/${BENCHMARK_VERSION}/namespaces/${namespace}/${BENCHMARK_PLURAL}`,
      () =>
        this.custom.listNamespacedCustomObject({ group: BENCHMARK_GROUP, version: BENCHMARK_VERSION, namespace, plural: BENCHMARK_PLURAL }),
      undefined,
      kick,
      this.log,
    );
    this.jobs = new SupervisedInformer(
      kc,
      `/apis/batch/v1/namespaces/${namespace}/jobs`,
      () => this.batch.listNamespacedJob({ namespace, labelSelector: MANAGED_SELECTOR }),
      MANAGED_SELECTOR,
      () => {
        this.coordinator.poke();
        kick();
      },
      this.log,
    );
    this.runnerPods = new SupervisedInformer(
      kc,
      `/api/v1/namespaces/${namespace}/pods`,
      () => this.core.listNamespacedPod({ namespace, labelSelector: MANAGED_SELECTOR }),
      MANAGED_SELECTOR,
      kick,
      this.log,
    );
    this.helloPods = new SupervisedInformer(
      kc,
      `/api/v1/namespaces/${namespace}/pods`,
      () => this.core.listNamespacedPod({ namespace, labelSelector: HELLO_POD_SELECTOR }),
      HELLO_POD_SELECTOR,
      kick,
      this.log,
    );
    this.election = new LeaderElection({
      kc,
      namespace,
      name: CONTROLLER.name,
      identity: options.identity ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
      leaseDurationSeconds: options.leaseDurationSeconds,
      log: this.log,
    });
    const helloPods = () => this.helloPods.list();
    this.failover = new FailoverKills({ core: this.core, namespace, helloPods, runs: this.runs, log: this.log });
    this.environments = new ReportEnvironments({
      kc,
      core: this.core,
      namespace,
      helloPods,
      runnerPods: () => this.runnerPods.list(),
      log: this.log,
    });
    this.coordinator = new Coordinator({
      expectedRunners: (job) => this.jobs.list().find((j) => j.metadata?.name === job)?.spec?.completions,
      authorize: (claim) =>
        !this.leading
          ? { refused: 'this controller is not the leader' }
          : authorizeRunner(
              claim,
              this.jobs.list().find((j) => j.metadata?.name === claim.job),
              this.podsOf(claim.job),
            ),
      onChange: kick,
      log: this.log,
    });
  }

  /** The runner pods of a Job. */
  private podsOf(job: string): V1Pod[] {
    return this.runnerPods.list().filter((p) => isPodOfJob(p, job));
  }

  private informers() {
    return [this.benchmarks, this.jobs, this.runnerPods, this.helloPods];
  }

  /**
   * Starts the health and runners' socket, resolving once listening; the informers and the
   * reconcile loop start once this replica leads (a follower is not ready and lets no runner in).
   */
  async start(): Promise<{ port: number }> {
    this.server = createServer((req, res) => {
      const ok = req.url === '/healthz' || (req.url === '/readyz' && this.leading && this.informers().every((i) => i.synced));
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
    });
    this.coordinator.attach(this.server);
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.options.port, resolve);
    });
    this.election
      .lead((why) => {
        this.log(`leader election: lost: ${why}; stopping`);
        void this.stop(false).then(() => this.options.onLeadershipLost?.(why));
      })
      .then(() => {
        this.leading = true;
        for (const informer of this.informers()) informer.start();
        const resyncMs = this.options.resyncMs ?? 2_000;
        this.timer = setInterval(() => {
          for (const informer of this.informers()) void informer.watchdog();
          this.kick();
        }, resyncMs);
      })
      .catch(() => undefined); // stopped before it led
    const address = this.server.address();
    const port = typeof address === 'object' && address ? address.port : this.options.port;
    this.log(`controller: namespace ${this.options.namespace}, runners' socket on :${port}, image ${this.options.image}`);
    return { port };
  }

  /** Stops acting; with `release` (a clean shutdown) hands the Lease to a successor at once. */
  async stop(release = true): Promise<void> {
    this.leading = false;
    await this.election.stop(release);
    clearInterval(this.timer);
    clearTimeout(this.wakeTimer);
    await Promise.all(this.informers().map((i) => i.stop()));
    this.coordinator.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.pass;
  }

  /** Schedules a reconcile pass; passes never overlap, and a kick during one runs another after it. */
  kick(): void {
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.reconcileAll()
      .catch((err: unknown) => this.log(`reconcile: ${describeError(err)}`))
      .finally(() => {
        this.pass = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async reconcileAll(): Promise<void> {
    if (!this.informers().every((i) => i.synced)) return;
    const uids = new Set(this.benchmarks.list().map((b) => b.metadata?.uid ?? ''));
    this.runs.store.keepOnly(uids);
    this.environments.keepOnly(uids);
    for (const uid of this.startedHere) if (!uids.has(uid)) this.startedHere.delete(uid);
    for (const uid of this.waitingFor.keys()) if (!uids.has(uid)) this.waitingFor.delete(uid);
    this.coordinator.keepOnly(new Set(this.jobs.list().map((j) => j.metadata?.name ?? '')));
    // First, before any Benchmark scales it: the hello Deployment back to its count if its sweep is over.
    const running = this.benchmarks
      .list()
      .filter((b) => !b.metadata.deletionTimestamp && !(b.status?.phase && FINAL_PHASES.has(b.status.phase)))
      .map((b) => b.metadata.uid ?? '');
    try {
      await this.scaler.restoreIfDue(new Set(running));
    } catch (err) {
      this.log(`replica sweep: restoring the hello Deployment: ${describeError(err)}; trying again`);
    }
    for (const benchmark of this.benchmarks.list()) {
      try {
        await this.reconcile(benchmark);
      } catch (err) {
        this.log(`benchmark ${benchmark.metadata?.name}: ${describeError(err)}`);
      }
    }
  }

  private async reconcile(benchmark: Benchmark): Promise<void> {
    const { name, generation, deletionTimestamp } = benchmark.metadata;
    const status = benchmark.status ?? {};
    const ref: BenchmarkRef = { name, uid: benchmark.metadata.uid ?? '' };
    // Finished Benchmarks stay as they are (the spec cannot change: the CRD rejects edits).
    if (deletionTimestamp || (status.phase && FINAL_PHASES.has(status.phase))) {
      this.runs.store.forget(ref.uid);
      this.environments.forget(ref.uid);
      return;
    }

    const nameProblem = checkBenchmarkName(name);
    const resolved = nameProblem ? { problem: nameProblem } : resolveBenchmarkSpec(benchmark.spec);
    if ('problem' in resolved) {
      const { field, message } = resolved.problem;
      this.log(`benchmark ${name}: invalid spec: ${field}: ${message}`);
      await this.patchStatus(name, {
        phase: 'Failed',
        observedGeneration: generation,
        completionTime: new Date().toISOString(),
        conditions: mergeConditions(
          status.conditions ?? [],
          [{ type: 'InvalidSpec', status: 'True', reason: 'FieldInvalid', message: `${field}: ${message}` }],
          generation,
          new Date(),
        ),
      });
      return;
    }
    const { plan } = resolved;
    const waitingFor = queuedBehind(benchmark, this.benchmarks.list(), this.jobs.list(), this.startedHere);
    if (waitingFor) {
      const next: BenchmarkStatus = {
        phase: 'Pending',
        observedGeneration: generation,
        conditions: mergeConditions(
          status.conditions ?? [],
          [{ type: 'Queued', status: 'True', reason: 'AnotherBenchmarkRunning', message: `queued behind ${waitingFor}` }],
          generation,
          new Date(),
        ),
      };
      if (statusChange(status, next) !== 'none') await this.patchStatus(name, next);
      return;
    }
    this.environments.readOnce(ref.uid);
    // Owned by UID: a Job of an earlier Benchmark of the same name is not this one's.
    const ownedJobs = this.jobs.list().filter((j) => controllerUid(j) === ref.uid);
    const podsOf = (job: string) => this.podsOf(job);
    const jobs = ownedJobs.flatMap((j) => {
      const observed = observeJob(j, podsOf(j.metadata?.name ?? ''), this.coordinator.failures(j.metadata?.name ?? ''));
      return observed ? [observed] : [];
    });
    const stored = await this.runs.readRuns(ref);
    const unsettled = await this.failover.settleIntents(benchmark, stored);
    const results = new Map<string, Map<number, LoadResult>>();
    const socketResults = this.coordinator.results();
    for (const job of jobs) {
      const byIndex = new Map(socketResults.get(job.name) ?? []);
      if (job.state === 'succeeded' && !stored.records.has(runKey(job.run))) {
        for (const pod of podsOf(job.name)) {
          const index = Number(pod.metadata?.annotations?.[ANNOTATION_COMPLETION_INDEX]);
          if (!byIndex.has(index) && pod.status?.phase === 'Succeeded') {
            const result = await resultOfPod(this.core, this.options.namespace, pod);
            if (result) byIndex.set(index, result);
          }
        }
      }
      results.set(job.name, byIndex);
    }
    const helloPods = this.helloPods.list().map(observeHelloPod);
    // Which topologies can answer is read once, when the Benchmark starts; its status keeps the skips
    // and its TopologyNotDeployed condition the reasons, across controller restarts.
    const notDeployed = status.skippedTopologies
      ? undefined
      : await whyNotDeployed(
          this.networking,
          this.discovery,
          this.options.namespace,
          plan.topologies,
          this.urlOf,
          new Set(this.helloPods.list().map((p) => p.metadata?.name ?? '')),
        );
    const undecided = decide({
      benchmark: name,
      uid: ref.uid,
      ...(plan.replicas ? { scale: await this.scaler.view(this.helloPods.list()) } : {}),
      plan,
      skippedTopologies: status.skippedTopologies as Topology[] | undefined,
      deployed: new Set(plan.topologies.filter((t) => !notDeployed?.has(t))),
      whyNotDeployed: notDeployed,
      records: stored.records,
      kills: stored.kills,
      jobs,
      results,
      startTimes: this.coordinator.startTimes(),
      helloPods,
      reportWritten: status.reportConfigMap !== undefined,
      now: Date.now(),
    });
    const wasQueued = status.conditions?.some((c) => c.type === 'Queued' && c.status === 'True');
    const decision: Decision = {
      ...undecided,
      // A kill intent not yet settled is the run's only victim: no second one is picked meanwhile.
      actions: undecided.actions.filter((a) => a.kind !== 'killPod' || !unsettled.has(runKey(a.run))),
      conditions: [
        ...undecided.conditions,
        ...(wasQueued
          ? [{ type: 'Queued', status: 'False', reason: 'Started', message: 'no other Benchmark running in the namespace' } as const]
          : []),
      ],
    };
    if (decision.waiting !== this.waitingFor.get(ref.uid)) {
      if (decision.waiting) this.log(`benchmark ${name}: replica sweep: waiting: ${decision.waiting}`);
      this.waitingFor.set(ref.uid, decision.waiting ?? '');
    }
    if (plan.replicas) this.scaler.keepSettling(decision.settling);
    if (decision.wakeAt !== undefined) {
      // The periodic pass could be up to resyncMs late; a failover kill should not be.
      clearTimeout(this.wakeTimer);
      this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, decision.wakeAt - Date.now()));
    }
    const extra: BenchmarkStatus = {};
    for (const action of decision.actions) Object.assign(extra, await this.execute(benchmark, plan, decision, action));
    for (const action of decision.actions) if (action.kind === 'recordRun' && action.record.job) this.coordinator.forget(action.record.job);
    const live = decision.current && this.coordinator.progress(decision.current.job);
    const next = nextStatus(benchmark, plan, decision, extra, live, new Date());
    const change = statusChange(status, next);
    // Every patch comes back as a watch event and another pass: patch only what changed, and
    // live progress alone at most every PROGRESS_EVERY_MS.
    const lastAt = this.progressPatchedAt.get(name) ?? 0;
    if (change === 'none' || (change === 'progress' && Date.now() - lastAt < PROGRESS_EVERY_MS)) return;
    await this.patchStatus(name, next);
    this.progressPatchedAt.set(name, Date.now());
  }

  private async execute(benchmark: Benchmark, plan: BenchmarkPlan, decision: Decision, action: Action): Promise<BenchmarkStatus> {
    const { name } = benchmark.metadata;
    const namespace = this.options.namespace;
    switch (action.kind) {
      case 'createJob': {
        this.startedHere.add(benchmark.metadata.uid ?? '');
        // The token first: the Job's pods wait for their Secret, never run without it.
        const job = jobName({ name, uid: benchmark.metadata.uid ?? '' }, action.run, action.attempt);
        const { token, sha256 } = newRunnerToken();
        const secret = await this.core.createNamespacedSecret({
          namespace,
          body: runnerTokenSecret({
            job,
            namespace,
            token,
            labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_BENCHMARK]: name },
            owner: [ownerOf(benchmark)],
          }),
        });
        const body = runnerJob({
          benchmark: { name, uid: benchmark.metadata.uid ?? '' },
          namespace,
          image: this.options.image,
          controllerUrl: this.options.controllerUrl,
          plan,
          run: action.run,
          attempt: action.attempt,
          token: { secret: secret.metadata?.name ?? '', sha256 },
        });
        try {
          await this.batch.createNamespacedJob({ namespace, body });
          this.log(`benchmark ${name}: created Job ${body.metadata?.name}`);
        } catch (err) {
          if (!isApiCode(err, 409)) throw err;
          // Already there: an earlier pass created it (the informer has not shown it yet), unless
          // another Benchmark owns it, which the UID in the name makes all but impossible.
          const owner = controllerUid(this.jobs.list().find((j) => j.metadata?.name === job));
          if (owner !== undefined && owner !== benchmark.metadata.uid)
            throw new Error(`Job ${job} exists and belongs to another Benchmark (uid ${owner})`, { cause: err });
        }
        return {};
      }
      case 'recordRun': {
        const { record } = action;
        // The parts first: a record implies its parts exist.
        const { data, parts } = recordData(record);
        const ref = { name, uid: benchmark.metadata.uid ?? '' };
        for (const [k, part] of parts.entries())
          await this.runs.patchConfigMap(benchmark, runPartConfigMapName(ref, record.run, k), RUN_PART_COMPONENT, { [PART_KEY]: part });
        await this.runs.patchRun(benchmark, record.run, data);
        this.environments.notePlacement(benchmark.metadata.uid ?? '', record);
        this.log(`benchmark ${name}: ${runKey(record.run)} ${record.state}${record.reason ? `: ${record.reason}` : ''}`);
        return {};
      }
      case 'killPod': {
        // The intent (victim by name and UID) first, then the delete, then the kill: a controller
        // that dies in between leaves an intent its successor settles (settleIntents) instead of
        // picking a second victim. A failed delete is not recorded as a kill: the next pass tries
        // the same pod again.
        const uid = this.helloPods.list().find((p) => p.metadata?.name === action.pod)?.metadata?.uid ?? '';
        const intent: KillIntent = { pod: action.pod, uid, atEpochMs: Date.now() };
        await this.runs.patchRun(benchmark, action.run, intentData(action.run, intent));
        await this.failover
          .killIntended(benchmark, action.run, intent)
          .catch((err: unknown) => this.log(`benchmark ${name}: failover: ${describeError(err)}; trying again`));
        return {};
      }
      case 'writeReport': {
        const report = clusterReport(
          plan,
          action.records,
          await this.environments.environmentOf(benchmark, plan),
          decision.skippedTopologies,
          new Date(),
          plan.replicas ? await this.environments.sweepPods(benchmark, plan.topologies) : undefined,
        );
        const configMapName = reportConfigMapName(name);
        const data = { 'report.md': renderMarkdown(report), 'report.json': `${JSON.stringify(report, null, 2)}\n` };
        await this.runs.writeReport(benchmark, configMapName, data);
        this.log(`benchmark ${name}: report written to ConfigMap ${configMapName}`);
        return { reportConfigMap: configMapName, results: statusResults(report, action.records) };
      }
      case 'scaleHello':
        await this.scaler.scaleTo(action.replicas, { name, uid: benchmark.metadata.uid ?? '' });
        return {};
      case 'probeBalancers': {
        const topologies = plan.topologies.filter((t) => !decision.skippedTopologies.includes(t));
        const probe = await this.scaler.probeBalancers(action.pods, topologies);
        this.log(
          `benchmark ${name}: replica sweep: ${action.pods.length} hello pods serving; the balancers answered from ${describeProbe(probe, topologies)}`,
        );
        // Settled: decide again now; otherwise the next periodic pass probes again.
        if (probeMatches(probe, action.pods, topologies)) this.kick();
        return {};
      }
    }
  }

  private async patchStatus(name: string, status: BenchmarkStatus): Promise<void> {
    const body = { status: status.progress ? { ...status, progress: progressPatch(status.progress) } : status };
    await this.custom.patchNamespacedCustomObjectStatus(
      { group: BENCHMARK_GROUP, version: BENCHMARK_VERSION, namespace: this.options.namespace, plural: BENCHMARK_PLURAL, name, body },
      mergePatch,
    );
  }
}
