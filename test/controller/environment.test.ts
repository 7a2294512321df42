import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { clusterEnvironment } from '../../src/controller/environment.js';
import { observeHelloPod } from '../../src/controller/observe.js';

const podWithLimit = (cpu: string | undefined): V1Pod => ({
  spec: { containers: [{ name: 'hello', resources: cpu === undefined ? {} : { limits: { cpu } } }] },
});

describe('clusterEnvironment', () => {
  it.each([
    ['250m', 0.25],
    ['1500m', 1.5],
    ['2', 2],
    ['0.5', 0.5],
  ])("reads the hello pods' CPU limit %s as %d cores", (cpu, cores) => {
    expect(clusterEnvironment('ns', 'v1.31.0', [podWithLimit(cpu)]).cpuLimits).toEqual({
      perServer: cores,
      mechanism: 'kubernetes limits',
    });
  });

  it('says none without a limit, without pods, or for a value that is no quantity', () => {
    for (const pods of [[podWithLimit(undefined)], [], [podWithLimit('lots')]]) {
      expect(clusterEnvironment('ns', 'v1.31.0', pods).cpuLimits).toEqual({ perServer: null, mechanism: 'none' });
    }
    expect(clusterEnvironment('ns', 'v1.31.0', []).where).toBe('cluster: namespace ns');
  });
});

describe('observeHelloPod', () => {
  it('takes the creation time and the last Ready transition, null while not ready', () => {
    const created = '2026-01-01T00:00:00Z';
    const ready = '2026-01-01T00:00:05Z';
    expect(
      observeHelloPod({
        metadata: { name: 'hello-a', creationTimestamp: new Date(created) },
        status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(ready) }] },
      }),
    ).toEqual({
      name: 'hello-a',
      createdAtMs: Date.parse(created),
      readyAtMs: Date.parse(ready),
    });
    expect(
      observeHelloPod({ metadata: { name: 'hello-b' }, status: { conditions: [{ type: 'Ready', status: 'False' }] } }).readyAtMs,
    ).toBeNull();
  });
});
