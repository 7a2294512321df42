/**
 * Whether a topology can answer, not merely whether its Service exists: a Service whose pods are
 * not ready takes no connections, and a run against it would measure connect errors. The
 * controller reads the EndpointSlices of the Benchmark's own namespace (list only, by the
 * Service-name label the EndpointSlice controller sets) and counts ready endpoints.
 */
import type { V1EndpointSlice } from '@kubernetes/client-node';

/** The label the EndpointSlice controller puts on a Service's slices. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function endpointSliceSelector(service: string): string {
  return `${SERVICE_NAME_LABEL}=${service}`;
}

/**
 * Why a Service cannot answer, or undefined when it can: at least one ready endpoint in its slices
 * (`ready` unset counts as ready, as the API documents; a terminating endpoint is never ready).
 */
export function whyServiceCannotAnswer(service: string, slices: readonly V1EndpointSlice[]): string | undefined {
  const endpoints = slices.filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === service).flatMap((s) => s.endpoints ?? []);
  const ready = endpoints.filter((e) => e.conditions?.ready !== false && e.conditions?.terminating !== true);
  if (ready.length > 0) return undefined;
  return endpoints.length === 0
    ? `Service ${service} has no endpoints (no such Service, or no pods match it)`
    : `Service ${service} has no ready endpoints (0 of ${endpoints.length} ready)`;
}
