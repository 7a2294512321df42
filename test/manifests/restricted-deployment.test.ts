// src/constructs/restricted-deployment.ts: how every pod of the charts runs (images, resources, probes, security, writable folders, tokens).
import { describe, expect, it } from 'vitest';
import { containersOf, cpuMillis, find, memoryMiB, podSpecOf, synth, workloads } from './manifests.js';

describe('charts: every pod is set deliberately', () => {
  const { objects } = synth();

  it('images: pinned, never latest, IfNotPresent; ours carry the build tag', () => {
    for (const o of workloads(objects)) {
      for (const c of containersOf(o)) {
        expect(c.imagePullPolicy, c.name).toBe('IfNotPresent');
        expect(c.image, c.name).not.toMatch(/:latest$/);
        expect(c.image, c.name).toMatch(/:[\w.-]+$|@sha256:[0-9a-f]{64}$/);
      }
    }
    expect(containersOf(find(objects, 'Deployment', 'hello'))[0].image).toBe('clusterbench/hello:test1');
    expect(containersOf(find(objects, 'Deployment', 'rpc-gateway'))[0].image).toBe('clusterbench/rpc-gateway:test1');
    expect(containersOf(find(objects, 'Deployment', 'clusterbench-controller'))[0].image).toBe('clusterbench/bench:test1');
  });

  it('requests and limits on every container; requests fit one 2-CPU kind node beside kube-system', () => {
    let cpuRequested = 0;
    let memoryRequested = 0;
    for (const o of workloads(objects)) {
      for (const c of containersOf(o)) {
        const { requests, limits } = c.resources;
        for (const q of [requests.cpu, limits.cpu]) expect(cpuMillis(q), `${c.name} cpu`).toBeGreaterThan(0);
        for (const q of [requests.memory, limits.memory]) expect(memoryMiB(q), `${c.name} memory`).toBeGreaterThan(0);
        expect(cpuMillis(requests.cpu)).toBeLessThanOrEqual(cpuMillis(limits.cpu));
        expect(memoryMiB(requests.memory)).toBeLessThanOrEqual(memoryMiB(limits.memory));
        expect(cpuMillis(limits.cpu), `${c.name}: at most the node`).toBeLessThanOrEqual(2000);
        cpuRequested += cpuMillis(requests.cpu) * o.spec.replicas;
        memoryRequested += memoryMiB(requests.memory) * o.spec.replicas;
      }
    }
    // kind's kube-system requests about 950m of a 2-CPU node; leave room for two load runners.
    expect(cpuRequested).toBeLessThanOrEqual(850);
    expect(memoryRequested).toBeLessThanOrEqual(1024);
  });

  it('probes: readiness and liveness on every container, HTTP on a declared port', () => {
    for (const o of workloads(objects)) {
      for (const c of containersOf(o)) {
        const ports = c.ports.map((p: any) => p.containerPort).concat(10254);
        for (const probe of [c.readinessProbe, c.livenessProbe]) {
          expect(probe?.httpGet?.path, `${c.name}`).toMatch(/^\//);
          expect(ports).toContain(probe.httpGet.port);
        }
      }
    }
  });

  it('non-root numeric UID, read-only root, capabilities dropped, seccomp RuntimeDefault, no escalation', () => {
    for (const o of workloads(objects)) {
      const spec = podSpecOf(o);
      expect(spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      for (const c of containersOf(o)) {
        const sc = c.securityContext;
        expect(sc.runAsNonRoot, c.name).toBe(true);
        expect(Number.isInteger(sc.runAsUser) && sc.runAsUser > 0, c.name).toBe(true);
        expect(sc.allowPrivilegeEscalation).toBe(false);
        expect(sc.privileged).toBe(false);
        expect(sc.capabilities.drop).toEqual(['ALL']);
        expect(sc.seccompProfile).toEqual({ type: 'RuntimeDefault' });
        // The one exception, upstream's: ingress-nginx rewrites its nginx.conf at run time.
        expect(sc.readOnlyRootFilesystem, c.name).toBe(o.metadata.name !== 'ingress-nginx-controller');
      }
    }
  });

  it('emptyDir where a program writes: nginx its run dir, the controller /tmp', () => {
    const mountsOf = (name: string) => {
      const spec = podSpecOf(find(objects, 'Deployment', name));
      return Object.fromEntries(
        spec.containers[0].volumeMounts.map((m: any) => [
          m.mountPath,
          Object.keys(spec.volumes.find((v: any) => v.name === m.name)).find((k) => k !== 'name'),
        ]),
      );
    };
    expect(mountsOf('nginx')).toEqual({ '/tmp/nginx': 'emptyDir', '/etc/clusterbench': 'configMap' });
    expect(mountsOf('clusterbench-controller')).toEqual({ '/tmp': 'emptyDir' });
    expect(podSpecOf(find(objects, 'Deployment', 'hello')).volumes ?? []).toEqual([]);
  });

  it('service account tokens: only the clusterbench controller (and the ingress controller) mount one', () => {
    const withToken = workloads(objects)
      .filter((o) => podSpecOf(o).automountServiceAccountToken !== false)
      .map((o) => o.metadata.name);
    expect(withToken.sort()).toEqual(['clusterbench-controller', 'ingress-nginx-controller']);
    expect(podSpecOf(find(objects, 'Deployment', 'clusterbench-controller')).serviceAccountName).toBe('clusterbench-controller');
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === 'clusterbench');
    for (const sa of accounts) expect(sa.automountServiceAccountToken, sa.metadata.name).toBe(false);
  });
});
