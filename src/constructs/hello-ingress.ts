import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';

export interface HelloIngressProps {
  /** The three-replica hello Service. */
  readonly service: kplus.Service;
  /** Port of that Service. */
  readonly port: number;
  /** @default 'nginx' */
  readonly className?: string;
  /** @default 'hello' */
  readonly name?: string;
}

/**
 * The `ingress-nginx` topology's route: every path to the balanced hello Service. Built with an
 * explicit class, which `exposeViaIngress()` would leave out.
 */
export class HelloIngress extends Construct {
  public readonly ingress: kplus.Ingress;

  constructor(scope: Construct, id: string, props: HelloIngressProps) {
    super(scope, id);
    this.ingress = new kplus.Ingress(this, 'Ingress', {
      metadata: { name: props.name ?? 'hello' },
      className: props.className ?? 'nginx',
    });
    this.ingress.addRule('/', kplus.IngressBackend.fromService(props.service, { port: props.port }), kplus.HttpIngressPathType.PREFIX);
  }
}
