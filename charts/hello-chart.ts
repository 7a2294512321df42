import type { Construct } from 'constructs';
import { HELLO_HTTP, HELLO_RPC, HelloServers } from '../src/constructs/hello-servers.js';
import { HelloNetworkPolicy } from '../src/constructs/hello-network-policy.js';
import { INGRESS_NGINX_CONTROLLER_LABELS } from '../src/constructs/ingress-nginx-controller.js';
import {
  HELLO_BALANCED,
  HELLO_HEADLESS,
  INGRESS_NGINX_NAMESPACE,
  LABEL_NAME,
  LOAD_RUNNER_LABELS,
  PARTS,
  TOPOLOGY_SERVICES,
} from '../src/api/objects.js';
import { serversNodeSelector } from '../src/config/config.js';
import { ClusterbenchChart, type ClusterbenchChartProps } from './clusterbench-chart.js';

/**
 * The servers under test: `hello-single` (one replica, the baseline), `hello` (three, behind
 * every balancer) with its headless Service, and the NetworkPolicy that admits only the
 * balancers, the gateway and the load runners.
 */
export class HelloChart extends ClusterbenchChart {
  /** The three-replica servers every balancer fronts. */
  public readonly balanced: HelloServers;

  constructor(scope: Construct, id: string, props: ClusterbenchChartProps) {
    super(scope, id, props, PARTS.hello);
    const { hello } = this.config;
    const common = {
      image: this.images.hello,
      resources: hello,
      work: hello.work,
      delay: hello.delay,
      payload: hello.payload,
      nodeSelector: serversNodeSelector(this.config),
    };
    new HelloServers(this, 'Single', { ...common, name: TOPOLOGY_SERVICES.single.name, replicas: 1 });
    this.balanced = new HelloServers(this, 'Balanced', {
      ...common,
      name: HELLO_BALANCED,
      replicas: hello.replicas,
      headlessServiceName: HELLO_HEADLESS,
    });
    new HelloNetworkPolicy(this, 'Policy', {
      helloLabels: { [LABEL_NAME]: 'hello' },
      clients: [
        { labels: { [LABEL_NAME]: 'nginx' }, port: HELLO_HTTP.number },
        { labels: INGRESS_NGINX_CONTROLLER_LABELS, namespace: INGRESS_NGINX_NAMESPACE, port: HELLO_HTTP.number },
        { labels: LOAD_RUNNER_LABELS, port: HELLO_HTTP.number },
        { labels: { [LABEL_NAME]: 'rpc-gateway' }, port: HELLO_RPC.number },
      ],
    });
  }
}
