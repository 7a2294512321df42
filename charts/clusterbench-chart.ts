import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  LABEL_COMPONENT,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  LABEL_PART_OF,
  LABEL_VERSION,
  PART_OF,
  SYNTHESIZED_BY,
  type PartLabels,
} from '../src/api/objects.js';
import type { ClusterbenchConfig } from '../src/config/config.js';

/** The three images clusterbench builds (`make images`), as full references. */
export interface ImageRefs {
  readonly hello: string;
  readonly rpcGateway: string;
  readonly bench: string;
  /** Their one tag. */
  readonly tag: string;
}

export interface ClusterbenchChartProps {
  readonly config: ClusterbenchConfig;
  readonly images: ImageRefs;
  /** Namespace of the chart's namespaced objects; `false` for charts of cluster-scoped objects. @default config.namespace */
  readonly namespace?: string | false;
}

/** What the recommended labels say about a chart's objects. */
export interface ChartLabels extends PartLabels {
  /** `app.kubernetes.io/version`. @default the clusterbench images' tag */
  readonly version?: string;
}

type Manifest = {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { template?: { metadata?: { labels?: Record<string, string> } } };
};

/**
 * Base of every clusterbench chart: fixed object names (no cdk8s hashes, so the controller, the
 * Makefile and users can name them), the namespace, and Kubernetes' recommended labels
 * (`app.kubernetes.io/name, instance, version, component, part-of, managed-by`) on every object
 * and pod template. A label an object sets itself (a Deployment's name and instance, which its
 * selector uses) wins.
 */
export class ClusterbenchChart extends Chart {
  public readonly config: ClusterbenchConfig;
  public readonly images: ImageRefs;
  private readonly partLabels: ChartLabels;

  constructor(scope: Construct, id: string, props: ClusterbenchChartProps, labels: ChartLabels) {
    super(scope, id, {
      namespace: props.namespace === false ? undefined : (props.namespace ?? props.config.namespace),
      disableResourceNameHashes: true,
    });
    this.config = props.config;
    this.images = props.images;
    this.partLabels = labels;
  }

  public override toJson(): unknown[] {
    return (super.toJson() as Manifest[]).map((object) => {
      const recommended = (own: Record<string, string> = {}) => ({ ...this.recommendedLabels(object.metadata?.name ?? ''), ...own });
      const labelled = { ...object, metadata: { ...object.metadata, labels: recommended(object.metadata?.labels) } };
      const template = object.spec?.template;
      if (!template?.metadata) return labelled;
      return {
        ...labelled,
        spec: {
          ...object.spec,
          template: { ...template, metadata: { ...template.metadata, labels: recommended(template.metadata.labels) } },
        },
      };
    });
  }

  /** The six recommended labels, in the order Kubernetes' documentation lists them. */
  private recommendedLabels(objectName: string): Record<string, string> {
    const l = this.partLabels;
    return {
      [LABEL_NAME]: l.name,
      [LABEL_INSTANCE]: l.instance ?? objectName,
      [LABEL_VERSION]: l.version ?? labelValue(this.images.tag),
      [LABEL_COMPONENT]: l.component,
      [LABEL_PART_OF]: l.partOf ?? PART_OF,
      [LABEL_MANAGED_BY]: SYNTHESIZED_BY,
    };
  }
}

/** A label value (at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends) from an image tag. */
function labelValue(text: string): string {
  return text.slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}
