import { App, type Chart } from 'cdk8s';
import type { ClusterbenchConfig } from '../src/config/config.js';
import { ControllerChart } from './controller-chart.js';
import { CrdChart } from './crd-chart.js';
import { HelloChart } from './hello-chart.js';
import { imageRefs } from './image-refs.js';
import { IngressChart } from './ingress-chart.js';
import { IngressNginxChart } from './ingress-nginx-chart.js';
import { NamespaceChart } from './namespace-chart.js';
import { NginxChart } from './nginx-chart.js';
import { RpcGatewayChart } from './rpc-gateway-chart.js';

/**
 * Every chart of clusterbench, one per deployable unit. Dependencies order the files
 * (`0000-namespace.k8s.yaml`, `0001-crd.k8s.yaml`, ...), so `kubectl apply -f dist/` creates the
 * namespace and the Benchmark API first (as kubebuilder's and k6-operator's bundles do), then
 * what lives in them, the Ingress last.
 */
export function createApp(config: ClusterbenchConfig, outdir: string): App {
  const app = new App({ outdir });
  const props = { config, images: imageRefs(config) };
  const namespace = new NamespaceChart(app, 'namespace', props);
  const crd = new CrdChart(app, 'crd', props);
  const ingressNginx = config.ingressNginx.enabled ? new IngressNginxChart(app, 'ingress-nginx', props) : undefined;
  const hello = new HelloChart(app, 'hello', props);
  const workloads: Chart[] = [hello, new NginxChart(app, 'nginx', props), new RpcGatewayChart(app, 'rpc-gateway', props)];
  const controller = new ControllerChart(app, 'controller', props);
  crd.addDependency(namespace);
  for (const chart of [...(ingressNginx ? [ingressNginx] : []), ...workloads, controller]) chart.addDependency(namespace, crd);
  for (const balancer of workloads.slice(1)) balancer.addDependency(hello);
  // Without ingress-nginx an Ingress would only make the topology look deployed.
  if (ingressNginx) {
    const ingress = new IngressChart(app, 'ingress', { ...props, helloService: hello.balanced.service });
    ingress.addDependency(namespace, ingressNginx, hello);
  }
  return app;
}
