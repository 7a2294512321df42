import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';

/** Pods allowed to reach the hello servers, and on which port. */
export interface HelloClient {
  /** Labels of the client pods. */
  readonly labels: Readonly<Record<string, string>>;
  /** Namespace of the client pods. @default the hello servers' namespace */
  readonly namespace?: string;
  /** The hello port they may reach (HTTP for balancers and load runners, RPC for the gateway). */
  readonly port: number;
}

export interface HelloNetworkPolicyProps {
  /** @default 'hello' */
  readonly name?: string;
  /** Labels every hello server pod carries (single and balanced). */
  readonly helloLabels: Readonly<Record<string, string>>;
  /** Who may connect; every other pod is refused. */
  readonly clients: readonly HelloClient[];
}

/**
 * Isolates the hello servers: only the balancers, the gateway and the load runners reach them,
 * so nothing else in the cluster can add load to a measurement.
 */
export class HelloNetworkPolicy extends Construct {
  public readonly policy: kplus.NetworkPolicy;

  constructor(scope: Construct, id: string, props: HelloNetworkPolicyProps) {
    super(scope, id);
    if (props.clients.length === 0) throw new Error('HelloNetworkPolicy: clients is empty (that would refuse every client)');
    this.policy = new kplus.NetworkPolicy(this, 'Policy', {
      metadata: { name: props.name ?? 'hello' },
      selector: kplus.Pods.select(this, 'Hello', { labels: { ...props.helloLabels } }),
    });
    for (const [i, client] of props.clients.entries()) {
      const peer = kplus.Pods.select(this, `Client${i}`, {
        labels: { ...client.labels },
        namespaces: client.namespace ? kplus.Namespaces.select(this, `Namespace${i}`, { names: [client.namespace] }) : undefined,
      });
      this.policy.addIngressRule(peer, [kplus.NetworkPolicyPort.tcp(client.port)]);
    }
  }
}
