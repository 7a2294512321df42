/**
 * The Indexed Job of one run's attempt: `runners` pods, each running `clusterbench runner` against
 * the topology's in-cluster address. Pure: the same inputs give the same manifest.
 */
import type { V1Job, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import { BENCHMARK_API_VERSION, BENCHMARK_KIND } from '../api/benchmark.js';
import type { BenchmarkPlan } from '../api/validate.js';
import {
  ANNOTATION_RUNNER_TOKEN_SHA256,
  LABEL_ATTEMPT,
  LABEL_BENCHMARK,
  LABEL_BENCHMARK_UID,
  LABEL_HOSTNAME,
  LABEL_MANAGED_BY,
  LABEL_TOPOLOGY,
  LABEL_TRIAL,
  LOAD_RUNNER_LABELS,
  MANAGED_BY,
  NONROOT_UID,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  topologyUrl,
} from '../api/objects.js';
import { jobName, type RunId } from './names.js';
import { RUNNER_TOKEN_ENV } from './protocol.js';

/** The key of the token in a runner token Secret. */
export const RUNNER_TOKEN_KEY = 'token';
/** Finished Jobs (and their pods, which hold the results) stay this long; results are recorded long before. */
export const JOB_TTL_SECONDS = 3600;
/** How long a runner waits for the start time, from its own start (image pull, scheduling). */
export const START_DEADLINE_MS = 180_000;
/**
 * What each runner pod requests: without a request it would be BestEffort and the first to starve
 * when the node is busy (measured: up to 750 ms late starts on a loaded 2-CPU node). No CPU limit:
 * a load generator that is throttled measures itself, not the servers.
 */
export const RUNNER_RESOURCES = { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '512Mi' } } as const;

/**
 * Spread one attempt's runner pods over the nodes, one more on a node than on another at most: all
 * on one node would cap the load at that node's CPU. ScheduleAnyway, not DoNotSchedule: on a
 * one-node cluster (kind, minikube) or when the other nodes are full, the runners still start,
 * packed, rather than wait Pending until the start deadline fails the run. Selects by this attempt's
 * labels only, so the runners of another run or Benchmark do not count against the skew.
 */
export function runnerSpread(attemptLabels: Readonly<Record<string, string>>): V1TopologySpreadConstraint[] {
  return [
    { maxSkew: 1, topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { ...attemptLabels } } },
  ];
}

export interface RunnerJobProps {
  readonly benchmark: { readonly name: string; readonly uid: string };
  readonly namespace: string;
  readonly image: string;
  /** The controller's WebSocket address for runners, e.g. ws://clusterbench-controller.clusterbench.svc:8080/runners */
  readonly controllerUrl: string;
  readonly plan: BenchmarkPlan;
  readonly run: RunId;
  readonly attempt: number;
  /** The Secret (key `token`) holding this Job's runner token, and the token's SHA-256 (hex). */
  readonly token: { readonly secret: string; readonly sha256: string };
}

export function runnerArgs(props: Pick<RunnerJobProps, 'controllerUrl' | 'plan' | 'run' | 'namespace'> & { job: string }): string[] {
  const { plan, run } = props;
  return [
    '--controller',
    props.controllerUrl,
    '--job',
    props.job,
    '--url',
    topologyUrl(run.topology, props.namespace),
    '--topology',
    run.topology,
    '--trial',
    String(run.trial),
    '--runners',
    String(plan.runners),
    '--mode',
    plan.mode,
    '--connections',
    String(plan.connections),
    ...(plan.rate === null ? [] : ['--rate', String(plan.rate)]),
    '--duration',
    `${plan.durationMs}ms`,
    '--warmup',
    `${plan.warmupMs}ms`,
    '--timeout',
    `${plan.timeoutMs}ms`,
  ];
}

export function runnerJob(props: RunnerJobProps): V1Job {
  const { benchmark, plan, run, attempt } = props;
  const name = jobName(benchmark, run, attempt);
  // What identifies this attempt's pods among all runner pods.
  const attemptLabels = {
    [LABEL_BENCHMARK_UID]: benchmark.uid,
    [LABEL_TOPOLOGY]: run.topology,
    [LABEL_TRIAL]: String(run.trial),
    [LABEL_ATTEMPT]: String(attempt),
  };
  const labels = { ...LOAD_RUNNER_LABELS, [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_BENCHMARK]: benchmark.name, ...attemptLabels };
  const activeDeadlineSeconds = Math.ceil((START_DEADLINE_MS + plan.warmupMs + plan.durationMs + plan.timeoutMs + 60_000) / 1000);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: props.namespace,
      labels,
      // What the controller checks a runner's token against, here so a restarted controller has it too.
      annotations: { [ANNOTATION_RUNNER_TOKEN_SHA256]: props.token.sha256 },
      ownerReferences: [
        { apiVersion: BENCHMARK_API_VERSION, kind: BENCHMARK_KIND, name: benchmark.name, uid: benchmark.uid, controller: true },
      ],
    },
    spec: {
      completionMode: 'Indexed',
      completions: plan.runners,
      parallelism: plan.runners,
      // A runner that fails fails the attempt: a lone replacement would run out of step with the
      // others, so the controller reruns the whole run instead (once).
      backoffLimit: 0,
      activeDeadlineSeconds,
      ttlSecondsAfterFinished: JOB_TTL_SECONDS,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: restrictedPodSecurityContext(NONROOT_UID),
          topologySpreadConstraints: runnerSpread(attemptLabels),
          // spec.placement.runners: the spread then counts only the nodes the selector allows.
          ...(plan.runnerPlacement?.nodeSelector ? { nodeSelector: { ...plan.runnerPlacement.nodeSelector } } : {}),
          ...(plan.runnerPlacement?.tolerations ? { tolerations: plan.runnerPlacement.tolerations.map((t) => ({ ...t })) } : {}),
          containers: [
            {
              name: 'runner',
              image: props.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['node', 'build/src/cli.js', 'runner', ...runnerArgs({ ...props, job: name })],
              env: [{ name: RUNNER_TOKEN_ENV, valueFrom: { secretKeyRef: { name: props.token.secret, key: RUNNER_TOKEN_KEY } } }],
              resources: { requests: { ...RUNNER_RESOURCES.requests }, limits: { ...RUNNER_RESOURCES.limits } },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'FallbackToLogsOnError',
              securityContext: restrictedContainerSecurityContext(NONROOT_UID),
            },
          ],
        },
      },
    },
  };
}
