import type * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { GatewayBalancer, ResourceConfig } from '../config/config.js';
import { TOPOLOGY_SERVICES } from '../api/objects.js';
import type { NodeSelector } from '../api/placement.js';
import { RestrictedDeployment, type NamedPort } from './restricted-deployment.js';

export const GATEWAY_HTTP: NamedPort = { name: 'http', number: TOPOLOGY_SERVICES['rpc-gateway'].port };

export interface RpcGatewayProps {
  /** Node labels the pods need (config `servers.nodeSelector`). @default any node */
  readonly nodeSelector?: NodeSelector;
  readonly image: string;
  readonly resources: ResourceConfig;
  /** `host:port` of the hello servers' headless Service, re-resolved by the gateway. */
  readonly backendsDns: string;
  /** @default 'p2c': least outstanding calls over two random choices */
  readonly balancer?: GatewayBalancer;
  /** @default 'rpc-gateway' */
  readonly name?: string;
}

/** The Go gateway (images/rpc-gateway): HTTP in, `net/rpc` out to every hello pod. */
export class RpcGateway extends Construct {
  public readonly workload: RestrictedDeployment;
  public readonly service: kplus.Service;

  constructor(scope: Construct, id: string, props: RpcGatewayProps) {
    super(scope, id);
    const name = props.name ?? TOPOLOGY_SERVICES['rpc-gateway'].name;
    const balancer = props.balancer ?? 'p2c';
    if (!/^[a-z0-9.-]+:\d+$/.test(props.backendsDns)) throw new Error(`RpcGateway: backendsDns "${props.backendsDns}" is not name:port`);
    this.workload = new RestrictedDeployment(this, 'Gateway', {
      name,
      component: 'rpc-gateway',
      image: props.image,
      resources: props.resources,
      args: ['--http', `:${GATEWAY_HTTP.number}`, '--backends-dns', props.backendsDns, '--balancer', balancer],
      ports: [GATEWAY_HTTP],
      readiness: { path: '/readyz', port: GATEWAY_HTTP.number },
      liveness: { path: '/healthz', port: GATEWAY_HTTP.number },
      nodeSelector: props.nodeSelector,
    });
    this.service = this.workload.addService('Service', { name, ports: [GATEWAY_HTTP] });
  }
}
