import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveBenchmarkSpec } from '../../src/api/validate.js';
import { runnerJob } from '../../src/controller/runner-job.js';
import { runnerJobProps } from '../controller/fixtures.js';
import { find, podSpecOf, selects, synth } from './manifests.js';
import { restrictedViolations, roleViolations } from './pod-security.js';

const variants = [[], ['cluster=minikube'], ['cluster=generic'], ['hello.work=200us', 'hello.replicas=5']];

describe('policy: the restricted Pod Security Standard in the clusterbench namespace', () => {
  for (const sets of variants) {
    it(`admits every pod in clusterbench (${sets.join(' ') || 'defaults'})`, () => {
      const { objects } = synth(sets);
      const pods = objects.filter((o) => o.metadata.namespace === 'clusterbench' && podSpecOf(o));
      expect(pods.map((o) => o.metadata.name).sort()).toEqual(['clusterbench-controller', 'hello', 'hello-single', 'nginx', 'rpc-gateway']);
      for (const o of pods) expect(restrictedViolations(podSpecOf(o)), `${o.kind}/${o.metadata.name}`).toEqual([]);
    });
  }

  it('admits the load runner pods the controller creates, and the hello NetworkPolicy lets them in', () => {
    const resolved = resolveBenchmarkSpec({ topologies: ['single', 'nginx'], scenario: 'quick' });
    if (!('plan' in resolved)) throw new Error(JSON.stringify(resolved.problem));
    const job = runnerJob(runnerJobProps(resolved.plan));
    expect(restrictedViolations(job.spec!.template.spec)).toEqual([]);
    const policy = find(synth().objects, 'NetworkPolicy', 'hello');
    const labels = job.spec!.template.metadata!.labels!;
    const admitted = policy.spec.ingress.filter((rule: any) =>
      rule.from.some((peer: any) => !peer.namespaceSelector && selects(peer.podSelector.matchLabels, labels)),
    );
    expect(admitted.flatMap((rule: any) => rule.ports.map((p: any) => p.port))).toEqual([8080]);
  });

  it('enforces restricted on the namespace, so the API server rejects what this suite would', () => {
    const ns = find(synth().objects, 'Namespace', 'clusterbench');
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });

  it('the checker rejects each kind of violation (so the suite can fail)', () => {
    const pod = podSpecOf(find(synth().objects, 'Deployment', 'hello'));
    const mutate = (f: (spec: any) => void) => {
      const copy = structuredClone(pod);
      f(copy);
      return restrictedViolations(copy);
    };
    expect(restrictedViolations(pod)).toEqual([]);
    expect(mutate((s) => (s.containers[0].securityContext.allowPrivilegeEscalation = true))).toHaveLength(1);
    expect(mutate((s) => delete s.containers[0].securityContext.capabilities)).toHaveLength(1);
    expect(mutate((s) => (s.containers[0].securityContext.capabilities.add = ['SYS_ADMIN']))).toHaveLength(1);
    expect(mutate((s) => (s.containers[0].securityContext.runAsUser = 0))).toHaveLength(1);
    expect(
      mutate((s) => {
        delete s.containers[0].securityContext.runAsNonRoot;
        delete s.securityContext.runAsNonRoot;
      }),
    ).toHaveLength(1);
    expect(
      mutate((s) => {
        delete s.containers[0].securityContext.seccompProfile;
        delete s.securityContext.seccompProfile;
      }),
    ).toHaveLength(1);
    expect(mutate((s) => (s.containers[0].securityContext.privileged = true))).toHaveLength(1);
    expect(mutate((s) => (s.hostNetwork = true))).toHaveLength(1);
    expect(mutate((s) => (s.containers[0].ports[0].hostPort = 80))).toHaveLength(1);
    expect(mutate((s) => (s.volumes = [{ name: 'h', hostPath: { path: '/' } }]))).toHaveLength(1);
  });

  it('ingress-nginx (its own namespace) would need baseline on kind only for its host ports', () => {
    const controller = find(synth().objects, 'Deployment', 'ingress-nginx-controller');
    expect(restrictedViolations(podSpecOf(controller))).toEqual([
      'container controller: hostPort 80',
      'container controller: hostPort 443',
    ]);
    const generic = find(synth(['cluster=generic']).objects, 'Deployment', 'ingress-nginx-controller');
    expect(restrictedViolations(podSpecOf(generic))).toEqual([]);
  });
});

describe('policy: least-privilege RBAC', () => {
  it('no Role in clusterbench has a wildcard or reads secrets (creating one is allowed)', () => {
    const roles = synth().objects.filter((o) => o.kind === 'Role' && o.metadata.namespace === 'clusterbench');
    expect(roles.map((r) => r.metadata.name)).toEqual(['clusterbench-controller']);
    for (const r of roles) expect(roleViolations(r.rules), r.metadata.name).toEqual([]);
  });

  it('nothing in clusterbench is bound to a ClusterRole but the node reader: get of nodes, nothing else', () => {
    const { objects } = synth();
    const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
    const clusterWide = bindings.filter(
      (b) => b.subjects.some((s: { namespace?: string }) => s.namespace === 'clusterbench') && b.roleRef.kind !== 'Role',
    );
    expect(clusterWide.map((b) => b.roleRef)).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'clusterbench-controller-nodes-clusterbench' },
    ]);
    expect(find(objects, 'ClusterRole', 'clusterbench-controller-nodes-clusterbench').rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
    ]);
  });

  it('no RBAC object anywhere in dist/ has a wildcard', () => {
    const rbac = synth().objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
    for (const r of rbac)
      expect(
        roleViolations(r.rules).filter((p) => p.startsWith('wildcard')),
        r.metadata.name,
      ).toEqual([]);
  });

  it("grants on Deployments exactly the scale subresource's verbs the sweep calls (hello-scaler.ts), nothing on Deployments themselves", () => {
    const role = find(synth().objects, 'Role', 'clusterbench-controller');
    const apps = (role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).filter((r) =>
      r.apiGroups.includes('apps'),
    );
    const granted = apps.flatMap((r) => r.resources.flatMap((res) => r.verbs.map((v) => `${res}:${v}`))).sort();
    // Every AppsV1Api call in the controller's sources, as the verb it needs.
    const verbOf: Record<string, string> = {
      read: 'get',
      patch: 'patch',
      replace: 'update',
      list: 'list',
      create: 'create',
      delete: 'delete',
    };
    const called = readdirSync('src/controller')
      .flatMap((f) => [
        ...readFileSync(join('src/controller', f), 'utf8').matchAll(
          /this\.apps\.(read|patch|replace|list|create|delete)Namespaced(\w+)\(/g,
        ),
      ])
      .map(([, verb, kind]) => `${kind === 'DeploymentScale' ? 'deployments/scale' : `${kind.toLowerCase()}s`}:${verbOf[verb]}`);
    expect([...new Set(called)].sort()).toEqual(['deployments/scale:get', 'deployments/scale:patch']);
    expect(granted).toEqual([...new Set(called)].sort());
  });

  it('the checker rejects wildcards and secrets (so the suite can fail)', () => {
    expect(roleViolations([{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }])).toHaveLength(1);
    expect(roleViolations([{ apiGroups: ['*'], resources: ['pods'], verbs: ['get'] }])).toHaveLength(1);
    expect(roleViolations([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }])).toHaveLength(1);
    expect(roleViolations([{ apiGroups: [''], resources: ['secrets'], verbs: ['create', 'list'] }])).toHaveLength(1);
    expect(roleViolations([{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }])).toEqual([]);
    expect(roleViolations([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }])).toEqual([]);
  });
});
