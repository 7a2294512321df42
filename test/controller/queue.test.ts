import { describe, expect, it } from 'vitest';
import type { V1Job } from '@kubernetes/client-node';
import { BENCHMARK_API_VERSION, BENCHMARK_KIND, type Benchmark } from '../../src/api/benchmark.js';
import { LABEL_ATTEMPT, LABEL_BENCHMARK, LABEL_TOPOLOGY, LABEL_TRIAL } from '../../src/api/objects.js';
import { ownerOf } from '../../src/controller/owners.js';
import { queueHolder, queuedBehind, type QueueEntry } from '../../src/controller/queue.js';

const entry = (name: string, createdAtMs: number, phase?: string, deleting = false): QueueEntry => ({
  name,
  uid: `uid-${name}`,
  createdAtMs,
  phase,
  deleting,
});

describe('one Benchmark at a time per namespace', () => {
  it('the oldest waiting one runs first; ties by name', () => {
    expect(queueHolder([entry('b', 2), entry('a', 1), entry('c', 3)])?.name).toBe('a');
    expect(queueHolder([entry('b', 1), entry('a', 1)])?.name).toBe('a');
  });

  it('a running one keeps the namespace even if an older one appears waiting (restart-safe)', () => {
    expect(queueHolder([entry('old', 1, 'Pending'), entry('new', 2, 'Running')])?.name).toBe('new');
  });

  it('one that owns a Job holds the namespace before its Running phase is seen (two created in the same second)', () => {
    const started = { ...entry('b', 1, 'Pending'), hasJobs: true };
    expect(queueHolder([entry('a', 1), started])?.name).toBe('b');
    expect(queueHolder([entry('a', 1, undefined), { ...entry('b', 1), hasJobs: false }])?.name).toBe('a');
  });

  it('finished and deleted ones hold nothing: the next waiting one runs', () => {
    expect(queueHolder([entry('a', 1, 'Succeeded'), entry('b', 2, 'Failed'), entry('c', 3, 'Pending')])?.name).toBe('c');
    expect(queueHolder([entry('a', 1, 'Running', true), entry('b', 2, 'Pending')])?.name).toBe('b');
    expect(queueHolder([entry('a', 1, 'Succeeded')])).toBeUndefined();
  });
});

describe('what a Benchmark waits for, from the cluster objects', () => {
  const benchmark = (name: string, created: string, extra: Partial<Benchmark['metadata']> = {}, phase?: 'Running'): Benchmark => ({
    apiVersion: BENCHMARK_API_VERSION,
    kind: BENCHMARK_KIND,
    metadata: { name, uid: `uid-${name}`, creationTimestamp: new Date(created), ...extra },
    spec: { topologies: ['single'] },
    ...(phase ? { status: { phase } } : {}),
  });
  const activeJob = (name: string, owner: Benchmark): V1Job => ({
    metadata: {
      name,
      labels: { [LABEL_BENCHMARK]: owner.metadata.name, [LABEL_TOPOLOGY]: 'single', [LABEL_TRIAL]: '1', [LABEL_ATTEMPT]: '1' },
      ownerReferences: [{ ...ownerOf(owner) }],
    },
    status: { active: 1 },
  });
  const a = benchmark('a', '2026-12-03T10:00:00Z');
  const b = benchmark('b', '2026-12-03T10:00:05Z');

  it('the one created later waits behind the older one, which waits for nothing', () => {
    expect(queuedBehind(b, [a, b], [], new Set())).toBe('a');
    expect(queuedBehind(a, [a, b], [], new Set())).toBeUndefined();
  });

  it('a Job this controller just created (not yet in the cache) makes its Benchmark the holder', () => {
    expect(queuedBehind(a, [a, b], [], new Set(['uid-b']))).toBe('b');
  });

  it('a deleted Benchmark holds nothing, but its still-running Job keeps the next one waiting, named', () => {
    const gone = benchmark('a', '2026-12-03T10:00:00Z', { deletionTimestamp: new Date('2026-12-03T10:01:00Z') }, 'Running');
    expect(queuedBehind(b, [gone, b], [activeJob('a-single-t1-a1', gone)], new Set())).toBe(
      'Job a-single-t1-a1 of benchmark a (still running)',
    );
    expect(queuedBehind(b, [gone, b], [], new Set())).toBeUndefined();
  });
});
