/**
 * Where a Benchmark's pods ran (issue 18): the pure part the controller fills the report's
 * `environment.nodes` with, and how report.md / report.html and `bench` show it. (Against a real
 * API server, with pods bound to Node objects: test/controller/many-runners.test.ts.)
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { nodeNamesOf, podsOfBenchmark, reportNodes, serverInstances, serverPodSelector } from '../../src/controller/node-placement.js';
import { buildReport, renderHtml, renderMarkdown, reportNodeWarning } from '../../src/report/index.js';
import { result } from './fixtures.js';

const pod = (name: string, node: string | undefined, labels: Record<string, string>): V1Pod => ({
  metadata: { name, labels },
  spec: { containers: [], ...(node ? { nodeName: node } : {}) },
});
const runner = (name: string, topology: string, node?: string) =>
  pod(name, node, { 'clusterbench.dev/topology': topology, 'clusterbench.dev/benchmark-uid': 'u1' });
const server = (name: string, instance: string, node?: string) => pod(name, node, { 'app.kubernetes.io/instance': instance });
const node = (cpu: string, allocatable: string): V1Node => ({ status: { capacity: { cpu }, allocatable: { cpu: allocatable } } });

describe('where the pods ran', () => {
  it("knows each topology's servers in the controller's namespace", () => {
    expect(serverInstances('single')).toEqual(['hello-single']);
    expect(serverInstances('nginx')).toEqual(['nginx', 'hello']);
    expect(serverInstances('rpc-gateway')).toEqual(['rpc-gateway', 'hello']);
    expect(serverInstances('ingress-nginx')).toEqual(['hello']);
    expect(serverPodSelector(['single', 'nginx'])).toBe('app.kubernetes.io/instance in (hello,hello-single,nginx)');
  });

  it('lists per topology the node of each runner and server pod, the nodes CPUs, and the nodes runners and servers shared', () => {
    const runners = [runner('b-single-0', 'single', 'n1'), runner('b-single-1', 'single', 'n2'), runner('b-nginx-0', 'nginx', 'n3')];
    const servers = [server('hello-single-a', 'hello-single', 'n1'), server('nginx-a', 'nginx', 'n2'), server('hello-a', 'hello', 'n2')];
    const nodes = new Map<string, V1Node | undefined>([
      ['n1', node('4', '3900m')],
      ['n2', node('8', '7500m')],
      ['n3', undefined],
    ]);
    expect(reportNodes(['single', 'nginx'], runners, servers, nodes)).toEqual({
      topologies: {
        single: { runners: { 'b-single-0': 'n1', 'b-single-1': 'n2' }, servers: { 'hello-single-a': 'n1' } },
        nginx: { runners: { 'b-nginx-0': 'n3' }, servers: { 'hello-a': 'n2', 'nginx-a': 'n2' } },
      },
      nodes: { n1: { cpus: 4, allocatableCpus: 3.9 }, n2: { cpus: 8, allocatableCpus: 7.5 }, n3: { cpus: null, allocatableCpus: null } },
      // n2 has a runner of single and a server of nginx: not the same topology, not shared.
      shared: ['n1'],
    });
    const unscheduled = reportNodes(['ingress-nginx'], [runner('r', 'ingress-nginx')], [], new Map());
    expect(unscheduled.topologies['ingress-nginx']).toEqual({ runners: { r: null }, servers: {} });
    expect(unscheduled.shared).toEqual([]);
    expect(unscheduled.notes?.[0]).toContain('ingress-nginx: its controller pod (namespace ingress-nginx) is not listed');
    expect(nodeNamesOf([...runners, ...servers, runner('r', 'single')])).toEqual(['n1', 'n2', 'n3']);
    expect(podsOfBenchmark([...runners, runner('other', 'single')].slice(0, 3), 'u1')).toHaveLength(3);
    expect(podsOfBenchmark([pod('x', 'n1', { 'clusterbench.dev/benchmark-uid': 'u2' })], 'u1')).toEqual([]);
  });

  it("shows in report.md and report.html's environment, and warns when runners and servers shared a node", () => {
    const nodes = reportNodes(
      ['single'],
      [runner('b-single-0', 'single', 'n1'), runner('b-single-1', 'single', 'n1'), runner('b-single-2', 'single', 'n2')],
      [server('hello-single-a', 'hello-single', 'n1')],
      new Map([
        ['n1', node('2', '1930m')],
        ['n2', node('2', '1930m')],
      ]),
    );
    const report = buildReport({
      scenario: { name: 'quick', mode: 'closed', connections: 2, rate: null, durationMs: 5000, warmupMs: 1000, trials: 1, maxErrors: 0.01 },
      environment: {
        where: 'cluster',
        cpus: { model: 'x', count: 2 },
        versions: {},
        cpuLimits: { perServer: null, mechanism: 'none' },
        nodes,
      },
      results: [result('single', 1, 0, [100])],
    });
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('- nodes of single: runner pods: n1 ×2, n2 ×1; server pods: hello-single-a on n1');
    expect(markdown).toContain('- node CPUs: n1 2 CPUs, 1.93 allocatable; n2 2 CPUs, 1.93 allocatable');
    expect(markdown).toContain(
      '- warning: runners and servers shared node(s) n1: the load generator took CPU from the servers it measured',
    );
    const html = renderHtml(report);
    const environment = html.slice(html.indexOf('<h2>Environment</h2>'));
    expect(environment).toContain('<dt>nodes of single</dt><dd>runner pods: n1 ×2, n2 ×1; server pods: hello-single-a on n1</dd>');
    expect(environment).toContain('<dt>warning</dt>');
    expect(reportNodeWarning(report)).toMatch(/^runners and servers shared node\(s\) n1: /);
    expect(reportNodeWarning({ ...report, environment: { ...report.environment, nodes: { ...nodes, shared: [] } } })).toBeUndefined();
  });
});
