/**
 * The embedded default: the seed's comparison as processes on this machine's loopback. One hello
 * server (`single`), three more behind nginx and behind the Go net/rpc gateway, the same load
 * against each, trials interleaved in rotating order, then the report.
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
  writeReportFiles,
  type CpuUseSample,
  type FailoverEvent,
  type Report,
  type ReportFiles,
} from '../report/index.js';
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
  /** In the order given; trial k starts at topology k (rotating). */
  readonly topologies: readonly LocalTopology[];
  /** CPUs each hello server may use (cgroup quota); null for no limit. */
  readonly cpusPerServer: number | null;
  /** The hello servers' --work, e.g. `200us`. */
  readonly work?: string;
  /** Kill hello-2 halfway through the last trial of nginx and rpc-gateway, restart it later. */
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

/** The hello server killed in a failover run: one of the three behind each balancer. */
const FAILOVER_VICTIM = 'hello-2';
const FAILOVER_RESTART_MS = 3000;
const BALANCED_IDS = ['hello-1', 'hello-2', 'hello-3'] as const;
/**
 * Lead time so the load starts on a known clock (the failover and CPU timers are set against it):
 * long enough for the load generator's worker threads to start on a busy machine (up to 250 ms
 * measured here at load average 20).
 */
const START_LEAD_MS = 1000;

export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const { scenario, topologies, log } = options;
  const root = packageRoot();
  const binaries = findBinaries(root, topologies);
  const stop = new AbortController();
  const abortRun = (reason: Error) => stop.abort(reason);
  options.signal?.addEventListener('abort', () => abortRun(new Error('interrupted: stopped every process it started')), { once: true });
  const group = new ProcessGroup((err) => abortRun(err));
  const loadStart = loadAverage();
  let limitNote: string | undefined;
  let limiter: CpuLimiter | null = null;
  let nginxRunDir: string | null = null;
  const servers = new Map<string, HelloServer>();
  const hello: HelloSettings = { binary: binaries.hello, work: options.work };
  const startLimitedHello = async (id: string, addresses?: { http: string; rpc: string }) => {
    const server = await startHello(group, hello, id, addresses);
    // After start-up, so --work is calibrated on an unthrottled CPU as the hello server expects.
    await limiter?.limit(id, server.pid);
    return server;
  };

  try {
    if (options.cpusPerServer !== null) {
      const made = await createCpuLimiter(options.cpusPerServer);
      if ('limiter' in made) limiter = made.limiter;
      else {
        log(`cpu limits: ${made.unavailable}; running the hello servers without a CPU limit`);
        limitNote = `--cpus-per-server ${options.cpusPerServer} was asked for but not applied: ${made.unavailable}`;
      }
    }
    const targets = new Map<LocalTopology, { url: string; pid: number }>();
    if (topologies.includes('single')) {
      const single = await startLimitedHello('single');
      servers.set(single.id, single);
      targets.set('single', { url: `http://${single.http}/`, pid: single.pid });
    }
    const balanced = topologies.filter((t) => t !== 'single');
    if (balanced.length > 0) {
      for (const id of BALANCED_IDS) servers.set(id, await startLimitedHello(id));
      const three = BALANCED_IDS.map((id) => servers.get(id) as HelloServer);
      if (balanced.includes('nginx')) {
        const nginx = await startNginx(group, binaries.nginx as string, three);
        nginxRunDir = nginx.runDir;
        await waitForBackends(nginx.url, BALANCED_IDS);
        targets.set('nginx', nginx);
      }
      if (balanced.includes('rpc-gateway')) {
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
    throwIfStopped(stop.signal);
    const initialRounds = new Map([...servers].map(([id, server]) => [id, server.workRounds]));

    const results: LoadResult[] = [];
    const failovers: FailoverEvent[] = [];
    const cpuUse: CpuUseSample[] = [];
    /** The processes that serve `topology`: its hello servers and its balancer. */
    const watchedProcesses = (topology: LocalTopology): Map<string, number> => {
      const ids = topology === 'single' ? ['single'] : [...BALANCED_IDS];
      const watched = new Map(ids.map((id) => [id, (servers.get(id) as HelloServer).pid]));
      if (topology !== 'single') watched.set(topology, targets.get(topology)?.pid as number);
      return watched;
    };
    const workers = loadWorkers();
    for (let trial = 1; trial <= scenario.trials; trial++) {
      const shift = (trial - 1) % topologies.length;
      const order = [...topologies.slice(shift), ...topologies.slice(0, shift)];
      for (const topology of order) {
        const withFailover = options.failover && topology !== 'single' && trial === scenario.trials;
        log(`trial ${trial}/${scenario.trials}: ${topology}, ${scenario.connections} connections, ${scenario.durationMs / 1000} s${withFailover ? `, killing ${FAILOVER_VICTIM} halfway` : ''}`);
        const startAt = Date.now() + START_LEAD_MS;
        const measuredStart = startAt + scenario.warmupMs;
        const measuredEnd = measuredStart + scenario.durationMs;
        const meter = new CpuUseMeter(watchedProcesses(topology), limiter);
        let cpuSample: CpuUseSample | null = null;
        const meterTimers = [
          setTimeout(() => meter.begin(), measuredStart - Date.now()),
          setTimeout(() => (cpuSample = meter.end(topology, trial)), measuredEnd - Date.now()),
        ];
        const disruption = withFailover
          ? killAndRestart(measuredStart + scenario.durationMs / 2, failoverDownMs(scenario), measuredEnd, stop.signal).catch(
              (err: Error) => (abortRun(new Error(`failover: ${err.message}`)), null),
            )
          : null;
        const result = await runLoad({
          url: targets.get(topology)?.url as string,
          mode: scenario.mode,
          connections: scenario.connections,
          durationMs: scenario.durationMs,
          warmupMs: scenario.warmupMs,
          workers,
          topology,
          trial,
          runner: 0,
          startAt,
          signal: stop.signal,
        });
        const times = await disruption;
        for (const timer of meterTimers) clearTimeout(timer);
        throwIfStopped(stop.signal);
        results.push(result);
        if (cpuSample) cpuUse.push(cpuSample);
        log(`  ${Math.round(result.throughputRps)} req/s, ${result.requests === 0 ? 'no successful responses' : `mean ${(result.latencyUs.mean / 1000).toFixed(2)} ms`}, ${Object.values(result.errors).reduce((a, b) => a + b, 0)} errors`);
        if (times) {
          // Against when the load generator really began measuring, not when it was asked to.
          const startedAt = Date.parse(result.startedAt);
          failovers.push({
            topology,
            trial,
            backend: FAILOVER_VICTIM,
            killedAtMs: times.killedAt - startedAt,
            restartedAtMs: times.restartedAt - startedAt,
            servingAgainAtMs: times.servingAgainAt === null ? null : times.servingAgainAt - startedAt,
          });
        }
      }
    }

    const report = buildReport({
      scenario: {
        name: scenario.name,
        mode: scenario.mode,
        connections: scenario.connections,
        rate: null,
        durationMs: scenario.durationMs,
        warmupMs: scenario.warmupMs,
        trials: scenario.trials,
        runners: 1,
        order: 'trials interleaved, topologies in rotating order',
        serverSettings: options.work ? { work: options.work } : {},
        ...(options.maxErrors === undefined ? {} : { maxErrors: options.maxErrors }),
      },
      environment: await describeEnvironment({
        binaries,
        clusterbenchVersion: packageVersion(root),
        limiter,
        ...(limitNote ? { limitNote } : {}),
        loadWorkers: workers,
        processes: [...servers.keys(), ...[...targets.keys()].filter((t) => t !== 'single')],
        loadAverageAtStart: loadStart,
        notes: [
          ...(options.work
            ? [`--work ${options.work} calibrated by each hello server at start-up to hash rounds per request: ${[...initialRounds].map(([id, rounds]) => `${id} ${rounds}`).join(', ')}`]
            : []),
          ...(options.failover ? [`--failover: ${FAILOVER_VICTIM} killed (SIGKILL) halfway through the last trial of each balanced topology, restarted about ${failoverDownMs(scenario) / 1000} s later`] : []),
        ],
      }),
      results,
      failover: failovers,
      cpuUse,
    });
    const dir = join(options.outDir, report.createdAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z'));
    const files = await writeReportFiles(dir, report);
    await mkdir(join(dir, 'results'), { recursive: true });
    await Promise.all(results.map((r) => writeFile(join(dir, 'results', `${r.topology}-trial${r.trial}.json`), `${JSON.stringify(r)}\n`)));
    return { report, markdown: renderMarkdown(report), dir, files, pids: group.pids };
  } catch (err) {
    // The first cause wins: Ctrl-C or a crashed server, not what failed because of it.
    throw stop.signal.aborted && stop.signal.reason instanceof Error ? stop.signal.reason : err;
  } finally {
    stop.abort(new Error('run finished'));
    await group.stopAll();
    await limiter?.remove();
    if (nginxRunDir) await rm(nginxRunDir, { recursive: true, force: true });
  }

  /**
   * Kills the failover victim at `killAt` (epoch ms), starts it again `downMs` later and watches
   * until it serves again or the measured part ends (`measuredEnd`).
   */
  async function killAndRestart(
    killAt: number,
    downMs: number,
    measuredEnd: number,
    signal: AbortSignal,
  ): Promise<{ killedAt: number; restartedAt: number; servingAgainAt: number | null } | null> {
    await sleep(killAt - Date.now(), signal);
    if (signal.aborted) return null;
    const victim = servers.get(FAILOVER_VICTIM) as HelloServer;
    await group.kill(FAILOVER_VICTIM);
    const killedAt = Date.now();
    await sleep(downMs, signal);
    if (signal.aborted) return null;
    const restarted = await startLimitedHello(FAILOVER_VICTIM, { http: victim.http, rpc: victim.rpc });
    const restartedAt = Date.now();
    servers.set(FAILOVER_VICTIM, restarted);
    const servingAgainAt = await waitUntilServing(restarted, measuredEnd, signal);
    return { killedAt, restartedAt, servingAgainAt };
  }
}

/** How long the failover victim stays down: a few seconds, less in short runs. */
function failoverDownMs(scenario: Scenario): number {
  return Math.min(FAILOVER_RESTART_MS, scenario.durationMs / 4);
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

function findBinaries(root: string, topologies: readonly LocalTopology[]): { hello: string; rpcGateway: string; nginx?: string } {
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
