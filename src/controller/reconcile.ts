/**
 * The reconcile decisions, as pure functions: from what is in the cluster (the Benchmark, its Jobs,
 * the results read back from their pods, the runs already recorded) to what to do next. Nothing
 * here remembers anything between calls, so a restarted controller decides exactly as the old one
 * would have: that is the whole of restart-resume.
 */
import type { LoadResult } from '../../loadtest/types.js';
import type { BenchmarkPhase } from '../api/benchmark.js';
import type { BenchmarkPlan } from '../api/validate.js';
import type { Topology } from '../topologies.js';
import type { FailoverEvent } from '../report/index.js';
import { failoverKillAt, failoverVictim, isFailoverRun } from '../plan/run-plan.js';
import { runKey, runName, type RunId } from './names.js';
import { plannedRuns, settleStep, type HelloScale, type SettleClock, type SettleStep } from './sweep.js';

/** A run is retried once (a second Job) before it counts as failed. */
export const MAX_ATTEMPTS = 2;

export interface ObservedJob {
  readonly name: string;
  readonly run: RunId;
  readonly attempt: number;
  readonly state: 'active' | 'succeeded' | 'failed';
  /** Why the Job failed (its Failed condition, or a runner's exit). */
  readonly reason?: string;
}

/** A finished run as kept in the runs ConfigMap. */
export interface RunRecord {
  readonly run: RunId;
  readonly state: 'succeeded' | 'failed';
  /** The latest attempt's Job; none when the run never started (its sweep point did not settle). */
  readonly job?: string;
  /** 0: never started. */
  readonly attempts: number;
  readonly reason?: string;
  /** One per runner, by index; only when succeeded. */
  readonly results?: readonly LoadResult[];
  readonly failover?: FailoverEvent;
  /** Why each earlier attempt failed, when the run was rerun. */
  readonly retries?: readonly string[];
}

/** A hello pod deleted by failover, as kept in the runs ConfigMap. */
export interface FailoverKill {
  readonly pod: string;
  readonly atEpochMs: number;
}

export interface HelloPod {
  readonly name: string;
  readonly createdAtMs: number;
  /** When it last became Ready; null while not ready. */
  readonly readyAtMs: number | null;
}

export interface ReconcileInput {
  readonly benchmark: string;
  /** The Benchmark's UID: a sweep holds the hello Deployment by it. */
  readonly uid?: string;
  readonly plan: BenchmarkPlan;
  /** From the status; undefined until the first reconcile decided it. */
  readonly skippedTopologies: readonly Topology[] | undefined;
  /** Topologies that can answer (readiness.ts); read only while skippedTopologies is undefined. */
  readonly deployed: ReadonlySet<Topology>;
  /**
   * Why a skipped topology could not answer, read with `deployed`. The TopologyNotDeployed condition
   * is written once, when the skips are decided: a restarted controller, which does not know why,
   * leaves it as it stands.
   */
  readonly whyNotDeployed?: ReadonlyMap<Topology, string>;
  /** By runKey. */
  readonly records: ReadonlyMap<string, RunRecord>;
  /** By runKey. */
  readonly kills: ReadonlyMap<string, FailoverKill>;
  readonly jobs: readonly ObservedJob[];
  /** Results by Job name, then runner index: from the runners' sockets and their pods. */
  readonly results: ReadonlyMap<string, ReadonlyMap<number, LoadResult>>;
  /** The start time (epoch ms, warmup begins) agreed with each running Job's runners. */
  readonly startTimes: ReadonlyMap<string, number>;
  readonly helloPods: readonly HelloPod[];
  readonly reportWritten: boolean;
  readonly now: number;
  /** A replica sweep (plan.replicas): the hello Deployment's scale, pods and the balancers' last probe; undefined until read. */
  readonly scale?: HelloScale;
}

export type Action =
  | { readonly kind: 'createJob'; readonly run: RunId; readonly attempt: number }
  | { readonly kind: 'recordRun'; readonly record: RunRecord }
  | { readonly kind: 'killPod'; readonly run: RunId; readonly pod: string }
  | { readonly kind: 'writeReport'; readonly records: readonly RunRecord[] }
  /** A sweep: scale the hello Deployment (its deployed count kept first), then wait for it. */
  | { readonly kind: 'scaleHello'; readonly replicas: number }
  /** A sweep: ask each balanced topology which backends answer, expecting exactly `pods`. */
  | { readonly kind: 'probeBalancers'; readonly pods: readonly string[] };

export interface ConditionUpdate {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

export interface Decision {
  readonly actions: readonly Action[];
  readonly phase: BenchmarkPhase;
  readonly skippedTopologies: readonly Topology[];
  readonly conditions: readonly ConditionUpdate[];
  readonly completedRuns: number;
  readonly totalRuns: number;
  /** The run whose Job is active, if any. */
  readonly current?: { readonly run: RunId; readonly job: string };
  /** When to decide again at the latest (epoch ms): a failover kill falls due then. */
  readonly wakeAt?: number;
  /** What the next run of a sweep waits for (pods, balancers), in words. */
  readonly waiting?: string;
  /** Since when a sweep waits for its next run's point: the scaler keeps it for the next pass. */
  readonly settling?: SettleClock;
}

type RunState =
  | { readonly kind: 'final'; readonly record: RunRecord }
  | { readonly kind: 'running'; readonly job: ObservedJob }
  | { readonly kind: 'pending'; readonly attempt: number };

/**
 * A finished attempt's results, or why it failed: the Job failed, a runner left no result, or a
 * runner measured less than the planned time (stopped early: its numbers are not the plan's).
 */
function outcome(input: ReconcileInput, job: ObservedJob): { failure?: string; results?: LoadResult[] } {
  if (job.state === 'failed') return { failure: job.reason ?? 'the Job failed' };
  const byIndex = input.results.get(job.name) ?? new Map<number, LoadResult>();
  const indexes = [...Array(input.plan.runners).keys()];
  const missing = indexes.filter((i) => !byIndex.has(i));
  if (missing.length > 0) return { failure: `no result from runner ${missing.join(', ')}` };
  const results = indexes.map((i) => byIndex.get(i) as LoadResult);
  const short = results.find((r) => r.durationMs < input.plan.durationMs);
  if (short) return { failure: `runner ${short.runner} measured ${short.durationMs} ms of the planned ${input.plan.durationMs} ms` };
  return { results };
}

/** Where one run stands, and the record to write if its latest Job just finished. */
function runState(input: ReconcileInput, run: RunId): { state: RunState; newRecord?: RunRecord; retry?: string } {
  const recorded = input.records.get(runKey(run));
  if (recorded) return { state: { kind: 'final', record: recorded } };
  const attempts = input.jobs.filter((j) => runKey(j.run) === runKey(run));
  const latest = attempts.reduce<ObservedJob | undefined>((a, j) => (a === undefined || j.attempt > a.attempt ? j : a), undefined);
  if (!latest) return { state: { kind: 'pending', attempt: 1 } };
  if (latest.state === 'active') {
    // The retried attempt's words may come after its Job failed (a runner's `failed` message
    // arrives as its deleted pod stops): RunRetried keeps up while the retry runs.
    const previous = attempts.find((j) => j.attempt === latest.attempt - 1);
    const retry = previous && `${previous.name}: ${outcome(input, previous).failure ?? 'failed'}`;
    return { state: { kind: 'running', job: latest }, ...(retry ? { retry } : {}) };
  }

  const { failure, results } = outcome(input, latest);
  if (failure && latest.attempt < MAX_ATTEMPTS) {
    return { state: { kind: 'pending', attempt: latest.attempt + 1 }, retry: `${latest.name}: ${failure}` };
  }
  const retries = attempts
    .filter((j) => j.attempt < latest.attempt)
    .sort((a, b) => a.attempt - b.attempt)
    .map((j) => `attempt ${j.attempt}: ${outcome(input, j).failure ?? 'failed'}`);
  const record: RunRecord = failure
    ? { run, state: 'failed', job: latest.name, attempts: latest.attempt, reason: failure, ...(retries.length > 0 ? { retries } : {}) }
    : {
        run,
        state: 'succeeded',
        job: latest.name,
        attempts: latest.attempt,
        results,
        ...(retries.length > 0 ? { retries } : {}),
        ...failoverOf(input, run, results ?? []),
      };
  return { state: { kind: 'final', record }, newRecord: record };
}

/** The failover event of a run that had a pod deleted: times relative to its measured start. */
function failoverOf(input: ReconcileInput, run: RunId, results: readonly LoadResult[]): { failover?: FailoverEvent } {
  const kill = input.kills.get(runKey(run));
  if (!kill || results.length === 0) return {};
  const measuredStart = Math.min(...results.map((r) => Date.parse(r.startedAt)));
  // Pod timestamps have whole-second resolution: a replacement may carry the kill's second.
  const killSecond = Math.floor(kill.atEpochMs / 1000) * 1000;
  const replacement = input.helloPods
    .filter((p) => p.name !== kill.pod && p.createdAtMs >= killSecond && p.readyAtMs !== null)
    .reduce<number | null>((first, p) => (first === null || (p.readyAtMs as number) < first ? p.readyAtMs : first), null);
  return {
    failover: {
      topology: run.topology,
      trial: run.trial,
      backend: kill.pod,
      killedAtMs: Math.max(0, kill.atEpochMs - measuredStart),
      restartedAtMs: replacement === null ? null : Math.max(kill.atEpochMs, replacement) - measuredStart,
    },
  };
}

/** When a hello pod is due to be deleted in this running Job's run (epoch ms), if it is a failover run. */
function failoverDueAt(input: ReconcileInput, run: RunId, job: ObservedJob): number | undefined {
  const { killAfterMs, warmupMs } = input.plan;
  if (killAfterMs === null || !isFailoverRun(run, input.plan.trials) || input.kills.has(runKey(run))) return undefined;
  const startAt = input.startTimes.get(job.name);
  return startAt === undefined ? undefined : failoverKillAt(startAt, warmupMs, killAfterMs);
}

/** The next actions for one Benchmark whose spec is valid. */
export function decide(input: ReconcileInput): Decision {
  const { plan } = input;
  const skippedTopologies = input.skippedTopologies ?? plan.topologies.filter((t) => !input.deployed.has(t));
  const measured = plan.topologies.filter((t) => !skippedTopologies.includes(t));
  const runs = plannedRuns(measured, plan.trials, plan.replicas);
  const actions: Action[] = [];
  const conditions: ConditionUpdate[] = [];
  if (input.skippedTopologies === undefined && skippedTopologies.length > 0) {
    conditions.push({
      type: 'TopologyNotDeployed',
      status: 'True',
      reason: 'Skipped',
      message: `not deployed in the namespace, skipped: ${skippedTopologies
        .map((t) => (input.whyNotDeployed?.has(t) ? `${t} (${input.whyNotDeployed.get(t)})` : t))
        .join(', ')}`,
    });
  }

  const states = runs.map((run) => {
    const { state, newRecord, retry } = runState(input, run);
    if (newRecord) actions.push({ kind: 'recordRun', record: newRecord });
    if (retry) conditions.push({ type: 'RunRetried', status: 'True', reason: 'AttemptFailed', message: retry });
    return { run, state };
  });
  const running = states.find((s) => s.state.kind === 'running');
  const next = states.find((s) => s.state.kind === 'pending');
  let current: Decision['current'];
  let wakeAt: number | undefined;
  let waiting: string | undefined;
  let settling: SettleClock | undefined;
  if (running && running.state.kind === 'running') {
    current = { run: running.run, job: running.state.job.name };
    const due = failoverDueAt(input, running.run, running.state.job);
    const victim = failoverVictim(input.helloPods.map((p) => ({ name: p.name, ready: p.readyAtMs !== null })));
    if (due !== undefined && input.now >= due && victim !== undefined) actions.push({ kind: 'killPod', run: running.run, pod: victim });
    else if (due !== undefined && input.now < due) wakeAt = due;
  } else if (next && next.state.kind === 'pending') {
    // One run at a time: concurrent runs would compete for the same nodes and skew each other.
    const { replicas } = next.run;
    let step: SettleStep = { kind: 'ready' };
    if (replicas !== undefined && !input.scale) step = { kind: 'wait', why: 'reading the hello Deployment' };
    else if (replicas !== undefined && input.scale)
      ({ step, settling } = settleStep({ ...next.run, replicas }, input.scale, input.uid ?? '', measured, input.now));
    if (step.kind === 'ready') actions.push({ kind: 'createJob', run: next.run, attempt: next.state.attempt });
    else if (step.kind === 'unsettled')
      actions.push({ kind: 'recordRun', record: { run: next.run, state: 'failed', attempts: 0, reason: step.reason } });
    else if (step.kind === 'scale') actions.push({ kind: 'scaleHello', replicas: step.replicas });
    else if (step.kind === 'probe') actions.push({ kind: 'probeBalancers', pods: step.pods });
    else {
      waiting = step.why;
      wakeAt = step.wakeAt;
    }
  }

  const records = states.flatMap((s) => (s.state.kind === 'final' ? [s.state.record] : []));
  const failed = records.filter((r) => r.state === 'failed');
  if (failed.length > 0) {
    conditions.push({
      type: 'TrialFailed',
      status: 'True',
      reason: 'RunFailed',
      message: failed
        .map((r) => `${runName(r.run)}: ${r.reason} (${r.attempts === 0 ? 'not started' : `after ${r.attempts} attempts`})`)
        .join('; '),
    });
  }

  const allFinal = runs.length > 0 && records.length === runs.length;
  let phase: BenchmarkPhase =
    records.length > 0 || input.jobs.length > 0 || actions.length > 0 || waiting !== undefined ? 'Running' : 'Pending';
  if (runs.length === 0) {
    phase = 'Failed';
    conditions.push({ type: 'NoResults', status: 'True', reason: 'NothingDeployed', message: 'none of spec.topologies is deployed' });
  } else if (allFinal) {
    const succeeded = records.filter((r) => r.state === 'succeeded');
    if (succeeded.length === 0) {
      conditions.push({ type: 'NoResults', status: 'True', reason: 'AllRunsFailed', message: 'every run failed; no report' });
    } else if (!input.reportWritten) {
      actions.push({ kind: 'writeReport', records });
    }
    phase = failed.length === 0 ? 'Succeeded' : 'Failed';
  }
  return {
    actions,
    phase,
    skippedTopologies,
    conditions,
    completedRuns: records.length,
    totalRuns: runs.length,
    current,
    ...(wakeAt === undefined ? {} : { wakeAt }),
    ...(waiting === undefined ? {} : { waiting }),
    ...(settling === undefined ? {} : { settling }),
  };
}
