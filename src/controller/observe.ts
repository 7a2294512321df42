/** What the controller sees of Jobs and hello pods, in the terms `decide` (reconcile.ts) takes. */
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { LABEL_ATTEMPT, LABEL_REPLICAS, LABEL_TOPOLOGY, LABEL_TRIAL } from '../api/objects.js';
import type { Topology } from '../topologies.js';
import type { HelloPod, ObservedJob } from './reconcile.js';

function toMs(time: Date | string | undefined): number {
  return time === undefined ? NaN : new Date(time).getTime();
}

/** Whether `pod` is one of Job `job`'s (the Job controller's label, under its new and old names). */
export function isPodOfJob(pod: V1Pod, job: string): boolean {
  const labels = pod.metadata?.labels ?? {};
  return labels['batch.kubernetes.io/job-name'] === job || labels['job-name'] === job;
}

/**
 * A Job as `decide` sees it; undefined for Jobs that are not a run's attempt. `said`: what its
 * runners said over the socket when they failed (coordinator.ts), by index.
 */
export function observeJob(job: V1Job, pods: readonly V1Pod[], said: ReadonlyMap<number, string> = new Map()): ObservedJob | undefined {
  const labels = job.metadata?.labels ?? {};
  const trial = Number(labels[LABEL_TRIAL]);
  const attempt = Number(labels[LABEL_ATTEMPT]);
  if (!job.metadata?.name || !labels[LABEL_TOPOLOGY] || !(trial > 0) || !(attempt > 0)) return undefined;
  const replicas = labels[LABEL_REPLICAS] === undefined ? undefined : Number(labels[LABEL_REPLICAS]);
  const run = { topology: labels[LABEL_TOPOLOGY] as Topology, trial, ...(replicas === undefined ? {} : { replicas }) };
  const condition = (type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const failed = condition('Failed');
  if (failed) {
    // The runner's own words say more than BackoffLimitExceeded: its log tail (kept by
    // FallbackToLogsOnError), else what it said over the socket (its pod deleted, drained, evicted).
    const detail = pods.map((p) => p.status?.containerStatuses?.[0]?.state?.terminated).find((t) => t && t.exitCode !== 0);
    const words = detail?.message?.trim().split('\n').pop() || [...said].sort(([a], [b]) => a - b)[0]?.[1];
    return {
      name: job.metadata.name,
      run,
      attempt,
      state: 'failed',
      reason: `${failed.reason ?? 'Failed'}${words ? `: ${words}` : detail ? `: runner exited ${detail.exitCode}` : ''}`,
    };
  }
  return { name: job.metadata.name, run, attempt, state: condition('Complete') ? 'succeeded' : 'active' };
}

/** A hello pod as `decide` sees it: when it was created and when it last became ready. */
export function observeHelloPod(p: V1Pod): HelloPod {
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  return {
    name: p.metadata?.name ?? '',
    createdAtMs: toMs(p.metadata?.creationTimestamp),
    readyAtMs: ready ? toMs(ready.lastTransitionTime) : null,
  };
}
