/**
 * The replica sweep's hands (sweep.ts decides): reads and patches the `hello` Deployment's scale
 * subresource (the Role's only grant on Deployments), keeps the deployed count in the
 * HELLO_SCALE_RECORD ConfigMap before the first scale, probes the balancers, and restores the
 * count. The record is owned by nothing: it outlives a deleted Benchmark, and a restarted
 * controller reads it back, so whichever way a sweep ends, the next pass gives the count back.
 * Only the leader acts, so the copy kept here after the first read is the record.
 */
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { HELLO_BALANCED, HELLO_SCALE_RECORD, LABEL_MANAGED_BY, MANAGED_BY } from '../api/objects.js';
import type { Topology } from '../topologies.js';
import { isApiCode } from '../kube/kube.js';
import { BALANCED_TOPOLOGIES } from '../topologies.js';
import {
  PROBE_REQUESTS_PER_POD,
  helloPodState,
  restoreStep,
  servingPods,
  type HelloScale,
  type Probe,
  type ScaleRecord,
  type SettleClock,
} from './sweep.js';
import { askHello } from './topology-probe.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const RECORD_KEY = 'record';

export interface HelloScalerProps {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly log: (line: string) => void;
  /** Where the controller reaches a topology. */
  readonly urlOf: (topology: Topology) => string;
  /** How long a sweep point may take to settle before its runs fail. @default SETTLE_TIMEOUT_MS */
  readonly settleTimeoutMs?: number;
}

export class HelloScaler {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  /** undefined: not read yet; null: none. */
  private record: ScaleRecord | null | undefined;
  private serving: string[] = [];
  /** From the start: a restarted controller does not know when a pod last went away. */
  private lastRemovalAtMs = Date.now();
  private probe?: Probe;
  /** Not kept in the cluster: a restarted controller counts a point's wait from its start. */
  private settling?: SettleClock;

  constructor(private readonly props: HelloScalerProps) {
    this.apps = props.kc.makeApiClient(AppsV1Api);
    this.core = props.kc.makeApiClient(CoreV1Api);
  }

  private async readRecord(): Promise<ScaleRecord | undefined> {
    if (this.record === undefined) {
      const list = await this.core.listNamespacedConfigMap({
        namespace: this.props.namespace,
        fieldSelector: `metadata.name=${HELLO_SCALE_RECORD}`,
      });
      const text = list.items[0]?.data?.[RECORD_KEY];
      this.record = text ? (JSON.parse(text) as ScaleRecord) : null;
    }
    return this.record ?? undefined;
  }

  private async writeRecord(record: ScaleRecord): Promise<void> {
    const { namespace } = this.props;
    const data = { [RECORD_KEY]: JSON.stringify(record) };
    try {
      await this.core.patchNamespacedConfigMap({ name: HELLO_SCALE_RECORD, namespace, body: { data } }, mergePatch);
    } catch (err) {
      if (!isApiCode(err, 404)) throw err;
      await this.core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name: HELLO_SCALE_RECORD, namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY } }, data },
      });
    }
    this.record = record;
  }

  private async specReplicas(): Promise<number> {
    const scale = await this.apps.readNamespacedDeploymentScale({ name: HELLO_BALANCED, namespace: this.props.namespace });
    return scale.spec?.replicas ?? 0;
  }

  private async patchReplicas(replicas: number): Promise<void> {
    await this.apps.patchNamespacedDeploymentScale(
      { name: HELLO_BALANCED, namespace: this.props.namespace, body: { spec: { replicas } } },
      mergePatch,
    );
  }

  /** Notes which hello pods serve now; a pod that stopped serving restarts the settle time. */
  observe(pods: readonly V1Pod[], now = Date.now()): void {
    const serving = servingPods(pods.map(helloPodState));
    if (this.serving.some((name) => !serving.includes(name))) this.lastRemovalAtMs = now;
    this.serving = serving;
  }

  /** What `decide` needs of the hello Deployment for a sweep's next run. */
  async view(pods: readonly V1Pod[]): Promise<HelloScale> {
    this.observe(pods);
    const record = await this.readRecord();
    return {
      specReplicas: await this.specReplicas(),
      pods: pods.map(helloPodState),
      lastRemovalAtMs: this.lastRemovalAtMs,
      ...(this.probe ? { probe: this.probe } : {}),
      ...(record ? { record } : {}),
      ...(this.settling ? { settling: this.settling } : {}),
      ...(this.props.settleTimeoutMs === undefined ? {} : { settleTimeoutMs: this.props.settleTimeoutMs }),
    };
  }

  /** Keeps what `decide` said of the wait for a sweep point (undefined: not waiting) for the next `view`. */
  keepSettling(settling: SettleClock | undefined): void {
    this.settling = settling;
  }

  /** Scales to `replicas` for Benchmark `holder`, keeping the deployed count first unless it already holds it. */
  async scaleTo(replicas: number, holder: { readonly name: string; readonly uid: string }): Promise<void> {
    const record = await this.readRecord();
    if (!record || record.restored) {
      const originalReplicas = await this.specReplicas();
      await this.writeRecord({ uid: holder.uid, benchmark: holder.name, originalReplicas, restored: false });
      this.props.log(
        `benchmark ${holder.name}: replica sweep: kept the hello Deployment's count ${originalReplicas} (${HELLO_SCALE_RECORD})`,
      );
    } else if (record.uid !== holder.uid) {
      throw new Error(`the hello Deployment is held by Benchmark ${record.benchmark}; not scaling it`);
    }
    await this.patchReplicas(replicas);
    this.probe = undefined;
    this.props.log(`benchmark ${holder.name}: replica sweep: scaled the hello Deployment to ${replicas}`);
  }

  /**
   * Asks each balanced topology of `topologies` which backends answer: PROBE_REQUESTS_PER_POD
   * requests per expected pod, one at a time. Returns whether every one answered from exactly `pods`.
   */
  async probeBalancers(pods: readonly string[], topologies: readonly Topology[]): Promise<Probe> {
    const answered = new Map<string, string[]>();
    const errors = new Map<string, string>();
    for (const topology of topologies.filter((t) => (BALANCED_TOPOLOGIES as readonly Topology[]).includes(t))) {
      const url = this.props.urlOf(topology);
      const seen: string[] = [];
      try {
        for (let i = 0; i < PROBE_REQUESTS_PER_POD * pods.length; i++) {
          const answer = await askHello(url);
          if ('problem' in answer) throw new Error(answer.problem);
          seen.push(answer.servedBy);
        }
      } catch (err) {
        errors.set(topology, (err as Error).message);
      }
      answered.set(topology, seen);
    }
    this.probe = { pods: [...pods], answered, errors };
    return this.probe;
  }

  /**
   * Gives the hello Deployment back its deployed count once the Benchmark that scaled it is not
   * running (`running`: UIDs of Benchmarks neither finished nor being deleted).
   */
  async restoreIfDue(running: ReadonlySet<string>): Promise<void> {
    const record = await this.readRecord();
    if (!record || record.restored || running.has(record.uid)) return;
    const step = restoreStep(record, running, await this.specReplicas());
    if (step.kind === 'scale') {
      await this.patchReplicas(step.replicas);
      this.probe = undefined;
      this.props.log(`benchmark ${record.benchmark}: replica sweep over: the hello Deployment back to ${step.replicas}`);
    } else if (step.kind === 'markRestored') {
      await this.writeRecord({ ...record, restored: true });
    }
  }
}
