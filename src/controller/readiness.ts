/**
 * Whether a topology can answer, not merely whether its Service exists: a Service whose pods are
 * not ready takes no connections, and a run against it would measure connect errors. The
 * controller reads the EndpointSlices of the Benchmark's own namespace (list only, by the
 * Service-name label the EndpointSlice controller sets) and counts ready endpoints.
 */
import type { DiscoveryV1Api, NetworkingV1Api, V1EndpointSlice } from '@kubernetes/client-node';
import { TOPOLOGY_SERVICES } from '../api/objects.js';
import type { Topology } from '../topologies.js';

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

/**
 * Why each of `topologies` cannot answer (absent: it can): a Service with no ready endpoints, or,
 * for ingress-nginx, no Ingress in the namespace. Reads one topology after another.
 */
export async function whyNotDeployed(
  networking: NetworkingV1Api,
  discovery: DiscoveryV1Api,
  namespace: string,
  topologies: readonly Topology[],
): Promise<Map<Topology, string>> {
  const why = new Map<Topology, string>();
  for (const topology of topologies) {
    if (topology === 'ingress-nginx') {
      if ((await networking.listNamespacedIngress({ namespace })).items.length === 0) why.set(topology, 'no Ingress in the namespace');
    } else {
      const service = TOPOLOGY_SERVICES[topology].name;
      const slices = await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: endpointSliceSelector(service) });
      const problem = whyServiceCannotAnswer(service, slices.items);
      if (problem) why.set(topology, problem);
    }
  }
  return why;
}
