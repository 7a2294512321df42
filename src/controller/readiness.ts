/**
 * Whether a topology can answer, not merely whether its Service exists: a Service whose pods are
 * not ready takes no connections, and a run against it would measure connect errors. The
 * controller reads the EndpointSlices of the Benchmark's own namespace (list only, by the
 * Service-name label the EndpointSlice controller sets) and counts ready endpoints.
 *
 * ingress-nginx's controller lives in another namespace, which the controller's Role does not
 * reach, and its Ingress's status.loadBalancer stays empty where nothing fills a LoadBalancer
 * Service (kind). So the Ingress must exist, and a GET through it must come back from a hello pod
 * of this namespace: proof that the controller is up, has loaded this Ingress (not another
 * namespace's on the same path), and routes to ready backends, with no grant outside the namespace.
 */
import type { DiscoveryV1Api, NetworkingV1Api, V1EndpointSlice } from '@kubernetes/client-node';
import { TOPOLOGY_SERVICES } from '../api/objects.js';
import type { Topology } from '../topologies.js';
import { askHello } from './topology-probe.js';

/** GETs through the Ingress before ingress-nginx counts as unable to answer (it may be reloading). */
export const INGRESS_PROBE_ATTEMPTS = 3;
const INGRESS_PROBE_GAP_MS = 1_000;

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
 * Why no hello pod of this namespace (`ours`, by name) answered any of INGRESS_PROBE_ATTEMPTS GETs
 * of `url`, or undefined once one did. Another namespace's pod answering means another Ingress
 * holds the same host and path: runs through it would load another tenant's servers.
 */
export async function whyIngressCannotAnswer(url: string, ours: ReadonlySet<string>): Promise<string | undefined> {
  let problem: string | undefined;
  for (let attempt = 1; attempt <= INGRESS_PROBE_ATTEMPTS; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, INGRESS_PROBE_GAP_MS));
    const answer = await askHello(url);
    if ('servedBy' in answer && ours.has(answer.servedBy)) return undefined;
    problem =
      'problem' in answer
        ? answer.problem
        : `answered by ${answer.servedBy}, not a hello pod of this namespace (another namespace's Ingress on the same path?)`;
  }
  return `no hello server answered through the Ingress at ${url} (${INGRESS_PROBE_ATTEMPTS} tries, the last: ${problem})`;
}

/**
 * Why each of `topologies` cannot answer (absent: it can): a Service with no ready endpoints, or,
 * for ingress-nginx, no Ingress in the namespace or no answer through it at `urlOf('ingress-nginx')`
 * from one of `ourHelloPods`. Reads one topology after another.
 */
export async function whyNotDeployed(
  networking: NetworkingV1Api,
  discovery: DiscoveryV1Api,
  namespace: string,
  topologies: readonly Topology[],
  urlOf: (topology: Topology) => string,
  ourHelloPods: ReadonlySet<string>,
): Promise<Map<Topology, string>> {
  const why = new Map<Topology, string>();
  for (const topology of topologies) {
    if (topology === 'ingress-nginx') {
      const problem =
        (await networking.listNamespacedIngress({ namespace })).items.length === 0
          ? 'no Ingress in the namespace'
          : await whyIngressCannotAnswer(urlOf(topology), ourHelloPods);
      if (problem) why.set(topology, problem);
    } else {
      const service = TOPOLOGY_SERVICES[topology].name;
      const slices = await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: endpointSliceSelector(service) });
      const problem = whyServiceCannotAnswer(service, slices.items);
      if (problem) why.set(topology, problem);
    }
  }
  return why;
}
