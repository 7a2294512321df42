import { describe, expect, it } from 'vitest';
import * as apiextensionsV1 from 'kubernetes-models/apiextensions.k8s.io/v1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as rbacV1 from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { find, synth, type K8sObject } from './manifests.js';

type ModelClass = new (data: unknown) => { validate(): void };
const MODELS: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  'networking.k8s.io/v1': networkingV1,
  'rbac.authorization.k8s.io/v1': rbacV1,
  'apiextensions.k8s.io/v1': apiextensionsV1,
};

// Every object is checked offline against the Kubernetes OpenAPI schemas that kubernetes-models
// generates (one class per apiVersion and kind, with `validate()`).
// async so that expect(...).rejects reports what validate() threw.
// eslint-disable-next-line @typescript-eslint/require-await
async function validate(o: K8sObject): Promise<void> {
  const Model = MODELS[o.apiVersion]?.[o.kind] as ModelClass | undefined;
  if (!Model) throw new Error(`kubernetes-models has no ${o.apiVersion} ${o.kind}`);
  new Model(o).validate();
}

describe('every synthesized object validates against the Kubernetes OpenAPI schemas', () => {
  for (const sets of [
    [],
    ['cluster=minikube'],
    ['cluster=generic', 'ingressNginx.serviceType=LoadBalancer'],
    ['hello.work=1ms', 'hello.payload=4096'],
  ]) {
    it(`${sets.join(' ') || 'defaults'}`, async () => {
      const { objects } = synth(sets);
      expect(objects.length).toBeGreaterThan(15);
      for (const o of objects) {
        await expect(validate(o), `${o.kind}/${o.metadata.name}`).resolves.toBeUndefined();
      }
    });
  }

  it('the validator rejects an invalid object (so the suite can fail)', async () => {
    const deployment = structuredClone(find(synth().objects, 'Deployment', 'hello'));
    deployment.spec.replicas = 'three';
    await expect(validate(deployment)).rejects.toThrow(/replicas/);
    const service = structuredClone(find(synth().objects, 'Service', 'hello'));
    service.spec.ports[0].port = 'http';
    await expect(validate(service)).rejects.toThrow();
  });
});
