import { describe, expect, it } from 'vitest';
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { runKey, runPartConfigMapName, type RunId } from '../../src/controller/names.js';
import type { RunRecord } from '../../src/controller/reconcile.js';
import { settleIntent } from '../../src/controller/failover-intent.js';
import {
  PART_CHARS,
  PART_KEY,
  RunStore,
  intentData,
  joinResults,
  killData,
  parseRunConfigMap,
  recordData,
  runLabels,
  splitResults,
  RUN_PART_COMPONENT,
} from '../../src/controller/run-store.js';
import { DEMO, longResult, runnerResults, succeededRecord } from './fixtures.js';

/** Kubernetes refuses a ConfigMap (data and metadata) over 1 MiB. */
const CONFIGMAP_LIMIT_BYTES = 1 << 20;

/** A record written as the controller writes it: its ConfigMap, and its parts by run key and number. */
function written(record: RunRecord, resourceVersion = '1') {
  const { data, parts } = recordData(record);
  const cm: V1ConfigMap = { metadata: { name: runKey(record.run), resourceVersion }, data };
  const byName = new Map(parts.map((p, k) => [`${runKey(record.run)}-p${k}`, p]));
  const readPart = (run: RunId, k: number) => Promise.resolve(byName.get(`${runKey(run)}-p${k}`));
  return { cm, parts, byName, readPart };
}

describe('run records: results in part ConfigMaps, what the report and a restarted controller read', () => {
  const thirtyMinutes = [longResult('rpc-gateway', 1, 0, 1800), longResult('rpc-gateway', 1, 1, 1800)];

  it('splits two 30-minute results into parts under the ConfigMap limit and joins them back exactly', () => {
    const { stored, parts } = splitResults(thirtyMinutes);
    const chars = parts.reduce((n, p) => n + p.length, 0);
    expect(chars).toBeGreaterThan(2 * 1_200_000); // about 1.3 MB a runner: more than the old 900,000-byte record
    expect(stored.parts).toBe(Math.ceil(chars / PART_CHARS));
    expect(parts.length).toBe(stored.parts);
    for (const [k, part] of parts.entries()) {
      const name = runPartConfigMapName(DEMO, { topology: 'rpc-gateway', trial: 1 }, k);
      expect(name.length).toBeLessThanOrEqual(63);
      const cm = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'clusterbench', labels: runLabels(DEMO, RUN_PART_COMPONENT) },
        data: { [PART_KEY]: part },
      };
      expect(Buffer.byteLength(JSON.stringify(cm))).toBeLessThan(CONFIGMAP_LIMIT_BYTES);
    }
    expect(joinResults(stored, parts)).toEqual(thirtyMinutes);
  });

  it('refuses parts that are missing or corrupt, naming which', () => {
    const { stored, parts } = splitResults(thirtyMinutes);
    expect(() => joinResults(stored, [parts[0], undefined, ...parts.slice(2)])).toThrow('result parts missing: p1');
    expect(() => joinResults(stored, parts.slice(0, -1))).toThrow(`result parts missing: ${parts.length - 1} of ${parts.length}`);
    const corrupt = [...parts];
    corrupt[1] = `${corrupt[1].slice(0, 100)}A${corrupt[1].slice(101)}`;
    expect(() => joinResults(stored, corrupt)).toThrow('result parts do not match the record (sha256)');
    // An empty result list is one empty part.
    const none = splitResults([]);
    expect(none.parts).toEqual(['']);
    expect(joinResults(none.stored, none.parts)).toEqual([]);
  });

  it('reads back records, kills and kill intents; a failed record has no parts', async () => {
    const run: RunId = { topology: 'nginx', trial: 2 };
    const record = succeededRecord(run, [...runnerResults(run).values()]);
    const ok = written(record);
    expect((await parseRunConfigMap(ok.cm, ok.readPart)).record).toEqual(record);
    const failed: RunRecord = { run: { topology: 'single', trial: 1 }, state: 'failed', job: 'j', attempts: 2, reason: 'DeadlineExceeded' };
    expect(recordData(failed).parts).toEqual([]);
    expect((await parseRunConfigMap({ data: recordData(failed).data }, () => Promise.reject(new Error('not read')))).record).toEqual(
      failed,
    );
    const killRun: RunId = { topology: 'nginx', trial: 1 };
    const parsed = await parseRunConfigMap(
      {
        data: {
          ...intentData(killRun, { pod: 'hello-abc', uid: 'u-1', atEpochMs: 4 }),
          ...killData(killRun, { pod: 'hello-abc', atEpochMs: 5 }),
        },
      },
      ok.readPart,
    );
    expect(parsed).toEqual({
      kill: { run: killRun, pod: 'hello-abc', atEpochMs: 5 },
      intent: { run: killRun, pod: 'hello-abc', uid: 'u-1', atEpochMs: 4 },
    });
  });

  it('a record whose part is missing or corrupt is not recorded (the run is done again), never a smaller result', async () => {
    const run: RunId = { topology: 'rpc-gateway', trial: 1 };
    const w = written(succeededRecord(run, thirtyMinutes));
    expect(w.parts.length).toBeGreaterThan(1);
    w.byName.delete(`${runKey(run)}-p1`);
    const missing = await parseRunConfigMap(w.cm, w.readPart);
    expect(missing.record).toBeUndefined();
    expect(missing.problem).toBe('rpc-gateway.t1: result parts missing: p1; not counted as recorded');
    w.byName.set(`${runKey(run)}-p1`, w.parts[1].replace(/.$/, '='));
    expect((await parseRunConfigMap(w.cm, w.readPart)).problem).toContain('do not match the record (sha256)');
    // A record of the old form (results inside, no parts named) does not count either.
    const old = { data: { record: JSON.stringify({ run, state: 'succeeded', job: 'j', attempts: 1 }) } };
    expect((await parseRunConfigMap(old, w.readPart)).problem).toBe('rpc-gateway.t1: no result parts named; not counted as recorded');
  });

  it('fetches parts once per record resourceVersion, again when the record changes; a failed fetch is tried again', async () => {
    const run: RunId = { topology: 'nginx', trial: 1 };
    const w = written(succeededRecord(run, [...runnerResults(run).values()]));
    let fetched = 0;
    let fail = true;
    const readPart = (r: RunId, k: number) => {
      fetched++;
      if (fail) return Promise.reject(new Error('API server busy'));
      return w.readPart(r, k);
    };
    const lines: string[] = [];
    const store = new RunStore((l) => lines.push(l));
    await expect(store.read(DEMO, [w.cm], readPart)).rejects.toThrow('API server busy');
    fail = false;
    for (let i = 0; i < 3; i++) expect((await store.read(DEMO, [w.cm], readPart)).records.get('nginx.t1')).toBeDefined();
    expect(fetched).toBe(2); // once failed, once read; the next two passes came from the cache
    await store.read(DEMO, [{ ...w.cm, metadata: { ...w.cm.metadata, resourceVersion: '2' } }], readPart);
    expect(fetched).toBe(3);
    store.forget(DEMO.uid);
    await store.read(DEMO, [{ ...w.cm, metadata: { ...w.cm.metadata, resourceVersion: '2' } }], readPart);
    expect(fetched).toBe(4);
    w.byName.clear();
    const runs = await store.read(DEMO, [{ ...w.cm, metadata: { ...w.cm.metadata, resourceVersion: '3' } }], w.readPart);
    expect(runs.records.size).toBe(0);
    expect(lines).toEqual(['benchmark demo: nginx.t1: result parts missing: p0; not counted as recorded']);
  });
});

describe('failover kill intent: never a second victim', () => {
  const pod = (name: string, uid: string, terminating = false): V1Pod => ({
    metadata: { name, uid, ...(terminating ? { deletionTimestamp: new Date() } : {}) },
  });
  const intent = { pod: 'hello-a', uid: 'u-a', atEpochMs: 1 };

  it('deletes the intended pod while that very pod is there, else records it as killed', () => {
    expect(settleIntent(intent, [pod('hello-a', 'u-a'), pod('hello-b', 'u-b')])).toBe('delete');
    expect(settleIntent(intent, [pod('hello-a', 'u-a', true), pod('hello-b', 'u-b')])).toBe('record');
    expect(settleIntent(intent, [pod('hello-b', 'u-b')])).toBe('record');
    // Another pod under the victim's name (a StatefulSet would do that) is not the victim.
    expect(settleIntent(intent, [pod('hello-a', 'u-new'), pod('hello-b', 'u-b')])).toBe('record');
  });
});
