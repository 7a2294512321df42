/**
 * What a Benchmark's report says about where it ran: the cluster's environment read when the
 * Benchmark starts (a redeploy with other CPU limits between two Benchmarks shows in the second's
 * report), the nodes its runner pods and the servers ran on, and a sweep's balancer CPU limits.
 * The pure parts are environment.ts's and node-placement.ts's; this class reads the API server.
 */
import { VersionApi, type CoreV1Api, type KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';
import type { Benchmark } from '../api/benchmark.js';
import { LABEL_INSTANCE, TOPOLOGY_SERVICES } from '../api/objects.js';
import type { BenchmarkPlan } from '../api/validate.js';
import { describeError } from '../kube/kube.js';
import type { ReportEnvironment } from '../report/index.js';
import type { Topology } from '../topologies.js';
import { clusterEnvironment, podCpuLimit } from './environment.js';
import { runKey } from './names.js';
import { nodeCpus, nodeNamesOf, podsOfBenchmark, reportNodes, serverPodSelector } from './node-placement.js';
import type { RunRecord } from './reconcile.js';
import { runPlacement, type RunPlacement, type SweepPods } from './sweep-nodes.js';

export interface ReportEnvironmentsProps {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly namespace: string;
  /** The hello pods as the informer has them now (their CPU limit). */
  readonly helloPods: () => readonly V1Pod[];
  /** The runner pods as the informer has them now (their nodes). */
  readonly runnerPods: () => readonly V1Pod[];
  readonly log: (line: string) => void;
}

export class ReportEnvironments {
  /**
   * Each Benchmark's report environment, read when it starts, by UID; dropped when it is
   * finished. A restarted controller reads it again.
   */
  private readonly environments = new Map<string, Promise<ReportEnvironment>>();
  /** Each sweep Benchmark's runs' pod nodes, by UID and run key, kept as each run is recorded (sweep-nodes.ts). */
  private readonly placements = new Map<string, Record<string, RunPlacement>>();

  constructor(private readonly props: ReportEnvironmentsProps) {}

  /** Drops the environments of Benchmarks not in `uids`. */
  keepOnly(uids: ReadonlySet<string>): void {
    for (const uid of this.environments.keys()) if (!uids.has(uid)) this.environments.delete(uid);
    for (const uid of this.placements.keys()) if (!uids.has(uid)) this.placements.delete(uid);
  }

  forget(uid: string): void {
    this.environments.delete(uid);
    this.placements.delete(uid);
  }

  /** A sweep run just recorded: where its runner pods and the hello pods serving its count are now. */
  notePlacement(uid: string, record: RunRecord): void {
    if (record.run.replicas === undefined || record.job === undefined || record.state !== 'succeeded') return;
    const runs = this.placements.get(uid) ?? {};
    runs[runKey(record.run)] = runPlacement(record.job, this.props.helloPods(), this.props.runnerPods());
    this.placements.set(uid, runs);
  }

  /** Starts reading a Benchmark's environment unless it was read already (a failed read is tried again on the next pass). */
  readOnce(uid: string): void {
    if (!this.environments.has(uid)) {
      const reading = this.readEnvironment();
      reading.catch(() => this.environments.delete(uid)); // read again on the next pass
      this.environments.set(uid, reading);
    }
  }

  /** The cluster's environment now: Kubernetes version and the hello pods' CPU limit. */
  private async readEnvironment(): Promise<ReportEnvironment> {
    let kubernetes = 'unknown';
    try {
      kubernetes = (await this.props.kc.makeApiClient(VersionApi).getCode()).gitVersion;
    } catch {
      // some clusters hide /version; the report says unknown
    }
    return clusterEnvironment(this.props.namespace, kubernetes, this.props.helloPods());
  }

  async environmentOf(benchmark: Benchmark, plan: BenchmarkPlan): Promise<ReportEnvironment> {
    const env = await (this.environments.get(benchmark.metadata.uid ?? '') ?? this.readEnvironment());
    return { ...env, where: `${env.where}, ${plan.runners} runner pod(s) per run`, nodes: await this.readNodes(benchmark, plan) };
  }

  /** Where the Benchmark's runner pods and the servers ran, and those nodes' CPUs (node-placement.ts). */
  private async readNodes(benchmark: Benchmark, plan: BenchmarkPlan): Promise<ReportEnvironment['nodes']> {
    const uid = benchmark.metadata.uid ?? '';
    const runnerPods = podsOfBenchmark(this.props.runnerPods(), uid);
    const serverPods = (
      await this.props.core.listNamespacedPod({ namespace: this.props.namespace, labelSelector: serverPodSelector(plan.topologies) })
    ).items;
    const nodes = await this.readNodeObjects(benchmark, nodeNamesOf([...runnerPods, ...serverPods]));
    return reportNodes(plan.topologies, runnerPods, serverPods, nodes);
  }

  private async readNodeObjects(benchmark: Benchmark, names: readonly string[]): Promise<Map<string, V1Node | undefined>> {
    return new Map(
      await Promise.all(
        names.map(async (name) => {
          try {
            return [name, await this.props.core.readNode({ name })] as const;
          } catch (err) {
            // Gone, or the ClusterRole not granted: the report says '?' CPUs for it.
            this.props.log(`benchmark ${benchmark.metadata.name}: reading node ${name} failed (${describeError(err)})`);
            return [name, undefined] as const;
          }
        }),
      ),
    );
  }

  /**
   * A sweep's report: each balanced topology's pod CPU limit (null: none, or not found) and node,
   * the runs' placements kept as they were recorded, and the CPUs of every node named, for the
   * oversubscription marks (sweep-nodes.ts).
   */
  async sweepPods(benchmark: Benchmark, topologies: readonly Topology[]): Promise<SweepPods> {
    const balancers: Record<string, { cpus: number | null; node: string | null }> = {};
    for (const topology of topologies.filter((t) => t === 'nginx' || t === 'rpc-gateway')) {
      const { items } = await this.props.core.listNamespacedPod({
        namespace: this.props.namespace,
        labelSelector: `${LABEL_INSTANCE}=${TOPOLOGY_SERVICES[topology].name}`,
      });
      balancers[topology] = { cpus: items[0] ? podCpuLimit(items[0]) : null, node: items[0]?.spec?.nodeName ?? null };
    }
    const runs = this.placements.get(benchmark.metadata.uid ?? '') ?? {};
    const named = [...Object.values(runs).flatMap((r) => [...r.hello, ...r.runners]), ...Object.values(balancers).map((b) => b.node)];
    const names = [...new Set(named.filter((n): n is string => n !== null))].sort();
    const nodes = await this.readNodeObjects(benchmark, names);
    return { runs, balancers, nodeCpus: Object.fromEntries(names.map((n) => [n, nodeCpus(nodes.get(n))])) };
  }
}
