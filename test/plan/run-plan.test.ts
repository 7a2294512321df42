// The run plan make local and the controller share, tested like a specification.
import { describe, expect, it } from 'vitest';
import {
  describeFailover,
  failoverKillAt,
  failoverVictim,
  isFailoverRun,
  localDownMs,
  localKillAfterMs,
  runOrder,
  sweepOrder,
} from '../../src/plan/run-plan.js';

describe('runOrder', () => {
  it('interleaves topologies within a trial and rotates the order by one each trial', () => {
    const order = runOrder(['single', 'nginx', 'rpc-gateway'], 3).map((r) => `${r.trial}:${r.topology}`);
    expect(order).toEqual([
      '1:single',
      '1:nginx',
      '1:rpc-gateway',
      '2:nginx',
      '2:rpc-gateway',
      '2:single',
      '3:rpc-gateway',
      '3:single',
      '3:nginx',
    ]);
  });

  it('starts over after as many trials as topologies, and runs nothing without trials', () => {
    const order = runOrder(['single', 'nginx'], 3).map((r) => `${r.trial}:${r.topology}`);
    expect(order).toEqual(['1:single', '1:nginx', '2:nginx', '2:single', '3:single', '3:nginx']);
    expect(runOrder(['single'], 0)).toEqual([]);
  });
});

describe('sweepOrder', () => {
  it('runs each replica count in turn, rotated per trial, the topologies interleaved within it, single once per trial', () => {
    const order = sweepOrder(['single', 'nginx', 'rpc-gateway'], 2, [1, 2, 4]).map((r) => `${r.trial}:${r.topology}@${r.replicas}`);
    expect(order).toEqual([
      '1:single@1',
      '1:nginx@1',
      '1:rpc-gateway@1',
      '1:nginx@2',
      '1:rpc-gateway@2',
      '1:nginx@4',
      '1:rpc-gateway@4',
      '2:nginx@2',
      '2:rpc-gateway@2',
      '2:single@1',
      '2:nginx@4',
      '2:rpc-gateway@4',
      '2:nginx@1',
      '2:rpc-gateway@1',
    ]);
  });

  it('is runOrder when there is one count', () => {
    const order = sweepOrder(['single', 'nginx', 'rpc-gateway'], 3, [3]);
    expect(order.map(({ topology, trial }) => ({ topology, trial }))).toEqual(runOrder(['single', 'nginx', 'rpc-gateway'], 3));
    expect(order.map((r) => r.replicas)).toEqual(order.map((r) => (r.topology === 'single' ? 1 : 3)));
  });
});

describe('the failover rule', () => {
  it('disturbs the last trial of each balanced topology only', () => {
    const disturbed = runOrder(['single', 'nginx', 'ingress-nginx', 'rpc-gateway'], 2).filter((run) => isFailoverRun(run, 2));
    expect(disturbed).toEqual([
      { topology: 'nginx', trial: 2 },
      { topology: 'ingress-nginx', trial: 2 },
      { topology: 'rpc-gateway', trial: 2 },
    ]);
  });

  it('kills the first ready backend by name, none when none is ready', () => {
    expect(
      failoverVictim([
        { name: 'hello-b', ready: true },
        { name: 'hello-a', ready: false },
        { name: 'hello-c', ready: true },
      ]),
    ).toBe('hello-b');
    expect(failoverVictim(['hello-1', 'hello-2', 'hello-3'].map((name) => ({ name, ready: true })))).toBe('hello-1');
    expect(failoverVictim([{ name: 'hello-a', ready: false }])).toBeUndefined();
  });

  it('kills killAfter into the measured part, which begins after the warmup', () => {
    expect(failoverKillAt(1_000_000, 1_000, 2_000)).toBe(1_003_000);
  });

  it('locally: kills halfway and restarts a quarter of the duration later, at most 3 s', () => {
    expect(localKillAfterMs(10_000)).toBe(5_000);
    expect(localDownMs(10_000)).toBe(2_500);
    expect(localDownMs(60_000)).toBe(3_000);
  });

  it('is described in one text, locally and in a cluster', () => {
    expect(describeFailover(5_000, 2_500)).toBe(
      'failover: the first ready hello server by name killed (SIGKILL) 5 s into the measured part of the last trial of each balanced topology; started again about 2.5 s later',
    );
    expect(describeFailover(3_000, null)).toBe(
      'failover: the first ready hello pod by name deleted (grace period 0) 3 s into the measured part of the last trial of each balanced topology; its Deployment started a replacement at once',
    );
  });
});
