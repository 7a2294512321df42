/**
 * `make bench-loadgen`: the load generator against wrk and autocannon, side by side in one run,
 * on one hello server (bin/hello) at 100 connections, one thread each. Prints requests/s and CPU
 * time per request of each tool, and the ratios to wrk per round, with their medians. wrk runs in
 * the middle of every round and the other two take turns before and after it, so that each ratio
 * compares two adjacent runs: the load of the other users of the machine drifts within seconds
 * (wrk against itself 12 s apart measured 0.76x to 2.2x at load average 6 to 8).
 *
 * CPU time per request: wrk's whole process (bash `time`); ours and autocannon's measured with
 * process.cpuUsage() around the run in a fresh Node process (all threads: GC, libuv), so Node's
 * start-up is left out as wrk's is negligible. Settings (environment): ROUNDS (5), DURATION (6s),
 * CONNECTIONS (100).
 *
 * Then open loop (issue 10), ours alone: against a hello server with a fixed `--work` (WORK, 200us),
 * its capacity measured in closed loop, then offered 50% and 150% of it: achieved rate against the
 * server's own count (hello_http_requests_total), send lag p50/p99 and CPU per request. And against
 * the plain hello server at 1,000 and 10,000 req/s: send lag and CPU per request, as a ratio to
 * the closed loop's CPU per request of the rounds above.
 *
 * Also `node build/loadtest/bench/bench-loadgen.js --memory URL`: 60 s at 1000 connections,
 * sampling the RSS every second (`make bench-loadgen-memory`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { runLoad } from '../run-load.js';
import { parseDurationMs, parseInteger } from '../parse.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const SELF = fileURLToPath(import.meta.url);

/** One tool's run: what it counted and the CPU its process used while loading. */
interface Measurement {
  readonly requests: number;
  readonly seconds: number;
  readonly cpuUs: number;
}

/** One open-loop run of ours. */
interface OpenMeasurement extends Measurement {
  readonly achievedRps: number;
  readonly sent: number;
  readonly notSent: number;
  readonly errors: number;
  readonly lagP50Us: number;
  readonly lagP99Us: number;
  readonly latencyP50Us: number;
}

type Tool = 'wrk' | 'clusterbench' | 'autocannon';

/** Targets of issue 3, with one worker: at least 0.9x wrk's req/s, at most 1.35x its CPU/request. */
const TARGET_RPS_RATIO = 0.9;
const TARGET_CPU_RATIO = 1.35;

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolvePromise(output) : reject(new Error(`${command} exited ${code}: ${output}`))));
  });
}

async function measure(tool: Tool, url: string, connections: number, seconds: number): Promise<Measurement> {
  if (tool === 'wrk') {
    const out = await run('bash', ['-c', `TIMEFORMAT='%U %S'; time wrk -t1 -c${connections} -d${seconds}s ${url}`]);
    const requests = Number(/(\d+) requests in ([\d.]+)s/.exec(out)?.[1]);
    const wrkSeconds = Number(/requests in ([\d.]+)s/.exec(out)?.[1]);
    const cpu = /^([\d.]+) ([\d.]+)$/m.exec(out);
    if (!requests || !cpu) throw new Error(`cannot read wrk's output:\n${out}`);
    return { requests, seconds: wrkSeconds, cpuUs: (Number(cpu[1]) + Number(cpu[2])) * 1e6 };
  }
  return inFreshProcess<Measurement>([tool, url, String(connections), String(seconds)]);
}

async function inFreshProcess<T>(args: readonly string[]): Promise<T> {
  const out = await run(process.execPath, [SELF, '--measure', ...args]);
  return JSON.parse(out.trim().split('\n').at(-1) as string) as T;
}

/** Ours, open loop at `rate`, in a fresh process, one worker. */
function measureOpen(url: string, connections: number, seconds: number, rate: number): Promise<OpenMeasurement> {
  return inFreshProcess<OpenMeasurement>(['open', url, String(connections), String(seconds), String(rate)]);
}

/** In a fresh process: one run of `tool` in this thread, with the CPU it took. */
async function measureHere(
  tool: Tool | 'open',
  url: string,
  connections: number,
  seconds: number,
  rate: number,
): Promise<Measurement | OpenMeasurement> {
  if (tool === 'open') {
    const cpu = process.cpuUsage();
    const result = await runLoad({ url, connections, rate, durationMs: seconds * 1000, warmupMs: 0, workers: 1 });
    const used = process.cpuUsage(cpu);
    const e = result.errors;
    return {
      requests: result.requests,
      seconds: result.durationMs / 1000,
      cpuUs: used.user + used.system,
      achievedRps: result.throughputRps,
      sent: result.sent,
      notSent: result.notSent,
      errors: e.connect + e.timeout + e.reset + e.status4xx + e.status5xx,
      lagP50Us: result.sendLagUs?.p50 ?? 0,
      lagP99Us: result.sendLagUs?.p99 ?? 0,
      latencyP50Us: result.latencyUs.p50,
    };
  }
  if (tool === 'clusterbench') {
    const cpu = process.cpuUsage();
    const result = await runLoad({ url, connections, durationMs: seconds * 1000, warmupMs: 0, workers: 1 });
    const used = process.cpuUsage(cpu);
    return { requests: result.requests, seconds: result.durationMs / 1000, cpuUs: used.user + used.system };
  }
  // autocannon has no type declarations; it is a dev dependency, here for the comparison only.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion, @typescript-eslint/no-unsafe-member-access -- `as string` keeps tsc from resolving the untyped module
  const autocannon = (await import('autocannon' as string)).default as (opts: object) => Promise<{
    requests: { total: number };
    duration: number;
  }>;
  const cpu = process.cpuUsage();
  const result = await autocannon({ url, connections, duration: seconds });
  const used = process.cpuUsage(cpu);
  return { requests: result.requests.total, seconds: result.duration, cpuUs: used.user + used.system };
}

async function startHello(args: readonly string[] = []): Promise<{ url: string; child: ChildProcess }> {
  const bin = join(ROOT, 'bin/hello');
  const child = spawn(bin, ['--http', '127.0.0.1:0', '--rpc', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  for await (const chunk of child.stderr as NodeJS.ReadableStream) {
    stderr += String(chunk);
    const http = /listening http=(\S+)/.exec(stderr);
    if (http) return { url: `http://${http[1]}/`, child };
  }
  throw new Error(`bin/hello did not start: ${stderr}`);
}

function format(tool: Tool, m: Measurement): string {
  const rps = m.requests / m.seconds;
  return `${tool.padEnd(12)} ${Math.round(rps).toString().padStart(7)} req/s  ${(m.cpuUs / m.requests).toFixed(2).padStart(6)} us CPU/request`;
}

async function compare(): Promise<void> {
  const rounds = parseInteger('ROUNDS', process.env.ROUNDS ?? '5', 1, 100);
  const seconds = parseDurationMs('DURATION', process.env.DURATION ?? '6s') / 1000;
  const connections = parseInteger('CONNECTIONS', process.env.CONNECTIONS ?? '100', 1, 100_000);
  if (!Number.isInteger(seconds)) throw new Error(`DURATION: want whole seconds (wrk takes seconds), not ${seconds}s`);
  try {
    execFileSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' });
  } catch {
    throw new Error('wrk is not installed (apt-get install wrk)');
  }
  const hello = await startHello();
  try {
    console.log(`bench-loadgen: ${connections} connections, one thread each, ${seconds}s x ${rounds} rounds, bin/hello at ${hello.url}`);
    console.log(`load average before: ${loadAverage()}`);
    await measure('wrk', hello.url, connections, 1); // warm the server up
    const closedCpu: number[] = [];
    const ratios: Record<'clusterbench' | 'autocannon', { rps: number[]; cpu: number[] }> = {
      clusterbench: { rps: [], cpu: [] },
      autocannon: { rps: [], cpu: [] },
    };
    for (let round = 0; round < rounds; round++) {
      const order: readonly Tool[] = round % 2 === 0 ? ['clusterbench', 'wrk', 'autocannon'] : ['autocannon', 'wrk', 'clusterbench'];
      const got = {} as Record<Tool, Measurement>;
      for (const tool of order) {
        got[tool] = await measure(tool, hello.url, connections, seconds);
        console.log(`  round ${round + 1}  ${format(tool, got[tool])}`);
      }
      closedCpu.push(got.clusterbench.cpuUs / got.clusterbench.requests);
      const wrkRps = got.wrk.requests / got.wrk.seconds;
      const wrkCpu = got.wrk.cpuUs / got.wrk.requests;
      for (const tool of ['clusterbench', 'autocannon'] as const) {
        ratios[tool].rps.push(got[tool].requests / got[tool].seconds / wrkRps);
        ratios[tool].cpu.push(got[tool].cpuUs / got[tool].requests / wrkCpu);
      }
    }
    console.log(`load average after: ${loadAverage()}`);
    console.log('\nratios to wrk -t1 (median of the rounds; per round in brackets):');
    for (const tool of ['clusterbench', 'autocannon'] as const) {
      const r = ratios[tool];
      const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
      console.log(
        `  ${tool.padEnd(12)} req/s ${median(r.rps).toFixed(2)}x [${list(r.rps)}]   CPU/request ${median(r.cpu).toFixed(2)}x [${list(r.cpu)}]`,
      );
    }
    const ours = ratios.clusterbench;
    const met = median(ours.rps) >= TARGET_RPS_RATIO && median(ours.cpu) <= TARGET_CPU_RATIO;
    console.log(`\ntarget (>= ${TARGET_RPS_RATIO}x wrk's req/s, <= ${TARGET_CPU_RATIO}x its CPU/request): ${met ? 'met' : 'MISSED'}`);
    await openLoop(hello.url, connections, seconds, median(closedCpu));
  } finally {
    await stopHello(hello);
  }
}

async function stopHello(hello: { child: ChildProcess }): Promise<void> {
  hello.child.kill('SIGKILL');
  if (hello.child.exitCode === null && hello.child.signalCode === null) await once(hello.child, 'exit');
}

async function served(url: string): Promise<number> {
  const text = await (await fetch(`${url}metrics`)).text();
  const match = /^hello_http_requests_total (\d+)$/m.exec(text);
  if (!match) throw new Error(`no hello_http_requests_total in ${url}metrics`);
  return Number(match[1]);
}

function formatOpen(label: string, rate: number, m: OpenMeasurement, closedCpuUs: number, serverRps?: number): string {
  const cpu = m.cpuUs / Math.max(1, m.sent);
  return [
    `  ${label.padEnd(22)} offered ${Math.round(rate).toString().padStart(6)}  achieved ${Math.round(m.achievedRps).toString().padStart(6)} req/s`,
    serverRps === undefined ? '' : `  server ${Math.round(serverRps).toString().padStart(6)} (${(m.achievedRps / serverRps).toFixed(3)}x)`,
    `  not sent ${m.notSent}  errors ${m.errors}`,
    `  send lag p50 ${m.lagP50Us} us p99 ${m.lagP99Us} us (latency p50 ${m.latencyP50Us} us)`,
    `  ${cpu.toFixed(2)} us CPU/request (${(cpu / closedCpuUs).toFixed(2)}x closed loop)`,
  ].join('');
}

/** Open-loop rows: 50% and 150% of a worked hello's capacity, and the plain hello at 1k and 10k req/s. */
async function openLoop(plainUrl: string, connections: number, seconds: number, closedCpuUs: number): Promise<void> {
  const work = process.env.WORK ?? '200us';
  console.log(`\nopen loop (ours, one worker, ${connections} connections, ${seconds}s); load average ${loadAverage()}`);
  const worked = await startHello(['--work', work]);
  try {
    const before = await served(worked.url);
    const closed = await measure('clusterbench', worked.url, connections, seconds);
    const capacity = ((await served(worked.url)) - before) / closed.seconds;
    console.log(`  hello --work ${work}: capacity ${Math.round(capacity)} req/s (closed loop, the server's count)`);
    for (const share of [0.5, 1.5]) {
      const rate = Math.round(share * capacity);
      const start = await served(worked.url);
      const m = await measureOpen(worked.url, connections, seconds, rate);
      // The server's count over the run (no warmup; the drain adds at most one per connection).
      const serverRps = ((await served(worked.url)) - start) / seconds;
      console.log(formatOpen(`${share * 100}% of capacity`, rate, m, closedCpuUs, serverRps));
    }
  } finally {
    await stopHello(worked);
  }
  for (const rate of [1000, 10_000]) {
    const m = await measureOpen(plainUrl, connections, seconds, rate);
    console.log(formatOpen('plain hello', rate, m, closedCpuUs));
  }
  console.log(`  load average after: ${loadAverage()}`);
}

/** 60 s at 1000 connections against `url` (or a bin/hello of its own); RSS every second. */
async function memory(url: string | undefined): Promise<void> {
  const seconds = parseDurationMs('DURATION', process.env.DURATION ?? '60s') / 1000;
  const connections = parseInteger('CONNECTIONS', process.env.CONNECTIONS ?? '1000', 1, 100_000);
  const hello = url === undefined ? await startHello() : null;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- hello is started exactly when url is undefined
  const target = url ?? (hello?.url as string);
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(process.memoryUsage.rss()), 1000);
  try {
    console.log(`bench-loadgen memory: ${connections} connections for ${seconds}s against ${target}, load average ${loadAverage()}`);
    const result = await runLoad({ url: target, connections, durationMs: seconds * 1000, warmupMs: 0, workers: 1 });
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    const tenth = Math.max(1, Math.floor(samples.length / 10));
    console.log(`requests ${result.requests} (${result.throughputRps} req/s), errors ${JSON.stringify(result.errors)}`);
    console.log(
      `RSS MB: first 10% of the run ${mb(Math.max(...samples.slice(0, tenth)))}, last 10% ${mb(Math.max(...samples.slice(-tenth)))}, peak ${mb(Math.max(...samples))}`,
    );
    console.log(
      `RSS every 5 s: ${samples
        .filter((_, i) => i % 5 === 4)
        .map(mb)
        .join(' ')}`,
    );
    console.log(`peak RSS (getrusage maxrss): ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB; load average ${loadAverage()}`);
  } finally {
    clearInterval(sampler);
    if (hello !== null) await stopHello(hello);
  }
}

const args = process.argv.slice(2);
if (args[0] === '--measure') {
  const [, tool, url, connections, seconds, rate] = args;
  console.log(JSON.stringify(await measureHere(tool as Tool | 'open', url, Number(connections), Number(seconds), Number(rate))));
} else if (args[0] === '--memory') {
  await memory(args[1]);
} else {
  await compare();
}
