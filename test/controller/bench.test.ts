import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { benchmarkCrdSchema, benchmarkSpecSchema, BENCHMARK_LIMITS } from '../../src/api/benchmark.js';
import { checkBenchmarkName, resolveBenchmarkSpec } from '../../src/api/validate.js';
import { progressLine } from '../../src/bench/bench.js';
import { checkRequest, defaultBenchmarkName } from '../../src/bench/request.js';
import { benchRequest } from '../../src/bench/command.js';
import { UsageError } from '../../loadtest/usage-error.js';

const run = promisify(execFile);
const flags = { namespace: 'clusterbench', topologies: 'single,nginx', out: 'reports' };

function problemOf(spec: unknown): string {
  const r = resolveBenchmarkSpec(spec);
  return 'problem' in r ? `${r.problem.field}: ${r.problem.message}` : 'ok';
}

describe('Benchmark spec validation (the CRD schema, then cross-field rules)', () => {
  it('is the very schema object the CRD carries', () => {
    expect(benchmarkCrdSchema.properties?.spec).toBe(benchmarkSpecSchema);
  });

  it('names the field and the allowed values', () => {
    expect(problemOf({ topologies: ['single', 'haproxy'] })).toBe(
      'spec.topologies[1]: "haproxy" is not allowed (allowed: single, nginx, ingress-nginx, rpc-gateway)',
    );
    expect(problemOf({ topologies: ['single', 'single'] })).toBe('spec.topologies: "single" is listed twice');
    expect(problemOf({ topologies: [] })).toContain('spec.topologies: needs at least 1 item(s) (allowed: single, nginx');
    expect(problemOf({})).toContain('spec.topologies: is required (allowed: single, nginx');
    expect(problemOf({ topologies: ['nginx'], runners: 0 })).toBe(
      `spec.runners: 0 is out of range (allowed: 1 to ${BENCHMARK_LIMITS.runners.max})`,
    );
    expect(problemOf({ topologies: ['nginx'], trials: 1.5 })).toBe('spec.trials: 1.5 is not a whole number');
    expect(problemOf({ topologies: ['nginx'], load: { duration: 'soon' } })).toContain('spec.load.duration: "soon" is not a duration');
    expect(problemOf({ topologies: ['nginx'], load: { warmup: '0s', duration: '0s' } })).toBe(
      'spec.load.duration: "0s" must be greater than zero',
    );
    expect(problemOf({ topologies: ['nginx'], load: { conections: 5 } })).toBe(
      'spec.load.conections: unknown field (allowed: mode, connections, rate, duration, warmup, timeout)',
    );
    expect(problemOf({ topologies: ['nginx'], load: { mode: 'open' } })).toBe('spec.load.rate: is required when spec.load.mode is open');
    expect(problemOf({ topologies: ['nginx'], load: { connections: 1 }, runners: 2 })).toContain(
      'spec.load.connections: 1 is fewer than spec.runners (2)',
    );
    expect(problemOf({ topologies: ['single'], failover: { killAfter: '1s' } })).toBe(
      'spec.failover: needs a balanced topology in spec.topologies (allowed: nginx, ingress-nginx, rpc-gateway)',
    );
    expect(problemOf({ topologies: ['nginx'], scenario: 'quick', failover: { killAfter: '5s' } })).toBe(
      'spec.failover.killAfter: must be shorter than the measured duration (5000 ms)',
    );
  });

  it("fills in the scenario's defaults, spec.load overriding them", () => {
    const r = resolveBenchmarkSpec({ topologies: ['nginx'], scenario: 'quick', load: { rate: 500, duration: '1m' }, runners: 2 });
    expect(r).toEqual({
      plan: {
        topologies: ['nginx'],
        scenarioName: 'custom',
        scenario: 'quick',
        mode: 'open',
        connections: 64,
        rate: 500,
        durationMs: 60_000,
        warmupMs: 1_000,
        timeoutMs: 5_000,
        runners: 2,
        trials: 1,
        killAfterMs: null,
      },
    });
    expect(resolveBenchmarkSpec({ topologies: ['single'] })).toMatchObject({
      plan: { scenarioName: 'standard', connections: 256, trials: 3, runners: 1 },
    });
  });

  it('keeps Job names within 63 characters', () => {
    expect(checkBenchmarkName('a'.repeat(41))?.message).toContain('longer than 40');
    expect(checkBenchmarkName(defaultBenchmarkName(new Date('2026-11-26T07:15:00Z')))).toBeUndefined();
    expect(defaultBenchmarkName(new Date('2026-11-26T07:15:00Z'))).toBe('bench-20261126-071500');
  });
});

describe('clusterbench bench options', () => {
  it('turns flags into a Benchmark and reports bad ones by flag name (a UsageError: exit 2)', () => {
    const request = benchRequest({ ...flags, name: 'x', runners: '2', connections: '128', killAfter: '3s' });
    expect(request.spec).toEqual({
      topologies: ['single', 'nginx'],
      load: { connections: 128 },
      runners: 2,
      failover: { killAfter: '3s' },
    });
    const usage = (f: Partial<typeof flags> & Record<string, string>) => {
      try {
        checkRequest(benchRequest({ ...flags, name: 'x', ...f }));
        return 'ok';
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
    };
    expect(usage({ runners: '101' })).toBe('--runners: 101 is out of range (allowed: 1 to 100)');
    expect(usage({ runners: 'two' })).toBe('--runners: "two" is not a whole number');
    expect(usage({ connections: '1e3' })).toBe('--connections: "1e3" is not a whole number');
    expect(usage({ mode: 'burst' })).toBe('--mode: "burst" is not allowed (allowed: closed, open)');
    expect(usage({ scenario: 'fast' })).toBe('--scenario: "fast" is not allowed (allowed: quick, standard, seed)');
    expect(usage({ mode: 'open' })).toBe('--rate: is required when spec.load.mode is open');
    expect(usage({ name: 'My_Bench' })).toContain('--name: "My_Bench" must be lower-case');
    expect(usage({ killAfter: '1h' })).toContain('--kill-after: must be shorter than the measured duration');
    expect(() => benchRequest({ ...flags, topologies: 'single,haproxy' })).toThrow('--topologies: "haproxy" is not allowed');
  });

  it('draws progress as a bar with the run and its live numbers', () => {
    expect(progressLine(undefined, 10)).toBe('Pending [----------] 0/0 runs');
    expect(
      progressLine(
        { phase: 'Running', progress: { completedRuns: 2, totalRuns: 4, topology: 'nginx', trial: 1, runners: 2, runnersReady: 1 } },
        10,
      ),
    ).toBe('Running [#####-----] 2/4 runs · nginx trial 1 · 1/2 runners ready');
    expect(
      progressLine(
        {
          phase: 'Running',
          progress: {
            completedRuns: 2,
            totalRuns: 4,
            topology: 'nginx',
            trial: 1,
            runners: 2,
            runnersReady: 2,
            warmup: false,
            elapsedMs: 3_000,
            rps: 12_345,
            errors: 0,
          },
        },
        10,
      ),
    ).toBe('Running [#####-----] 2/4 runs · nginx trial 1 · 3 s · 12,345 req/s · 0 errors');
    const queued = {
      type: 'Queued',
      status: 'True' as const,
      reason: 'AnotherBenchmarkRunning',
      message: 'queued behind first',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    };
    expect(progressLine({ phase: 'Pending', conditions: [queued] }, 10)).toBe('Pending [----------] 0/0 runs · queued behind first');
    expect(progressLine({ phase: 'Running', conditions: [{ ...queued, status: 'False' }] }, 10)).toBe('Running [----------] 0/0 runs');
  });
});

describe('clusterbench bench, the command (build/)', () => {
  const cli = join(process.cwd(), 'build/src/cli.js');

  it('exits 2 with one line for bad input, before touching any cluster', async () => {
    const err = await run('node', [cli, 'bench', '--runners', '101'], { env: { ...process.env, KUBECONFIG: '/nonexistent' } }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect('code' in err && err.code).toBe(2);
    expect((err as { stderr: string }).stderr).toBe('clusterbench: --runners: 101 is out of range (allowed: 1 to 100)\n');
  });

  it('exits 1 with one line naming the context and what failed when the cluster is unreachable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-kubeconfig-'));
    try {
      const kubeconfig = join(dir, 'config');
      // Port 9 (discard) on loopback: nothing listens there.
      writeFileSync(
        kubeconfig,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]',
          'contexts: [{name: test-context, context: {cluster: c, user: u}}]',
          'users: [{name: u, user: {token: t}}]',
          'current-context: test-context',
          '',
        ].join('\n'),
      );
      const err = await run('node', [cli, 'bench', '--scenario', 'quick'], { env: { ...process.env, KUBECONFIG: kubeconfig } }).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect('code' in err && err.code).toBe(1);
      const stderr = (err as { stderr: string }).stderr;
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).toContain('cluster unreachable (context test-context, https://127.0.0.1:9)');
      expect(stderr).toContain('ECONNREFUSED');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
