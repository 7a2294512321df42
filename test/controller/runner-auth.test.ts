import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { authorizeRunner, newRunnerToken, runnerTokenSecret, sha256Hex } from '../../src/controller/runner-auth.js';
import { plainAddress, resultMismatch } from '../../src/controller/coordinator.js';
import { result } from './fixtures.js';

const { token, sha256 } = newRunnerToken();
const job: V1Job = {
  metadata: {
    name: 'demo-nginx-t2-a1',
    annotations: { 'clusterbench.dev/runner-token-sha256': sha256 },
    labels: { 'clusterbench.dev/topology': 'nginx', 'clusterbench.dev/trial': '2' },
  },
  spec: { completions: 2, template: {} },
};
const pod = (index: number, ip: string, deleting = false): V1Pod => ({
  metadata: {
    name: `demo-nginx-t2-a1-${index}-x`,
    annotations: { 'batch.kubernetes.io/job-completion-index': String(index) },
    ...(deleting ? { deletionTimestamp: new Date() } : {}),
  },
  status: { podIP: ip, podIPs: [{ ip }] },
});
const pods = [pod(0, '10.1.0.5'), pod(1, '10.1.0.6')];
const claim = { job: 'demo-nginx-t2-a1', index: 1, token, peer: '10.1.0.6' };

describe('runner authentication', () => {
  it("lets in runner 1 of the Job from its own pod with the Job's token, for that Job's run", () => {
    expect(authorizeRunner(claim, job, pods)).toEqual({ topology: 'nginx', trial: 2 });
  });

  it('refuses, saying why: unknown Job, no or wrong token, index out of range, another address', () => {
    expect(authorizeRunner(claim, undefined, pods)).toEqual({ refused: 'no such Job' });
    expect(authorizeRunner({ ...claim, token: '' }, job, pods)).toEqual({ refused: 'no token' });
    expect(authorizeRunner({ ...claim, token: newRunnerToken().token }, job, pods)).toEqual({ refused: "not the Job's token" });
    expect(authorizeRunner({ ...claim, index: 2 }, job, pods)).toEqual({ refused: 'runner index out of 0..1' });
    // A stolen token from another pod (here runner 0's, or a pod outside the Job) does not do.
    expect(authorizeRunner({ ...claim, peer: '10.1.0.5' }, job, pods)).toMatchObject({
      refused: expect.stringContaining('is not the pod of runner 1 (10.1.0.6)'),
    });
    expect(authorizeRunner({ ...claim, peer: '10.9.9.9' }, job, pods)).toMatchObject({
      refused: expect.stringContaining('not the pod of runner 1'),
    });
    expect(authorizeRunner(claim, job, [pods[0], pod(1, '10.1.0.6', true)])).toMatchObject({
      refused: expect.stringContaining('no pod IP yet'),
    });
    // A Job without the annotation lets no one in.
    expect(authorizeRunner(claim, { ...job, metadata: { ...job.metadata, annotations: {} } }, pods)).toEqual({
      refused: "not the Job's token",
    });
  });

  it('tokens are 256 random bits; the Secret is named by the API server and owned as told', () => {
    const a = newRunnerToken();
    expect(Buffer.from(a.token, 'base64url')).toHaveLength(32);
    expect(a.sha256).toBe(sha256Hex(a.token));
    expect(a.token).not.toBe(newRunnerToken().token);
    const secret = runnerTokenSecret({
      job: 'demo-nginx-t2-a1',
      namespace: 'ns',
      token: a.token,
      labels: { x: 'y' },
      owner: [{ apiVersion: 'v', kind: 'Benchmark', name: 'demo', uid: 'u' }],
    });
    expect(secret.metadata).toMatchObject({
      generateName: 'demo-nginx-t2-a1-',
      namespace: 'ns',
      labels: { x: 'y' },
      ownerReferences: [{ uid: 'u' }],
    });
    expect(secret.metadata?.name).toBeUndefined();
    expect(secret.stringData).toEqual({ token: a.token });
  });

  it("a result must be of its runner's topology, trial and index", () => {
    const grant = { topology: 'nginx', trial: 2 };
    expect(resultMismatch(result('nginx', 2, 1, [100]), grant, 1)).toBeUndefined();
    expect(resultMismatch(result('single', 2, 1, [100]), grant, 1)).toBe('topology "single", not nginx');
    expect(resultMismatch(result('nginx', 1, 1, [100]), grant, 1)).toBe('trial 1, not 2');
    expect(resultMismatch(result('nginx', 2, 0, [100]), grant, 1)).toBe('runner 0, not 1');
    expect(resultMismatch({ ...result('nginx', 2, 1, [100]), topology: '' }, grant, 1)).toBe('topology "", not nginx');
  });

  it('compares IPv4 peers of a dual-stack socket as plain IPv4', () => {
    expect(plainAddress('::ffff:10.1.0.6')).toBe('10.1.0.6');
    expect(plainAddress('fd00::6')).toBe('fd00::6');
    expect(plainAddress(undefined)).toBe('');
  });
});
