// src/constructs/nginx-balancer.ts: the nginx balancer, its config and (for nginx before 1.27.3) its re-resolver container.
import { describe, expect, it } from 'vitest';
import { renderNginxConfig } from '../../src/nginx/nginx-config.js';
import { containersOf, find, podSpecOf, synth, type K8sObject } from './manifests.js';
import { restrictedViolations } from './pod-security.js';

describe('charts: topologies', () => {
  it('nginx: its config is the shared template, upstream of every hello pod, re-resolved', () => {
    const { objects } = synth(['nginx.upstreamKeepalive=64', 'nginx.cpu=2']);
    const conf = find(objects, 'ConfigMap', 'nginx-config').data['nginx.conf'];
    expect(conf).toBe(
      renderNginxConfig({
        listen: '8080',
        upstreams: ['hello-headless.clusterbench.svc.cluster.local:8080'],
        runDir: '/tmp/nginx',
        workerProcesses: 2,
        upstreamKeepalive: 64,
        extraHttpLines: ['resolver kube-dns.kube-system.svc.cluster.local valid=5s ipv6=off;'],
        resolveUpstreams: true,
      }),
    );
    expect(conf).toContain('server hello-headless.clusterbench.svc.cluster.local:8080 max_fails=1 fail_timeout=2s resolve;');
    expect(conf).toContain('zone hello 64k;');
    const deployment = find(objects, 'Deployment', 'nginx');
    expect(containersOf(deployment)[0].command).toEqual(['nginx', '-e', 'stderr', '-c', '/etc/clusterbench/nginx.conf']);
    // A changed config rolls the pods.
    const checksum = (o: K8sObject) => o.spec.template.metadata.annotations['clusterbench.dev/config-sha256'];
    expect(checksum(deployment)).not.toBe(checksum(find(synth().objects, 'Deployment', 'nginx')));
  });

  it('nginx before 1.27.3 (nginx.resolveUpstreams=false): the headless name, resolved when nginx loads its config', () => {
    const conf = find(synth(['nginx.resolveUpstreams=false']).objects, 'ConfigMap', 'nginx-config').data['nginx.conf'];
    expect(conf).toContain('server hello-headless.clusterbench.svc.cluster.local:8080 max_fails=1 fail_timeout=2s;');
    expect(conf).not.toMatch(/zone hello|resolve;/);
  });
});

describe('the reresolver container (nginx.resolveUpstreams=false, for nginx before 1.27.3)', () => {
  const podOf = (sets: string[]) => podSpecOf(find(synth(sets).objects, 'Deployment', 'nginx'));

  it("looks up the name nginx's upstream holds, reads its pid file, may signal it, and is restricted", () => {
    const { objects } = synth(['nginx.resolveUpstreams=false']);
    const conf: string = find(objects, 'ConfigMap', 'nginx-config').data['nginx.conf'];
    const spec = podSpecOf(find(objects, 'Deployment', 'nginx'));
    const [nginx, reresolver] = spec.containers;
    const arg = (flag: string) => reresolver.command[reresolver.command.indexOf(flag) + 1];
    expect(reresolver.name).toBe('reresolver');
    expect(reresolver.image).toMatch(/^clusterbench\/bench:/);
    expect(reresolver.command.slice(0, 2)).toEqual(['node', 'build/src/nginx/reresolve.js']);
    expect(conf).toContain(`server ${arg('--host')}:8080 `);
    expect(conf).toContain(`pid ${arg('--pid-file')};`);
    // The pid file's folder is one volume in both; one process namespace; nginx's user.
    const mountOf = (c: any) => c.volumeMounts.find((m: any) => arg('--pid-file').startsWith(`${m.mountPath}/`));
    expect(mountOf(reresolver).name).toBe(mountOf(nginx).name);
    expect(spec.shareProcessNamespace).toBe(true);
    expect(reresolver.securityContext.runAsUser).toBe(nginx.securityContext.runAsUser);
    expect(restrictedViolations(spec)).toEqual([]);
    expect(reresolver.resources.limits).toEqual({ cpu: '100m', memory: '96Mi' });
  });

  it('is absent when nginx re-resolves itself (the default, nginx 1.27.3 or newer)', () => {
    const spec = podOf([]);
    expect(spec.containers.map((c: any) => c.name)).toEqual(['nginx']);
    expect(spec.shareProcessNamespace).toBeUndefined();
  });
});
