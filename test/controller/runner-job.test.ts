import { describe, expect, it } from 'vitest';
import { topologyUrl } from '../../src/api/objects.js';
import { jobName, runConfigMapName } from '../../src/controller/names.js';
import { runnerJob } from '../../src/controller/runner-job.js';
import { plan } from './fixtures.js';

describe('runner Job', () => {
  const job = runnerJob({
    benchmark: { name: 'demo', uid: '6f1c2a9e-0b7d-4e55-9c1a-3d2f8e7b6a50' },
    namespace: 'clusterbench',
    image: 'clusterbench/bench:abc',
    controllerUrl: 'ws://clusterbench-controller.clusterbench.svc:8080/runners',
    plan: plan({ runners: 3, connections: 100 }),
    run: { topology: 'rpc-gateway', trial: 2 },
    attempt: 1,
    token: { secret: 'demo-rpc-gateway-t2-a1-q8x2z', sha256: 'ab'.repeat(32) },
  });
  const pod = job.spec?.template.spec;
  const container = pod?.containers[0];

  it('is an Indexed Job of `runners` pods, named for its run, owned by the Benchmark, cleaned up after an hour', () => {
    expect(job.metadata?.name).toBe('demo-6f1c2a9e0b-rpc-gateway-t2-a1');
    expect(job.spec).toMatchObject({
      completionMode: 'Indexed',
      completions: 3,
      parallelism: 3,
      backoffLimit: 0,
      ttlSecondsAfterFinished: 3600,
    });
    expect(job.spec?.activeDeadlineSeconds).toBeGreaterThan(180 + 6);
    expect(job.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'clusterbench.dev/v1alpha1',
        kind: 'Benchmark',
        name: 'demo',
        uid: '6f1c2a9e-0b7d-4e55-9c1a-3d2f8e7b6a50',
        controller: true,
      },
    ]);
    expect(job.spec?.template.metadata?.labels).toMatchObject({
      'app.kubernetes.io/name': 'clusterbench-runner',
      'clusterbench.dev/benchmark': 'demo',
      'clusterbench.dev/benchmark-uid': '6f1c2a9e-0b7d-4e55-9c1a-3d2f8e7b6a50',
      'clusterbench.dev/trial': '2',
    });
  });

  it("runs clusterbench runner against the topology's in-cluster address with the totals to split", () => {
    expect(container?.command?.slice(0, 3)).toEqual(['node', 'build/src/cli.js', 'runner']);
    const args = container?.command?.join(' ');
    expect(args).toContain('--url http://rpc-gateway.clusterbench.svc:8080/');
    expect(args).toContain('--runners 3 --mode closed --connections 100');
    expect(args).toContain('--duration 5000ms --warmup 1000ms');
    expect(topologyUrl('ingress-nginx', 'clusterbench')).toBe('http://ingress-nginx-controller.ingress-nginx.svc:80/');
    expect(topologyUrl('single', 'x')).toBe('http://hello-single.x.svc:8080/');
  });

  it('spreads the pods of this attempt over the nodes, and still schedules them on a one-node cluster', () => {
    expect(pod?.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: {
          matchLabels: {
            'clusterbench.dev/benchmark-uid': '6f1c2a9e-0b7d-4e55-9c1a-3d2f8e7b6a50',
            'clusterbench.dev/topology': 'rpc-gateway',
            'clusterbench.dev/trial': '2',
            'clusterbench.dev/attempt': '1',
          },
        },
      },
    ]);
    // The selector matches the pods' own labels, or the spread would count nothing.
    expect(job.spec?.template.metadata?.labels).toMatchObject(
      pod?.topologySpreadConstraints?.[0]?.labelSelector?.matchLabels ?? { none: 'x' },
    );
  });

  it('gives the runners their token from the Secret and carries only its hash', () => {
    expect(container?.env).toEqual([
      { name: 'CLUSTERBENCH_RUNNER_TOKEN', valueFrom: { secretKeyRef: { name: 'demo-rpc-gateway-t2-a1-q8x2z', key: 'token' } } },
    ]);
    expect(job.metadata?.annotations).toEqual({ 'clusterbench.dev/runner-token-sha256': 'ab'.repeat(32) });
  });

  it('passes the restricted Pod Security Standard and is not BestEffort', () => {
    expect(pod).toMatchObject({
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    });
    expect(container?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container?.resources?.requests?.cpu).toBe('250m');
    expect(container?.resources?.limits?.cpu).toBeUndefined();
    expect(container?.terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });
});

describe('names of the objects a Benchmark owns', () => {
  const a = { name: 'x', uid: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' };
  const b = { name: 'x-ingress', uid: 'f0e1d2c3-b4a5-4968-8776-655443322110' };

  it('never collide between Benchmarks: x with ingress-nginx and x-ingress with nginx', () => {
    expect(jobName(a, { topology: 'ingress-nginx', trial: 1 }, 1)).toBe('x-0a1b2c3d4e-ingress-nginx-t1-a1');
    expect(jobName(b, { topology: 'nginx', trial: 1 }, 1)).toBe('x-ingress-f0e1d2c3b4-nginx-t1-a1');
    expect(runConfigMapName(a, { topology: 'ingress-nginx', trial: 1 })).not.toBe(runConfigMapName(b, { topology: 'nginx', trial: 1 }));
    // The same name created again is another Benchmark: other names.
    expect(jobName({ ...a, uid: 'c4d5e6f7-0000-4000-8000-000000000000' }, { topology: 'single', trial: 1 }, 1)).not.toBe(
      jobName(a, { topology: 'single', trial: 1 }, 1),
    );
  });

  it('stay within 63 characters for the longest name, topology, trial and attempt, keeping the UID part', () => {
    const long = { name: 'a'.repeat(39) + 'b', uid: a.uid };
    const name = jobName(long, { topology: 'ingress-nginx', trial: 10 }, 2);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^a+-0a1b2c3d4e-ingress-nginx-t10-a2$/);
    expect(jobName({ name: 'a'.repeat(30) + '-' + 'b'.repeat(9), uid: a.uid }, { topology: 'ingress-nginx', trial: 10 }, 2)).toMatch(
      /^a{30}-0a1b/,
    );
  });
});
