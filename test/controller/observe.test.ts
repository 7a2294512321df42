import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isPodOfJob, observeJob } from '../../src/controller/observe.js';

/** A failed attempt's Job, as the Job controller leaves it (backoffLimit 0). */
const failedJob: V1Job = {
  metadata: {
    name: 'demo-6f1c2a9e0b-single-t1-a1',
    labels: { 'clusterbench.dev/topology': 'single', 'clusterbench.dev/trial': '1', 'clusterbench.dev/attempt': '1' },
  },
  status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
};

/** A runner pod that exited with `exitCode` and termination message `message`. */
function exited(exitCode: number, message?: string): V1Pod {
  return {
    status: {
      containerStatuses: [
        { name: 'runner', ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode, message } } },
      ],
    },
  };
}

describe("observeJob: why an attempt failed, in the runner's own words when there are any", () => {
  const sigterm = 'stopped early (SIGTERM) after 1500 ms of the 3000 ms measured; no result';

  it("takes the pod's termination message (its log tail) first", () => {
    const said = new Map([[0, 'what the socket heard']]);
    expect(observeJob(failedJob, [exited(1, `a log line\n${sigterm}\n`)], said)?.reason).toBe(`BackoffLimitExceeded: ${sigterm}`);
  });

  it('takes what a runner said over the socket when its pod is gone (deleted, drained, evicted), the lowest index first', () => {
    const said = new Map([
      [1, 'runner 1 words'],
      [0, sigterm],
    ]);
    expect(observeJob(failedJob, [], said)?.reason).toBe(`BackoffLimitExceeded: ${sigterm}`);
    // A pod that left no words (an empty termination message) does not hide the socket's.
    expect(observeJob(failedJob, [exited(137, '')], said)?.reason).toBe(`BackoffLimitExceeded: ${sigterm}`);
  });

  it("falls back to the runner's exit code, then to the Job's reason alone", () => {
    expect(observeJob(failedJob, [exited(137)])?.reason).toBe('BackoffLimitExceeded: runner exited 137');
    expect(observeJob(failedJob, [])?.reason).toBe('BackoffLimitExceeded');
  });
});

describe("a Job's pods", () => {
  const pod = (labels: Record<string, string>): V1Pod => ({ metadata: { name: 'p', labels } });

  it("are found by the Job controller's label, under its new name and its old one; another Job's are not", () => {
    expect(isPodOfJob(pod({ 'batch.kubernetes.io/job-name': 'a' }), 'a')).toBe(true);
    expect(isPodOfJob(pod({ 'job-name': 'a' }), 'a')).toBe(true);
    expect(isPodOfJob(pod({ 'batch.kubernetes.io/job-name': 'ab', 'job-name': 'ab' }), 'a')).toBe(false);
    expect(isPodOfJob(pod({}), 'a')).toBe(false);
  });
});
