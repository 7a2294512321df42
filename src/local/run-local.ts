/**
 * The embedded default: the seed's comparison as processes on this machine's loopback. One hello
 * server (`single`), three more behind nginx and behind the Go net/rpc gateway (or, in a replica
 * sweep, each count in turn), the same load against each, trials interleaved in rotating order,
 * then the report. Four steps, each usable on its own: `startTestbed` (servers and balancers up),
 * `balanceOver` (the balancers restarted over another count), `runTrial` (one topology in one
 * trial) and `writeLocalReport`; `runLocal` strings them together and owns the clean-up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runLoad } from '../../loadtest/index.js';
import type { LoadResult } from '../../loadtest/types.js';
import { packageRoot } from '../util/package-root.js';
import {
  buildReport,
  buildScaling,
  renderMarkdown,
  totalErrors,
  writeReportFiles,
  type CpuUseSample,
  type FailoverEvent,
  type Report,
  type ReportFiles,
  type ReportScenario,
  type ScalingRun,
} from '../report/index.js';
import {
  DEFAULT_REPLICAS,
  describeFailover,
  describeSweep,
  failoverKillAt,
  failoverVictim,
  isFailoverRun,
  localDownMs,
  localKillAfterMs,
  mainReplicas,
  RUN_ORDER_DESCRIPTION,
  sweepOrder,
  type RunId,
  type SweepRunId,
} from '../plan/run-plan.js';
import type { Scenario } from '../scenarios.js';
import type { LocalTopology } from '../topologies.js';
import { createCpuLimiter, type CpuLimiter } from './cpu-limiter.js';
import { CpuUseMeter } from './cpu-use.js';
import { describeEnvironment, loadAverage } from './environment.js';
import { descendantsOf, ProcessGroup } from './process-group.js';
import {
  startGateway,
  startHello,
  startNginx,
  waitForBackends,
  waitUntilServing,
  type HelloServer,
  type HelloSettings,
} from './servers.js';

export interface LocalRunOptions {
  /** The load, after flags overrode the named scenario. */
  readonly scenario: Scenario;
  /** In the order given, rotated each trial (src/plan/run-plan.ts). */
  readonly topologies: readonly LocalTopology[];
  /** CPUs each hello server may use (cgroup quota); null for no limit. */
  readonly cpusPerServer: number | null;
  /** The hello servers' --work, e.g. `200us`. */
  readonly work?: string;
  /** Kill a hello server halfway through the last trial of nginx and rpc-gateway, restart it later (src/plan/run-plan.ts). */
  readonly failover: boolean;
  /**
   * A replica sweep: hello servers behind each balancer, one count after another in every trial
   * (src/plan/run-plan.ts `sweepOrder`), and the report's scaling section. Null or absent: three,
   * no sweep.
   */
  readonly replicas?: readonly number[] | null;
  /** A topology whose failed requests exceed this share failed (`--max-errors`). @default 0.01 */
  readonly maxErrors?: number;
  /** Reports go to `outDir/<time>/`. */
  readonly outDir: string;
  /** Progress lines (stderr in the CLI). */
  readonly log: (line: string) => void;
  /** Aborting (Ctrl-C) stops the load and every process. */
  readonly signal?: AbortSignal;
}

export interface LocalRunResult {
  readonly report: Report;
  readonly markdown: string;
  readonly dir: string;
  readonly files: ReportFiles;
  /** Every process the run started (nginx workers included); none is alive when this returns. */
  readonly pids: readonly number[];
}

/** A local run: one topology in one trial behind a number of hello servers. */
export type LocalRun = SweepRunId<LocalTopology>;

/** The programs a run starts; nginx only when a topology needs it. */
export interface LocalBinaries {
  readonly hello: string;
  readonly rpcGateway: string;
  readonly nginx?: string;
}

/** Where a topology is measured, and the process that answers there (its balancer, or `single`). */
export interface Target {
  readonly url: string;
  readonly pid: number;
}

/** What `startTestbed` brought up, for the trials and the report. */
export interface Testbed {
  readonly group: ProcessGroup;
  readonly binaries: LocalBinaries;
  /** Hello servers by id; failover replaces the victim's entry with the restarted server. */
  readonly servers: Map<string, HelloServer>;
  /** Where each topology is measured; `balanceOver` replaces the balancers' entries. */
  readonly targets: Map<LocalTopology, Target>;
  /** The hello servers behind the balancers now, by id: `hello-1` to `hello-N`. */
  balanced: readonly string[];
  /** nginx's configuration and pid file, kept over its restarts; absent without nginx. */
  readonly nginxRunDir?: string;
  readonly limiter: CpuLimiter | null;
  /** Why a CPU limit that was asked for is not applied. */
  readonly limitNote?: string;
  /** Hash rounds per request each server calibrated --work to at start-up. */
  readonly initialRounds: ReadonlyMap<string, number | null>;
  readonly hello: HelloSettings;
}

/** One topology in one trial, as measured. */
export interface TrialOutcome {
  readonly result: LoadResult;
  readonly cpuUse: CpuUseSample | null;
  readonly failover: FailoverEvent | null;
}

/** The ids of the first `replicas` balanced hello servers. */
export function balancedIds(replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => `hello-${i + 1}`);
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const root = packageRoot();
  const binaries = findBinaries(root, options.topologies);
  const stop = new AbortController();
  options.signal?.addEventListener('abort', () => stop.abort(new Error('interrupted: stopped every process it started')), { once: true });
  const group = new ProcessGroup((err) => stop.abort(err));
  const loadStart = loadAverage();
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const sweep = options.replicas ?? null;
    const runs = sweepOrder(options.topologies, options.scenario.trials, sweep ?? [DEFAULT_REPLICAS]);
    const bed = await startTestbed(
      group,
      binaries,
      {
        ...options,
        replicas: runs.find((r) => r.topology !== 'single')?.replicas ?? DEFAULT_REPLICAS,
        servers: Math.max(...(sweep ?? [DEFAULT_REPLICAS])),
      },
      (cleanup) => cleanups.push(cleanup),
    );
    throwIfStopped(stop.signal);
    const workers = loadWorkers();
    const outcomes: (TrialOutcome & { readonly run: LocalRun })[] = [];
    for (const run of runs) {
      if (run.topology !== 'single' && run.replicas !== bed.balanced.length) await balanceOver(bed, run.replicas, options.log);
      throwIfStopped(stop.signal);
      outcomes.push({ run, ...(await runTrial(bed, run, options, workers, stop)) });
    }
    const main = outcomes.filter((o) => o.run.topology === 'single' || o.run.replicas === mainReplicas(sweep));
    const report = buildReport({
      scenario: localScenario(options),
      environment: await describeEnvironment({
        binaries,
        clusterbenchVersion: packageVersion(root),
        limiter: bed.limiter,
        ...(bed.limitNote ? { limitNote: bed.limitNote } : {}),
        loadWorkers: workers,
        processes: [...bed.servers.keys(), ...[...bed.targets.keys()].filter((t) => t !== 'single')],
        loadAverageAtStart: loadStart,
        notes: localNotes(options, bed.initialRounds),
      }),
      results: main.map((o) => o.result),
      failover: main.flatMap((o) => (o.failover ? [o.failover] : [])),
      cpuUse: main.flatMap((o) => (o.cpuUse ? [o.cpuUse] : [])),
    });
    // Without an applied limit a server can use every CPU.
    const quota = bed.limiter ? options.cpusPerServer : null;
    const scaling = sweep ? buildScaling({ runs: scalingRuns(outcomes, quota, workers), availableCpus: cpus().length }) : undefined;
    return { ...(await writeLocalReport(options.outDir, scaling ? { ...report, scaling } : report, outcomes)), pids: group.pids };
  } catch (err) {
    // The first cause wins: Ctrl-C or a crashed server, not what failed because of it.
    throw stop.signal.aborted && stop.signal.reason instanceof Error ? stop.signal.reason : err;
  } finally {
    stop.abort(new Error('run finished'));
    await group.stopAll();
    for (const cleanup of cleanups) await cleanup();
  }
}

/** What the start step starts beyond the run's topologies and limits. */
export interface TestbedSize {
  /** Hello servers behind the balancers at first. @default 3 */
  readonly replicas?: number;
  /** Balanced hello servers started (`hello-1` ...), at least `replicas`: the most a sweep uses. @default replicas */
  readonly servers?: number;
}

/**
 * The start step: the hello servers (CPU-limited if asked), nginx and the gateway over the first
 * `replicas` balanced ones, each waited for until it serves. What must be undone after the
 * processes stop (the CPU limiter's cgroups, nginx's run directory) is handed to `onCleanup` as
 * soon as it exists.
 */
export async function startTestbed(
  group: ProcessGroup,
  binaries: LocalBinaries,
  options: Pick<LocalRunOptions, 'topologies' | 'cpusPerServer' | 'work' | 'log'> & TestbedSize,
  onCleanup: (cleanup: () => Promise<void>) => void,
): Promise<Testbed> {
  const { topologies, log, replicas = DEFAULT_REPLICAS, servers: balancedServers = replicas } = options;
  let limitNote: string | undefined;
  let limiter: CpuLimiter | null = null;
  if (options.cpusPerServer !== null) {
    const made = await createCpuLimiter(options.cpusPerServer);
    if ('limiter' in made) {
      limiter = made.limiter;
      onCleanup(() => made.limiter.remove());
    } else {
      log(`cpu limits: ${made.unavailable}; running the hello servers without a CPU limit`);
      limitNote = `--cpus-per-server ${options.cpusPerServer} was asked for but not applied: ${made.unavailable}`;
    }
  }
  const hello: HelloSettings = { binary: binaries.hello, work: options.work };
  const servers = new Map<string, HelloServer>();
  const targets = new Map<LocalTopology, Target>();
  if (topologies.includes('single')) {
    const single = await startLimitedHello(group, hello, limiter, 'single');
    servers.set(single.id, single);
    targets.set('single', { url: `http://${single.http}/`, pid: single.pid });
  }
  const balanced = topologies.some((t) => t !== 'single');
  if (balanced) for (const id of balancedIds(balancedServers)) servers.set(id, await startLimitedHello(group, hello, limiter, id));
  let nginxRunDir: string | undefined;
  if (topologies.includes('nginx')) {
    const dir = await mkdtemp(join(tmpdir(), 'clusterbench-nginx-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    nginxRunDir = dir;
  }
  for (const s of servers.values()) log(`started ${s.id}: pid ${s.pid}, http ${s.http}, rpc ${s.rpc}, work-rounds ${s.workRounds}`);
  const initialRounds = new Map([...servers].map(([id, server]) => [id, server.workRounds]));
  const bed: Testbed = {
    group,
    binaries,
    servers,
    targets,
    balanced: [],
    ...(nginxRunDir ? { nginxRunDir } : {}),
    limiter,
    ...(limitNote ? { limitNote } : {}),
    initialRounds,
    hello,
  };
  if (limiter) await limiter.weigh('load-generator', [process.pid]);
  if (balanced) await balanceOver(bed, replicas, log, topologies);
  if (targets.has('single')) log(`ready single: ${targets.get('single')?.url} (pid ${targets.get('single')?.pid})`);
  return bed;
}

/**
 * The balancing step: (re)starts nginx and the gateway over the first `replicas` hello servers
 * (a new upstream set and new --backends; a restart leaves no stale backend behind) and waits
 * until each balancer has answered from every one of them. The balancers run as pods without a
 * limit would: their own scheduling weight.
 */
export async function balanceOver(
  bed: Testbed,
  replicas: number,
  log: (line: string) => void,
  topologies: readonly LocalTopology[] = [...bed.targets.keys()],
): Promise<void> {
  const ids = balancedIds(replicas);
  const upstreams = ids.map((id) => present(bed.servers.get(id), `hello server ${id}`));
  for (const topology of topologies.filter((t) => t !== 'single')) {
    if (bed.targets.has(topology)) await bed.group.kill(topology, 'SIGTERM');
    const target =
      topology === 'nginx'
        ? await startNginx(
            bed.group,
            present(bed.binaries.nginx, 'the nginx binary'),
            upstreams,
            present(bed.nginxRunDir, "nginx's run directory"),
          )
        : await startGateway(bed.group, bed.binaries.rpcGateway, upstreams);
    await waitForBackends(target.url, ids);
    await bed.limiter?.weigh(topology, [target.pid, ...descendantsOf([target.pid])]);
    bed.targets.set(topology, target);
    log(`ready ${topology}: ${target.url} (pid ${target.pid}) over ${replicas} hello server${replicas === 1 ? '' : 's'}`);
  }
  bed.balanced = ids;
}

/**
 * The trial step: one topology in one trial. The CPU meter and (in a failover run) the kill are
 * timed from when the load generator really starts (its `onStart`, once its worker threads run),
 * not from when the load was asked for: on a busy machine the threads take seconds to start, and
 * a kill planned against the asked-for start would land early in the measured part or before it.
 * A failed failover aborts the whole run through `stop`.
 */
export async function runTrial(
  bed: Testbed,
  run: RunId<LocalTopology>,
  options: Pick<LocalRunOptions, 'scenario' | 'failover' | 'log'>,
  workers: number,
  stop: AbortController,
): Promise<TrialOutcome> {
  const { scenario, log } = options;
  const { topology, trial } = run;
  const victim =
    options.failover && isFailoverRun(run, scenario.trials)
      ? failoverVictim(bed.balanced.map((name) => ({ name, ready: true })))
      : undefined;
  log(
    `trial ${trial}/${scenario.trials}: ${topology}, ${scenario.connections} connections, ${scenario.durationMs / 1000} s${victim ? `, killing ${victim} halfway` : ''}`,
  );
  const meter = new CpuUseMeter(watchedProcesses(bed, topology), bed.limiter);
  let cpuUse: CpuUseSample | null = null;
  const meterTimers: NodeJS.Timeout[] = [];
  let disruption = null as Promise<KillTimes | null> | null; // set by onStart
  const onStart = (startAt: number) => {
    const measuredStart = startAt + scenario.warmupMs;
    const measuredEnd = measuredStart + scenario.durationMs;
    meterTimers.push(
      setTimeout(() => meter.begin(), measuredStart - Date.now()),
      setTimeout(() => (cpuUse = meter.end(topology, trial)), measuredEnd - Date.now()),
    );
    if (victim) {
      const killAt = failoverKillAt(startAt, scenario.warmupMs, localKillAfterMs(scenario.durationMs));
      disruption = killAndRestart(bed, victim, killAt, localDownMs(scenario.durationMs), measuredEnd, stop.signal).catch(
        (err: Error) => (stop.abort(new Error(`failover: ${err.message}`)), null),
      );
    }
  };
  const result = await runLoad({
    url: present(bed.targets.get(topology), `the ${topology} target`).url,
    mode: scenario.mode,
    connections: scenario.connections,
    durationMs: scenario.durationMs,
    warmupMs: scenario.warmupMs,
    workers,
    topology,
    trial,
    runner: 0,
    onStart,
    signal: stop.signal,
  });
  const times = await disruption;
  for (const timer of meterTimers) clearTimeout(timer);
  // The load may return just before the end timer fires (on a busy event loop): end the sample now.
  cpuUse ??= meter.end(topology, trial);
  throwIfStopped(stop.signal);
  log(
    `  ${Math.round(result.throughputRps)} req/s, ${result.requests === 0 ? 'no successful responses' : `mean ${(result.latencyUs.mean / 1000).toFixed(2)} ms`}, ${totalErrors(result.errors)} errors`,
  );
  return { result, cpuUse, failover: times && victim ? failoverEvent(run, victim, times, result) : null };
}

/** The times of a kill, restart and first answer (epoch ms), against when the load generator really began measuring, not when it was asked to. */
export function failoverEvent(run: RunId, backend: string, times: KillTimes, result: Pick<LoadResult, 'startedAt'>): FailoverEvent {
  const startedAt = Date.parse(result.startedAt);
  return {
    topology: run.topology,
    trial: run.trial,
    backend,
    killedAtMs: times.killedAt - startedAt,
    restartedAtMs: times.restartedAt - startedAt,
    servingAgainAtMs: times.servingAgainAt === null ? null : times.servingAgainAt - startedAt,
  };
}

/** The processes that serve `topology`: its hello servers and its balancer, by name. */
export function watchedProcesses(bed: Pick<Testbed, 'servers' | 'targets' | 'balanced'>, topology: LocalTopology): Map<string, number> {
  const ids = topology === 'single' ? ['single'] : bed.balanced;
  const watched = new Map(ids.map((id) => [id, present(bed.servers.get(id), `hello server ${id}`).pid]));
  if (topology !== 'single') watched.set(topology, present(bed.targets.get(topology), `the ${topology} target`).pid);
  return watched;
}

/** The report's scenario: the load as run, and the order the plan gave. */
export function localScenario(options: Pick<LocalRunOptions, 'scenario' | 'work' | 'maxErrors'>): ReportScenario {
  const { scenario } = options;
  return {
    name: scenario.name,
    mode: scenario.mode,
    connections: scenario.connections,
    rate: null,
    durationMs: scenario.durationMs,
    warmupMs: scenario.warmupMs,
    trials: scenario.trials,
    runners: 1,
    order: RUN_ORDER_DESCRIPTION,
    serverSettings: options.work ? { work: options.work } : {},
    ...(options.maxErrors === undefined ? {} : { maxErrors: options.maxErrors }),
  };
}

/** The report's notes: how --work was calibrated, the failover rule when it ran, which count of a sweep the main tables show. */
export function localNotes(
  options: Pick<LocalRunOptions, 'scenario' | 'work' | 'failover' | 'replicas'>,
  initialRounds: ReadonlyMap<string, number | null>,
): string[] {
  const { scenario, replicas } = options;
  return [
    ...(replicas ? [describeSweep(replicas)] : []),
    ...(options.work
      ? [
          `--work ${options.work} calibrated by each hello server at start-up to hash rounds per request: ${[...initialRounds].map(([id, rounds]) => `${id} ${rounds}`).join(', ')}`,
        ]
      : []),
    ...(options.failover ? [describeFailover(localKillAfterMs(scenario.durationMs), localDownMs(scenario.durationMs))] : []),
  ];
}

/**
 * The scaling section's input from a sweep's outcomes: per balanced topology and replica count its
 * results, CPU samples and the CPUs its processes could ask for (`requestedCpus`).
 */
export function scalingRuns(
  outcomes: readonly (Pick<TrialOutcome, 'result' | 'cpuUse'> & { readonly run: LocalRun })[],
  cpusPerServer: number | null,
  loadWorkers: number,
  machineCpus = cpus().length,
): ScalingRun[] {
  const swept = outcomes.filter((o) => o.run.topology !== 'single');
  const keys = [...new Set(swept.map((o) => `${o.run.topology}\n${o.run.replicas}`))];
  return keys.map((key) => {
    const here = swept.filter((o) => `${o.run.topology}\n${o.run.replicas}` === key);
    const { topology, replicas } = here[0].run;
    return {
      topology,
      replicas,
      results: here.map((o) => o.result),
      cpuUse: here.flatMap((o) => (o.cpuUse ? [o.cpuUse] : [])),
      requestedCpus: requestedCpus(replicas, cpusPerServer, loadWorkers, machineCpus),
    };
  });
}

/**
 * CPUs a balanced run's processes can use at once: each hello server its quota (or, without one,
 * every CPU: Go's GOMAXPROCS), the balancer every CPU (nginx's workers `auto`, the gateway's
 * GOMAXPROCS) and the load generator its threads.
 */
export function requestedCpus(replicas: number, cpusPerServer: number | null, loadWorkers: number, machineCpus: number): number {
  return replicas * (cpusPerServer ?? machineCpus) + machineCpus + loadWorkers;
}

/**
 * The report step: report.{json,md,html} and each raw result into `outDir/<report time>/results/`,
 * named `<topology>-trial<n>.json`, in a sweep `<topology>-<replicas>-replicas-trial<n>.json` for
 * the balanced topologies.
 */
export async function writeLocalReport(
  outDir: string,
  report: Report,
  outcomes: readonly { readonly run: LocalRun; readonly result: LoadResult }[],
): Promise<Omit<LocalRunResult, 'pids'>> {
  const dir = join(outDir, report.createdAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z'));
  const files = await writeReportFiles(dir, report);
  await mkdir(join(dir, 'results'), { recursive: true });
  const name = ({ topology, trial, replicas }: LocalRun) =>
    report.scaling && topology !== 'single' ? `${topology}-${replicas}-replicas-trial${trial}` : `${topology}-trial${trial}`;
  await Promise.all(outcomes.map(({ run, result }) => writeFile(join(dir, 'results', `${name(run)}.json`), `${JSON.stringify(result)}\n`)));
  return { report, markdown: renderMarkdown(report), dir, files };
}

/** When failover killed, restarted and first saw its victim serve again (epoch ms). */
export interface KillTimes {
  readonly killedAt: number;
  readonly restartedAt: number;
  /** Null when it did not serve again before the measured part ended. */
  readonly servingAgainAt: number | null;
}

/**
 * Kills the failover victim at `killAt` (epoch ms), starts it again `downMs` later at the same
 * addresses and watches until it serves again or the measured part ends (`measuredEnd`).
 */
async function killAndRestart(
  bed: Testbed,
  victimId: string,
  killAt: number,
  downMs: number,
  measuredEnd: number,
  signal: AbortSignal,
): Promise<KillTimes | null> {
  await sleep(killAt - Date.now(), signal);
  if (signal.aborted) return null;
  const victim = present(bed.servers.get(victimId), `hello server ${victimId}`);
  await bed.group.kill(victimId);
  const killedAt = Date.now();
  await sleep(downMs, signal);
  if (signal.aborted) return null;
  const restarted = await startLimitedHello(bed.group, bed.hello, bed.limiter, victimId, { http: victim.http, rpc: victim.rpc });
  const restartedAt = Date.now();
  bed.servers.set(victimId, restarted);
  const servingAgainAt = await waitUntilServing(restarted, measuredEnd, signal);
  return { killedAt, restartedAt, servingAgainAt };
}

async function startLimitedHello(
  group: ProcessGroup,
  hello: HelloSettings,
  limiter: CpuLimiter | null,
  id: string,
  addresses?: { http: string; rpc: string },
): Promise<HelloServer> {
  const server = await startHello(group, hello, id, addresses);
  // After start-up, so --work is calibrated on an unthrottled CPU as the hello server expects.
  await limiter?.limit(id, server.pid);
  return server;
}

/** `value`, which the start step guarantees; a missing one is a bug, said so instead of a cast. */
function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is missing: not started (a bug in clusterbench local)`);
  return value;
}

/** Threads for the load generator: one per CPU, as runLoad defaults, stated in the report. */
function loadWorkers(): number {
  return Math.max(1, cpus().length);
}

function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

function packageVersion(root: string): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

export function findBinaries(root: string, topologies: readonly LocalTopology[]): LocalBinaries {
  const hello = resolve(root, 'bin/hello');
  const rpcGateway = resolve(root, 'bin/rpc-gateway');
  for (const binary of topologies.includes('rpc-gateway') ? [hello, rpcGateway] : [hello]) {
    if (!existsSync(binary)) throw new Error(`${binary} is missing: run make build-go (make local builds it)`);
  }
  if (!topologies.includes('nginx')) return { hello, rpcGateway };
  const nginx = ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(':').map((d) => join(d, 'nginx'))].find((p) => existsSync(p));
  if (!nginx) throw new Error('nginx is not installed: apt-get install nginx (make local does it when run as root)');
  return { hello, rpcGateway, nginx };
}
