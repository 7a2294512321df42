// src/constructs/hello-network-policy.ts: who may reach the hello servers, on which port.
import { describe, expect, it } from 'vitest';
import { find, selects, synth } from './manifests.js';

describe('charts: network policy', () => {
  const { objects } = synth();
  const policy = find(objects, 'NetworkPolicy', 'hello');
  const podsOf = (name: string) => find(objects, 'Deployment', name).spec.template.metadata.labels;
  // Which hello ports may pods with these labels, in this namespace, reach?
  const allowedPorts = (labels: Record<string, string>, namespace: string) =>
    policy.spec.ingress
      .filter((rule: any) =>
        rule.from.some(
          (peer: any) =>
            selects(peer.podSelector.matchLabels, labels) &&
            (peer.namespaceSelector
              ? peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name'] === namespace
              : namespace === 'clusterbench'),
        ),
      )
      .flatMap((rule: any) => rule.ports.map((p: any) => p.port))
      .sort();

  it('guards both hello Deployments', () => {
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(selects(policy.spec.podSelector.matchLabels, podsOf('hello'))).toBe(true);
    expect(selects(policy.spec.podSelector.matchLabels, podsOf('hello-single'))).toBe(true);
    expect(selects(policy.spec.podSelector.matchLabels, podsOf('nginx'))).toBe(false);
  });

  it('admits the balancers and the load runners on HTTP, the gateway on RPC, and no one else', () => {
    expect(allowedPorts(podsOf('nginx'), 'clusterbench')).toEqual([8080]);
    expect(allowedPorts(podsOf('rpc-gateway'), 'clusterbench')).toEqual([9090]);
    expect(allowedPorts(podsOf('ingress-nginx-controller'), 'ingress-nginx')).toEqual([8080]);
    expect(allowedPorts({ 'app.kubernetes.io/name': 'clusterbench-runner' }, 'clusterbench')).toEqual([8080]);
    expect(allowedPorts(podsOf('clusterbench-controller'), 'clusterbench')).toEqual([]);
    expect(allowedPorts(podsOf('ingress-nginx-controller'), 'clusterbench')).toEqual([]);
    expect(allowedPorts({ 'app.kubernetes.io/name': 'nginx' }, 'default')).toEqual([]);
  });
});
