/** Loading the kubeconfig and saying in one line what went wrong talking to the cluster. */
import { KubeConfig } from '@kubernetes/client-node';
import { describeError } from './informers.js';

/** KUBECONFIG or ~/.kube/config, else the in-cluster service account. */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new Error(`cannot load the kubeconfig (KUBECONFIG=${process.env.KUBECONFIG ?? 'unset'}): ${describeError(err)}`);
  }
  return kc;
}

/** e.g. `cluster unreachable (context kind-clusterbench, https://127.0.0.1:6443): connect ECONNREFUSED 127.0.0.1:6443` */
export function clusterErrorLine(kc: KubeConfig, err: unknown): string {
  const context = kc.getCurrentContext() || 'none';
  // loadFromDefault's last resort when it found no kubeconfig and no service account.
  if (context === 'loaded-context' && kc.getCurrentCluster()?.server === 'http://localhost:8080') {
    return 'no cluster configured: set KUBECONFIG or write ~/.kube/config (e.g. kind export kubeconfig)';
  }
  const server = kc.getCurrentCluster()?.server ?? 'no server';
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const what = typeof code === 'number' ? 'cluster refused the request' : 'cluster unreachable';
  // fetch errors carry the socket error as their cause; the message alone says only "request failed".
  const cause = (err as { cause?: unknown })?.cause;
  const detail = cause ? `${describeError(err)} (${describeError(cause)})` : describeError(err);
  return `${what} (context ${context}, ${server}): ${detail}`;
}
