/**
 * The Benchmark API (DESIGN.md, "Benchmark custom resource"): its TypeScript types, the CRD's
 * OpenAPI v3 structural schema, the API constants and the RBAC rules the controller needs.
 * The CRD construct and the controller's validation (src/api/validate.ts) both read
 * `benchmarkCrdSchema`, so the API server and the controller reject the same specs.
 */
import { LOAD_LIMITS } from '../../loadtest/limits.js';
import type { LoadMode } from '../../loadtest/types.js';
import { SCENARIO_NAMES, DEFAULT_SCENARIO, type ScenarioName } from '../scenarios.js';
import { TOPOLOGIES, type Topology } from '../topologies.js';
import { TAINT_EFFECTS, TOLERATION_OPERATORS, type RunnerPlacement } from './placement.js';

export const BENCHMARK_GROUP = 'clusterbench.dev';
export const BENCHMARK_VERSION = 'v1alpha1';
export const BENCHMARK_API_VERSION = `${BENCHMARK_GROUP}/${BENCHMARK_VERSION}`;
export const BENCHMARK_KIND = 'Benchmark';
export const BENCHMARK_LIST_KIND = 'BenchmarkList';
export const BENCHMARK_PLURAL = 'benchmarks';
export const BENCHMARK_SINGULAR = 'benchmark';
export const BENCHMARK_SHORT_NAMES: readonly string[] = ['bench'];

export const BENCHMARK_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
export type BenchmarkPhase = (typeof BENCHMARK_PHASES)[number];

export const LOAD_MODES = ['closed', 'open'] as const satisfies readonly LoadMode[];

/** Bounds shared by the schema and the `clusterbench bench` flags: load, local and bench share LOAD_LIMITS. */
export const BENCHMARK_LIMITS = {
  connections: LOAD_LIMITS.connections,
  rate: LOAD_LIMITS.rate,
  runners: LOAD_LIMITS.runners,
  trials: LOAD_LIMITS.trials,
  replicas: LOAD_LIMITS.replicas,
  /** Job names are `<benchmark>-<topology>-t<trial>-a<attempt>` and must stay within 63 characters. */
  nameMaxLength: 40,
} as const;

/** What `spec.load` may override of the scenario; every field optional. */
export interface BenchmarkLoadSpec {
  /** @default the scenario's mode, or 'open' when rate is set */
  readonly mode?: LoadMode;
  /** Connections over all runners (split evenly between them). @default the scenario's */
  readonly connections?: number;
  /** Open loop: requests per second over all runners. */
  readonly rate?: number;
  /** Measured duration, e.g. `10s`. @default the scenario's */
  readonly duration?: string;
  /** Warmup before the measured part, e.g. `2s` (`0s` allowed). @default the scenario's */
  readonly warmup?: string;
  /** Per-request timeout. @default 5s */
  readonly timeout?: string;
}

export interface BenchmarkFailoverSpec {
  /** Time into the measured part of each balanced topology's run at which one hello pod is deleted. */
  readonly killAfter: string;
}

export interface BenchmarkSpec {
  readonly topologies: readonly Topology[];
  /** @default 'standard' */
  readonly scenario?: ScenarioName;
  readonly load?: BenchmarkLoadSpec;
  /** Load pods per run; their results merge exactly. @default 1 */
  readonly runners?: number;
  /** @default the scenario's */
  readonly trials?: number;
  readonly failover?: BenchmarkFailoverSpec;
  /**
   * A replica sweep: the `hello` Deployment is scaled to each count in turn (ascending, each once)
   * and every balanced topology measured there; restored to its deployed count afterwards.
   * @default none: the deployed count, no sweep
   */
  readonly replicas?: readonly number[];
  /** Where the runner pods may run (issue 18). @default any node, spread over nodes */
  readonly placement?: { readonly runners?: RunnerPlacement };
}

export interface BenchmarkCondition {
  /** e.g. InvalidSpec, TopologyNotDeployed, TrialFailed, ReportWritten */
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

/** The run in progress, refreshed about every 2 s from what the runners report. */
export interface BenchmarkProgress {
  readonly completedRuns: number;
  readonly totalRuns: number;
  readonly topology?: string;
  readonly trial?: number;
  /** Runners connected to the controller in the current run. */
  readonly runnersReady?: number;
  readonly runners?: number;
  readonly warmup?: boolean;
  readonly elapsedMs?: number;
  readonly requests?: number;
  readonly rps?: number;
  readonly errors?: number;
  /** Largest start skew reported by a runner of the current run, ms. */
  readonly maxStartSkewMs?: number;
  readonly updatedAt?: string;
}

/** One topology's summary, taken from the report. */
export interface BenchmarkTopologyResult {
  readonly topology: string;
  readonly trials: number;
  readonly failedTrials: number;
  /** Median over trials. */
  readonly throughputRps: number;
  readonly ratioToSingle: number | null;
  /** From the merged histogram. */
  readonly latencyUs: { readonly mean: number; readonly p50: number; readonly p99: number };
  readonly errors: number;
  /** Largest start skew between the runners of one run, ms. */
  readonly maxStartSkewMs: number;
}

export interface BenchmarkStatus {
  readonly phase?: BenchmarkPhase;
  readonly observedGeneration?: number;
  readonly conditions?: readonly BenchmarkCondition[];
  readonly progress?: BenchmarkProgress;
  readonly results?: readonly BenchmarkTopologyResult[];
  /** Name of the ConfigMap holding report.md and report.json. */
  readonly reportConfigMap?: string;
  /** Topologies of the spec that were not deployed when the Benchmark started; decided once. */
  readonly skippedTopologies?: readonly string[];
  readonly startTime?: string;
  readonly completionTime?: string;
}

export interface Benchmark {
  apiVersion: typeof BENCHMARK_API_VERSION;
  kind: typeof BENCHMARK_KIND;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
  };
  spec: BenchmarkSpec;
  status?: BenchmarkStatus;
}

/** The subset of OpenAPI v3 a structural CRD schema uses, with the JSON key names a CRD carries. */
export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  items?: OpenApiSchema;
  enum?: readonly (string | number)[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  nullable?: boolean;
  default?: unknown;
  additionalProperties?: OpenApiSchema;
  maxProperties?: number;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  /** CEL rules the API server checks (`oldSelf` on update). */
  'x-kubernetes-validations'?: readonly { readonly rule: string; readonly message: string }[];
}

/** What the API server says to an edit of a Benchmark's spec. */
export const SPEC_IMMUTABLE_MESSAGE = 'spec is immutable: delete the Benchmark and create it again to change it';

/** What the API server and the controller say to replica counts out of order. */
export const REPLICAS_ORDER_MESSAGE = 'must be ascending, each count once (e.g. [1, 2, 3])';

/** A duration as `clusterbench` flags take it: `10s`, `500ms`, `1m30s`, or bare seconds. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(us|ms|s|m|h))+$|^[0-9]+(\\.[0-9]+)?$';

function duration(description: string): OpenApiSchema {
  return { type: 'string', description, pattern: DURATION_PATTERN, maxLength: 32 };
}

function intRange(description: string, range: { min: number; max: number }): OpenApiSchema {
  return { type: 'integer', description, minimum: range.min, maximum: range.max };
}

const latencyUsSchema: OpenApiSchema = {
  type: 'object',
  properties: { mean: { type: 'number' }, p50: { type: 'number' }, p99: { type: 'number' } },
};

/** Bounds of `spec.placement.runners` (label keys and values: Kubernetes' own). */
export const PLACEMENT_LIMITS = { nodeSelectorLabels: 16, tolerations: 16, labelKeyLength: 317, labelValueLength: 63 } as const;

const runnerPlacementSchema: OpenApiSchema = {
  type: 'object',
  description: 'Where the runner pods may run, e.g. off the nodes of the servers they measure. They spread over the nodes allowed.',
  properties: {
    nodeSelector: {
      type: 'object',
      description: 'Node labels a runner pod needs, as a pod nodeSelector.',
      maxProperties: PLACEMENT_LIMITS.nodeSelectorLabels,
      additionalProperties: { type: 'string', maxLength: PLACEMENT_LIMITS.labelValueLength },
    },
    tolerations: {
      type: 'array',
      description: 'Taints the runner pods tolerate, as pod tolerations (e.g. of nodes kept for load generators).',
      maxItems: PLACEMENT_LIMITS.tolerations,
      'x-kubernetes-list-type': 'atomic',
      items: {
        type: 'object',
        properties: {
          key: { type: 'string', maxLength: PLACEMENT_LIMITS.labelKeyLength },
          operator: { type: 'string', enum: TOLERATION_OPERATORS },
          value: { type: 'string', maxLength: PLACEMENT_LIMITS.labelValueLength },
          effect: { type: 'string', enum: TAINT_EFFECTS },
          tolerationSeconds: { type: 'integer', minimum: 0, maximum: 86_400 },
        },
      },
    },
  },
};

export const benchmarkSpecSchema: OpenApiSchema = {
  type: 'object',
  description: 'What to measure: the topologies, the load, how many runners and trials. Immutable.',
  required: ['topologies'],
  // A report measures one spec: an edit mid-run would mix settings (finished runs keep the old load).
  'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: SPEC_IMMUTABLE_MESSAGE }],
  properties: {
    topologies: {
      type: 'array',
      description: `Topologies to measure, in this order (rotated between trials). Allowed: ${TOPOLOGIES.join(', ')}.`,
      minItems: 1,
      maxItems: TOPOLOGIES.length,
      'x-kubernetes-list-type': 'set',
      items: { type: 'string', enum: TOPOLOGIES },
    },
    scenario: {
      type: 'string',
      description: 'Named load scenario; spec.load overrides its fields.',
      enum: SCENARIO_NAMES,
      default: DEFAULT_SCENARIO,
    },
    load: {
      type: 'object',
      description: 'Overrides of the scenario load.',
      properties: {
        mode: { type: 'string', description: 'closed: N connections; open: a constant arrival rate.', enum: LOAD_MODES },
        connections: intRange('Connections over all runners.', BENCHMARK_LIMITS.connections),
        rate: intRange('Open loop: requests per second over all runners.', BENCHMARK_LIMITS.rate),
        duration: duration('Measured duration, e.g. 10s.'),
        warmup: duration('Warmup before the measured part, e.g. 2s.'),
        timeout: duration('Per-request timeout, e.g. 5s.'),
      },
    },
    runners: { ...intRange('Load pods per run.', BENCHMARK_LIMITS.runners), default: 1 },
    trials: intRange("Trials per topology (default: the scenario's).", BENCHMARK_LIMITS.trials),
    failover: {
      type: 'object',
      description: 'Delete one hello pod during each balanced topology run.',
      required: ['killAfter'],
      properties: { killAfter: duration('Time into the measured part, e.g. 30s.') },
    },
    replicas: {
      type: 'array',
      description: `A replica sweep: the hello Deployment scaled to each count (whole numbers ${LOAD_LIMITS.replicas.min} to ${LOAD_LIMITS.replicas.max}, ascending, each once) for every balanced topology, then restored.`,
      minItems: 1,
      maxItems: LOAD_LIMITS.replicas.max,
      'x-kubernetes-list-type': 'set',
      // The set type makes each count unique; sorted then means strictly ascending.
      'x-kubernetes-validations': [{ rule: 'self.isSorted()', message: REPLICAS_ORDER_MESSAGE }],
      items: intRange('Hello servers behind each balancer.', LOAD_LIMITS.replicas),
    },
    placement: {
      type: 'object',
      description: 'Where pods may run.',
      properties: { runners: runnerPlacementSchema },
    },
  },
};

export const benchmarkStatusSchema: OpenApiSchema = {
  type: 'object',
  properties: {
    phase: { type: 'string', enum: BENCHMARK_PHASES },
    observedGeneration: { type: 'integer' },
    conditions: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status'],
        properties: {
          type: { type: 'string' },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          reason: { type: 'string' },
          message: { type: 'string' },
          lastTransitionTime: { type: 'string', format: 'date-time' },
          observedGeneration: { type: 'integer' },
        },
      },
    },
    progress: {
      type: 'object',
      properties: {
        completedRuns: { type: 'integer' },
        totalRuns: { type: 'integer' },
        topology: { type: 'string' },
        trial: { type: 'integer' },
        runnersReady: { type: 'integer' },
        runners: { type: 'integer' },
        warmup: { type: 'boolean' },
        elapsedMs: { type: 'number' },
        requests: { type: 'integer' },
        rps: { type: 'number' },
        errors: { type: 'integer' },
        maxStartSkewMs: { type: 'number' },
        updatedAt: { type: 'string', format: 'date-time' },
      },
    },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['topology'],
        properties: {
          topology: { type: 'string' },
          trials: { type: 'integer' },
          failedTrials: { type: 'integer' },
          throughputRps: { type: 'number' },
          ratioToSingle: { type: 'number', nullable: true },
          latencyUs: latencyUsSchema,
          errors: { type: 'integer' },
          maxStartSkewMs: { type: 'number' },
        },
      },
    },
    reportConfigMap: { type: 'string' },
    skippedTopologies: { type: 'array', items: { type: 'string' } },
    startTime: { type: 'string', format: 'date-time' },
    completionTime: { type: 'string', format: 'date-time' },
  },
};

/** The CRD's `openAPIV3Schema` (structural: every field typed, no unknown fields kept). */
export const benchmarkCrdSchema: OpenApiSchema = {
  type: 'object',
  description: 'A comparison of topologies under load, run by the clusterbench controller.',
  required: ['spec'],
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: benchmarkSpecSchema,
    status: benchmarkStatusSchema,
  },
};

/** `kubectl get benchmarks` columns, for the CRD. */
export const benchmarkPrinterColumns = [
  { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
  { name: 'Topologies', type: 'string', jsonPath: '.spec.topologies' },
  { name: 'Done', type: 'integer', jsonPath: '.status.progress.completedRuns' },
  { name: 'Runs', type: 'integer', jsonPath: '.status.progress.totalRuns' },
  { name: 'Report', type: 'string', jsonPath: '.status.reportConfigMap' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
] as const;

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/**
 * The namespaced Role the controller's ServiceAccount needs: exactly the calls src/controller makes.
 * Benchmarks are watched and their status patched; Jobs watched and created (the Benchmark's owner
 * reference and the Jobs' TTL remove them); Pods watched for results (termination message, else
 * the log) and one deleted for failover (with a UID precondition); EndpointSlices listed (by
 * Service name) and Ingresses listed to tell whether a topology can answer; ConfigMaps hold finished runs (one per run, listed by label) and the report.
 * The Lease `clusterbench-controller` is read, created and updated for leader election.
 * Secrets are only created (each Job attempt's runner token, owned by the Benchmark): the
 * controller never reads one back, it checks runners against the token's hash on the Job.
 * A replica sweep (spec.replicas) reads and patches the `hello` Deployment's scale subresource
 * only: the Deployment itself stays unreadable and unwritable to the controller.
 * (`/version`, read for the report, is open to every authenticated user.)
 */
export const controllerRbacRules: readonly PolicyRule[] = [
  { apiGroups: [BENCHMARK_GROUP], resources: [BENCHMARK_PLURAL], verbs: ['list', 'watch'] },
  { apiGroups: [BENCHMARK_GROUP], resources: [`${BENCHMARK_PLURAL}/status`], verbs: ['patch'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['list', 'watch', 'create'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch', 'delete'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['list'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'create', 'patch'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
  { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

/**
 * The one cluster-wide grant (a ClusterRole): `get` of the nodes the Benchmark's pods ran on, for
 * the report's CPU count and allocatable CPU of each (issue 18). Read one by one by name, never
 * listed: the report needs only those nodes.
 */
export const controllerNodeRbacRules: readonly PolicyRule[] = [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }];
