/**
 * What bench and the controller share about talking to a cluster: loading the kubeconfig, and
 * saying in one line what went wrong.
 */
import { KubeConfig } from '@kubernetes/client-node';

/** KUBECONFIG or ~/.kube/config, else the in-cluster service account. */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new Error(`cannot load the kubeconfig (KUBECONFIG=${process.env.KUBECONFIG ?? 'unset'}): ${describeError(err)}`, { cause: err });
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

/** One line for an API error: status code and message, no stack. */
export function describeError(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; body?: unknown; message?: unknown };
    if (typeof e.code === 'number') {
      const body = typeof e.body === 'string' ? e.body : (JSON.stringify(e.body) ?? '');
      let detail: string;
      try {
        detail = (JSON.parse(body) as { message?: string }).message ?? '';
      } catch {
        detail = body;
      }
      detail = detail.trim().split('\n')[0].slice(0, 200);
      return `HTTP ${e.code}${detail ? `: ${detail}` : ''}`;
    }
    if (typeof e.message === 'string') return e.message.split('\n')[0];
  }
  return String(err);
}

/** Did the API server answer with this HTTP status (e.g. 404, 409)? */
export function isApiCode(err: unknown, code: number): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
