import type { Construct } from 'constructs';
import { controllerNodeRbacRules, controllerRbacRules } from '../src/api/benchmark.js';
import { LOAD_RUNNER_LABELS, PARTS } from '../src/api/objects.js';
import { BenchController } from '../src/constructs/bench-controller.js';
import { ClusterbenchChart, type ClusterbenchChartProps } from './clusterbench-chart.js';

/** The Benchmark controller: its account, Role, Deployment and the Service runners reach. */
export class ControllerChart extends ClusterbenchChart {
  constructor(scope: Construct, id: string, props: ClusterbenchChartProps) {
    super(scope, id, props, PARTS.controller);
    new BenchController(this, 'Controller', {
      image: this.images.bench,
      resources: this.config.controller,
      rules: controllerRbacRules,
      clusterRules: controllerNodeRbacRules,
      runnerLabels: LOAD_RUNNER_LABELS,
    });
  }
}
