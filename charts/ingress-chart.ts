import type * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { PARTS } from '../src/api/objects.js';
import { HelloIngress } from '../src/constructs/hello-ingress.js';
import { HELLO_HTTP } from '../src/constructs/hello-servers.js';
import { INGRESS_CLASS_NAME } from '../src/constructs/ingress-nginx-controller.js';
import { ClusterbenchChart, type ClusterbenchChartProps } from './clusterbench-chart.js';

export interface IngressChartProps extends ClusterbenchChartProps {
  /** The three-replica hello Service. */
  readonly helloService: kplus.Service;
}

/**
 * The `ingress-nginx` topology's Ingress over the three-replica hello Service. A file of its own,
 * applied last: where an admission webhook guards Ingresses (minikube's addon), it is retried
 * until the webhook serves.
 */
export class IngressChart extends ClusterbenchChart {
  constructor(scope: Construct, id: string, props: IngressChartProps) {
    super(scope, id, props, PARTS.ingress);
    new HelloIngress(this, 'Hello', { service: props.helloService, port: HELLO_HTTP.number, className: INGRESS_CLASS_NAME });
  }
}
