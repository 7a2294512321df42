/**
 * Where a Benchmark's pods ran (issue 18), for the report: per topology, the node of each runner
 * pod and of each server pod, and each of those nodes' CPU count and allocatable CPU. Without it a
 * reader cannot tell a server's limit from a node's (all runners on one node cap the load at that
 * node's CPU; runners beside the servers take CPU from what they measure). Pure: the controller
 * lists the pods and reads the nodes (`controllerNodeRbacRules`: nodes get, nothing else).
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { HELLO_BALANCED, LABEL_BENCHMARK_UID, LABEL_INSTANCE, LABEL_TOPOLOGY, TOPOLOGY_SERVICES } from '../api/objects.js';
import type { ReportNode, ReportNodes, TopologyPlacement } from '../report/index.js';
import { BALANCED_TOPOLOGIES, type Topology } from '../topologies.js';
import { cpuCores } from './environment.js';

/** The Deployments (instance labels) whose pods serve a topology in the controller's namespace. */
export function serverInstances(topology: Topology): string[] {
  const front = TOPOLOGY_SERVICES[topology];
  const balanced = (BALANCED_TOPOLOGIES as readonly string[]).includes(topology);
  // ingress-nginx's own pod lives in its namespace, which the controller may not read.
  return [...(front.namespace === undefined ? [front.name] : []), ...(balanced ? [HELLO_BALANCED] : [])];
}

/** The label selector of every server pod of the controller's namespace, for one list call. */
export function serverPodSelector(topologies: readonly Topology[]): string {
  const instances = [...new Set(topologies.flatMap(serverInstances))].sort();
  return `${LABEL_INSTANCE} in (${instances.join(',')})`;
}

/** The pods of one Benchmark, by its UID label. */
export function podsOfBenchmark(pods: readonly V1Pod[], uid: string): V1Pod[] {
  return pods.filter((p) => p.metadata?.labels?.[LABEL_BENCHMARK_UID] === uid);
}

/** The nodes the pods were scheduled on, each once. */
export function nodeNamesOf(pods: readonly V1Pod[]): string[] {
  return [...new Set(pods.map((p) => p.spec?.nodeName).filter((n): n is string => !!n))].sort();
}

const cores = (q: string | undefined) => (q === undefined || !Number.isFinite(cpuCores(q)) ? null : cpuCores(q));

function nodeOf(node: V1Node | undefined): ReportNode {
  return { cpus: nodeCpus(node), allocatableCpus: cores(node?.status?.allocatable?.cpu) };
}

/** A node's CPUs (`status.capacity.cpu`); null when not read or not a quantity. */
export function nodeCpus(node: V1Node | undefined): number | null {
  return cores(node?.status?.capacity?.cpu);
}

const byName = (pods: readonly V1Pod[]) =>
  Object.fromEntries(
    pods.map((p) => [p.metadata?.name ?? '', p.spec?.nodeName ?? null] as const).sort(([a], [b]) => a.localeCompare(b)),
  ) as Record<string, string | null>;

/**
 * The report's `environment.nodes`: `runnerPods` are the Benchmark's (labelled with their
 * topology), `serverPods` those `serverPodSelector` lists, `nodes` what reading each node gave
 * (undefined: not readable).
 */
export function reportNodes(
  topologies: readonly Topology[],
  runnerPods: readonly V1Pod[],
  serverPods: readonly V1Pod[],
  nodes: ReadonlyMap<string, V1Node | undefined>,
): ReportNodes {
  const placed: Record<string, TopologyPlacement> = {};
  const shared = new Set<string>();
  for (const topology of topologies) {
    const runners = runnerPods.filter((p) => p.metadata?.labels?.[LABEL_TOPOLOGY] === topology);
    const instances = serverInstances(topology);
    const servers = serverPods.filter((p) => instances.includes(p.metadata?.labels?.[LABEL_INSTANCE] ?? ''));
    placed[topology] = { runners: byName(runners), servers: byName(servers) };
    const serverNodes = new Set(nodeNamesOf(servers));
    for (const node of nodeNamesOf(runners)) if (serverNodes.has(node)) shared.add(node);
  }
  const notes = topologies.includes('ingress-nginx')
    ? ["ingress-nginx: its controller pod (namespace ingress-nginx) is not listed; the controller reads its own namespace's pods only"]
    : [];
  return {
    topologies: placed,
    nodes: Object.fromEntries(nodeNamesOf([...runnerPods, ...serverPods]).map((n) => [n, nodeOf(nodes.get(n))])),
    shared: [...shared].sort(),
    ...(notes.length > 0 ? { notes } : {}),
  };
}
