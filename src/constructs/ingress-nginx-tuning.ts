import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { INGRESS_NGINX_NAMESPACE, TOPOLOGY_SERVICES } from '../api/objects.js';

/** Name of the ConfigMap the ingress-nginx controller reads (`--configmap`): upstream names it, the Deployment and the Service alike. */
export const INGRESS_NGINX_CONFIGMAP = TOPOLOGY_SERVICES['ingress-nginx'].name;

export interface IngressNginxTuningProps {
  /** Idle keep-alive connections to upstream pods per worker. @default 320 (upstream's default) */
  readonly upstreamKeepalive?: number;
  /** nginx worker processes: one per CPU of the controller's limit. */
  readonly workerProcesses: number;
  /** Labels of the ConfigMap. @default none */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The ingress-nginx controller's ConfigMap, tuned like the `nginx` topology's template (upstream
 * keep-alive, long-lived client connections, no access log), so the two balancers differ in what
 * they are, not in how they were configured. Our own controller reads it, and on minikube it
 * replaces the addon's (which is created once and then left to the user).
 */
export class IngressNginxTuning extends Construct {
  public readonly configMap: kplus.ConfigMap;

  constructor(scope: Construct, id: string, props: IngressNginxTuningProps) {
    super(scope, id);
    const upstreamKeepalive = props.upstreamKeepalive ?? 320;
    if (!Number.isInteger(upstreamKeepalive) || upstreamKeepalive < 1)
      throw new Error(`IngressNginxTuning: upstreamKeepalive ${upstreamKeepalive} must be a whole number >= 1`);
    if (!Number.isInteger(props.workerProcesses) || props.workerProcesses < 1)
      throw new Error(`IngressNginxTuning: workerProcesses ${props.workerProcesses} must be a whole number >= 1`);
    this.configMap = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: INGRESS_NGINX_CONFIGMAP, namespace: INGRESS_NGINX_NAMESPACE, labels: { ...props.labels } },
      data: {
        'upstream-keepalive-connections': String(upstreamKeepalive),
        'upstream-keepalive-requests': '1000000',
        'upstream-keepalive-timeout': '60',
        'keep-alive-requests': '1000000',
        'keep-alive': '75',
        'worker-processes': String(props.workerProcesses),
        'max-worker-connections': '16384',
        'disable-access-log': 'true',
        'proxy-next-upstream': 'error timeout',
      },
    });
  }
}
