import { describe, expect, it } from 'vitest';
import { queueHolder, type QueueEntry } from '../../src/controller/queue.js';

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
