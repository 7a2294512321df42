import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { PARTS } from '../src/api/objects.js';
import { ClusterbenchChart, type ClusterbenchChartProps } from './clusterbench-chart.js';

/** The clusterbench namespace (`namespace`, default clusterbench), where the `restricted` Pod Security Standard is enforced. */
export class NamespaceChart extends ClusterbenchChart {
  constructor(scope: Construct, id: string, props: ClusterbenchChartProps) {
    super(scope, id, { ...props, namespace: false }, PARTS.namespace);
    new kplus.Namespace(this, 'Namespace', {
      metadata: {
        name: this.config.namespace,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
        },
      },
    });
  }
}
