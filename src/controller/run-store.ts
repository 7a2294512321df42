/**
 * Where finished runs are kept: one record ConfigMap per run (names.ts `runConfigMapName`, owned by
 * the Benchmark and labelled with its UID), so a restarted controller knows what is done even after
 * the Jobs' TTL has removed them, and the report is built from them.
 *
 * A run's results do not fit one ConfigMap (at most 1 MiB): a runner's encoded result grows about
 * 23 KB per 10 s, so a 30-minute run is megabytes. They go, one encoding a line, into part
 * ConfigMaps `<run>-p<k>` of at most PART_CHARS characters each, written before the record; the
 * record names how many parts and the SHA-256 of their joined text. So a record implies its parts
 * exist, and a record whose parts are missing or do not match the digest counts as not recorded
 * (the run is done again), never as a smaller result. Parts are read once per record
 * resourceVersion (RunStore), not on every reconcile pass.
 *
 * The record ConfigMap also holds a failover kill's intent (written before the delete) and the
 * kill itself (written after it succeeded): failover-intent.ts.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { LoadResult } from '../../loadtest/types.js';
import { LABEL_BENCHMARK, LABEL_BENCHMARK_UID } from '../api/objects.js';
import { runKey, type BenchmarkRef, type RunId } from './names.js';
import type { FailoverKill, RunRecord } from './reconcile.js';
import { decodeResult, encodeResult } from './result-codec.js';
import { digestOf } from './result-chunks.js';

/** Marks the run ConfigMaps among a namespace's ConfigMaps. */
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const RUN_RECORD_COMPONENT = 'run-record';
/** A part ConfigMap is not a record: listing records does not bring megabytes of parts along. */
export const RUN_PART_COMPONENT = 'run-record-part';
/** Characters of results per part ConfigMap: under the 1 MiB ConfigMap limit with room for keys and metadata. */
export const PART_CHARS = 900_000;

const RECORD_KEY = 'record';
const KILL_KEY = 'failover-kill';
const INTENT_KEY = 'failover-intent';
/** The one data key of a part ConfigMap. */
export const PART_KEY = 'part';

/** A failover kill about to happen: the victim by name and UID, kept before the delete. */
export interface KillIntent extends FailoverKill {
  readonly uid: string;
}

/** Where a record's results are: `parts` part ConfigMaps whose joined text has digest `sha256`. */
export interface StoredResults {
  readonly parts: number;
  readonly sha256: string;
}

/** The run records of one Benchmark: by UID, so a re-created Benchmark of the same name sees none of the old one's. */
export function runSelector(benchmark: BenchmarkRef): string {
  return `${LABEL_BENCHMARK_UID}=${benchmark.uid},${LABEL_COMPONENT}=${RUN_RECORD_COMPONENT}`;
}

export function runLabels(benchmark: BenchmarkRef, component = RUN_RECORD_COMPONENT): Record<string, string> {
  return { [LABEL_BENCHMARK]: benchmark.name, [LABEL_BENCHMARK_UID]: benchmark.uid, [LABEL_COMPONENT]: component };
}

/** The runners' results as the parts' texts (at least one) and what the record says of them. */
export function splitResults(results: readonly LoadResult[], partChars = PART_CHARS): { stored: StoredResults; parts: string[] } {
  const text = results.map(encodeResult).join('\n');
  const count = Math.max(1, Math.ceil(text.length / partChars));
  const parts = Array.from({ length: count }, (_, k) => text.slice(k * partChars, (k + 1) * partChars));
  return { stored: { parts: count, sha256: digestOf(text) }, parts };
}

/** The results back from the parts' texts (undefined: a part not found); throws naming what is wrong. */
export function joinResults(stored: StoredResults, parts: readonly (string | undefined)[]): LoadResult[] {
  const missing = parts.flatMap((p, k) => (p === undefined ? [k] : []));
  if (parts.length !== stored.parts || missing.length > 0)
    throw new Error(
      `result parts missing: ${missing.length > 0 ? missing.map((k) => `p${k}`).join(', ') : `${parts.length} of ${stored.parts}`}`,
    );
  const text = parts.join('');
  if (digestOf(text) !== stored.sha256) throw new Error('result parts do not match the record (sha256)');
  return text === '' ? [] : text.split('\n').map(decodeResult);
}

/** A record as ConfigMap data, and its parts' texts: write the parts first (`partName(k)`), then the record. */
export function recordData(record: RunRecord): { data: Record<string, string>; parts: string[] } {
  const { results, ...rest } = record;
  if (record.state !== 'succeeded') return { data: { [RECORD_KEY]: JSON.stringify(rest) }, parts: [] };
  const { stored, parts } = splitResults(results ?? []);
  return { data: { [RECORD_KEY]: JSON.stringify({ ...rest, stored }) }, parts };
}

export function killData(run: RunId, kill: FailoverKill): Record<string, string> {
  return { [KILL_KEY]: JSON.stringify({ run, ...kill }) };
}

export function intentData(run: RunId, intent: KillIntent): Record<string, string> {
  return { [INTENT_KEY]: JSON.stringify({ run, ...intent }) };
}

/** What one run ConfigMap holds; `problem` says why a record there does not count. */
export interface ParsedRun {
  readonly record?: RunRecord;
  readonly kill?: { run: RunId } & FailoverKill;
  readonly intent?: { run: RunId } & KillIntent;
  readonly problem?: string;
}

/**
 * One run ConfigMap, its results read from its parts (`readPart(run, k)`: part k's text, undefined
 * if the part does not exist). A record whose parts are missing or corrupt is left out, with the problem.
 */
export async function parseRunConfigMap(
  cm: V1ConfigMap,
  readPart: (run: RunId, k: number) => Promise<string | undefined>,
): Promise<ParsedRun> {
  const data = cm.data ?? {};
  const kill = data[KILL_KEY] ? (JSON.parse(data[KILL_KEY]) as ParsedRun['kill']) : undefined;
  const intent = data[INTENT_KEY] ? (JSON.parse(data[INTENT_KEY]) as ParsedRun['intent']) : undefined;
  const base = { ...(kill ? { kill } : {}), ...(intent ? { intent } : {}) };
  if (!data[RECORD_KEY]) return base;
  const { stored, ...record } = JSON.parse(data[RECORD_KEY]) as RunRecord & { stored?: StoredResults };
  if (record.state !== 'succeeded') return { ...base, record };
  // A part that cannot be fetched now (the API server busy) throws: only missing or corrupt parts are a problem.
  const parts = stored ? await Promise.all(Array.from({ length: stored.parts }, (_, k) => readPart(record.run, k))) : [];
  try {
    if (!stored) throw new Error('no result parts named');
    return { ...base, record: { ...record, results: joinResults(stored, parts) } };
  } catch (err) {
    return { ...base, problem: `${runKey(record.run)}: ${(err as Error).message}; not counted as recorded` };
  }
}

/** Records, failover kills and kill intents by runKey, from parsed run ConfigMaps. */
export interface StoredRuns {
  readonly records: Map<string, RunRecord>;
  readonly kills: Map<string, FailoverKill>;
  readonly intents: Map<string, { run: RunId } & KillIntent>;
}

export function collectRuns(parsed: readonly ParsedRun[]): StoredRuns {
  const runs: StoredRuns = { records: new Map(), kills: new Map(), intents: new Map() };
  for (const { record, kill, intent } of parsed) {
    if (kill) runs.kills.set(runKey(kill.run), { pod: kill.pod, atEpochMs: kill.atEpochMs });
    if (intent) runs.intents.set(runKey(intent.run), intent);
    if (record) runs.records.set(runKey(record.run), record);
  }
  return runs;
}

/**
 * Parsed run ConfigMaps by Benchmark UID and ConfigMap name, each parsed (its parts fetched and
 * decoded) once per resourceVersion: decoding megabytes on every pass would cost the CPU-limited
 * controller whole seconds. A parse that failed to fetch is not kept; one whose parts are missing
 * or corrupt is, with its problem, until the record is written again.
 */
export class RunStore {
  private readonly parsed = new Map<string, Map<string, { version?: string; run: Promise<ParsedRun> }>>();

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  async read(
    benchmark: BenchmarkRef,
    configMaps: readonly V1ConfigMap[],
    readPart: (run: RunId, k: number) => Promise<string | undefined>,
  ): Promise<StoredRuns> {
    const cache = this.parsed.get(benchmark.uid) ?? new Map<string, { version?: string; run: Promise<ParsedRun> }>();
    this.parsed.set(benchmark.uid, cache);
    const runs = configMaps.map((cm) => {
      const name = cm.metadata?.name ?? '';
      const version = cm.metadata?.resourceVersion;
      const cached = cache.get(name);
      if (cached && cached.version === version) return cached.run;
      const run = parseRunConfigMap(cm, readPart);
      cache.set(name, { version, run });
      run.then(
        (r) => r.problem && this.log(`benchmark ${benchmark.name}: ${r.problem}`),
        () => cache.get(name)?.run === run && cache.delete(name),
      );
      return run;
    });
    return collectRuns(await Promise.all(runs));
  }

  /** Drops a Benchmark's cache (it is finished). */
  forget(uid: string): void {
    this.parsed.delete(uid);
  }

  /** Drops the cache of Benchmarks other than `uids` (gone). */
  keepOnly(uids: ReadonlySet<string>): void {
    for (const uid of this.parsed.keys()) if (!uids.has(uid)) this.parsed.delete(uid);
  }
}
