/**
 * The embedded default: the seed's comparison as processes on this machine's loopback. One hello
 * server (`single`), three more behind nginx and behind the Go net/rpc gateway, the same load
 * against each, trials interleaved in rotating order, then the report. Three steps, each usable on
 * its own: `startTestbed` (servers and balancers up), `runTrial` (one topology in one trial) and
 * `writeLocalReport`; `runLocal` strings them together and owns the clean-up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { runLoad } from '../../loadtest/index.js';
import type { LoadResult } from '../../loadtest/types.js';
import { packageRoot } from '../util/package-root.js';
import {
  buildReport,
  renderMarkdown,
  totalErrors,
  writeReportFiles,
  type CpuUseSample,
  type FailoverEvent,
  type Report,
  type ReportFiles,
  type ReportScenario,
} from '../report/index.js';
import { describeFailover, failoverKillAt, failoverVictim, isFailoverRun, localDownMs, localKillAfterMs, RUN_ORDER_DESCRIPTION, runOrder, type RunId } from '../plan/run-plan.js';
import type { Scenario } from '../scenarios.js';
import type { LocalTopology } from '../topologies.js';
import { createCpuLimiter, type CpuLimiter } from './cpu-limiter.js';
import { CpuUseMeter } from './cpu-use.js';
import { describeEnvironment, loadAverage } from './environment.js';
import { descendantsOf, ProcessGroup } from './process-group.js';
import { startGateway, startHello, startNginx, waitForBackends, waitUntilServing, type HelloServer, type HelloSettings } from './servers.js';

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
  /** Hello servers by id; failover replaces the victim's entry with the restarted server. */
  readonly servers: Map<string, HelloServer>;
  readonly targets: ReadonlyMap<LocalTopology, Target>;
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

const BALANCED_IDS = ['hello-1', 'hello-2', 'hello-3'] as const;

export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const root = packageRoot();
  const binaries = findBinaries(root, options.topologies);
  const stop = new AbortController();
  options.signal?.addEventListener('abort', () => stop.abort(new Error('interrupted: stopped every process it started')), { once: true });
  const group = new ProcessGroup((err) => stop.abort(err));
  const loadStart = loadAverage();
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const bed = await startTestbed(group, binaries, options, (cleanup) => cleanups.push(cleanup));
    throwIfStopped(stop.signal);
    const workers = loadWorkers();
    const outcomes: TrialOutcome[] = [];
    for (const run of runOrder(options.topologies, options.scenario.trials)) outcomes.push(await runTrial(bed, run, options, workers, stop));
    const results = outcomes.map((o) => o.result);
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
      results,
      failover: outcomes.flatMap((o) => (o.failover ? [o.failover] : [])),
      cpuUse: outcomes.flatMap((o) => (o.cpuUse ? [o.cpuUse] : [])),
    });
    return { ...(await writeLocalReport(options.outDir, report, results)), pids: group.pids };
  } catch (err) {
    // The first cause wins: Ctrl-C or a crashed server, not what failed because of it.
    throw stop.signal.aborted && stop.signal.reason instanceof Error ? stop.signal.reason : err;
  } finally {
    stop.abort(new Error('run finished'));
    await group.stopAll();
    for (const cleanup of cleanups) await cleanup();
  }
}

/**
 * The start step: the hello servers (CPU-limited if asked), nginx and the gateway over the three
 * balanced ones, each waited for until it serves. What must be undone after the processes stop
 * (the CPU limiter's cgroups, nginx's run directory) is handed to `onCleanup` as soon as it exists.
 */
export async function startTestbed(
  group: ProcessGroup,
  binaries: LocalBinaries,
  options: Pick<LocalRunOptions, 'topologies' | 'cpusPerServer' | 'work' | 'log'>,
  onCleanup: (cleanup: () => Promise<void>) => void,
): Promise<Testbed> {
  const { topologies, log } = options;
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
  if (topologies.some((t) => t !== 'single')) {
    const three: HelloServer[] = [];
    for (const id of BALANCED_IDS) three.push(await startLimitedHello(group, hello, limiter, id));
    for (const server of three) servers.set(server.id, server);
    if (topologies.includes('nginx')) {
      const nginx = await startNginx(group, present(binaries.nginx, 'the nginx binary'), three);
      onCleanup(() => rm(nginx.runDir, { recursive: true, force: true }));
      await waitForBackends(nginx.url, BALANCED_IDS);
      targets.set('nginx', nginx);
    }
    if (topologies.includes('rpc-gateway')) {
      const gateway = await startGateway(group, binaries.rpcGateway, three);
      await waitForBackends(gateway.url, BALANCED_IDS);
      targets.set('rpc-gateway', gateway);
    }
  }
  if (limiter) {
    // The balancers and the load generator as pods without a limit: their own scheduling weight.
    for (const [topology, { pid }] of targets) if (topology !== 'single') await limiter.weigh(topology, [pid, ...descendantsOf([pid])]);
    await limiter.weigh('load-generator', [process.pid]);
  }
  for (const s of servers.values()) log(`started ${s.id}: pid ${s.pid}, http ${s.http}, rpc ${s.rpc}, work-rounds ${s.workRounds}`);
  for (const [topology, { url, pid }] of targets) log(`ready ${topology}: ${url} (pid ${pid})`);
  const initialRounds = new Map([...servers].map(([id, server]) => [id, server.workRounds]));
  return { group, servers, targets, limiter, ...(limitNote ? { limitNote } : {}), initialRounds, hello };
}

/**
 * The trial step: one topology in one trial. The CPU meter and (in a failover run) the kill are
 * timed from when the load generator really starts (its `onStart`, once its worker threads run),
 * not from when the load was asked for: on a busy machine the threads take seconds to start, and
 * a kill planned against the asked-for start would land early in the measured part or before it.
 * A failed failover aborts the whole run through `stop`.
 */
export async function runTrial(bed: Testbed, run: RunId<LocalTopology>, options: Pick<LocalRunOptions, 'scenario' | 'failover' | 'log'>, workers: number, stop: AbortController): Promise<TrialOutcome> {
  const { scenario, log } = options;
  const { topology, trial } = run;
  const victim = options.failover && isFailoverRun(run, scenario.trials) ? failoverVictim(BALANCED_IDS.map((name) => ({ name, ready: true }))) : undefined;
  log(`trial ${trial}/${scenario.trials}: ${topology}, ${scenario.connections} connections, ${scenario.durationMs / 1000} s${victim ? `, killing ${victim} halfway` : ''}`);
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
      disruption = killAndRestart(bed, victim, killAt, localDownMs(scenario.durationMs), measuredEnd, stop.signal).catch((err: Error) => (stop.abort(new Error(`failover: ${err.message}`)), null));
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
  throwIfStopped(stop.signal);
  log(`  ${Math.round(result.throughputRps)} req/s, ${result.requests === 0 ? 'no successful responses' : `mean ${(result.latencyUs.mean / 1000).toFixed(2)} ms`}, ${totalErrors(result.errors)} errors`);
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
export function watchedProcesses(bed: Pick<Testbed, 'servers' | 'targets'>, topology: LocalTopology): Map<string, number> {
  const ids = topology === 'single' ? ['single'] : [...BALANCED_IDS];
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

/** The report's notes: how --work was calibrated, and the failover rule when it ran. */
export function localNotes(options: Pick<LocalRunOptions, 'scenario' | 'work' | 'failover'>, initialRounds: ReadonlyMap<string, number | null>): string[] {
  const { scenario } = options;
  return [
    ...(options.work
      ? [`--work ${options.work} calibrated by each hello server at start-up to hash rounds per request: ${[...initialRounds].map(([id, rounds]) => `${id} ${rounds}`).join(', ')}`]
      : []),
    ...(options.failover ? [describeFailover(localKillAfterMs(scenario.durationMs), localDownMs(scenario.durationMs))] : []),
  ];
}

/** The report step: report.{json,md,html} and each raw result into `outDir/<report time>/`. */
export async function writeLocalReport(outDir: string, report: Report, results: readonly LoadResult[]): Promise<Omit<LocalRunResult, 'pids'>> {
  const dir = join(outDir, report.createdAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z'));
  const files = await writeReportFiles(dir, report);
  await mkdir(join(dir, 'results'), { recursive: true });
  await Promise.all(results.map((r) => writeFile(join(dir, 'results', `${r.topology}-trial${r.trial}.json`), `${JSON.stringify(r)}\n`)));
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
async function killAndRestart(bed: Testbed, victimId: string, killAt: number, downMs: number, measuredEnd: number, signal: AbortSignal): Promise<KillTimes | null> {
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

async function startLimitedHello(group: ProcessGroup, hello: HelloSettings, limiter: CpuLimiter | null, id: string, addresses?: { http: string; rpc: string }): Promise<HelloServer> {
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
