// charts/clusterbench-chart.ts, the base of every chart: Kubernetes' recommended labels and the namespace on every object.
import { describe, expect, it } from 'vitest';
import { find, podSpecOf, synth } from './manifests.js';

describe('charts: objects and names', () => {
  const { charts, objects } = synth();

  it('the recommended labels on every object and pod template; ingress-nginx keeps upstream part-of', () => {
    const keys = ['name', 'instance', 'version', 'component', 'part-of', 'managed-by'].map((k) => `app.kubernetes.io/${k}`);
    const labelled = objects.flatMap((o) => [
      {
        what: `${o.kind}/${o.metadata.name}`,
        labels: o.metadata.labels ?? {},
        chart: [...charts].find(([, list]) => list.includes(o))?.[0],
      },
      ...(podSpecOf(o)
        ? [
            {
              what: `${o.kind}/${o.metadata.name} pods`,
              labels: o.spec.template.metadata.labels ?? {},
              chart: [...charts].find(([, list]) => list.includes(o))?.[0],
            },
          ]
        : []),
    ]);
    expect(labelled.length).toBeGreaterThan(30);
    for (const { what, labels, chart } of labelled) {
      for (const key of keys) expect(labels[key], `${what}: ${key}`).toMatch(/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/);
      expect(labels['app.kubernetes.io/part-of'], what).toBe(chart === 'ingress-nginx' ? 'ingress-nginx' : 'clusterbench');
      expect(labels['app.kubernetes.io/managed-by'], what).toBe('cdk8s');
      expect(labels['app.kubernetes.io/version'], what).toBe(chart === 'ingress-nginx' ? '1.15.1' : 'test1');
    }
    // What each part is: its own name and role; a Deployment's selector labels are unchanged.
    const labelsOf = (kind: string, name: string) => find(objects, kind, name).metadata.labels ?? {};
    expect(labelsOf('Deployment', 'hello-single')).toMatchObject({
      'app.kubernetes.io/name': 'hello',
      'app.kubernetes.io/instance': 'hello-single',
      'app.kubernetes.io/component': 'server',
    });
    expect(labelsOf('Deployment', 'nginx')['app.kubernetes.io/component']).toBe('load-balancer');
    expect(labelsOf('Deployment', 'rpc-gateway')['app.kubernetes.io/component']).toBe('gateway');
    expect(labelsOf('CustomResourceDefinition', 'benchmarks.clusterbench.dev')['app.kubernetes.io/component']).toBe('api');
    expect(find(objects, 'Deployment', 'hello').spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'hello',
      'app.kubernetes.io/instance': 'hello',
    });
    expect(labelsOf('Deployment', 'ingress-nginx-controller')).toMatchObject({
      'app.kubernetes.io/name': 'ingress-nginx',
      'app.kubernetes.io/instance': 'ingress-nginx',
      'app.kubernetes.io/component': 'controller',
    });
  });

  it('every namespaced object of clusterbench is in the clusterbench namespace; cluster-scoped ones have none', () => {
    const clusterScoped = ['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'IngressClass'];
    for (const [chart, list] of charts) {
      for (const o of list) {
        const expected = clusterScoped.includes(o.kind) ? undefined : chart === 'ingress-nginx' ? 'ingress-nginx' : 'clusterbench';
        expect(o.metadata.namespace, `${chart}: ${o.kind}/${o.metadata.name}`).toBe(expected);
      }
    }
  });
});
