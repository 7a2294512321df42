/**
 * The bad-input corpus: what a new user mistypes, run through the built `clusterbench` as they
 * would. Every case must exit 2 with exactly one line on stderr (`clusterbench: <flag>: ...`),
 * nothing on stdout, and leave the files around it exactly as they were: nothing written, nothing
 * deleted, no temporary name left behind. A few good inputs beside them prove the refusals are
 * about the one thing that is wrong.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad, type LoadResult } from '../../loadtest/index.js';
import { CLI, type FixtureServer, response, ROOT, startFixtureServer } from '../loadtest/servers.js';
import { runProcess, type Run } from './run-process.js';

const work = mkdtempSync(join(tmpdir(), 'clusterbench-bad-input-'));
let server: FixtureServer;
/** Two runners of one run, as `load --out` writes them. */
let runner0: LoadResult;
let runner1: LoadResult;

/** The built CLI, in `cwd`, optionally under a lower open-files limit (`ulimit -n 256`: soft and hard). */
function clusterbench(args: readonly string[], opts: { cwd?: string; ulimit?: string } = {}): Promise<Run> {
  return node([CLI, ...args], opts);
}

function node(args: readonly string[], opts: { cwd?: string; ulimit?: string } = {}): Promise<Run> {
  const [command, argv] =
    opts.ulimit === undefined
      ? [process.execPath, args]
      : ['bash', ['-c', `ulimit ${opts.ulimit} && exec "$0" "$@"`, process.execPath, ...args]];
  // A hang is a failure too (synth --out /proc/x once hung forever).
  return runProcess(command, argv, { cwd: opts.cwd ?? work, env: { ...process.env, KUBECONFIG: '/nonexistent' }, timeoutMs: 20_000 });
}

/** Every path under `dir` with a hash of its contents (folders as "dir"). */
function snapshot(dir: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (at: string, prefix: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) {
        entries[`${prefix}${name}/`] = 'dir';
        walk(path, `${prefix}${name}/`);
      } else {
        entries[`${prefix}${name}`] = createHash('sha256').update(readFileSync(path)).digest('hex');
      }
    }
  };
  walk(dir, '');
  return entries;
}

/** Writes `result` changed by `change` as a result file; returns its path. */
function resultFile(name: string, result: LoadResult, change: Record<string, unknown> = {}): string {
  const path = join(work, 'results', name);
  writeFileSync(path, JSON.stringify({ ...result, ...change }));
  return path;
}

beforeAll(async () => {
  server = await startFixtureServer((socket) => socket.write(response(200, 'Hello, World!', 'X-Served-By: fixture\r\n')));
  mkdirSync(join(work, 'user'));
  writeFileSync(join(work, 'user', 'notes.txt'), 'mine\n');
  writeFileSync(join(work, 'a-file'), 'mine\n');
  mkdirSync(join(work, 'results'));
  [runner0, runner1] = await Promise.all(
    [0, 1].map((runner) =>
      runLoad({ url: server.url, connections: 2, durationMs: 300, warmupMs: 0, workers: 1, runner, topology: 'single' }),
    ),
  );
  resultFile('runner0.json', runner0);
  resultFile('runner1.json', runner1);
  // A folder a previous synth wrote, to which the user then added a file of their own.
  const synthed = await clusterbench(['synth', '--out', join(work, 'synthed')]);
  expect(synthed.code, synthed.stderr).toBe(0);
  writeFileSync(join(work, 'synthed', 'kustomization.yaml'), 'resources: []\n');
}, 120_000);
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

const at = (...parts: string[]) => join(work, ...parts);
const results = (name: string) => at('results', name);

/** [what the user typed, the line stderr must match]; `openFiles` runs it under `ulimit -n`. */
type Case = readonly [args: () => string[], line: RegExp, opts?: { cwd?: () => string; ulimit?: string }];

const CORPUS: Readonly<Record<string, Case>> = {
  // synth --out: only into a new, empty or synth-written folder.
  'synth --out a folder of the user': [
    () => ['synth', '--out', at('user')],
    /^clusterbench: --out: ".*user" holds files synth did not write \(notes\.txt\)/,
  ],
  'synth --out . in a folder of the user': [
    () => ['synth', '--out', '.'],
    /^clusterbench: --out: "\." holds files synth did not write \(notes\.txt\)/,
    { cwd: () => at('user') },
  ],
  'synth --out a synth folder with a user file added': [
    () => ['synth', '--out', at('synthed')],
    /^clusterbench: --out: .* holds files synth did not write \(kustomization\.yaml\)/,
  ],
  'synth --out an existing file': [() => ['synth', '--out', at('a-file')], /^clusterbench: --out: ".*a-file" is a file, not a folder$/],
  'synth --out /proc/x (once hung)': [() => ['synth', '--out', '/proc/x'], /^clusterbench: --out: "\/proc\/x" cannot be written/],
  'synth --out under a missing folder': [
    () => ['synth', '--out', at('missing', 'dist')],
    /^clusterbench: --out: .* cannot be created: .*missing does not exist$/,
  ],
  // Output paths, before any load.
  'load -o under a missing folder': [
    () => ['load', server.url, '-o', '/nonexistent/x.json'],
    /^clusterbench: --out: "\/nonexistent\/x\.json" cannot be written: \/nonexistent does not exist$/,
  ],
  'load -o a folder': [() => ['load', server.url, '-o', at('user')], /^clusterbench: --out: ".*user" is a folder; give a file name/],
  'load -o under a file': [
    () => ['load', server.url, '-o', at('a-file', 'x.json')],
    /^clusterbench: --out: .* cannot be written: .*a-file is not a folder$/,
  ],
  'local --out a file': [() => ['local', '--out', at('a-file')], /^clusterbench: --out: ".*a-file" is a file, not a folder$/],
  'local --out under a missing folder': [
    () => ['local', '--out', at('missing', 'reports')],
    /^clusterbench: --out: .* cannot be created: .*missing does not exist$/,
  ],
  'bench --out a file': [() => ['bench', '--out', at('a-file')], /^clusterbench: --out: ".*a-file" is a file, not a folder$/],
  'report --out /proc/x': [() => ['report', 'x', '--out', '/proc/x'], /^clusterbench: --out: "\/proc\/x" cannot be written/],
  'merge -o under a missing folder': [
    () => ['merge', results('runner0.json'), results('runner1.json'), '-o', '/nonexistent/m.json'],
    /^clusterbench: --out: "\/nonexistent\/m\.json" cannot be written/,
  ],
  // merge: well-formed results of one run only.
  'merge a throughputRps of "fast"': [
    () => ['merge', results('runner0.json'), results('fast.json')],
    /^clusterbench: .*fast\.json: throughputRps: "fast" must be a number of zero or more$/,
  ],
  'merge a result without its histogram': [
    () => ['merge', results('runner0.json'), results('no-histogram.json')],
    /^clusterbench: .*no-histogram\.json: histogram: missing \(must be a string\)$/,
  ],
  'merge a histogram that is not one': [
    () => ['merge', results('runner0.json'), results('bad-histogram.json')],
    /^clusterbench: .*bad-histogram\.json: histogram: "AAAA" is not a compressed base64 HdrHistogram$/,
  ],
  'merge a latency that is not a number': [
    () => ['merge', results('runner0.json'), results('bad-p99.json')],
    /^clusterbench: .*bad-p99\.json: latencyUs\.p99: "1ms" must be a number of zero or more$/,
  ],
  'merge two topologies': [
    () => ['merge', results('runner0.json'), results('nginx.json')],
    /^clusterbench: files: .* differ in topology \(single vs nginx\)/,
  ],
  'merge two targets': [
    () => ['merge', results('runner0.json'), results('other-target.json')],
    /^clusterbench: files: .* differ in target/,
  ],
  'merge closed and open loop': [
    () => ['merge', results('runner0.json'), results('open.json')],
    /^clusterbench: files: .* differ in mode \(closed vs open\)/,
  ],
  'merge two connection counts': [
    () => ['merge', results('runner0.json'), results('more-connections.json')],
    /^clusterbench: files: .* differ in connections \(2 vs 64\)/,
  ],
  'merge two rates': [
    () => ['merge', results('open.json'), results('faster.json')],
    /^clusterbench: files: .* differ in rate \(100 vs 500\)/,
  ],
  'merge two durations': [
    () => ['merge', results('runner0.json'), results('longer.json')],
    /^clusterbench: files: .* differ in durationMs \(300 vs 10000\)/,
  ],
  'merge one run after the other': [
    () => ['merge', results('runner0.json'), results('an-hour-later.json')],
    /^clusterbench: files: .* the windows do not overlap/,
  ],
  'merge the same file twice': [
    () => ['merge', results('runner0.json'), results('runner0.json')],
    /^clusterbench: files: .*runner0\.json and .*runner0\.json are the same run \(given twice\)/,
  ],
  'merge a copy of the same run': [
    () => ['merge', results('runner0.json'), results('copy.json')],
    /^clusterbench: files: .*runner0\.json and .*copy\.json are the same run: each run counts once$/,
  ],
  // The client's own limits.
  '600 connections under ulimit -n 256 (load)': [
    () => ['load', server.url, '-c', '600', '-d', '1s'],
    /^clusterbench: --connections: 600 connections need about 664 open files, but the open-files limit \(ulimit -n\) is 256/,
    { ulimit: '-n 256' },
  ],
  '600 connections under ulimit -n 256 (local, before any server)': [
    () => ['local', '--connections', '600', '--out', at('user')],
    /^clusterbench: --connections: 600 connections need about 664 open files/,
    { ulimit: '-n 256' },
  ],
  'load --workers above --connections (once hung)': [
    () => ['load', server.url, '-c', '2', '--workers', '4'],
    /^clusterbench: --workers: 4 is more than --connections 2/,
  ],
  // One set of bounds for load, local and bench.
  'load --connections above the shared bound': [
    () => ['load', server.url, '-c', '200000'],
    /^clusterbench: --connections: "200000" must be a whole number, 1 to 100000$/,
  ],
  'local --connections above the shared bound': [
    () => ['local', '--connections', '200000'],
    /^clusterbench: --connections: "200000" must be a whole number, 1 to 100000$/,
  ],
  'bench --connections above the shared bound': [() => ['bench', '--connections', '200000'], /^clusterbench: --connections: .*100000/],
  'local --trials above the shared bound': [
    () => ['local', '--trials', '11'],
    /^clusterbench: --trials: "11" must be a whole number, 1 to 10$/,
  ],
  'bench --trials above the shared bound': [
    () => ['bench', '--trials', '11'],
    /^clusterbench: --trials: 11 is out of range \(allowed: 1 to 10\)$/,
  ],
  // Commander's errors in the same one-line form.
  'an unknown option': [() => ['load', server.url, '--bogus'], /^clusterbench: unknown option '--bogus' \(see --help\)$/],
  'a missing argument': [() => ['load'], /^clusterbench: missing required argument 'url' \(see --help\)$/],
  'an unknown command': [() => ['lod'], /^clusterbench: unknown command 'lod'/],
  'local --failover=yes': [
    () => ['local', '--failover=yes'],
    /^clusterbench: --failover: takes no value \("yes"\): give --failover alone, or leave it out$/,
  ],
  'load --no-keepalive=true': [
    () => ['load', server.url, '--no-keepalive=true'],
    /^clusterbench: --no-keepalive: takes no value \("true"\)/,
  ],
};

describe('the bad-input corpus: exit 2, one line, nothing written or deleted', () => {
  beforeAll(() => {
    resultFile('fast.json', runner1, { throughputRps: 'fast' });
    resultFile('no-histogram.json', runner1, { histogram: undefined });
    resultFile('bad-histogram.json', runner1, { histogram: 'AAAA' });
    resultFile('bad-p99.json', runner1, { latencyUs: { ...runner1.latencyUs, p99: '1ms' } });
    resultFile('nginx.json', runner1, { topology: 'nginx' });
    resultFile('other-target.json', runner1, { target: 'http://127.0.0.1:1/' });
    resultFile('open.json', runner1, { mode: 'open', rate: 100 });
    resultFile('faster.json', runner1, { mode: 'open', rate: 500, runId: 'another' });
    resultFile('more-connections.json', runner1, { connections: 64 });
    resultFile('longer.json', runner1, { durationMs: 10_000 });
    resultFile('an-hour-later.json', runner1, { startedAt: new Date(Date.parse(runner1.startedAt) + 3_600_000).toISOString() });
    copyFileSync(results('runner0.json'), results('copy.json'));
  });

  it.each(Object.entries(CORPUS))('%s', async (_, [args, line, opts]) => {
    const before = snapshot(work);
    const r = await clusterbench(args(), { cwd: opts?.cwd?.(), ulimit: opts?.ulimit });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.endsWith('\n') && r.stderr.split('\n').length, r.stderr).toBe(2);
    expect(r.stderr.trimEnd()).toMatch(line);
    expect(r.stderr).not.toMatch(/partial|staging|probe/);
    expect(r.stdout).toBe('');
    expect(snapshot(work)).toEqual(before);
  });

  it('holds every case of issue 14', () => {
    expect(Object.keys(CORPUS).length).toBeGreaterThanOrEqual(40);
  });
});

describe('the good inputs beside them', () => {
  it('merge adds up runners of one run', async () => {
    const r = await clusterbench(['merge', results('runner0.json'), results('runner1.json'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as LoadResult).requests).toBe(runner0.requests + runner1.requests);
  });

  it('synth writes into an empty folder, and again over its own output', async () => {
    mkdirSync(at('empty'));
    for (let i = 0; i < 2; i++) {
      const r = await clusterbench(['synth', '--out', at('empty')]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(readdirSync(at('empty'))).toContain('0000-namespace.k8s.yaml');
  });

  it('600 connections under a soft limit of 256: raised to the hard limit, no connect errors', async () => {
    const out = at('600.json');
    const r = await clusterbench(['load', server.url, '-c', '600', '-d', '500ms', '-w', '0', '--workers', '1', '-o', out], {
      ulimit: '-Sn 256',
    });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as LoadResult;
    expect(result.connections).toBe(600);
    expect(result.errors.connect).toBe(0);
    expect(result.requests).toBeGreaterThan(0);
  });

  it("the client's own EMFILE fails the run instead of counting connect errors (runLoad, without the CLI's check)", async () => {
    const script = `import('${join(ROOT, 'build/loadtest/index.js')}').then((m) => m.runLoad({ url: '${server.url}', connections: 600, durationMs: 500, warmupMs: 0, workers: 1 })).then((r) => console.log('connect errors', r.errors.connect), (e) => console.log(e.message))`;
    const r = await node(['-e', script], { ulimit: '-n 256' });
    expect(r.stdout.trim(), r.stderr).toBe(
      "the load generator ran out of open files (EMFILE): its own limit (ulimit -n), not the server's; raise it or use fewer connections",
    );
  });

  it('--version prints the package version; make help has no colour codes off a terminal', () => {
    const version = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const help = spawnSync('make', ['-s', 'help'], { cwd: ROOT, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Show this help');
    expect(help.stdout).not.toContain('\u001b[');
  });
});
