// charts/ingress-nginx-chart.ts: ingress-nginx as each cluster kind gets it (kind, generic, minikube).
import { describe, expect, it } from 'vitest';
import { containersOf, find, podSpecOf, synth } from './manifests.js';

describe('charts: ingress-nginx', () => {
  it('pinned to v1.15.1 by digest, with RBAC, IngressClass, Service and keep-alive tuning', () => {
    const { charts } = synth();
    const list = charts.get('ingress-nginx')!;
    expect(list.map((o) => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ClusterRole',
      'ClusterRoleBinding',
      'IngressClass',
      'ConfigMap',
      'Deployment',
      'Service',
    ]);
    const c = containersOf(find(list, 'Deployment', 'ingress-nginx-controller'))[0];
    expect(c.image).toBe(
      'registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1',
    );
    expect(c.args).toContain('--ingress-class=nginx');
    expect(c.args.some((a: string) => a.startsWith('--validating-webhook'))).toBe(false);
    expect(find(list, 'IngressClass', 'nginx').spec.controller).toBe('k8s.io/ingress-nginx');
    expect(find(list, 'ConfigMap', 'ingress-nginx-controller').data).toMatchObject({
      'upstream-keepalive-connections': '320',
      'keep-alive-requests': '1000000',
      'worker-processes': '1',
    });
  });

  it('kind: host ports 80/443 on the node labelled ingress-ready; generic: neither', () => {
    const kind = find(synth(['cluster=kind']).objects, 'Deployment', 'ingress-nginx-controller');
    expect(containersOf(kind)[0].ports.map((p: any) => p.hostPort)).toEqual([80, 443]);
    expect(podSpecOf(kind).nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', 'ingress-ready': 'true' });
    const generic = find(synth(['cluster=generic']).objects, 'Deployment', 'ingress-nginx-controller');
    expect(containersOf(generic)[0].ports.map((p: any) => p.hostPort)).toEqual([undefined, undefined]);
    expect(podSpecOf(generic).nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
  });

  it("minikube: the addon is the controller, so only the same tuning ConfigMap, replacing the addon's", () => {
    const { charts } = synth(['cluster=minikube', 'ingressNginx.upstreamKeepalive=100']);
    const list = charts.get('ingress-nginx')!;
    expect(list.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ConfigMap/ingress-nginx/ingress-nginx-controller',
    ]);
    const kind = find(synth(['ingressNginx.upstreamKeepalive=100']).objects, 'ConfigMap', 'ingress-nginx-controller');
    expect(list[0].data).toEqual(kind.data);
    expect(list[0].data['upstream-keepalive-connections']).toBe('100');
  });
});
