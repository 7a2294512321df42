import type { Construct } from 'constructs';
import { PARTS } from '../src/api/objects.js';
import { INGRESS_NGINX_VERSION, serversNodeSelector } from '../src/config/config.js';
import { parseCpuMillis } from '../src/config/quantities.js';
import { INGRESS_NGINX_CONTROLLER_LABELS, IngressNginxController } from '../src/constructs/ingress-nginx-controller.js';
import { IngressNginxTuning } from '../src/constructs/ingress-nginx-tuning.js';
import { ClusterbenchChart, type ClusterbenchChartProps } from './clusterbench-chart.js';

/**
 * ingress-nginx, in its own file so a deploy can leave it out (`--set ingressNginx.enabled=false`).
 * kind and generic: the controller itself. minikube: its `ingress` addon is the controller, so
 * only the tuning ConfigMap, which replaces the addon's.
 */
export class IngressNginxChart extends ClusterbenchChart {
  constructor(scope: Construct, id: string, props: ClusterbenchChartProps) {
    // Holds cluster-scoped objects too: each namespaced one names ingress-nginx itself.
    super(scope, id, { ...props, namespace: false }, { ...PARTS.ingressNginx, version: INGRESS_NGINX_VERSION.replace(/^v/, '') });
    const { ingressNginx, cluster } = this.config;
    if (cluster === 'minikube') {
      new IngressNginxTuning(this, 'Tuning', {
        upstreamKeepalive: ingressNginx.upstreamKeepalive,
        workerProcesses: Math.ceil(parseCpuMillis('ingressNginx.cpu', ingressNginx.cpu) / 1000),
        labels: INGRESS_NGINX_CONTROLLER_LABELS,
      });
      return;
    }
    const kind = cluster === 'kind';
    new IngressNginxController(this, 'Controller', {
      image: ingressNginx.image,
      resources: ingressNginx,
      upstreamKeepalive: ingressNginx.upstreamKeepalive,
      serviceType: ingressNginx.serviceType,
      // kind: traffic reaches the node through its port mappings (deploy/kind-config.yaml), on
      // the node labelled ingress-ready.
      hostPorts: kind,
      // servers.nodeSelector too: it is one of the balancers compared.
      nodeSelector: { ...(kind ? { 'ingress-ready': 'true' } : {}), ...serversNodeSelector(this.config) },
    });
  }
}
