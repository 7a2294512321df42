/**
 * One Benchmark at a time per namespace: two at once would load the same servers and skew both
 * reports, and one's failover drill would kill a pod in the middle of the other's run. Which one
 * runs is decided from the cluster alone (phases, Jobs and creation times), so a restarted
 * controller picks the same one: the one already started, else the oldest waiting.
 *
 * "Started" is not the phase alone: two Benchmarks created in the same second (creation times have
 * one-second resolution) could each be picked in turn while the first one's Running phase had not
 * yet reached the informer's cache; the second then waited behind the first one's Job while the
 * first one's status said it was queued. A Benchmark that owns a Job has started.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { Benchmark } from '../api/benchmark.js';
import { LABEL_BENCHMARK } from '../api/objects.js';
import { observeJob } from './observe.js';
import { controllerUid } from './owners.js';

/** A Benchmark as the queue sees it. */
export interface QueueEntry {
  readonly name: string;
  readonly uid: string;
  readonly createdAtMs: number;
  readonly phase?: string;
  /** Being deleted: it no longer holds the namespace. */
  readonly deleting: boolean;
  /** It owns a Job (seen, or just created by this controller): it has started, whatever its phase says yet. */
  readonly hasJobs?: boolean;
}

const FINISHED = new Set(['Succeeded', 'Failed']);

/** The Benchmark that may run now; every other unfinished one waits behind it. */
export function queueHolder(entries: readonly QueueEntry[]): QueueEntry | undefined {
  const waiting = entries
    .filter((e) => !e.deleting && !FINISHED.has(e.phase ?? ''))
    .sort((a, b) => a.createdAtMs - b.createdAtMs || a.name.localeCompare(b.name));
  return waiting.find((e) => e.phase === 'Running' || e.hasJobs) ?? waiting[0];
}

/**
 * What `benchmark` waits for, if anything: another Benchmark holding the namespace, or the Jobs of
 * one that no longer does (deleted) while they still run. `startedHere`: UIDs this controller
 * created a Job for, not yet in `jobs`.
 */
export function queuedBehind(
  benchmark: Benchmark,
  benchmarks: readonly Benchmark[],
  jobs: readonly V1Job[],
  startedHere: ReadonlySet<string>,
): string | undefined {
  const jobOwners = new Set(jobs.map(controllerUid));
  const entries = benchmarks.map((b) => ({
    name: b.metadata.name,
    uid: b.metadata.uid ?? '',
    createdAtMs: new Date(b.metadata.creationTimestamp ?? 0).getTime(),
    phase: b.status?.phase,
    deleting: b.metadata.deletionTimestamp !== undefined,
    hasJobs: jobOwners.has(b.metadata.uid) || startedHere.has(b.metadata.uid ?? ''),
  }));
  const holder = queueHolder(entries);
  if (holder && holder.uid !== benchmark.metadata.uid) return holder.name;
  const busy = jobs.find((j) => controllerUid(j) !== benchmark.metadata.uid && observeJob(j, [])?.state === 'active');
  return busy && `Job ${busy.metadata?.name} of benchmark ${busy.metadata?.labels?.[LABEL_BENCHMARK] ?? '?'} (still running)`;
}
