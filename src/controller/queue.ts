/**
 * One Benchmark at a time per namespace: two at once would load the same servers and skew both
 * reports, and one's failover drill would kill a pod in the middle of the other's run. Which one
 * runs is decided from the cluster alone (phases and creation times), so a restarted controller
 * picks the same one: the one already running, else the oldest waiting.
 */

/** A Benchmark as the queue sees it. */
export interface QueueEntry {
  readonly name: string;
  readonly uid: string;
  readonly createdAtMs: number;
  readonly phase?: string;
  /** Being deleted: it no longer holds the namespace. */
  readonly deleting: boolean;
}

const FINISHED = new Set(['Succeeded', 'Failed']);

/** The Benchmark that may run now; every other unfinished one waits behind it. */
export function queueHolder(entries: readonly QueueEntry[]): QueueEntry | undefined {
  const waiting = entries
    .filter((e) => !e.deleting && !FINISHED.has(e.phase ?? ''))
    .sort((a, b) => a.createdAtMs - b.createdAtMs || a.name.localeCompare(b.name));
  return waiting.find((e) => e.phase === 'Running') ?? waiting[0];
}
