/**
 * Carries out failover kills (the decision is reconcile.ts's, the intent protocol
 * failover-intent.ts's): deletes the intended victim by UID and records the kill in its run's
 * ConfigMap, and settles the intents a controller that died mid-way left behind.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { Benchmark } from '../api/benchmark.js';
import { describeError, isApiCode } from '../kube/kube.js';
import { settleIntent } from './failover-intent.js';
import { runKey, type RunId } from './names.js';
import type { FailoverKill } from './reconcile.js';
import type { RunConfigMaps } from './run-configmaps.js';
import { killData, type KillIntent, type StoredRuns } from './run-store.js';

export interface FailoverKillsProps {
  readonly core: CoreV1Api;
  readonly namespace: string;
  /** The hello pods as the informer has them now. */
  readonly helloPods: () => readonly V1Pod[];
  /** Where kills are recorded. */
  readonly runs: RunConfigMaps;
  readonly log: (line: string) => void;
}

export class FailoverKills {
  constructor(private readonly props: FailoverKillsProps) {}

  /** Deletes an intended victim (that very pod, by UID) unless it is already gone, then records the kill. */
  async killIntended(benchmark: Benchmark, run: RunId, intent: KillIntent): Promise<FailoverKill> {
    const { name } = benchmark.metadata;
    let at = intent.atEpochMs;
    if (settleIntent(intent, this.props.helloPods()) === 'delete') {
      at = Date.now();
      try {
        await this.props.core.deleteNamespacedPod({
          name: intent.pod,
          namespace: this.props.namespace,
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: intent.uid } },
        });
      } catch (err) {
        // Gone (404), or a pod of that name that is not the victim (409: the precondition): the victim is gone.
        if (!isApiCode(err, 404) && !isApiCode(err, 409))
          throw new Error(`deleting pod ${intent.pod} failed (${describeError(err)})`, { cause: err });
      }
    }
    const kill = { pod: intent.pod, atEpochMs: at };
    await this.props.runs.patchRun(benchmark, run, killData(run, kill));
    this.props.log(`benchmark ${name}: failover: deleted pod ${intent.pod} during ${runKey(run)}`);
    return kill;
  }

  /**
   * Settles kill intents whose kill is not recorded (the kill then joins `stored.kills`); returns
   * the runs whose intent is still open (its delete failed: tried again on the next pass).
   */
  async settleIntents(benchmark: Benchmark, stored: StoredRuns): Promise<Set<string>> {
    const open = new Set<string>();
    for (const [key, intent] of stored.intents) {
      if (stored.kills.has(key)) continue;
      try {
        stored.kills.set(key, await this.killIntended(benchmark, intent.run, intent));
      } catch (err) {
        open.add(key);
        this.props.log(`benchmark ${benchmark.metadata.name}: failover: ${describeError(err)}; trying again`);
      }
    }
    return open;
  }
}
