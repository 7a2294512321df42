/**
 * The controller's own HTTP requests to a topology: the readiness check (does ingress-nginx answer
 * through its Ingress?) and the replica sweep's balancer probe. An answer counts only with the
 * X-Served-By header the hello server sets: a 404 from ingress-nginx's default backend, or any other
 * backend's 200, is not a hello server answering.
 */

/** One request's limit: a topology that cannot answer in this is not ready. */
export const PROBE_TIMEOUT_MS = 2_000;

export interface ProbeAnswer {
  readonly status: number;
  /** X-Served-By: the hello pod that answered; null without the header. */
  readonly servedBy: string | null;
}

/** One GET of `url`, read to the end. */
export async function getServedBy(url: string): Promise<ProbeAnswer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  await response.arrayBuffer();
  return { status: response.status, servedBy: response.headers.get('x-served-by') };
}

/** Why an answer is not a hello server's, or undefined when it is. */
export function whyNotHello(answer: ProbeAnswer): string | undefined {
  if (answer.status === 200 && answer.servedBy) return undefined;
  return `HTTP ${answer.status}${answer.servedBy ? '' : ' without X-Served-By'}`;
}

/** Why one GET of `url` got no hello server's answer (the error's cause too: ECONNREFUSED, ENOTFOUND), or undefined. */
export async function whyNoAnswer(url: string): Promise<string | undefined> {
  try {
    return whyNotHello(await getServedBy(url));
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return `${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`;
  }
}
