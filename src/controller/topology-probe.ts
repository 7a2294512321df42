/**
 * The controller's own HTTP requests to a topology: the readiness check (does ingress-nginx answer
 * through its Ingress?) and the replica sweep's balancer probe. An answer counts only with the
 * X-Served-By header the hello server sets (its pod name): a 404 from ingress-nginx's default
 * backend, or any other backend's 200, is not a hello server answering.
 */

/** One request's limit: a topology that cannot answer in this is not ready. */
export const PROBE_TIMEOUT_MS = 2_000;

/** The hello pod that answered, or why none did. */
export type HelloAnswer = { readonly servedBy: string } | { readonly problem: string };

/** One GET of `url`, read to the end: who answered (X-Served-By of a 200), or why no hello server did (the status; the error and its cause, e.g. ECONNREFUSED). */
export async function askHello(url: string): Promise<HelloAnswer> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.arrayBuffer();
    const servedBy = response.headers.get('x-served-by');
    if (response.status === 200 && servedBy) return { servedBy };
    return { problem: `HTTP ${response.status}${servedBy ? '' : ' without X-Served-By'}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { problem: `${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}` };
  }
}
