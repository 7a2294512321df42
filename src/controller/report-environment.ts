/**
 * What a Benchmark's report says about where it ran: the cluster's environment read when the
 * Benchmark starts (a redeploy with other CPU limits between two Benchmarks shows in the second's
 * report), the nodes its runner pods and the servers ran on, and a sweep's balancer CPU limits.
 * The pure parts are environment.ts's and node-placement.ts's; this class reads the API server.
 */
import { VersionApi, type CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Benchmark } from '../api/benchmark.js';
import { LABEL_INSTANCE, TOPOLOGY_SERVICES } from '../api/objects.js';
import type { BenchmarkPlan } from '../api/validate.js';
import { describeError } from '../kube/kube.js';
import type { ReportEnvironment } from '../report/index.js';
import type { Topology } from '../topologies.js';
import { clusterEnvironment, podCpuLimit } from './environment.js';
import { nodeNamesOf, podsOfBenchmark, reportNodes, serverPodSelector } from './node-placement.js';

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

  constructor(private readonly props: ReportEnvironmentsProps) {}

  /** Drops the environments of Benchmarks not in `uids`. */
  keepOnly(uids: ReadonlySet<string>): void {
    for (const uid of this.environments.keys()) if (!uids.has(uid)) this.environments.delete(uid);
  }

  forget(uid: string): void {
    this.environments.delete(uid);
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
    const nodes = new Map(
      await Promise.all(
        nodeNamesOf([...runnerPods, ...serverPods]).map(async (name) => {
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
    return reportNodes(plan.topologies, runnerPods, serverPods, nodes);
  }

  /** A sweep's report: each balanced topology's pod CPU limit (null: none, or not found), for the oversubscription marks. */
  async balancerCpus(topologies: readonly Topology[]): Promise<Record<string, number | null>> {
    const cpus: Record<string, number | null> = {};
    for (const topology of topologies.filter((t) => t === 'nginx' || t === 'rpc-gateway')) {
      const { items } = await this.props.core.listNamespacedPod({
        namespace: this.props.namespace,
        labelSelector: `${LABEL_INSTANCE}=${TOPOLOGY_SERVICES[topology].name}`,
      });
      cpus[topology] = items[0] ? podCpuLimit(items[0]) : null;
    }
    return cpus;
  }
}
