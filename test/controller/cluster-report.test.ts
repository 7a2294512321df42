import { describe, expect, it } from 'vitest';
import type { RunId } from '../../src/controller/names.js';
import { clusterReport, statusResults } from '../../src/controller/cluster-report.js';
import { runKey } from '../../src/controller/names.js';
import { decodeResult, encodeResult, isTrimmed, terminationMessageFor, trimmedAway } from '../../src/controller/result-codec.js';
import { renderMarkdown } from '../../src/report/index.js';
import { environment, longResult, plan, result, succeededRecord } from './fixtures.js';

describe('merge and status summary', () => {
  it('merges runners exactly: percentiles from the merged histogram, not averaged', () => {
    const p = plan({ topologies: ['single'], trials: 1 });
    const fast = result('single', 1, 0, Array(99).fill(100));
    const slow = result('single', 1, 1, Array(99).fill(10_000));
    const run: RunId = { topology: 'single', trial: 1 };
    const report = clusterReport(p, [succeededRecord(run, [fast, slow])], environment, []);
    const [single] = report.topologies;
    expect(single.requests).toBe(198);
    // The median of the merged samples is one of the two real values, never their average (5050).
    expect([100, 10_000].some((v) => Math.abs(single.latencyUs.p50 - v) / v < 0.01)).toBe(true);
    expect(single.throughputRps.median).toBeCloseTo(fast.throughputRps + slow.throughputRps);
    const [summary] = statusResults(report, [succeededRecord(run, [fast, slow])]);
    expect(summary).toMatchObject({ topology: 'single', trials: 1, failedTrials: 0, errors: 0, maxStartSkewMs: 0.5 });
  });
});

describe('a sweep in the report', () => {
  it('fills the main tables from single and the balancers at 3, and `scaling` from every count (buildScaling, the node CPUs)', () => {
    const p = plan({ topologies: ['single', 'nginx'], trials: 1, runners: 1, replicas: [1, 2, 3] });
    // nginx answers 100, 190, 270 requests at 1, 2, 3 replicas.
    const nginx = (replicas: number, n: number) =>
      succeededRecord({ topology: 'nginx', trial: 1, replicas }, [result('nginx', 1, 0, Array(n).fill(100 * replicas))]);
    const records = [
      succeededRecord({ topology: 'single', trial: 1 }, [result('single', 1, 0, Array(90).fill(100))]),
      nginx(1, 100),
      nginx(2, 190),
      nginx(3, 270),
    ];
    const report = clusterReport(
      p,
      records,
      { ...environment, cpuLimits: { perServer: 0.2, mechanism: 'kubernetes limits' } },
      [],
      new Date(),
      { runs: {}, balancers: { nginx: { cpus: 1, node: null } }, nodeCpus: {} },
    );
    expect(report.topologies.map((t) => [t.name, t.requests])).toEqual([
      ['single', 90],
      ['nginx', 270],
    ]);
    expect(report.environment.notes).toContain(
      'replica sweep: 1, 2, 3 hello servers behind each balancer, every count in every trial; the tables before the scaling section show the balancers at 3',
    );
    const [scaling] = report.scaling?.topologies ?? [];
    expect(report.scaling?.availableCpus).toBe(2);
    expect(scaling.name).toBe('nginx');
    expect(scaling.points.map((pt) => [pt.replicas, pt.ratioToOne])).toEqual([
      [1, 1],
      [2, 1.9],
      [3, 2.7],
    ]);
    // N hello pods at 0.2 CPU, the nginx pod's 1 CPU, one runner: 2.2 CPUs on a 2-CPU node at 1 replica.
    expect(scaling.points.map((pt) => [pt.requestedCpus, pt.oversubscribed])).toEqual([
      [2.2, true],
      [2.4, true],
      [2.6, true],
    ]);
    expect(scaling.points.some((pt) => pt.busiestNode)).toBe(false);
    expect(report.environment.notes).toContain(
      "scaling: the nodes of the pods of nginx at 1, nginx at 2, nginx at 3 replicas are not known (recorded by an earlier controller, pods gone, or a node not readable); their oversubscription marks compare all their pods' CPUs with the 2 CPUs of the controller's node, as if every pod ran on one node like it",
    );
    expect(scaling.usl).not.toBeNull();
    expect(clusterReport(plan({ topologies: ['nginx'], trials: 1 }), [nginx(3, 1)], environment, []).scaling).toBeUndefined();
  });
});

describe("a sweep's oversubscription marks on several nodes", () => {
  // Three 2-CPU nodes: the runner on w1, nginx (1 CPU) on w2, hello pods (0.5 CPU) spread over w2 and w3.
  const p = plan({ topologies: ['nginx'], trials: 2, runners: 1, replicas: [1, 2, 3] });
  const env = { ...environment, cpuLimits: { perServer: 0.5, mechanism: 'kubernetes limits' } };
  const hello: Record<number, string[]> = { 1: ['w2'], 2: ['w2', 'w3'], 3: ['w2', 'w2', 'w3'] };
  const records = [1, 2, 3].flatMap((replicas) =>
    [1, 2].map((trial) =>
      succeededRecord({ topology: 'nginx', trial, replicas }, [result('nginx', trial, 0, Array(10 * replicas).fill(100))]),
    ),
  );
  const runs = Object.fromEntries(records.map((r) => [runKey(r.run), { hello: hello[r.run.replicas ?? 0], runners: ['w1'] }] as const));
  const pods = { runs, balancers: { nginx: { cpus: 1, node: 'w2' } }, nodeCpus: { w1: 2, w2: 2, w3: 2 } };

  it("marks a count only where one node's pods may ask for more than that node has", () => {
    const report = clusterReport(p, records, env, [], new Date(), pods);
    const [nginx] = report.scaling?.topologies ?? [];
    // In all 2.5, 3, 3.5 CPUs against the controller's 2 (all three marked before); per node at
    // most w2's 1.5, 1.5, 2 (nginx and 1, 1, 2 hello pods): at 3 replicas w2 is full, not over.
    expect(nginx.points.map((pt) => [pt.replicas, pt.requestedCpus, pt.busiestNode, pt.oversubscribed])).toEqual([
      [1, 2.5, { node: 'w2', requestedCpus: 1.5, cpus: 2 }, false],
      [2, 3, { node: 'w2', requestedCpus: 1.5, cpus: 2 }, false],
      [3, 3.5, { node: 'w2', requestedCpus: 2, cpus: 2 }, false],
    ]);
    expect(report.environment.notes?.some((n) => n.startsWith('scaling:'))).toBe(false);
    // The runner moved onto w2 in one trial of 3 replicas: 3 CPUs asked of w2's 2.
    const crowded = { ...runs, [runKey({ topology: 'nginx', trial: 2, replicas: 3 })]: { hello: hello[3], runners: ['w2'] } };
    const over = clusterReport(p, records, env, [], new Date(), { ...pods, runs: crowded }).scaling?.topologies[0].points[2];
    expect(over).toMatchObject({ busiestNode: { node: 'w2', requestedCpus: 3, cpus: 2 }, oversubscribed: true });
    const md = renderMarkdown(clusterReport(p, records, env, [], new Date(), { ...pods, runs: crowded }));
    expect(md).toContain('| 3 | 3 / 2 over | w2 |');
    expect(md).toContain("Oversubscribed at 3 replicas node w2's pods may ask for 3 of its 2 CPUs");
  });

  it('falls back to one node for a count with a run of unknown placement, and says so', () => {
    const { [runKey({ topology: 'nginx', trial: 1, replicas: 2 })]: _, ...partial } = runs;
    const report = clusterReport(p, records, env, [], new Date(), { ...pods, runs: partial });
    const points = report.scaling?.topologies[0].points ?? [];
    expect(points.map((pt) => [pt.replicas, pt.busiestNode?.node, pt.oversubscribed])).toEqual([
      [1, 'w2', false],
      [2, undefined, true],
      [3, 'w2', false],
    ]);
    expect(
      report.environment.notes?.filter((n) => n.startsWith('scaling: the nodes of the pods of nginx at 2 replicas are not known')),
    ).toHaveLength(1);
    expect(renderMarkdown(report)).toContain('| 2 | 3 / 2 over | n/a |');
  });
});

describe('a result recovered from a trimmed termination message', () => {
  const run: RunId = { topology: 'single', trial: 1 };
  const p = plan({ topologies: ['single'], trials: 1, runners: 2 });
  // Runner 1's seconds say p99 250 ms; runner 0's (and its per-second histograms) about 198 ms.
  const full = longResult('single', 1, 0, 20);
  const long1 = longResult('single', 1, 1, 20);
  const slower = { ...long1, timeline: long1.timeline.map((point) => ({ ...point, p99Us: 250_000 })) };

  it('says which run and runner, and what is missing; no second reads as zero', () => {
    const message = terminationMessageFor(slower) ?? '';
    expect(isTrimmed(message)).toBe(true); // 20 s of histograms do not fit 4096 bytes
    const recovered = decodeResult(message);
    expect(trimmedAway(recovered)).toBe('per-second latency histograms');
    expect(trimmedAway(decodeResult(encodeResult(full)))).toBeUndefined();
    // Kept as is in the run records (stored re-encoded whole).
    expect(trimmedAway(decodeResult(encodeResult(recovered)))).toBe('per-second latency histograms');

    const report = clusterReport(p, [succeededRecord(run, [full, recovered])], environment, []);
    expect(report.environment.notes).toContain(
      "single trial 1: runner 1's result was recovered from its trimmed termination message: per-second latency histograms missing, so each second's p99 of the run is the largest of its runners' p99s, an upper bound",
    );
    expect(renderMarkdown(report)).toContain("runner 1's result was recovered from its trimmed termination message");
    const [timeline] = report.topologies[0].timelines;
    expect(timeline.points).toHaveLength(20);
    expect(timeline.points.every((point) => point.p99Us === 250_000 && point.rps === 6000)).toBe(true);
    expect(report.topologies[0].latencyUs.p99).toBeGreaterThan(0);

    // Whole results: no such note, and each second's p99 is read from the merged histograms.
    const whole = clusterReport(p, [succeededRecord(run, [full, slower])], environment, []);
    expect(whole.environment.notes?.join('\n')).not.toContain('trimmed');
    expect(whole.topologies[0].timelines[0].points.every((point) => point.p99Us > 0 && point.p99Us < 250_000)).toBe(true);
    // One runner: its own p99s are kept.
    const alone = clusterReport(
      plan({ topologies: ['single'], trials: 1, runners: 1 }),
      [succeededRecord(run, [recovered])],
      environment,
      [],
    );
    expect(alone.environment.notes).toContain(
      "single trial 1: runner 1's result was recovered from its trimmed termination message: per-second latency histograms missing, each second's p99 is the runner's own",
    );
  });
});
