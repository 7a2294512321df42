import type { Construct } from 'constructs';
import { PARTS } from '../src/api/objects.js';
import { BenchmarkCrd } from '../src/constructs/benchmark-crd.js';
import { BenchmarkUserRoles } from '../src/constructs/benchmark-user-roles.js';
import { ClusterbenchChart, type ClusterbenchChartProps } from './clusterbench-chart.js';

/** The Benchmark API (cluster-scoped): the CustomResourceDefinition and the ClusterRoles `edit` and `view` aggregate. */
export class CrdChart extends ClusterbenchChart {
  constructor(scope: Construct, id: string, props: ClusterbenchChartProps) {
    super(scope, id, { ...props, namespace: false }, PARTS.crd);
    new BenchmarkCrd(this, 'Benchmark');
    new BenchmarkUserRoles(this, 'UserRoles');
  }
}
