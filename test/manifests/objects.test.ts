// The cluster contract (src/api/objects.ts) against what the charts synthesize: every address the
// controller and its runners dial is a Service of the charts, on a port its pods listen on.
import { describe, expect, it } from 'vitest';
import {
  CONTROLLER,
  HELLO_HTTP_PORT,
  HELLO_POD_SELECTOR,
  HELLO_RPC_PORT,
  NAMESPACE,
  TOPOLOGY_SERVICES,
  controllerUrl,
  helloHeadlessDns,
  topologyUrl,
} from '../../src/api/objects.js';
import { RUNNERS_PATH } from '../../src/controller/protocol.js';
import { TOPOLOGIES } from '../../src/topologies.js';
import { podSpecOf, selects, synth, type K8sObject } from './manifests.js';

const { objects } = synth();

/** Why `address` (a URL, or `host:port`) reaches no pod of the synthesized objects; undefined when it does. */
function unresolved(address: string, all: readonly K8sObject[]): string | undefined {
  const { hostname, port } = new URL(address.includes('://') ? address : `tcp://${address}`);
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/.exec(hostname);
  if (!m) return `${hostname} is not <service>.<namespace>.svc`;
  const [, name, namespace] = m;
  const service = all.find((o) => o.kind === 'Service' && o.metadata.name === name && o.metadata.namespace === namespace);
  if (!service) return `no Service ${namespace}/${name}`;
  const wanted = Number(port || (address.startsWith('http:') ? 80 : NaN));
  const servicePort = (service.spec.ports as { port: number; targetPort?: number }[]).find((p) => p.port === wanted);
  if (!servicePort) return `Service ${namespace}/${name} has no port ${wanted}`;
  const pods = all.filter(
    (o) => o.metadata.namespace === namespace && podSpecOf(o) && selects(service.spec.selector, o.spec.template.metadata.labels ?? {}),
  );
  const target = servicePort.targetPort ?? servicePort.port;
  const listening = pods.some((o) =>
    (podSpecOf(o).containers as { ports?: { containerPort: number }[] }[]).some((c) => c.ports?.some((p) => p.containerPort === target)),
  );
  return listening ? undefined : `no pod behind Service ${namespace}/${name} listens on ${target}`;
}

describe('the cluster contract (src/api/objects.ts)', () => {
  it.each(TOPOLOGIES)('the runners of topology %s reach a Service of the charts', (topology) => {
    expect(unresolved(topologyUrl(topology, NAMESPACE), objects)).toBeUndefined();
  });

  it("the runners reach the controller's Service", () => {
    expect(unresolved(controllerUrl(NAMESPACE, CONTROLLER.port, RUNNERS_PATH), objects)).toBeUndefined();
  });

  it('the Services the controller looks up to see what is deployed are synthesized', () => {
    for (const service of Object.values(TOPOLOGY_SERVICES)) {
      expect(
        objects.some(
          (o) => o.kind === 'Service' && o.metadata.name === service.name && o.metadata.namespace === (service.namespace ?? NAMESPACE),
        ),
      ).toBe(true);
    }
  });

  it("nginx's and the gateway's headless hello address resolves", () => {
    expect(unresolved(helloHeadlessDns(NAMESPACE, HELLO_HTTP_PORT), objects)).toBeUndefined();
    expect(unresolved(helloHeadlessDns(NAMESPACE, HELLO_RPC_PORT), objects)).toBeUndefined();
  });

  it('the failover selector picks the balanced hello pods and nothing else', () => {
    const [key, value] = HELLO_POD_SELECTOR.split('=');
    const picked = objects.filter((o) => podSpecOf(o) && o.spec.template.metadata.labels?.[key] === value);
    expect(picked.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Deployment/hello']);
  });

  it('the check fails for a renamed Service, another namespace, a wrong port or an unserved target port', () => {
    expect(unresolved('http://hello-singel.clusterbench.svc:8080/', objects)).toBe('no Service clusterbench/hello-singel');
    expect(unresolved(topologyUrl('single', 'other'), objects)).toBe('no Service other/hello-single');
    expect(unresolved('http://nginx.clusterbench.svc:9090/', objects)).toBe('Service clusterbench/nginx has no port 9090');
    const renamedPort = objects.map((o) =>
      o.kind === 'Deployment' && o.metadata.name === 'nginx'
        ? {
            ...o,
            spec: {
              ...o.spec,
              template: {
                ...o.spec.template,
                spec: {
                  ...o.spec.template.spec,
                  containers: [{ ...o.spec.template.spec.containers[0], ports: [{ containerPort: 8081 }] }],
                },
              },
            },
          }
        : o,
    );
    expect(unresolved(topologyUrl('nginx', NAMESPACE), renamedPort)).toBe('no pod behind Service clusterbench/nginx listens on 8080');
  });
});
