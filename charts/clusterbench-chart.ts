import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { NAMESPACE, PART_OF_LABELS } from '../src/api/objects.js';
import type { ClusterbenchConfig } from '../src/config/config.js';

/** The three images clusterbench builds (`make images`), as full references. */
export interface ImageRefs {
  readonly hello: string;
  readonly rpcGateway: string;
  readonly bench: string;
}

export interface ClusterbenchChartProps {
  readonly config: ClusterbenchConfig;
  readonly images: ImageRefs;
  /** Namespace of the chart's namespaced objects; `false` for charts of cluster-scoped objects. @default 'clusterbench' */
  readonly namespace?: string | false;
}

/**
 * Base of every clusterbench chart: fixed object names (no cdk8s hashes, so the controller, the
 * Makefile and users can name them), the namespace, and the part-of label.
 */
export class ClusterbenchChart extends Chart {
  public readonly config: ClusterbenchConfig;
  public readonly images: ImageRefs;

  constructor(scope: Construct, id: string, props: ClusterbenchChartProps) {
    super(scope, id, {
      namespace: props.namespace === false ? undefined : (props.namespace ?? NAMESPACE),
      disableResourceNameHashes: true,
      labels: { ...PART_OF_LABELS },
    });
    this.config = props.config;
    this.images = props.images;
  }
}
