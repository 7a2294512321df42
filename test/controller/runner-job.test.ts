import { describe, expect, it } from 'vitest';
import { topologyUrl } from '../../src/api/objects.js';
import { runnerJob } from '../../src/controller/runner-job.js';
import { plan } from './fixtures.js';

describe('runner Job', () => {
  const job = runnerJob({
    benchmark: { name: 'demo', uid: 'uid-1' },
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
    expect(job.metadata?.name).toBe('demo-rpc-gateway-t2-a1');
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimit: 0, ttlSecondsAfterFinished: 3600 });
    expect(job.spec?.activeDeadlineSeconds).toBeGreaterThan(180 + 6);
    expect(job.metadata?.ownerReferences).toEqual([{ apiVersion: 'clusterbench.dev/v1alpha1', kind: 'Benchmark', name: 'demo', uid: 'uid-1', controller: true }]);
    expect(job.spec?.template.metadata?.labels).toMatchObject({ 'app.kubernetes.io/name': 'clusterbench-runner', 'clusterbench.dev/benchmark': 'demo', 'clusterbench.dev/trial': '2' });
  });

  it('runs clusterbench runner against the topology\'s in-cluster address with the totals to split', () => {
    expect(container?.command?.slice(0, 3)).toEqual(['node', 'build/src/cli.js', 'runner']);
    const args = container?.command?.join(' ');
    expect(args).toContain('--url http://rpc-gateway.clusterbench.svc:8080/');
    expect(args).toContain('--runners 3 --mode closed --connections 100');
    expect(args).toContain('--duration 5000ms --warmup 1000ms');
    expect(topologyUrl('ingress-nginx', 'clusterbench')).toBe('http://ingress-nginx-controller.ingress-nginx.svc:80/');
    expect(topologyUrl('single', 'x')).toBe('http://hello-single.x.svc:8080/');
  });

  it('gives the runners their token from the Secret and carries only its hash', () => {
    expect(container?.env).toEqual([{ name: 'CLUSTERBENCH_RUNNER_TOKEN', valueFrom: { secretKeyRef: { name: 'demo-rpc-gateway-t2-a1-q8x2z', key: 'token' } } }]);
    expect(job.metadata?.annotations).toEqual({ 'clusterbench.dev/runner-token-sha256': 'ab'.repeat(32) });
  });

  it('passes the restricted Pod Security Standard and is not BestEffort', () => {
    expect(pod).toMatchObject({ restartPolicy: 'Never', automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } });
    expect(container?.securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container?.resources?.requests?.cpu).toBe('250m');
    expect(container?.resources?.limits?.cpu).toBeUndefined();
    expect(container?.terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });
});
