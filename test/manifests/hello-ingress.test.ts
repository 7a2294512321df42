// src/constructs/hello-ingress.ts: the Ingress in front of the balanced hello Service.
import { describe, expect, it } from 'vitest';
import { find, synth } from './manifests.js';

describe('charts: topologies', () => {
  it('ingress: class nginx, every path to the three-replica hello Service', () => {
    const ingress = find(synth().objects, 'Ingress', 'hello');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.rules).toEqual([
      { http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'hello', port: { number: 8080 } } } }] } },
    ]);
  });
});
