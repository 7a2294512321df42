// src/report/build-report.ts: a run's load results summarized per topology.
import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../../loadtest/types.js';
import { buildReport, renderMarkdown } from '../../src/report/index.js';
import { loadResult, repeat } from './load-results.js';
import { environment, scenario, threeTopologies } from './report-input.js';

describe('buildReport', () => {
  const report = buildReport(threeTopologies());
  const byName = Object.fromEntries(report.topologies.map((t) => [t.name, t]));

  it('orders topologies as DESIGN.md lists them and keeps the scenario', () => {
    expect(report.schema).toBe('clusterbench/report@1');
    expect(report.topologies.map((t) => t.name)).toEqual(['single', 'nginx', 'rpc-gateway']);
    expect(report.scenario.name).toBe('quick');
  });

  it('adds the runners of a trial and takes the median over trials with an interval', () => {
    expect(byName.nginx.trials).toBe(3);
    expect(byName.nginx.runners).toBe(2);
    expect(byName.nginx.trialThroughputRps).toEqual([2000, 2200, 2400]);
    expect(byName.nginx.throughputRps.median).toBe(2200);
    expect(byName.single.throughputRps.median).toBe(1100);
    const { ciLow, ciHigh } = byName.single.throughputRps;
    expect(ciLow).toBeLessThan(1100);
    expect(ciHigh).toBeGreaterThan(1100);
  });

  it('gives ratios to single', () => {
    expect(byName.single.ratioToSingle).toBe(1);
    expect(byName.nginx.ratioToSingle).toBe(2);
    expect(byName['rpc-gateway'].ratioToSingle).toBeCloseTo(3100 / 1100, 6);
  });

  it('reads percentiles from the merged histogram, not averages of trials', () => {
    // 200 samples at 1 ms and 100 at 10 ms: the merged p90 is 10 ms (an average of trial p90s is 4 ms).
    const rpc = byName['rpc-gateway'];
    expect(rpc.latencyUs.p50).toBeGreaterThanOrEqual(995);
    expect(rpc.latencyUs.p50).toBeLessThanOrEqual(1005);
    expect(rpc.latencyUs.p90).toBeGreaterThanOrEqual(9950);
    expect(rpc.latencyUs.mean).toBeCloseTo(4000, -2);
    expect(rpc.requests).toBe(300);
    expect(rpc.latencySpectrumUs.map((p) => p.percentile)).toContain(99.9);
  });

  it('sums errors and gives each backend its share', () => {
    expect(byName.single.errors).toMatchObject({ status5xx: 3, reset: 3, total: 6 });
    expect(byName['rpc-gateway'].backends).toEqual({ a: 0.5, b: 0.3, c: 0.2 });
    expect(byName.nginx.errors.total).toBe(0);
  });

  it('has no ratio without a single topology, and no interval with one trial', () => {
    const one = buildReport({
      scenario: { ...scenario, trials: 1 },
      environment,
      results: [loadResult({ topology: 'nginx', trial: 1, throughputRps: 500, latenciesUs: repeat(100, 10) })],
    });
    expect(one.topologies[0].ratioToSingle).toBeNull();
    expect(one.topologies[0].throughputRps).toEqual({ median: 500, ciLow: null, ciHigh: null });
  });

  it('averages CPU use over trials and shows it', () => {
    const input = threeTopologies();
    const withCpu = buildReport({
      ...input,
      cpuUse: [
        { topology: 'single', trial: 1, cpus: { single: 0.2, 'load generator': 0.1 }, throttled: { single: 0.5 } },
        { topology: 'single', trial: 2, cpus: { single: 0.3, 'load generator': 0.3 }, throttled: { single: 0.7 } },
      ],
    });
    const single = withCpu.topologies.find((t) => t.name === 'single');
    expect(single?.cpuUse?.single.cpus).toBeCloseTo(0.25, 6);
    expect(single?.cpuUse?.single.throttled).toBeCloseTo(0.6, 6);
    expect(single?.cpuUse?.['load generator']).toEqual({ cpus: 0.2 });
    expect(withCpu.topologies.find((t) => t.name === 'nginx')?.cpuUse).toBeUndefined();
    expect(renderMarkdown(withCpu)).toMatch(/\| single \| single \| 0\.25 \| 60\.0% \|/);
  });

  it('finds the errors and time to recover of a failover trial', () => {
    const rps = [1000, 1000, 1000, 1000, 500, 700, 980, 1000, 1000, 1000];
    const timeline = rps.map((r, i) => ({ t: i + 1, rps: r, p99Us: 1000, errors: i === 4 ? 3 : 0 }));
    const failover = buildReport({
      scenario,
      environment,
      results: [
        loadResult({
          topology: 'nginx',
          trial: 1,
          throughputRps: 920,
          latenciesUs: repeat(100, 10),
          errors: { reset: 3 },
          timeline,
          durationMs: 10_000,
        }),
      ],
      failover: [{ topology: 'nginx', trial: 1, backend: 'b', killedAtMs: 4200, restartedAtMs: 5200, servingAgainAtMs: 5600 }],
    }).topologies[0].failover;
    // Second 7 (6 s to 7 s) is the first whole second after the restart at >= 90% of 1000 req/s.
    expect(failover).toEqual({
      trial: 1,
      backend: 'b',
      killedAtMs: 4200,
      restartedAtMs: 5200,
      servingAgainMs: 1400,
      errors: 3,
      drillErrors: 3,
      recoveryMs: 2800,
    });
  });

  it("counts the failover drill's errors apart from --max-errors, but not errors outside it", () => {
    const report = (errorsPerSecond: number[]) => {
      const timeline = errorsPerSecond.map((errors, i) => ({ t: i + 1, rps: 1000, p99Us: 1000, errors }));
      const reset = errorsPerSecond.reduce((a, b) => a + b, 0);
      return buildReport({
        scenario,
        environment,
        results: [
          loadResult({
            topology: 'nginx',
            trial: 1,
            throughputRps: 1000,
            latenciesUs: repeat(100, 1000),
            errors: { reset },
            timeline,
            durationMs: 6000,
          }),
        ],
        failover: [{ topology: 'nginx', trial: 1, backend: 'b', killedAtMs: 2500, restartedAtMs: 3500 }],
      }).topologies[0];
    };
    // 50 errors in the kill's second (3) and the next: the drill's; recovered in second 5.
    expect(report([0, 0, 30, 20, 0, 0])).toMatchObject({ failed: false, failover: { errors: 50, drillErrors: 50 } });
    // 30 more in the first second, before the kill: 3% of the 1080 due.
    const failing = report([30, 0, 30, 20, 0, 0]);
    expect(failing).toMatchObject({ failed: true, failover: { errors: 80, drillErrors: 50 } });
    expect(failing.failedShare).toBeCloseTo(30 / 1080, 6);
  });

  it('marks failed and saturated topologies in the first table, and warns of send lag', () => {
    const open = (topology: string, throughputRps: number, spec: Partial<LoadResult>) => ({
      ...loadResult({ topology, trial: 1, throughputRps, latenciesUs: repeat(1000, 5000) }),
      mode: 'open' as const,
      rate: 1000,
      ...spec,
    });
    const lag = (p50: number) => ({ mean: p50, p50, p90: p50, p99: 2 * p50, p999: 2 * p50, max: 2 * p50 });
    const marked = buildReport({
      scenario: { ...scenario, mode: 'open', rate: 1000, trials: 1 },
      environment,
      results: [
        open('single', 990, { sendLagUs: lag(50) }),
        open('nginx', 0, {
          requests: 0,
          due: 5000,
          errors: { connect: 0, timeout: 0, reset: 0, status4xx: 0, status5xx: 5000 },
          sendLagUs: lag(50),
        }),
        open('rpc-gateway', 400, { notSent: 3000, due: 8000, sendLagUs: lag(300) }),
      ],
    });
    const [single, nginx, gateway] = marked.topologies;
    expect([single.failed, single.saturated]).toEqual([false, false]);
    expect([nginx.failed, nginx.saturated]).toEqual([true, true]);
    expect([gateway.failed, gateway.saturated, gateway.offeredRps]).toEqual([false, true, 1000]);
    const md = renderMarkdown(marked);
    expect(md).toMatch(/^\| single \| 990 \|.*\| ok \|$/m);
    expect(md).toMatch(
      /^\| nginx \| 0 \|.*\| no successful responses \|.*\| failed: 100% of requests failed \(--max-errors 1%\); saturated: achieved 0 of 1,000 req\/s offered \|$/m,
    );
    expect(md).toMatch(/^\| rpc-gateway \| 400 \|.*\| 1\.00 \|.*\| saturated: achieved 400 of 1,000 req\/s offered \|$/m);
    // Lag p50 300 us against a latency p50 of 1 ms: more than 10%; 50 us is not.
    expect(md).toContain('Warning, rpc-gateway: the load generator sent late: send lag p50 300 us');
    expect(md).not.toContain('Warning, single');
    expect(md).toMatch(/\| rpc-gateway \| 1\.00 \| 1\.00 \| 1\.00 \| 1\.00 \| 1\.00 \| 1\.00 \| 0\.30 \| 0\.60 \|/);
  });
});
