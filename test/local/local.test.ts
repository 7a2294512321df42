/**
 * `clusterbench local` end to end: the real CLI, real hello servers, real nginx, the real gateway,
 * on loopback with tiny durations. Every test proves that no process it started is left and that
 * the ports are free again.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/index.js';
import type { LoadResult } from '../../loadtest/types.js';
import { parseLocalFlags } from '../../src/local/command.js';
import { describeFailover, localDownMs, localKillAfterMs, RUN_ORDER_DESCRIPTION } from '../../src/plan/run-plan.js';
import { UsageError } from '../../loadtest/usage-error.js';
import { checkReportInChromium, haveChromium } from '../report/chromium.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'build/src/cli.js');
const TINY = ['--scenario', 'quick', '--duration', '1500ms', '--warmup', '300ms', '--connections', '16'];

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `whenLine` may act on a stderr line while it runs (send a signal, kill a child). */
function cli(args: readonly string[], whenLine?: (line: string, child: ReturnType<typeof spawn>) => void): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      const before = stderr.length;
      stderr += d;
      if (whenLine)
        for (const line of stderr
          .slice(stderr.lastIndexOf('\n', before) + 1)
          .split('\n')
          .slice(0, -1))
          whenLine(line, child);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** pids and loopback addresses the CLI reported starting. */
function startedProcesses(stderr: string): { pids: number[]; addresses: string[] } {
  const pids = [...stderr.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
  const addresses = [...stderr.matchAll(/(127\.0\.0\.1:\d+)/g)].map((m) => m[1]);
  return { pids: [...new Set(pids)], addresses: [...new Set(addresses)] };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSyncSafe(`/proc/${pid}/stat`).includes(') Z'); // a zombie is gone in all but name
  } catch {
    return false;
  }
}

function readFileSyncSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function refused(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((r) => {
    const socket = connect({ host, port: Number(port) });
    socket.once('connect', () => (socket.destroy(), r(false)));
    socket.once('error', () => r(true));
  });
}

async function expectNothingLeft(stderr: string): Promise<void> {
  const { pids, addresses } = startedProcesses(stderr);
  expect(pids.length).toBeGreaterThan(0);
  expect(pids.filter(alive)).toEqual([]);
  for (const address of addresses) expect(await refused(address), address).toBe(true);
  const cgroups = existsSync('/sys/fs/cgroup/cpu') ? await readdir('/sys/fs/cgroup/cpu') : [];
  expect(cgroups.filter((g) => g.startsWith('clusterbench-') && !alive(Number(g.split('-')[1])))).toEqual([]);
}

describe('clusterbench local: flags', () => {
  const base = { scenario: 'standard', out: 'reports' };

  it.each([
    [{ topologies: 'single,ingress-nginx' }, /--topologies: "ingress-nginx" is not allowed \(allowed: single, nginx, rpc-gateway\)/],
    [{ scenario: 'huge' }, /--scenario: "huge" is not allowed \(allowed: quick, standard, seed\)/],
    [{ trials: '-1' }, /--trials: "-1" must be a whole number, 1 to 10$/],
    [{ cpusPerServer: '-0.25' }, /--cpus-per-server: "-0.25" must be a number greater than zero/],
    [{ duration: '-5s' }, /--duration: "-5s" is not a duration/],
    [{ connections: '0' }, /--connections: "0" must be a whole number/],
    [{ maxErrors: '101%' }, /--max-errors: "101%" is not a percentage from 0% to 100%/],
  ])('rejects %o', (flags, message) => {
    expect(() => parseLocalFlags({ ...base, ...flags })).toThrow(UsageError);
    expect(() => parseLocalFlags({ ...base, ...flags })).toThrow(message);
  });

  it('applies overrides on top of the named scenario', () => {
    const options = parseLocalFlags({ ...base, scenario: 'seed', duration: '2s', work: '200us', cpusPerServer: '0.25' });
    expect(options.scenario).toMatchObject({ name: 'seed', connections: 1000, durationMs: 2000, trials: 3 });
    expect(options.work).toBe('200us');
    expect(options.cpusPerServer).toBe(0.25);
    expect(options.topologies).toEqual(['single', 'nginx', 'rpc-gateway']);
    expect(parseLocalFlags({ ...base, maxErrors: '2.5%' }).maxErrors).toBe(0.025);
  });
});

describe('clusterbench local: runs', () => {
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'cb-local-'));
    // What `make local` does first; a no-op when `make test` has just built. Never npm ci here
    // (-o): node_modules is shared and only changed under a lock.
    execFileSync('make', ['-s', '-o', 'node_modules/.package-lock.json', 'build-go', 'build-ts'], { cwd: ROOT, stdio: 'inherit' });
  }, 180_000);
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('exits 2 on an unknown topology, listing the allowed ones, and starts nothing', async () => {
    const run = await cli(['local', '--topologies', 'nginx,envoy', '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('clusterbench: --topologies: "envoy" is not allowed (allowed: single, nginx, rpc-gateway)');
    expect(await readdir(out)).toEqual([]);
  });

  it('runs the three topologies with CPU-limited servers and writes the report', async () => {
    const run = await cli(['local', ...TINY, '--cpus-per-server', '0.5', '--work', '20us', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const [dir] = await readdir(out);
    const files = await readdir(join(out, dir));
    expect(files).toEqual(expect.arrayContaining(['report.json', 'report.md', 'report.html', 'results']));
    const report = JSON.parse(await readFile(join(out, dir, 'report.json'), 'utf8')) as Report;
    expect(report.topologies.map((t) => t.name)).toEqual(['single', 'nginx', 'rpc-gateway']);
    for (const t of report.topologies) {
      expect(t.throughputRps.median, t.name).toBeGreaterThan(0);
      expect(t.errors.total, t.name).toBe(0);
      expect(Object.keys(t.backends).sort(), t.name).toEqual(t.name === 'single' ? ['single'] : ['hello-1', 'hello-2', 'hello-3']);
      // CPU measured for the servers, the balancer and the load generator.
      const watched = t.name === 'single' ? ['single'] : ['hello-1', 'hello-2', 'hello-3', t.name];
      expect(Object.keys(t.cpuUse ?? {}).sort(), t.name).toEqual([...watched, 'load generator'].sort());
      for (const id of watched) expect(t.cpuUse?.[id].cpus, `${t.name} ${id}`).toBeGreaterThan(0);
    }
    expect(report.scenario).toMatchObject({ name: 'quick', connections: 16, durationMs: 1500, serverSettings: { work: '20us' } });
    if (report.environment.cpuLimits.perServer === null) {
      // Not root, or no writable cgroup: the run must say so, once, and record it.
      expect(report.environment.cpuLimits.note).toMatch(/not applied/);
      expect(run.stderr.match(/running the hello servers without a CPU limit/g)).toHaveLength(1);
    } else {
      expect(report.environment.cpuLimits).toMatchObject({ perServer: 0.5, mechanism: expect.stringMatching(/^cgroup v[12]/) });
    }
    if (haveChromium) {
      await checkReportInChromium(join(out, dir, 'report.html'), {
        topologies: 3,
        timelines: 3,
        screenshot: 'clusterbench-local-report.png',
      });
    }
    // The results table is printed first, then the answer.
    expect(run.stdout).toMatch(
      /^# clusterbench report[^\n]*\n\n[^\n]*\n\n\| topology \| throughput \(req\/s\) \| 95% interval \(req\/s\) \| ratio to single \|[^\n]*\n(\|[^\n]*\n)+\n\*\*[^\n]+(fastest|highest throughput)/,
    );
    await expectNothingLeft(run.stderr);
  });

  it('survives a killed server: rpc-gateway loses nothing, nginx at most what was in flight', async () => {
    const connections = 16;
    // Long enough for both balancers to use the restarted server again, with 2 s to spare: it is
    // killed at 8 s and started 3 s later; nginx tries a failed server again at most 3 s after its
    // last failure (fail_timeout 2 s on a whole-second clock), the gateway redials within 1.5 s.
    const durationMs = 16_000;
    const args = [
      '--topologies',
      'nginx,rpc-gateway',
      '--duration',
      `${durationMs}ms`,
      '--warmup',
      '300ms',
      '--connections',
      String(connections),
    ];
    const run = await cli(['local', '--scenario', 'quick', ...args, '--failover', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const dir = (await readdir(out)).sort().at(-1) as string;
    const report = JSON.parse(await readFile(join(out, dir, 'report.json'), 'utf8')) as Report;
    const byName = Object.fromEntries(report.topologies.map((t) => [t.name, t]));
    for (const name of ['nginx', 'rpc-gateway']) {
      const f = byName[name].failover;
      expect(f, name).toMatchObject({ trial: 1, backend: 'hello-1' });
      // Halfway through the measured part as the load generator really ran it, however late its
      // threads started (within a tenth of the window: timer and kill latency on a busy machine).
      expect(Math.abs((f?.killedAtMs ?? -1) - localKillAfterMs(durationMs)), `${name} killedAtMs ${f?.killedAtMs}`).toBeLessThan(
        durationMs / 10,
      );
      expect((f?.restartedAtMs ?? 0) - (f?.killedAtMs ?? 0), name).toBeGreaterThanOrEqual(localDownMs(durationMs));
      // The restarted server took requests again before the end of the measured part.
      expect(f?.servingAgainMs, name).toBeGreaterThan(0);
      expect((f?.killedAtMs ?? 0) + (f?.servingAgainMs ?? Infinity), name).toBeLessThan(durationMs);
      expect(byName[name].backends['hello-1'], name).toBeGreaterThan(0.05);
    }
    expect(report.environment.notes).toContain(describeFailover(localKillAfterMs(durationMs), localDownMs(durationMs)));
    expect(report.scenario.order).toBe(RUN_ORDER_DESCRIPTION);
    expect(byName['rpc-gateway'].errors.total).toBe(0);
    expect(byName.nginx.errors.total).toBeLessThanOrEqual(connections);
    await expectNothingLeft(run.stderr);
  }, 120_000);

  it('sweeps the replicas: each balancer over exactly N servers at each count, a scaling point for each', async () => {
    const run = await cli([
      'local',
      '--scenario',
      'quick',
      '--duration',
      '1s',
      '--warmup',
      '200ms',
      '--connections',
      '8',
      '--replicas',
      '1,2',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const dir = (await readdir(out)).sort().at(-1) as string;
    const report = JSON.parse(await readFile(join(out, dir, 'report.json'), 'utf8')) as Report;
    expect(report.scaling?.availableCpus).toBe(cpus().length);
    expect(report.scaling?.topologies.map((t) => t.name)).toEqual(['nginx', 'rpc-gateway']);
    for (const t of report.scaling?.topologies ?? []) {
      expect(
        t.points.map((p) => p.replicas),
        t.name,
      ).toEqual([1, 2]);
      for (const p of t.points) {
        expect(p.throughputRps.median, `${t.name} at ${p.replicas}`).toBeGreaterThan(0);
        expect(p.errors, `${t.name} at ${p.replicas}`).toBe(0);
        // The CPU meter watched exactly the servers behind the balancer at this count.
        expect(
          Object.keys(p.cpuUse ?? {})
            .filter((k) => k.startsWith('hello-'))
            .sort(),
          `${t.name} at ${p.replicas}`,
        ).toEqual(p.replicas === 1 ? ['hello-1'] : ['hello-1', 'hello-2']);
      }
      expect(t.points[0].ratioToOne).toBe(1);
      // Each balancer answered from exactly the N servers of its count, every one a real share: the
      // gateway's least-outstanding choice leans to whichever server is less starved of CPU, so not
      // an equal one (seen 21% of 2 at load 12).
      for (const n of [1, 2]) {
        const result = JSON.parse(await readFile(join(out, dir, 'results', `${t.name}-${n}-replicas-trial1.json`), 'utf8')) as LoadResult;
        const total = Object.values(result.backends).reduce((a, b) => a + b, 0);
        expect(Object.keys(result.backends).sort(), `${t.name} at ${n}`).toEqual(n === 1 ? ['hello-1'] : ['hello-1', 'hello-2']);
        for (const [id, count] of Object.entries(result.backends))
          expect(count / total, `${t.name} at ${n}: ${id}`).toBeGreaterThan(0.25 / n);
      }
    }
    // The main tables: single, and the balancers at the largest count (3 is not swept).
    expect(report.topologies.map((t) => [t.name, Object.keys(t.backends).sort()])).toEqual([
      ['single', ['single']],
      ['nginx', ['hello-1', 'hello-2']],
      ['rpc-gateway', ['hello-1', 'hello-2']],
    ]);
    expect(report.environment.notes?.some((n) => n.startsWith('replica sweep: 1, 2 hello servers'))).toBe(true);
    expect(run.stdout).toMatch(/## Scaling: nginx, throughput vs replicas/);
    await expectNothingLeft(run.stderr);
  }, 120_000);

  it('stops every process on Ctrl-C (SIGINT)', async () => {
    let sent = false;
    const run = await cli(['local', '--scenario', 'quick', '--duration', '30s', '--out', out], (line, child) => {
      if (!sent && line.startsWith('trial 1/1')) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 500);
      }
    });
    expect(sent).toBe(true);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/interrupted/);
    await expectNothingLeft(run.stderr);
  });

  it('fails and stops everything when a server crashes', async () => {
    let killed = 0;
    const run = await cli(['local', '--scenario', 'quick', '--duration', '30s', '--out', out], (line) => {
      const hello3 = line.match(/^started hello-3: pid (\d+)/);
      if (hello3) killed = Number(hello3[1]);
      if (killed && line.startsWith('trial 1/1')) setTimeout(() => process.kill(killed, 'SIGKILL'), 500);
    });
    expect(killed).toBeGreaterThan(0);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/hello-3 exited unexpectedly with signal SIGKILL/);
    await expectNothingLeft(run.stderr);
  });
});
