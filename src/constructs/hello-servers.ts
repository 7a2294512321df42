import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { ResourceConfig } from '../config/config.js';
import { HELLO_HTTP_PORT, HELLO_RPC_PORT } from '../api/objects.js';
import { parseDurationMs } from '../../loadtest/parse.js';
import type { NodeSelector } from '../api/placement.js';
import { RestrictedDeployment, type NamedPort } from './restricted-deployment.js';

/** The hello server's ports (images/hello: `--http :8080 --rpc :9090`). */
export const HELLO_HTTP: NamedPort = { name: 'http', number: HELLO_HTTP_PORT };
export const HELLO_RPC: NamedPort = { name: 'rpc', number: HELLO_RPC_PORT };

export interface HelloServersProps {
  /** Name of the Deployment and its Service, e.g. `hello` or `hello-single`. */
  readonly name: string;
  readonly image: string;
  readonly resources: ResourceConfig;
  /** @default 1 */
  readonly replicas?: number;
  /** CPU work per request (HELLO_WORK), e.g. `200us`. @default none */
  readonly work?: string;
  /** Simulated I/O wait per request (HELLO_DELAY). @default none */
  readonly delay?: string;
  /** Response body size in bytes (HELLO_PAYLOAD). @default 0: the seed's `Hello, World!` */
  readonly payload?: number;
  /** Name of a headless Service publishing every ready pod's address (for the RPC gateway). @default none */
  readonly headlessServiceName?: string;
  /** Node labels the pods need (config `servers.nodeSelector`). @default any node */
  readonly nodeSelector?: NodeSelector;
}

/** Hello servers (images/hello) with a Service on HTTP and RPC, and optionally a headless one. */
export class HelloServers extends Construct {
  public readonly workload: RestrictedDeployment;
  public readonly service: kplus.Service;
  public readonly headlessService?: kplus.Service;

  constructor(scope: Construct, id: string, props: HelloServersProps) {
    super(scope, id);
    const work = props.work ?? '';
    const delay = props.delay ?? '';
    const payload = props.payload ?? 0;
    if (work !== '') parseDurationMs(`${props.name} work`, work, { allowZero: true });
    if (delay !== '') parseDurationMs(`${props.name} delay`, delay, { allowZero: true });
    if (!Number.isInteger(payload) || payload < 0)
      throw new Error(`HelloServers ${props.name}: payload ${payload} must be a whole number >= 0`);

    // Knobs go in as HELLO_<FLAG> environment variables; unset means the seed's handler.
    const env: Record<string, string> = {};
    if (work !== '') env.HELLO_WORK = work;
    if (delay !== '') env.HELLO_DELAY = delay;
    if (payload > 0) env.HELLO_PAYLOAD = String(payload);

    const ports = [HELLO_HTTP, HELLO_RPC];
    this.workload = new RestrictedDeployment(this, 'Servers', {
      name: props.name,
      component: 'hello',
      image: props.image,
      replicas: props.replicas,
      resources: props.resources,
      args: ['--http', `:${HELLO_HTTP.number}`, '--rpc', `:${HELLO_RPC.number}`],
      env,
      // The instance id in X-Served-By, so the report can show how evenly load was spread.
      fieldEnv: { POD_NAME: kplus.EnvFieldPaths.POD_NAME },
      ports,
      readiness: { path: '/readyz', port: HELLO_HTTP.number },
      liveness: { path: '/healthz', port: HELLO_HTTP.number },
      // On several nodes, three replicas measure three machines, not three processes on one.
      spreadOverNodes: true,
      nodeSelector: props.nodeSelector,
    });
    this.service = this.workload.addService('Service', { name: props.name, ports });
    if (props.headlessServiceName) {
      this.headlessService = this.workload.addService('Headless', { name: props.headlessServiceName, ports, headless: true });
    }
  }
}
