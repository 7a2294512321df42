import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UsageError } from './usage-error.js';
import { Engine, type EngineOptions } from './engine.js';
import { mergeResults } from './merge.js';
import type { LoadOptions, LoadResult } from './types.js';
import type { FromWorker, ToWorker } from './worker.js';

/** DEFAULT per LoadOptions.timeoutMs. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** How long workers get to start before the common start time, when none was agreed. */
const WORKER_START_MARGIN_MS = 20;

/** Checks LoadOptions; throws a UsageError naming the field. Returns the parsed URL. */
export function validateLoadOptions(options: LoadOptions): URL {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new UsageError(`url: "${options.url}" is not a URL (expected http://host:port/path)`);
  }
  if (url.protocol !== 'http:') throw new UsageError(`url: "${options.url}" must start with http:// (https is not supported)`);
  if (url.username !== '' || url.password !== '') throw new UsageError(`url: "${options.url}" must not carry credentials`);
  const positiveInteger = (field: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) {
      throw new UsageError(`${field}: ${value} must be a whole number, 1 or more`);
    }
  };
  const positive = (field: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new UsageError(`${field}: ${value} must be greater than zero`);
  };
  positiveInteger('connections', options.connections);
  positiveInteger('workers', options.workers);
  positive('duration', options.durationMs);
  positive('rate', options.rate);
  positive('timeout', options.timeoutMs);
  if (!(Number.isFinite(options.warmupMs) && options.warmupMs >= 0))
    throw new UsageError(`warmup: ${options.warmupMs} must be zero or more`);
  if (options.mode === 'open' && options.rate === undefined) throw new UsageError('rate: open loop needs a rate (requests per second)');
  if (options.mode === 'closed' && options.rate !== undefined) throw new UsageError('rate: a closed loop takes no rate (use mode open)');
  return url;
}

/** The compiled worker entry. Under vitest this module runs from TypeScript: use build/'s copy. */
function workerEntry(): URL {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new URL('./worker.js', here);
  const built = new URL('../build/loadtest/worker.js', here);
  if (!existsSync(fileURLToPath(built))) {
    throw new Error('workers > 1 run build/loadtest/worker.js, which is missing: run npm run build first');
  }
  return built;
}

/** Splits `total` into `parts` near-equal whole shares, larger ones first. */
function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** One load share, run in this thread or in a worker thread. */
interface Share {
  /** Resolves with the share's result once started with start(). */
  readonly result: Promise<LoadResult>;
  start(startAt: number, synchronized: boolean): void;
  abort(): void;
}

function inThreadShare(options: EngineOptions): { ready: Promise<Share> } {
  const engine = new Engine(options);
  let resolveResult: (r: Promise<LoadResult>) => void = () => {};
  const result = new Promise<LoadResult>((resolve) => {
    resolveResult = resolve;
  });
  const share: Share = {
    result,
    start: (startAt, synchronized) => resolveResult(engine.run(startAt, synchronized)),
    abort: () => engine.abort(),
  };
  return { ready: engine.ready.then(() => share) };
}

function workerShare(entry: URL, options: EngineOptions): { ready: Promise<Share> } {
  const worker = new Worker(entry, { workerData: options });
  let resolveResult: (r: LoadResult) => void = () => {};
  let rejectResult: (err: Error) => void = () => {};
  const result = new Promise<LoadResult>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  const send = (message: ToWorker) => worker.postMessage(message);
  const share: Share = {
    result,
    start: (startAt, synchronized) => send({ type: 'start', startAt, synchronized }),
    abort: () => send({ type: 'abort' }),
  };
  const ready = new Promise<Share>((resolve, reject) => {
    let settled = false;
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') resolve(share);
      else {
        settled = true;
        resolveResult(message.result);
      }
    });
    const failed = (err: Error) => {
      reject(err);
      rejectResult(err);
    };
    worker.on('error', failed);
    worker.on('exit', (code) => {
      if (!settled) failed(new Error(`load worker exited (code ${code}) before its result`));
    });
  });
  // Either rejection is reported once, by whoever awaits it first.
  result.catch(() => {});
  ready.catch(() => {});
  return { ready };
}

/**
 * Runs one load (DESIGN.md, "Load result"): closed loop with `connections` users, or open loop at
 * `rate` requests per second, spread over worker threads (one per CPU by default; one worker
 * runs in this thread). Each worker measures its share into its own histograms; the result is
 * their exact merge. Bad options throw a UsageError naming the field; a target that refuses or
 * drops connections gives a result full of errors, not an exception.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  validateLoadOptions(options);
  const open = options.mode === 'open' || (options.mode === undefined && options.rate !== undefined);
  const workers = Math.min(options.workers ?? availableParallelism(), options.connections);
  const connections = split(options.connections, workers);
  const progress = new Float64Array(new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT * 2 * workers));
  const entry = workers > 1 ? workerEntry() : null;
  const pending = connections.map((n, slot) => {
    const share: EngineOptions = {
      url: options.url,
      connections: n,
      rate: open ? ((options.rate as number) * n) / options.connections : null,
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      keepAlive: options.keepAlive ?? true,
      topology: options.topology ?? '',
      trial: options.trial ?? 1,
      runner: options.runner ?? 0,
      progress,
      progressSlot: slot,
    };
    return entry === null ? inThreadShare(share) : workerShare(entry, share);
  });
  const shares = await Promise.all(pending.map((p) => p.ready));
  const synchronized = options.startAt !== undefined;
  const startAt = options.startAt ?? Date.now() + (workers > 1 ? WORKER_START_MARGIN_MS : 0);
  const abort = () => shares.forEach((s) => s.abort());
  options.signal?.addEventListener('abort', abort, { once: true });
  if (options.signal?.aborted) abort();
  const reporter = options.onProgress === undefined ? null : startProgress(options, startAt, progress);
  try {
    // Read before the shares start: each starts at max(startAt, its own now), never before this.
    const startedAt = Math.max(startAt, Date.now());
    for (const share of shares) share.start(startAt, synchronized);
    options.onStart?.(startedAt);
    return { ...mergeResults(await Promise.all(shares.map((s) => s.result))), runId: randomUUID() };
  } finally {
    if (reporter !== null) clearInterval(reporter);
    options.signal?.removeEventListener('abort', abort);
  }
}

/** Calls options.onProgress about once a second from the engines' published counters. */
function startProgress(options: LoadOptions, startAt: number, progress: Float64Array): NodeJS.Timeout {
  let lastRequests = 0;
  let lastAt = startAt;
  return setInterval(() => {
    const now = Date.now();
    if (now < startAt) return;
    let requests = 0;
    let errors = 0;
    for (let i = 0; i < progress.length; i += 2) {
      requests += progress[i];
      errors += progress[i + 1];
    }
    const rps = now > lastAt ? ((requests - lastRequests) * 1000) / (now - lastAt) : 0;
    lastRequests = requests;
    lastAt = now;
    options.onProgress?.({ elapsedMs: now - startAt, warmup: now - startAt < options.warmupMs, requests, rps, errors });
  }, 1000);
}
