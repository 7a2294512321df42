// charts/clusterbench-app.ts: which charts the app holds, in apply order, and what the objects together add up to.
import { describe, expect, it } from 'vitest';
import { containersOf, find, podSpecOf, selects, synth } from './manifests.js';

describe('charts: objects and names', () => {
  const { charts, objects } = synth();

  it('one chart per deployable unit, the namespace and the CRD first, the Ingress last', () => {
    expect([...charts.keys()]).toEqual(['namespace', 'crd', 'hello', 'nginx', 'rpc-gateway', 'controller', 'ingress-nginx', 'ingress']);
  });

  it('fixed names: Deployments, Services (plus headless) and the Ingress of DESIGN.md', () => {
    const replicas = Object.fromEntries(
      objects
        .filter((o) => o.kind === 'Deployment' && o.metadata.namespace === 'clusterbench')
        .map((o) => [o.metadata.name, o.spec.replicas]),
    );
    expect(replicas).toEqual({ 'hello-single': 1, hello: 3, 'rpc-gateway': 1, nginx: 1, 'clusterbench-controller': 1 });
    const services = objects
      .filter((o) => o.kind === 'Service' && o.metadata.namespace === 'clusterbench')
      .map((o) => o.metadata.name)
      .sort();
    expect(services).toEqual(['clusterbench-controller', 'hello', 'hello-headless', 'hello-single', 'nginx', 'rpc-gateway']);
    expect(find(objects, 'Service', 'hello-headless').spec.clusterIP).toBe('None');
    for (const o of objects) expect(o.metadata.name, `${o.kind} name`).not.toMatch(/-c[0-9a-f]{7}$/);
  });

  it('each Service selects exactly the pods of its Deployment', () => {
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const matched = deployments.filter(
        (d) => d.metadata.namespace === svc.metadata.namespace && selects(svc.spec.selector, d.spec.template.metadata.labels),
      );
      const expected = svc.metadata.name === 'hello-headless' ? 'hello' : svc.metadata.name;
      expect(
        matched.map((d) => d.metadata.name),
        `Service ${svc.metadata.name}`,
      ).toEqual([expected]);
    }
  });
});

describe('charts: written as the API server stores them (a second kubectl apply reports unchanged)', () => {
  // Checked against a real kube-apiserver: these were the fields that made every re-apply patch.
  const emptyOrZero: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      if (value.length === 0) emptyOrZero.push(path);
      value.forEach((v, i) => walk(v, `${path}[${i}]`));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
    } else if (value === '' && !path.endsWith('.apiGroups[0]')) {
      emptyOrZero.push(path);
    }
  };
  for (const sets of [[], ['hello.cpu=2', 'hello.memory=1Gi', 'hello.memoryRequest=1024Mi']]) {
    const { objects } = synth(sets);

    it(`no empty lists or strings, no zero values the server omits (${sets.join(' ') || 'defaults'})`, () => {
      for (const o of objects) walk(o, `${o.kind}/${o.metadata.name}`);
      expect(emptyOrZero).toEqual([]);
      for (const o of objects.filter((x) => x.kind === 'Deployment')) {
        expect(o.spec.minReadySeconds, o.metadata.name).toBeUndefined();
        expect(o.spec.template.spec.hostNetwork, o.metadata.name).toBeUndefined();
      }
    });

    it(`quantities in canonical form (${sets.join(' ') || 'defaults'})`, () => {
      for (const o of objects.filter((x) => podSpecOf(x))) {
        for (const c of containersOf(o)) {
          for (const q of [c.resources.requests.cpu, c.resources.limits.cpu]) expect(q, c.name).toMatch(/^([1-9]\d*|\d*[1-9]\d{0,2}m)$/);
          for (const q of [c.resources.requests.memory, c.resources.limits.memory]) expect(q, c.name).toMatch(/^(\d+Gi|\d*[1-9]\d*Mi)$/);
          if (/Mi$/.test(c.resources.limits.memory)) expect(parseInt(c.resources.limits.memory, 10) % 1024, c.name).not.toBe(0);
          if (/m$/.test(c.resources.limits.cpu)) expect(parseInt(c.resources.limits.cpu, 10) % 1000, c.name).not.toBe(0);
        }
      }
    });
  }
});

describe('charts: ingress-nginx', () => {
  it('left out with ingressNginx.enabled=false, and so is the Ingress (it would make the topology look deployed)', () => {
    for (const sets of [
      ['cluster=minikube', 'ingressNginx.enabled=false'],
      ['cluster=generic', 'ingressNginx.enabled=false'],
    ]) {
      const { charts, objects } = synth(sets);
      expect(charts.has('ingress-nginx'), sets.join(' ')).toBe(false);
      expect(charts.has('ingress'), sets.join(' ')).toBe(false);
      expect(objects.some((o) => o.metadata.namespace === 'ingress-nginx')).toBe(false);
      expect(objects.some((o) => o.kind === 'Ingress')).toBe(false);
    }
    expect(find(synth(['cluster=minikube']).objects, 'Ingress', 'hello').spec.ingressClassName).toBe('nginx');
  });
});
