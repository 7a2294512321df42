import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  BENCHMARK_GROUP,
  BENCHMARK_KIND,
  BENCHMARK_LIST_KIND,
  BENCHMARK_PLURAL,
  BENCHMARK_SHORT_NAMES,
  BENCHMARK_SINGULAR,
  BENCHMARK_VERSION,
  benchmarkCrdSchema,
  benchmarkPrinterColumns,
} from '../api/benchmark.js';

export interface BenchmarkCrdProps {
  /** Extra labels on the CRD. @default none */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The Benchmark CustomResourceDefinition (`clusterbench.dev/v1alpha1`, namespaced, status
 * subresource). Its schema is the controller's own (src/api/benchmark.ts), so the API server and
 * the controller reject the same specs. cdk8s-plus has no CRD abstraction, hence an ApiObject.
 */
export class BenchmarkCrd extends Construct {
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: BenchmarkCrdProps = {}) {
    super(scope, id);
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${BENCHMARK_PLURAL}.${BENCHMARK_GROUP}`, labels: { ...props.labels } },
      spec: {
        group: BENCHMARK_GROUP,
        scope: 'Namespaced',
        names: {
          kind: BENCHMARK_KIND,
          listKind: BENCHMARK_LIST_KIND,
          plural: BENCHMARK_PLURAL,
          singular: BENCHMARK_SINGULAR,
          shortNames: [...BENCHMARK_SHORT_NAMES],
        },
        versions: [
          {
            name: BENCHMARK_VERSION,
            served: true,
            storage: true,
            schema: { openAPIV3Schema: benchmarkCrdSchema },
            subresources: { status: {} },
            additionalPrinterColumns: benchmarkPrinterColumns.map((c) => ({ ...c })),
          },
        ],
      },
    });
  }
}
