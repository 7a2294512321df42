/**
 * Worker-thread entry: runs one Engine. Protocol with run-load.ts: the worker posts `ready` once
 * its engine is built and ready to start on time; the parent posts `start` (with the common start time) and may post
 * `abort`; the worker answers with `result`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Engine, type EngineOptions } from './engine.js';
import type { LoadResult } from './types.js';

export type ToWorker = { readonly type: 'start'; readonly startAt: number; readonly synchronized: boolean } | { readonly type: 'abort' };
export type FromWorker = { readonly type: 'ready' } | { readonly type: 'result'; readonly result: LoadResult };

if (parentPort === null) throw new Error('loadtest/worker.js runs only as a worker thread');
const port = parentPort;
const engine = new Engine(workerData as EngineOptions);
port.on('message', (message: ToWorker) => {
  if (message.type === 'abort') {
    engine.abort();
    return;
  }
  engine.run(message.startAt, message.synchronized).then(
    (result) => {
      port.postMessage({ type: 'result', result } satisfies FromWorker);
      port.close();
    },
    (err: unknown) => {
      throw err; // surfaces as the worker's 'error' event in the parent
    },
  );
});
await engine.ready;
port.postMessage({ type: 'ready' } satisfies FromWorker);
