/**
 * The environment lines of where a cluster run's pods ran (`environment.nodes`, issue 18), for
 * report.md and report.html alike, and the warning `bench` prints when runners and servers shared
 * a node. Runner pods are counted per node (there may be a hundred); server pods are named.
 */
import type { Report, ReportNodes } from './types.js';

const cpus = (n: number | null) => (n === null ? '?' : String(Math.round(n * 1000) / 1000));

/** `[label, value]` pairs for the environment section. */
export function nodeItems(nodes: ReportNodes): [string, string][] {
  const items: [string, string][] = [];
  for (const [topology, placed] of Object.entries(nodes.topologies)) {
    const perNode = new Map<string, number>();
    for (const node of Object.values(placed.runners)) perNode.set(node ?? 'not scheduled', (perNode.get(node ?? 'not scheduled') ?? 0) + 1);
    const runners = [...perNode].map(([node, n]) => `${node} ×${n}`).join(', ') || 'none listed';
    const servers =
      Object.entries(placed.servers)
        .map(([pod, node]) => `${pod} on ${node ?? 'not scheduled'}`)
        .join(', ') || 'none listed';
    items.push([`nodes of ${topology}`, `runner pods: ${runners}; server pods: ${servers}`]);
  }
  const described = Object.entries(nodes.nodes).map(([node, n]) => `${node} ${cpus(n.cpus)} CPUs, ${cpus(n.allocatableCpus)} allocatable`);
  if (described.length > 0) items.push(['node CPUs', described.join('; ')]);
  const warning = sharedNodeWarning(nodes);
  if (warning) items.push(['warning', warning]);
  for (const note of nodes.notes ?? []) items.push(['note', note]);
  return items;
}

/** One line when runners and servers of a topology shared a node, else undefined. */
export function sharedNodeWarning(nodes: ReportNodes | undefined): string | undefined {
  if (!nodes || nodes.shared.length === 0) return undefined;
  return (
    `runners and servers shared node(s) ${nodes.shared.join(', ')}: the load generator took CPU from the servers it measured ` +
    '(spec.placement.runners and servers.nodeSelector keep them apart; README "Running on a large cluster")'
  );
}

/** For `bench`: the warning of a fetched report, if any. */
export function reportNodeWarning(report: Report): string | undefined {
  return sharedNodeWarning(report.environment.nodes);
}
