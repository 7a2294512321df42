import type { Construct } from 'constructs';
import { PARTS, helloHeadlessDns } from '../src/api/objects.js';
import { HELLO_RPC } from '../src/constructs/hello-servers.js';
import { RpcGateway } from '../src/constructs/rpc-gateway.js';
import { serversNodeSelector } from '../src/config/config.js';
import { ClusterbenchChart, type ClusterbenchChartProps } from './clusterbench-chart.js';

/** The `rpc-gateway` topology: the Go gateway, `net/rpc` to the three hello pods. */
export class RpcGatewayChart extends ClusterbenchChart {
  constructor(scope: Construct, id: string, props: ClusterbenchChartProps) {
    super(scope, id, props, PARTS.rpcGateway);
    const { rpcGateway } = this.config;
    new RpcGateway(this, 'Gateway', {
      image: this.images.rpcGateway,
      resources: rpcGateway,
      backendsDns: helloHeadlessDns(this.config.namespace, HELLO_RPC.number),
      balancer: rpcGateway.balancer,
      nodeSelector: serversNodeSelector(this.config),
    });
  }
}
