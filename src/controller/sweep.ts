/**
 * A replica sweep in a cluster (spec.replicas, issue 16), as pure decisions like reconcile.ts:
 * which runs, in which order (the shared `sweepOrder`), and before a run at N replicas what to do
 * with the `hello` Deployment: scale it, wait for its pods, ask the balancers, or go. And when to
 * give the Deployment back its deployed count. The controller (hello-scaler.ts) carries them out.
 *
 * Why "the balancers answered from exactly the ready pods": a Deployment at N ready pods says
 * nothing about nginx (its reresolver reloads it about a second after DNS changes; nginx 1.27.3+
 * re-resolves by its resolver's TTL) or the gateway (it re-resolves the headless Service every 5 s):
 * a run started in between measures the old set. A probe through each balancer sees a new pod
 * only once that balancer routes to it. A removed pod cannot be seen that way (a balancer skips an
 * address that refuses connections, at a cost in retries), so after a removal the sweep also waits
 * out the headless Service's DNS TTL (5 s, CoreDNS's default) plus the gateway's 5 s re-resolution.
 *
 * Why a bound on that wait (`SETTLE_TIMEOUT_MS`): a hello pod that can never be ready (Pending:
 * no node has CPU left for it) or a balancer that never routes to the new set would hold the
 * Benchmark Running forever, the Deployment at the swept count (it is restored only once the
 * Benchmark stops running) and the namespace's queue behind it. Past the bound the run is
 * recorded failed, with what the sweep waited for, and the Benchmark goes on.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { runOrder, sweepOrder } from '../plan/run-plan.js';
import { BALANCED_TOPOLOGIES, type Topology } from '../topologies.js';
import type { RunId } from './names.js';

/** DNS TTL of a headless Service's records (5 s) plus the gateway's re-resolution interval (5 s). */
export const SETTLE_AFTER_REMOVAL_MS = 10_000;
/** Requests of one probe through one balancer: with p2c or round robin over 16 pods, all are seen. */
export const PROBE_REQUESTS_PER_POD = 8;
/**
 * How long the sweep waits for one point (a count in a trial) to settle before its runs fail.
 * Measured on kind (make e2e step 8): 4 to 11 s from the scale to a matching probe (a pod start,
 * about 2 s, then probes every 2 s; after a removal the 10 s of SETTLE_AFTER_REMOVAL_MS). The
 * bound leaves room for what kind did not show: an image pulled on a node that has no hello pod
 * yet (a minute or more on a slow link), a readiness probe's period, a balancer slow to reload.
 * Past 3 min the wait is not slow but stuck; `bench`'s budget allows 4 min per run beyond its run.
 */
export const SETTLE_TIMEOUT_MS = 180_000;

/**
 * Every run in execution order. A sweep: `sweepOrder`, each balanced run at its count; `single`
 * has no count (it runs once per trial against `hello-single`, whatever `hello` has meanwhile).
 */
export function plannedRuns(topologies: readonly Topology[], trials: number, replicas: readonly number[] | null): RunId[] {
  if (!replicas) return runOrder(topologies, trials);
  return sweepOrder(topologies, trials, replicas).map(({ topology, trial, replicas: count }) =>
    topology === 'single' ? { topology, trial } : { topology, trial, replicas: count },
  );
}

/** A hello pod as the sweep sees it. */
export interface HelloPodState {
  readonly name: string;
  /** Ready and not being deleted: a backend the balancers should route to. */
  readonly serving: boolean;
  /** Why it does not serve, from its status (`Pending: 0/1 nodes are available: 1 Insufficient cpu.`). */
  readonly why?: string;
}

export function helloPodState(pod: V1Pod): HelloPodState {
  const name = pod.metadata?.name ?? '';
  const conditions = pod.status?.conditions ?? [];
  const ready = conditions.some((c) => c.type === 'Ready' && c.status === 'True');
  if (ready && pod.metadata?.deletionTimestamp === undefined) return { name, serving: true };
  const unscheduled = conditions.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting?.reason)?.state?.waiting;
  const why = pod.metadata?.deletionTimestamp
    ? 'terminating'
    : unscheduled
      ? `${pod.status?.phase ?? 'Pending'}: ${unscheduled.message ?? unscheduled.reason ?? 'not scheduled'}`
      : waiting
        ? `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`
        : 'not ready';
  return { name, serving: false, why };
}

/** The deployed count of `hello`, kept before a sweep first scales it (the HELLO_SCALE_RECORD ConfigMap). */
export interface ScaleRecord {
  /** The Benchmark that scaled it. */
  readonly uid: string;
  readonly benchmark: string;
  readonly originalReplicas: number;
  /** Given back: the Deployment is at originalReplicas again, nobody holds it. */
  readonly restored: boolean;
}

/** What the controller sees of the hello Deployment and its balancers. */
export interface HelloScale {
  /** `spec.replicas` from the scale subresource. */
  readonly specReplicas: number;
  readonly pods: readonly HelloPodState[];
  /** When a pod last stopped serving (epoch ms); a restarted controller counts from its start. */
  readonly lastRemovalAtMs: number;
  /** The last probe: the serving pods then and, per balanced topology, the backends that answered. */
  readonly probe?: Probe;
  readonly record?: ScaleRecord;
  /** Since when the sweep waits for which point (`settleStep` decides; the scaler keeps it). */
  readonly settling?: SettleClock;
  /** @default SETTLE_TIMEOUT_MS */
  readonly settleTimeoutMs?: number;
}

/** The point a sweep waits for (the Benchmark's UID, the count and the trial) and since when (epoch ms). */
export interface SettleClock {
  readonly point: string;
  readonly sinceMs: number;
}

export interface Probe {
  readonly pods: readonly string[];
  /** X-Served-By of each answer by topology; a failed request is an error string in `errors`. */
  readonly answered: ReadonlyMap<string, readonly string[]>;
  readonly errors?: ReadonlyMap<string, string>;
}

export type ScaleStep =
  /** Patch the scale subresource (keeping the deployed count first if no record holds it). */
  | { readonly kind: 'scale'; readonly replicas: number }
  /** Probe each balanced topology, expecting exactly these pods. */
  | { readonly kind: 'probe'; readonly pods: readonly string[] }
  | { readonly kind: 'wait'; readonly why: string; readonly wakeAt?: number }
  | { readonly kind: 'ready' };

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** The serving pods' names, sorted. */
export function servingPods(pods: readonly HelloPodState[]): string[] {
  return pods
    .filter((p) => p.serving)
    .map((p) => p.name)
    .sort();
}

/**
 * Before a run at `want` replicas of Benchmark `uid`, balanced `topologies` in the sweep: the next
 * step. Ready only when exactly `want` pods serve, none is starting or stopping, a removal is
 * `SETTLE_AFTER_REMOVAL_MS` old, and every balancer answered from exactly those pods.
 */
export function scaleStep(want: number, scale: HelloScale, uid: string, topologies: readonly Topology[], now: number): ScaleStep {
  const { record } = scale;
  if (record && !record.restored && record.uid !== uid)
    return { kind: 'wait', why: `the hello Deployment goes back to ${record.originalReplicas} after Benchmark ${record.benchmark} first` };
  if (scale.specReplicas !== want) return { kind: 'scale', replicas: want };
  const serving = servingPods(scale.pods);
  const others = scale.pods.length - serving.length;
  if (serving.length !== want || others > 0) {
    // Pods alike grouped: at 16 replicas the reason stays readable.
    const byWhy = new Map<string, string[]>();
    for (const p of scale.pods.filter((x) => !x.serving && x.why)) byWhy.set(p.why ?? '', [...(byWhy.get(p.why ?? '') ?? []), p.name]);
    const whys = [...byWhy].map(([why, names]) => `${names.join(', ')} ${why}`);
    return {
      kind: 'wait',
      why: `${serving.length} of ${want} hello pods serving${others > 0 ? `, ${others} starting or stopping` : ''}${whys.length > 0 ? ` (${whys.join('; ')})` : ''}`,
    };
  }
  const settledAt = scale.lastRemovalAtMs + SETTLE_AFTER_REMOVAL_MS;
  if (now < settledAt) return { kind: 'wait', why: 'a removed hello pod may still be in the balancers', wakeAt: settledAt };
  return scale.probe && probeMatches(scale.probe, serving, topologies) ? { kind: 'ready' } : { kind: 'probe', pods: serving };
}

export type SettleStep = ScaleStep | { readonly kind: 'unsettled'; readonly reason: string };

/**
 * `scaleStep` for a sweep run, bounded: the clock runs from the first pass that waited for the
 * run's point (the scale, or a restarted controller's first pass), and the runs at one count in
 * one trial share it (the probe asks every balancer at once). Past the bound: `unsettled`, why.
 */
export function settleStep(
  run: RunId & { readonly replicas: number },
  scale: HelloScale,
  uid: string,
  topologies: readonly Topology[],
  now: number,
): { readonly step: SettleStep; readonly settling?: SettleClock } {
  const step = scaleStep(run.replicas, scale, uid, topologies, now);
  if (step.kind === 'ready') return { step };
  const point = `${uid} r${run.replicas}.t${run.trial}`;
  const settling = scale.settling?.point === point ? scale.settling : { point, sinceMs: now };
  const timeoutMs = scale.settleTimeoutMs ?? SETTLE_TIMEOUT_MS;
  if (now - settling.sinceMs < timeoutMs) return { step, settling };
  const what =
    step.kind === 'wait'
      ? step.why
      : step.kind === 'scale'
        ? `its spec.replicas is ${scale.specReplicas}`
        : `the balancers did not answer from exactly the ${step.pods.length} serving hello pods (${
            scale.probe ? `last probe: ${describeProbe(scale.probe, topologies)}` : 'no probe yet'
          })`;
  const reason = `the hello Deployment did not settle at ${run.replicas} replica${run.replicas === 1 ? '' : 's'} within ${timeoutMs / 1000} s: ${what}`;
  return { step: { kind: 'unsettled', reason }, settling };
}

/** Whether a probe was of exactly `pods`, and every balanced topology answered, from exactly those. */
export function probeMatches(probe: Probe, pods: readonly string[], topologies: readonly Topology[]): boolean {
  const balanced = topologies.filter((t) => (BALANCED_TOPOLOGIES as readonly Topology[]).includes(t));
  return (
    sameSet(probe.pods, pods) && balanced.every((t) => !probe.errors?.has(t) && sameSet([...new Set(probe.answered.get(t) ?? [])], pods))
  );
}

/**
 * What a probe saw, for the log: per topology each backend with the answers it gave, then the
 * error that ended the probe, if one did (`nginx: hello-a ×8, hello-b ×8 | rpc-gateway: hello-a ×3
 * (then failed: HTTP 503)`). make e2e adds these answers up against the hello servers' counters.
 */
export function describeProbe(probe: Probe, topologies: readonly Topology[]): string {
  return topologies
    .filter((t) => probe.answered.has(t) || probe.errors?.has(t))
    .map((t) => {
      const answered = probe.answered.get(t) ?? [];
      const counts = [...new Set(answered)].sort().map((pod) => `${pod} ×${answered.filter((a) => a === pod).length}`);
      const error = probe.errors?.get(t);
      return `${t}: ${counts.join(', ') || 'none'}${error ? ` (then failed: ${error})` : ''}`;
    })
    .join(' | ');
}

export type RestoreStep =
  | { readonly kind: 'none' }
  | { readonly kind: 'scale'; readonly replicas: number }
  /** The Deployment is back at its count: mark the record restored (it no longer holds the Deployment). */
  | { readonly kind: 'markRestored' };

/**
 * Whether to give the Deployment back its deployed count: when the Benchmark holding it is no
 * longer running (finished, failed, deleted; a restarted controller decides the same from the
 * record). `running`: UIDs of Benchmarks not finished and not being deleted.
 */
export function restoreStep(record: ScaleRecord | undefined, running: ReadonlySet<string>, specReplicas: number): RestoreStep {
  if (!record || record.restored || running.has(record.uid)) return { kind: 'none' };
  return specReplicas === record.originalReplicas ? { kind: 'markRestored' } : { kind: 'scale', replicas: record.originalReplicas };
}
