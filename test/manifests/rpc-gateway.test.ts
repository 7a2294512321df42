// src/constructs/rpc-gateway.ts: the RPC gateway and the headless Service it resolves.
import { describe, expect, it } from 'vitest';
import { containersOf, find, synth } from './manifests.js';

describe('charts: topologies', () => {
  it('rpc-gateway: re-resolves the headless Service on the RPC port', () => {
    const { objects } = synth(['rpcGateway.balancer=round-robin']);
    expect(containersOf(find(objects, 'Deployment', 'rpc-gateway'))[0].args).toEqual([
      '--http',
      ':8080',
      '--backends-dns',
      'hello-headless.clusterbench.svc.cluster.local:9090',
      '--balancer',
      'round-robin',
    ]);
    const headless = find(objects, 'Service', 'hello-headless');
    expect(headless.spec.ports.map((p: any) => p.port)).toContain(9090);
  });
});
