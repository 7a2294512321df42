import { describe, expect, it } from 'vitest';
import { buildScaling, uslThroughput, type CpuUseSample, type ScalingRun } from '../../src/report/index.js';
import { loadResult, repeat } from './load-results.js';

const LAW = { sigma: 0.08, kappa: 0.01, lambda: 1000 };

/** Two trials per replica count, 2% either side of the law; hello servers at 0.25 CPU each plus one CPU for the balancer. */
function run(topology: string, replicas: number, extra: Partial<ScalingRun> = {}): ScalingRun {
  const x = uslThroughput(LAW, replicas);
  return {
    topology,
    replicas,
    results: [0.98, 1.02].map((f, i) => loadResult({ topology, trial: i + 1, throughputRps: x * f, latenciesUs: repeat(1000, 10) })),
    requestedCpus: 0.25 * replicas + 1,
    ...extra,
  };
}

function cpu(topology: string, trial: number, cpus: Record<string, number>): CpuUseSample {
  return { topology, trial, cpus };
}

describe('buildScaling', () => {
  const section = buildScaling({
    availableCpus: 2,
    // Out of order on purpose, two topologies interleaved.
    runs: [
      run('nginx', 6),
      run('rpc-gateway', 2),
      run('nginx', 1, { cpuUse: [cpu('nginx', 1, { nginx: 0.3, 'hello-1': 0.25 }), cpu('nginx', 2, { nginx: 0.5, 'hello-1': 0.25 })] }),
      run('nginx', 2),
      run('rpc-gateway', 4),
      run('nginx', 3),
      run('nginx', 4, {
        results: [
          loadResult({
            topology: 'nginx',
            trial: 1,
            throughputRps: uslThroughput(LAW, 4),
            latenciesUs: repeat(1000, 10),
            errors: { status5xx: 7 },
          }),
        ],
      }),
    ],
  });
  const nginx = section.topologies[0];

  it('groups by topology in input order, points by ascending replicas', () => {
    expect(section.availableCpus).toBe(2);
    expect(section.topologies.map((t) => t.name)).toEqual(['nginx', 'rpc-gateway']);
    expect(nginx.points.map((p) => p.replicas)).toEqual([1, 2, 3, 4, 6]);
  });

  it('summarises throughput over trials with its interval, and the ratio to one replica', () => {
    const two = nginx.points[1];
    expect(two.trials).toBe(2);
    expect(two.throughputRps.median).toBeCloseTo(uslThroughput(LAW, 2), 6);
    expect(two.throughputRps.ciLow).toBeLessThan(two.throughputRps.median);
    expect(two.throughputRps.ciHigh).toBeGreaterThan(two.throughputRps.median);
    expect(two.ratioToOne).toBeCloseTo(uslThroughput(LAW, 2) / 1000, 6);
    expect(nginx.points[0].ratioToOne).toBe(1);
    expect(nginx.points[3].throughputRps.ciLow).toBeNull(); // one trial at 4 replicas
  });

  it('draws the linear line from one replica and fits the law to every trial', () => {
    expect(nginx.points.map((p) => p.linearRps)).toEqual([1000, 2000, 3000, 4000, 6000].map((v) => expect.closeTo(v, 6)));
    const fit = nginx.usl;
    expect(fit?.sigma).toBeCloseTo(LAW.sigma, 3);
    expect(fit?.kappa).toBeCloseTo(LAW.kappa, 4);
    expect(fit?.replicaCounts).toBe(5);
    for (const p of nginx.points) expect(p.fittedRps).toBeCloseTo(uslThroughput(LAW, p.replicas), -1);
  });

  it('marks the points where the processes asked for more CPUs than the machine has', () => {
    expect(nginx.points.map((p) => [p.replicas, p.requestedCpus, p.oversubscribed])).toEqual([
      [1, 1.25, false],
      [2, 1.5, false],
      [3, 1.75, false],
      [4, 2, false],
      [6, 2.5, true],
    ]);
  });

  it('keeps CPU used per process (mean over trials) and its sum, only where measured', () => {
    expect(nginx.points[0].cpuUse).toEqual({ nginx: { cpus: 0.4 }, 'hello-1': { cpus: 0.25 } });
    expect(nginx.points[0].cpusUsed).toBeCloseTo(0.65, 9);
    expect(nginx.points[1].cpuUse).toBeUndefined();
    expect(nginx.points[1].cpusUsed).toBeUndefined();
  });

  it('counts failed requests per point', () => {
    expect(nginx.points.map((p) => p.errors)).toEqual([0, 0, 0, 7, 0]);
  });

  it('without one replica: no ratio, the linear line from the smallest count, a fit flagged with two counts', () => {
    const gateway = section.topologies[1];
    expect(gateway.points.map((p) => p.ratioToOne)).toEqual([null, null]);
    const perReplica = uslThroughput(LAW, 2) / 2;
    expect(gateway.points.map((p) => p.linearRps)).toEqual([2 * perReplica, 4 * perReplica].map((v) => expect.closeTo(v, 6)));
    expect(gateway.usl?.cautions).toEqual(['few-points']);
  });

  it('has no fit with one replica count', () => {
    const one = buildScaling({ availableCpus: 2, runs: [run('nginx', 3)] }).topologies[0];
    expect(one.usl).toBeNull();
    expect(one.points[0].fittedRps).toBeNull();
  });

  it('rejects input that is not a sweep', () => {
    expect(() => buildScaling({ availableCpus: 0, runs: [run('nginx', 1)] })).toThrow(/availableCpus 0/);
    expect(() => buildScaling({ availableCpus: 2, runs: [run('nginx', 2), run('nginx', 2)] })).toThrow(
      /nginx at 2 replicas is given twice/,
    );
    expect(() => buildScaling({ availableCpus: 2, runs: [run('nginx', 0)] })).toThrow(/nginx replicas 0/);
    expect(() => buildScaling({ availableCpus: 2, runs: [run('nginx', 2, { results: [] })] })).toThrow(/no load results/);
    expect(() => buildScaling({ availableCpus: 2, runs: [run('nginx', 2, { requestedCpus: Number.NaN })] })).toThrow(/requestedCpus NaN/);
  });
});
