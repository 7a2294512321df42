import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RunId } from '../../src/controller/names.js';
import type { RunRecord } from '../../src/controller/reconcile.js';
import { clusterReport } from '../../src/controller/cluster-report.js';
import { killData, parseRunConfigMaps, recordData, RUN_CONFIGMAP_BUDGET_BYTES } from '../../src/controller/run-store.js';
import { environment, plan, result, runnerResults, succeededRecord } from './fixtures.js';

describe('run ConfigMaps: what a restarted controller resumes from', () => {
  it('reads back the records and kills it wrote to the run ConfigMaps', () => {
    const run: RunId = { topology: 'nginx', trial: 2 };
    const record = succeededRecord(run, [...runnerResults(run).values()]);
    const failed: RunRecord = {
      run: { topology: 'single', trial: 1 },
      state: 'failed',
      job: 'demo-single-t1-a2',
      attempts: 2,
      reason: 'DeadlineExceeded',
    };
    const parsed = parseRunConfigMaps([
      { data: recordData(record) },
      { data: { ...killData({ topology: 'nginx', trial: 1 }, { pod: 'hello-abc', atEpochMs: 5 }) } },
      { data: recordData(failed) },
    ]);
    expect(parsed.records.get('nginx.t2')).toEqual(record);
    expect(parsed.records.get('single.t1')).toEqual(failed);
    expect(parsed.kills.get('nginx.t1')).toEqual({ pod: 'hello-abc', atEpochMs: 5 });
  });

  it('drops per-second histograms from a record too large for a ConfigMap, and says so', () => {
    const run: RunId = { topology: 'nginx', trial: 1 };
    const base = result('nginx', 1, 0, [100, 200]);
    // Incompressible per-second histograms, as many as a long run with many runners has.
    const big = {
      ...base,
      timeline: Array.from({ length: 30 }, (_, i) => ({
        t: i + 1,
        rps: 1,
        p99Us: 1,
        errors: 0,
        histogram: randomBytes(30_000).toString('base64'),
      })),
    };
    const data = recordData(succeededRecord(run, [big]));
    expect(Object.values(data).reduce((n, v) => n + v.length, 0)).toBeLessThan(RUN_CONFIGMAP_BUDGET_BYTES);
    const back = parseRunConfigMaps([{ data }]).records.get('nginx.t1');
    expect(back?.trimmed).toBe(true);
    expect(back?.results?.[0].histogram).toBe(big.histogram);
    expect(back?.results?.[0].timeline.every((p) => p.histogram === undefined)).toBe(true);
    const report = clusterReport(plan({ topologies: ['nginx'], trials: 1, runners: 1 }), back ? [back] : [], environment, []);
    expect(report.environment.notes?.join('\n')).toContain('nginx trial 1: per-second p99 are upper bounds');
  });
});
