import { createHash } from 'node:crypto';
import { ApiObject, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { ResourceConfig } from '../config/config.js';
import { parseCpuMillis } from '../config/quantities.js';
import { renderNginxConfig } from '../nginx/nginx-config.js';
import { restrictedContainerSecurityContext, TOPOLOGY_SERVICES } from '../api/objects.js';
import type { NodeSelector } from '../api/placement.js';
import { RestrictedDeployment, type NamedPort } from './restricted-deployment.js';

export const NGINX_HTTP: NamedPort = { name: 'http', number: TOPOLOGY_SERVICES.nginx.port };
/** The nginx user of the nginxinc/nginx-unprivileged images. */
export const NGINX_UID = 101;
const CONFIG_DIR = '/etc/clusterbench';
const RUN_DIR = '/tmp/nginx';

export interface NginxBalancerProps {
  /** Node labels the pods need (config `servers.nodeSelector`). @default any node */
  readonly nodeSelector?: NodeSelector;
  /** An unprivileged nginx image, 1.27.3 or newer (for `server ... resolve`). */
  readonly image: string;
  readonly resources: ResourceConfig;
  /** `name:port` of the hello servers' headless Service: one upstream peer per ready pod. */
  readonly upstream: string;
  /** DNS server that re-resolves `upstream` (the cluster DNS). */
  readonly resolver: string;
  /**
   * Re-resolve `upstream` while running, so a replaced pod joins: nginx 1.27.3 or newer does it
   * itself (`server ... resolve`). False, for an older nginx, which resolves names only when it
   * loads its config: a `reresolver` container (src/nginx/reresolve.ts, from `reresolverImage`)
   * reloads nginx when the addresses change.
   * @default true
   */
  readonly resolveUpstreams?: boolean;
  /** The bench image (Node and build/), for the `reresolver` container. Required when resolveUpstreams is false. @default none */
  readonly reresolverImage?: string;
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
    if (!resolveUpstreams && !props.reresolverImage) {
      throw new Error(
        `NginxBalancer ${name}: resolveUpstreams false needs a reresolverImage (nginx "${props.image}" would keep the addresses it resolved at start)`,
      );
    }
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
      configMapMounts: [{ configMap: this.configMap, path: CONFIG_DIR }],
      podAnnotations: { 'clusterbench.dev/config-sha256': createHash('sha256').update(config).digest('hex') },
      nodeSelector: props.nodeSelector,
    });
    // The run folder holds the pid file, which the reresolver reads.
    const run = kplus.Volume.fromEmptyDir(this, 'Run', 'run', { sizeLimit: Size.mebibytes(64) });
    this.workload.deployment.containers[0].mount(RUN_DIR, run);
    if (!resolveUpstreams) this.addReresolver(props.reresolverImage!, props.upstream.replace(/:\d+$/, ''), run);
    this.service = this.workload.addService('Service', { name, ports: [NGINX_HTTP] });
  }

  /** The `reresolver` container: nginx's user, in nginx's process namespace, so it may signal it. */
  private addReresolver(image: string, host: string, run: kplus.Volume): void {
    const deployment = this.workload.deployment;
    const container = deployment.addContainer({
      name: 'reresolver',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['node', 'build/src/nginx/reresolve.js', '--host', host, '--pid-file', `${RUN_DIR}/nginx.pid`],
      // One DNS lookup a second; Node itself needs about 45 MiB.
      resources: {
        cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(100) },
        memory: { request: Size.mebibytes(32), limit: Size.mebibytes(96) },
      },
    });
    container.mount(RUN_DIR, run, { readOnly: true });
    const index = deployment.containers.indexOf(container);
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/shareProcessNamespace', true),
      JsonPatch.replace(`/spec/template/spec/containers/${index}/securityContext`, restrictedContainerSecurityContext(NGINX_UID)),
    );
  }
}
