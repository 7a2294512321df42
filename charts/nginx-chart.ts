import type { Construct } from 'constructs';
import { PARTS, helloHeadlessDns } from '../src/api/objects.js';
import { HELLO_HTTP } from '../src/constructs/hello-servers.js';
import { NginxBalancer } from '../src/constructs/nginx-balancer.js';
import { serversNodeSelector } from '../src/config/config.js';
import { ClusterbenchChart, type ClusterbenchChartProps } from './clusterbench-chart.js';

/** The `nginx` topology: nginx upstream of the three hello pods. */
export class NginxChart extends ClusterbenchChart {
  constructor(scope: Construct, id: string, props: ClusterbenchChartProps) {
    super(scope, id, props, PARTS.nginx);
    const { nginx } = this.config;
    new NginxBalancer(this, 'Nginx', {
      image: nginx.image,
      resources: nginx,
      upstream: helloHeadlessDns(this.config.namespace, HELLO_HTTP.number),
      resolver: nginx.resolver,
      resolveUpstreams: nginx.resolveUpstreams,
      reresolverImage: this.images.bench,
      upstreamKeepalive: nginx.upstreamKeepalive,
      nodeSelector: serversNodeSelector(this.config),
    });
  }
}
