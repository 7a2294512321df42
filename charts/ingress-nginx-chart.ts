import type { Construct } from 'constructs';
import { IngressNginxController } from '../src/constructs/ingress-nginx-controller.js';
import { ClusterbenchChart, type ClusterbenchChartProps } from './clusterbench-chart.js';

/**
 * The ingress-nginx controller, in its own file so a deploy can leave it out
 * (`--set ingressNginx.enabled=false`; minikube uses its addon instead).
 */
export class IngressNginxChart extends ClusterbenchChart {
  constructor(scope: Construct, id: string, props: ClusterbenchChartProps) {
    // Holds cluster-scoped objects too: each namespaced one names ingress-nginx itself.
    super(scope, id, { ...props, namespace: false });
    const { ingressNginx, cluster } = this.config;
    const kind = cluster === 'kind';
    new IngressNginxController(this, 'Controller', {
      image: ingressNginx.image,
      resources: ingressNginx,
      upstreamKeepalive: ingressNginx.upstreamKeepalive,
      serviceType: ingressNginx.serviceType,
      // kind: traffic reaches the node through its port mappings (deploy/kind-config.yaml), on
      // the node labelled ingress-ready.
      hostPorts: kind,
      nodeSelector: kind ? { 'ingress-ready': 'true' } : undefined,
    });
  }
}
