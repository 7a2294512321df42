// src/constructs/hello-servers.ts: the hello Deployments, their knobs and their spread over nodes.
import { describe, expect, it } from 'vitest';
import { containersOf, envOf, find, podSpecOf, selects, synth } from './manifests.js';

describe('charts: topologies', () => {
  it('hello: the ports, the instance id and the knobs of images/hello', () => {
    const { objects } = synth(['hello.work=200us', 'hello.delay=1ms', 'hello.payload=512', 'hello.replicas=5', 'hello.cpu=250m']);
    const hello = find(objects, 'Deployment', 'hello');
    const c = containersOf(hello)[0];
    expect(hello.spec.replicas).toBe(5);
    expect(c.args).toEqual(['--http', ':8080', '--rpc', ':9090']);
    expect(envOf(c)).toEqual({
      HELLO_WORK: '200us',
      HELLO_DELAY: '1ms',
      HELLO_PAYLOAD: '512',
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    expect(c.resources.limits.cpu).toBe('250m');
    expect(find(objects, 'Deployment', 'hello-single').spec.replicas).toBe(1);
    expect(envOf(containersOf(find(synth().objects, 'Deployment', 'hello'))[0])).toEqual({
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
    });
  });

  it('hello: the three balanced pods spread over nodes by hostname, preferred so one node still runs them', () => {
    const { objects } = synth();
    const spread = podSpecOf(find(objects, 'Deployment', 'hello')).topologySpreadConstraints;
    expect(spread).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/instance': 'hello' } },
      },
    ]);
    // The selector picks exactly the pods being spread (not hello-single's).
    expect(selects(spread[0].labelSelector.matchLabels, find(objects, 'Deployment', 'hello-single').spec.template.metadata.labels)).toBe(
      false,
    );
    expect(podSpecOf(find(objects, 'Deployment', 'nginx')).topologySpreadConstraints).toBeUndefined();
  });
});
