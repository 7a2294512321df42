// src/constructs/bench-controller.ts: the benchmark controller Deployment, its Role, Service and NetworkPolicy.
import { describe, expect, it } from 'vitest';
import { controllerNodeRbacRules, controllerRbacRules } from '../../src/api/benchmark.js';
import { containersOf, envOf, find, selects, synth } from './manifests.js';

describe('charts: the controller NetworkPolicy', () => {
  const { objects } = synth();
  const policy = find(objects, 'NetworkPolicy', 'clusterbench-controller');
  const podsOf = (name: string) => find(objects, 'Deployment', name).spec.template.metadata.labels;
  const admits = (labels: Record<string, string>) =>
    policy.spec.ingress
      .filter((rule: any) => rule.from.some((peer: any) => !peer.namespaceSelector && selects(peer.podSelector.matchLabels, labels)))
      .flatMap((rule: any) => rule.ports.map((p: any) => p.port));

  it('guards the controller and admits only the load runners of its namespace, on its port', () => {
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(selects(policy.spec.podSelector.matchLabels, podsOf('clusterbench-controller'))).toBe(true);
    expect(selects(policy.spec.podSelector.matchLabels, podsOf('hello'))).toBe(false);
    expect(admits({ 'app.kubernetes.io/name': 'clusterbench-runner' })).toEqual([8080]);
    for (const other of ['hello', 'nginx', 'rpc-gateway']) expect(admits(podsOf(other)), other).toEqual([]);
    expect(policy.spec.ingress.every((rule: any) => rule.from.every((peer: any) => peer.namespaceSelector === undefined))).toBe(true);
  });
});

describe('charts: the benchmark controller', () => {
  const { objects } = synth();

  it('a Role of exactly the calls it makes, bound to its own ServiceAccount', () => {
    const role = find(objects, 'Role', 'clusterbench-controller');
    const granted = role.rules
      .flatMap((r: any) =>
        r.apiGroups.flatMap((g: string) => r.resources.flatMap((res: string) => r.verbs.map((v: string) => `${g}/${res}:${v}`))),
      )
      .sort();
    const wanted = controllerRbacRules
      .flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))))
      .sort();
    expect(granted).toEqual(wanted);
    const binding = find(objects, 'RoleBinding', 'clusterbench-controller');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'clusterbench-controller' });
    expect(binding.subjects).toMatchObject([{ kind: 'ServiceAccount', name: 'clusterbench-controller', namespace: 'clusterbench' }]);
    // The one cluster-wide call, `get` of a node for the report, in a ClusterRole named for the namespace.
    const nodeReader = find(objects, 'ClusterRole', 'clusterbench-controller-nodes-clusterbench');
    expect(nodeReader.rules).toEqual(controllerNodeRbacRules);
    expect(nodeReader.metadata.namespace).toBeUndefined();
    expect(find(objects, 'ClusterRoleBinding', 'clusterbench-controller-nodes-clusterbench').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'clusterbench-controller', namespace: 'clusterbench' },
    ]);
  });

  it('is replaced, never rolled: strategy Recreate (with the Lease, never two controllers)', () => {
    expect(find(objects, 'Deployment', 'clusterbench-controller').spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('runs `node build/src/cli.js controller` with its namespace and the runner image; a Service on 8080', () => {
    const c = containersOf(find(objects, 'Deployment', 'clusterbench-controller'))[0];
    expect(c.command).toEqual(['node', 'build/src/cli.js', 'controller']);
    expect(envOf(c)).toMatchObject({
      CLUSTERBENCH_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      CLUSTERBENCH_IMAGE: 'clusterbench/bench:test1',
    });
    expect(find(objects, 'Service', 'clusterbench-controller').spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 8080 }]);
  });
});
