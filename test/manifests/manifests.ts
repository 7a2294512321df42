// Helpers for the manifest suites: synthesize every chart in memory (Testing.synth, no disk).
import { createServer } from 'node:net';
import { Testing } from 'cdk8s';
import { createApp } from '../../charts/clusterbench-app.js';
import { resolveConfig } from '../../src/config/config.js';

/** A Kubernetes object as synthesized. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: any;
};

export interface Synthesized {
  /** Chart id to its objects, in file order. */
  readonly charts: Map<string, K8sObject[]>;
  readonly objects: K8sObject[];
}

/** Synthesizes the app for these `--set` values (images.tag fixed unless given, to keep it fast). */
export function synth(sets: readonly string[] = []): Synthesized {
  const config = resolveConfig(undefined, sets.some((s) => s.startsWith('images.tag=')) ? sets : ['images.tag=test1', ...sets]);
  const app = createApp(config, '/nonexistent-never-written');
  const charts = new Map(app.charts.map((chart) => [chart.node.id, Testing.synth(chart) as K8sObject[]]));
  return { charts, objects: [...charts.values()].flat() };
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

const POD_TEMPLATE_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'];

/** The pod spec of a workload object, or undefined for other kinds. */
export function podSpecOf(o: K8sObject): any {
  if (o.kind === 'Pod') return o.spec;
  if (POD_TEMPLATE_KINDS.includes(o.kind)) return o.spec.template.spec;
  if (o.kind === 'CronJob') return o.spec.jobTemplate.spec.template.spec;
  return undefined;
}

/** Does a label selector (matchLabels only) select pods with these labels? */
export function selects(matchLabels: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

/** Parses a CPU quantity into millicores. */
export function cpuMillis(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

/** Parses a memory quantity into MiB. */
export function memoryMiB(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`unexpected memory quantity ${q}`);
  return Number(m[1]) * { Ki: 1 / 1024, Mi: 1, Gi: 1024 }[m[2] as 'Ki' | 'Mi' | 'Gi'];
}

/** A loopback port free right now (for programs that cannot report the one they bound). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** The objects that run pods (Deployments and the like). */
export const workloads = (objects: K8sObject[]) => objects.filter((o) => podSpecOf(o));
/** A workload's containers. */
export const containersOf = (o: K8sObject) => podSpecOf(o).containers as any[];
/** A container's environment, name to value (or valueFrom). */
export const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
