import { createHash } from 'node:crypto';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { ResourceConfig } from '../config/config.js';
import { parseCpuMillis } from '../config/quantities.js';
import { renderNginxConfig } from '../nginx/nginx-config.js';
import { TOPOLOGY_SERVICES } from '../api/objects.js';
import { RestrictedDeployment, type NamedPort } from './restricted-deployment.js';

export const NGINX_HTTP: NamedPort = { name: 'http', number: TOPOLOGY_SERVICES.nginx.port };
/** The nginx user of the nginxinc/nginx-unprivileged images. */
export const NGINX_UID = 101;
const CONFIG_DIR = '/etc/clusterbench';
const RUN_DIR = '/tmp/nginx';

export interface NginxBalancerProps {
  /** An unprivileged nginx image, 1.27.3 or newer (for `server ... resolve`). */
  readonly image: string;
  readonly resources: ResourceConfig;
  /** `name:port` of the hello servers' headless Service: one upstream peer per ready pod. */
  readonly upstream: string;
  /** DNS server that re-resolves `upstream` (the cluster DNS). */
  readonly resolver: string;
  /**
   * Re-resolve `upstream` while running, so a replaced pod joins (nginx 1.27.3 or newer). Older
   * nginx resolves it once at start: it needs a ready hello pod to start and keeps those addresses.
   * @default true
   */
  readonly resolveUpstreams?: boolean;
  /** @default 128 */
  readonly upstreamKeepalive?: number;
  /** @default one per CPU of the limit, rounded up: nginx's `auto` would count the node's CPUs */
  readonly workerProcesses?: number;
  /** @default 'nginx' */
  readonly name?: string;
}

/**
 * The `nginx` topology: an unprivileged nginx whose config is rendered from the same template
 * as `make local` (src/nginx/nginx-config.ts), upstream of every hello pod.
 */
export class NginxBalancer extends Construct {
  public readonly configMap: kplus.ConfigMap;
  public readonly workload: RestrictedDeployment;
  public readonly service: kplus.Service;

  constructor(scope: Construct, id: string, props: NginxBalancerProps) {
    super(scope, id);
    const name = props.name ?? TOPOLOGY_SERVICES.nginx.name;
    const resolveUpstreams = props.resolveUpstreams ?? true;
    const workerProcesses = props.workerProcesses ?? Math.ceil(parseCpuMillis('cpu', props.resources.cpu) / 1000);
    const config = renderNginxConfig({
      listen: String(NGINX_HTTP.number),
      upstreams: [props.upstream],
      runDir: RUN_DIR,
      workerProcesses,
      upstreamKeepalive: props.upstreamKeepalive,
      // Pods come and go (failover deletes one): re-resolve the headless Service every few seconds.
      extraHttpLines: [`resolver ${props.resolver} valid=5s ipv6=off;`],
      resolveUpstreams,
    });
    this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { name: `${name}-config` }, data: { 'nginx.conf': config } });
    this.workload = new RestrictedDeployment(this, 'Balancer', {
      name,
      component: 'nginx',
      image: props.image,
      user: NGINX_UID,
      resources: props.resources,
      // Bypass the image's entrypoint (it rewrites /etc/nginx); -e stderr before the config is read.
      command: ['nginx', '-e', 'stderr', '-c', `${CONFIG_DIR}/nginx.conf`],
      ports: [NGINX_HTTP],
      readiness: { path: '/nginx-healthz', port: NGINX_HTTP.number },
      writablePaths: [RUN_DIR],
      configMapMounts: [{ configMap: this.configMap, path: CONFIG_DIR }],
      podAnnotations: { 'clusterbench.dev/config-sha256': createHash('sha256').update(config).digest('hex') },
    });
    this.service = this.workload.addService('Service', { name, ports: [NGINX_HTTP] });
  }
}
