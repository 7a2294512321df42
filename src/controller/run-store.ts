/**
 * Where finished runs are kept: one ConfigMap per run (names.ts `runConfigMapName`, owned by the
 * Benchmark and labelled with its UID), so a restarted controller knows what is done even after the Jobs' TTL has
 * removed them. One per run because results are large (a 10 s result is about 27 KB, mostly
 * per-second histograms) and a ConfigMap holds at most 1 MiB.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { LoadResult } from '../../loadtest/types.js';
import { LABEL_BENCHMARK, LABEL_BENCHMARK_UID } from '../api/objects.js';
import { runKey, type BenchmarkRef, type RunId } from './names.js';
import type { FailoverKill, RunRecord } from './reconcile.js';
import { decodeResult, encodeResult, trimResult } from './result-codec.js';

/** Marks the run ConfigMaps among a namespace's ConfigMaps. */
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const RUN_RECORD_COMPONENT = 'run-record';
/** Leaves room under the 1 MiB ConfigMap limit for keys and metadata. */
export const RUN_CONFIGMAP_BUDGET_BYTES = 900_000;

const RECORD_KEY = 'record';
const KILL_KEY = 'failover-kill';
const runnerKey = (index: number) => `runner-${index}`;

/** The run records of one Benchmark: by UID, so a re-created Benchmark of the same name sees none of the old one's. */
export function runSelector(benchmark: BenchmarkRef): string {
  return `${LABEL_BENCHMARK_UID}=${benchmark.uid},${LABEL_COMPONENT}=${RUN_RECORD_COMPONENT}`;
}

export function runLabels(benchmark: BenchmarkRef): Record<string, string> {
  return { [LABEL_BENCHMARK]: benchmark.name, [LABEL_BENCHMARK_UID]: benchmark.uid, [LABEL_COMPONENT]: RUN_RECORD_COMPONENT };
}

/** A record as ConfigMap data: the record, then each runner's encoded result (trimmed if the whole would not fit). */
export function recordData(record: RunRecord): Record<string, string> {
  const encode = (results: readonly LoadResult[]) => Object.fromEntries(results.map((r, i) => [runnerKey(i), encodeResult(r)]));
  let results = encode(record.results ?? []);
  let trimmed = false;
  if (Object.values(results).reduce((n, v) => n + v.length, 0) > RUN_CONFIGMAP_BUDGET_BYTES) {
    results = encode((record.results ?? []).map(trimResult));
    trimmed = true;
  }
  const { results: _kept, ...rest } = record;
  return { [RECORD_KEY]: JSON.stringify({ ...rest, ...(trimmed ? { trimmed } : {}) }), ...results };
}

export function killData(run: RunId, kill: FailoverKill): Record<string, string> {
  return { [KILL_KEY]: JSON.stringify({ run, ...kill }) };
}

/** What one run ConfigMap holds: the run's record (results decoded) and its failover kill, if any. */
export function parseRunConfigMap(cm: V1ConfigMap): { record?: RunRecord; kill?: { run: RunId } & FailoverKill } {
  const data = cm.data ?? {};
  const parsed: { record?: RunRecord; kill?: { run: RunId } & FailoverKill } = {};
  if (data[KILL_KEY]) parsed.kill = JSON.parse(data[KILL_KEY]) as { run: RunId } & FailoverKill;
  if (data[RECORD_KEY]) {
    const record = JSON.parse(data[RECORD_KEY]) as RunRecord;
    const results = Object.keys(data)
      .filter((k) => k.startsWith('runner-'))
      .sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)))
      .map((k) => decodeResult(data[k]));
    parsed.record = record.state === 'succeeded' ? { ...record, results } : record;
  }
  return parsed;
}

/** Records and failover kills by runKey, from a Benchmark's run ConfigMaps (parsed as `parse` does). */
export function parseRunConfigMaps(
  configMaps: readonly V1ConfigMap[],
  parse: (cm: V1ConfigMap) => ReturnType<typeof parseRunConfigMap> = parseRunConfigMap,
): { records: Map<string, RunRecord>; kills: Map<string, FailoverKill> } {
  const records = new Map<string, RunRecord>();
  const kills = new Map<string, FailoverKill>();
  for (const cm of configMaps) {
    const { record, kill } = parse(cm);
    if (kill) kills.set(runKey(kill.run), { pod: kill.pod, atEpochMs: kill.atEpochMs });
    if (record) records.set(runKey(record.run), record);
  }
  return { records, kills };
}
