/** Reading a finished runner's result back from its pod, when its socket report was lost (a controller restart). */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { LoadResult } from '../../loadtest/types.js';
import { isApiCode } from '../kube/kube.js';
import { decodeResult, isTrimmed, resultFromLog } from './result-codec.js';

/**
 * A runner pod's result: the full one from its termination message, else from its log's last
 * result line, else the trimmed one from its termination message.
 */
export async function resultOfPod(core: CoreV1Api, namespace: string, pod: V1Pod): Promise<LoadResult | undefined> {
  const message = pod.status?.containerStatuses?.find((c) => c.name === 'runner')?.state?.terminated?.message;
  let trimmed: LoadResult | undefined;
  if (message) {
    try {
      const result = decodeResult(message);
      if (!isTrimmed(message)) return result;
      trimmed = result;
    } catch {
      // not a result (a log tail kept on error): try the log
    }
  }
  try {
    const log = await core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace, container: 'runner', tailLines: 5 });
    return resultFromLog(String(log)) ?? trimmed;
  } catch (err) {
    // No log to be had (pod or node gone, no kubelet): the trimmed result is what is left.
    if (trimmed || isApiCode(err, 404) || isApiCode(err, 400)) return trimmed;
    throw err;
  }
}
