/**
 * src/controller/sweep-nodes.ts: a sweep point is oversubscribed when some node's pods of the run
 * may ask for more CPUs than that node has; where the placement is not complete, no per-node answer
 * (the report falls back to one node's CPUs and says so: cluster-report.test.ts).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { busiestNode, nodeAsks, runPlacement, type RunAsk } from '../../src/controller/sweep-nodes.js';

const nodeCpus = { a: 2, b: 4, c: null };
/** 3 hello pods at 0.5 CPU, the nginx pod at 1 CPU on b, 2 runners. */
const run = (overrides: Partial<RunAsk> = {}): RunAsk => ({
  placement: { hello: ['a', 'a', 'b'], runners: ['a', 'b'] },
  replicas: 3,
  runners: 2,
  perServer: 0.5,
  balancer: { cpus: 1, node: 'b' },
  ...overrides,
});

describe('per node, what a sweep run may ask for', () => {
  it('sums each node its hello pods, the balancer and the runners (one CPU each)', () => {
    expect(nodeAsks(run(), nodeCpus)).toEqual([
      { node: 'a', requestedCpus: 2, cpus: 2 },
      { node: 'b', requestedCpus: 2.5, cpus: 4 },
    ]);
  });

  it('counts a pod without a limit at its own node’s CPUs', () => {
    expect(nodeAsks(run({ perServer: null, balancer: { cpus: null, node: 'b' } }), nodeCpus)).toEqual([
      { node: 'a', requestedCpus: 2 + 2 + 1, cpus: 2 },
      { node: 'b', requestedCpus: 4 + 4 + 1, cpus: 4 },
    ]);
  });

  it('has no answer where the placement is not complete', () => {
    expect(nodeAsks(run({ placement: undefined }), nodeCpus)).toBeUndefined();
    expect(nodeAsks(run({ balancer: undefined }), nodeCpus)).toBeUndefined();
    expect(nodeAsks(run({ balancer: { cpus: 1, node: null } }), nodeCpus)).toBeUndefined();
    // The hello pods of another count, a runner pod gone, a pod not scheduled, a node not readable.
    expect(nodeAsks(run({ placement: { hello: ['a', 'b'], runners: ['a', 'b'] } }), nodeCpus)).toBeUndefined();
    expect(nodeAsks(run({ placement: { hello: ['a', 'a', 'b'], runners: ['a'] } }), nodeCpus)).toBeUndefined();
    expect(nodeAsks(run({ placement: { hello: ['a', null, 'b'], runners: ['a', 'b'] } }), nodeCpus)).toBeUndefined();
    expect(nodeAsks(run({ placement: { hello: ['a', 'c', 'b'], runners: ['a', 'b'] } }), nodeCpus)).toBeUndefined();
    expect(nodeAsks(run({ placement: { hello: ['a', 'd', 'b'], runners: ['a', 'b'] } }), nodeCpus)).toBeUndefined();
  });

  it('names the node asked for the largest share of its CPUs, not the most CPUs', () => {
    const a = { node: 'a', requestedCpus: 2.2, cpus: 2 };
    const b = { node: 'b', requestedCpus: 3, cpus: 4 };
    expect(busiestNode([b, a])).toEqual(a);
    expect(
      busiestNode([
        { ...a, requestedCpus: 3 },
        { ...b, cpus: 3 },
      ]),
    ).toEqual({ ...a, requestedCpus: 3 });
    expect(busiestNode([])).toBeUndefined();
  });

  it("takes the hello pods not being deleted and the pods of the run's Job", () => {
    const pod = (name: string, node: string | undefined, labels: Record<string, string> = {}, deleting = false): V1Pod => ({
      metadata: { name, labels, ...(deleting ? { deletionTimestamp: new Date() } : {}) },
      spec: { containers: [], ...(node ? { nodeName: node } : {}) },
    });
    const hello = [pod('h1', 'a'), pod('h2', 'b'), pod('h3', 'a', {}, true), pod('h4', undefined)];
    const runners = [
      pod('j1-x', 'a', { 'job-name': 'j1' }),
      pod('j1-y', 'b', { 'batch.kubernetes.io/job-name': 'j1' }),
      pod('j10-x', 'c', { 'job-name': 'j10' }),
    ];
    expect(runPlacement('j1', hello, runners)).toEqual({ hello: ['a', 'b', null], runners: ['a', 'b'] });
  });
});
