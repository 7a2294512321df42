import type { Construct } from 'constructs';
import { BenchmarkCrd } from '../src/constructs/benchmark-crd.js';
import { ClusterbenchChart, type ClusterbenchChartProps } from './clusterbench-chart.js';

/** The Benchmark CustomResourceDefinition (cluster-scoped). */
export class CrdChart extends ClusterbenchChart {
  constructor(scope: Construct, id: string, props: ClusterbenchChartProps) {
    super(scope, id, { ...props, namespace: false });
    new BenchmarkCrd(this, 'Benchmark');
  }
}
