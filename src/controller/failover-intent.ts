/**
 * A failover kill survives a controller that dies mid-way: the intent (victim pod name and UID) is
 * recorded before the delete, the delete carries a UID precondition, and the kill is recorded after
 * it. A controller that finds an intent without its kill settles that intent and never picks
 * another victim: otherwise one dying between the delete and the record would delete a second pod.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { KillIntent } from './run-store.js';

/**
 * What to do with an intent whose kill is not recorded: `delete` its pod while that very pod (by
 * UID) is there and not terminating; else `record` it as killed (the delete happened, or the pod
 * went by itself: either way the run lost it, and no second pod goes).
 */
export function settleIntent(intent: KillIntent, helloPods: readonly V1Pod[]): 'delete' | 'record' {
  const pod = helloPods.find((p) => p.metadata?.uid === intent.uid && p.metadata?.name === intent.pod);
  return pod && !pod.metadata?.deletionTimestamp ? 'delete' : 'record';
}
