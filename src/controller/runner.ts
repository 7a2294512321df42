/**
 * What a load Job's pod runs (`clusterbench runner`): connect to the controller, wait for the
 * common start time, run the load, and leave the result where it outlives the pod and the
 * controller (termination message when it fits, else the last log line) before sending it over
 * the socket too. A runner that ends without a result sends why (`failed`) before it exits.
 */
import { writeFile } from 'node:fs/promises';
import WebSocket from 'ws';
import type { LoadOptions, LoadResult } from '../../loadtest/types.js';
import { INDEX_HEADER, JOB_HEADER, MAX_REASON_CHARS, frameText, type ControllerMessage, type RunnerMessage } from './protocol.js';
import { RESULT_LOG_PREFIX, encodeResult, terminationMessageFor } from './result-codec.js';
import { chunkResult } from './result-chunks.js';
import { START_DEADLINE_MS } from './runner-job.js';

export interface RunnerOptions {
  readonly controllerUrl: string;
  readonly job: string;
  readonly index: number;
  /** The Job's secret token (env CLUSTERBENCH_RUNNER_TOKEN): the controller refuses a runner without it. */
  readonly token: string;
  readonly runners: number;
  /** Load over all runners; this runner takes its share. */
  readonly load: Omit<LoadOptions, 'startAt' | 'onProgress' | 'signal' | 'runner'>;
  /** @default START_DEADLINE_MS */
  readonly startDeadlineMs?: number;
  /** @default /dev/termination-log */
  readonly terminationLogPath?: string;
  readonly runLoad: (options: LoadOptions) => Promise<LoadResult>;
  /** Stderr-like diagnostics. @default process.stderr */
  readonly log?: (line: string) => void;
  /** Where the result's log line goes. @default process.stdout */
  readonly print?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** This runner's share of a total split over `runners` (the first ones take the remainder). */
export function shareOf(total: number, runners: number, index: number): number {
  return Math.floor(total / runners) + (index < total % runners ? 1 : 0);
}

const RECONNECT_MS = 1_000;
const PROGRESS_EVERY_MS = 1_000;
const ACK_WAIT_MS = 5_000;

/** A socket to the controller that reconnects (the controller may restart) and says `ready` on each connect. */
class ControllerLink {
  private ws?: WebSocket;
  private closed = false;
  startAt?: number;
  private readonly startWaiters: ((startAt: number) => void)[] = [];
  private ackWaiter?: () => void;

  constructor(
    private readonly url: string,
    private readonly job: string,
    private readonly index: number,
    private readonly token: string,
    private readonly log: (line: string) => void,
  ) {
    this.connect();
  }

  private connect(): void {
    if (this.closed) return;
    const ws = new WebSocket(this.url, {
      headers: { authorization: `Bearer ${this.token}`, [JOB_HEADER]: this.job, [INDEX_HEADER]: String(this.index) },
    });
    this.ws = ws;
    ws.on('open', () =>
      this.send({ type: 'ready', job: this.job, index: this.index, ...(this.startAt === undefined ? {} : { startAt: this.startAt }) }),
    );
    ws.on('message', (data) => {
      const message = JSON.parse(frameText(data)) as ControllerMessage;
      if (message.type === 'start' && this.startAt === undefined) {
        this.startAt = message.startAt;
        for (const resolve of this.startWaiters.splice(0)) resolve(message.startAt);
      } else if (message.type === 'ack') {
        this.ackWaiter?.();
      }
    });
    // 'close' follows and reconnects; a refusal (the controller does not know this Job yet) is said once a try.
    ws.on('error', (err) => this.log(`controller ${this.url}: ${err.message}`));
    ws.on('close', () => {
      if (!this.closed) setTimeout(() => this.connect(), RECONNECT_MS).unref();
    });
  }

  send(message: RunnerMessage): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  waitForStart(deadlineMs: number): Promise<number> {
    if (this.startAt !== undefined) return Promise.resolve(this.startAt);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no start time from the controller at ${this.url} within ${deadlineMs} ms`)),
        deadlineMs,
      );
      this.startWaiters.push((startAt) => {
        clearTimeout(timer);
        resolve(startAt);
      });
    });
  }

  /**
   * Sends a result's chunks, or a failure, and waits briefly for the ack: false when not connected
   * or not acked. Best effort: the pod keeps the same words (termination message, log).
   */
  async deliver(messages: readonly RunnerMessage[]): Promise<boolean> {
    // Not connected: no ack can come, and a pending wait would hold the exiting process for ACK_WAIT_MS.
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    const acked = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ACK_WAIT_MS);
      this.ackWaiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    if (!messages.every((message) => this.send(message))) return false;
    return acked;
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }
}

/** Runs one runner to the end; returns the exit code (0 with a result, 1 without). */
export async function runRunner(options: RunnerOptions): Promise<number> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { job, index, runners, load } = options;
  const link = new ControllerLink(options.controllerUrl, job, index, options.token, log);
  try {
    const startAt = await link.waitForStart(options.startDeadlineMs ?? START_DEADLINE_MS);
    log(`${job}/${index}: start at ${new Date(startAt).toISOString()} (in ${startAt - Date.now()} ms)`);
    let lastProgress = 0;
    const result = await options.runLoad({
      ...load,
      connections: shareOf(load.connections, runners, index),
      ...(load.rate === undefined ? {} : { rate: load.rate / runners }),
      runner: index,
      startAt,
      signal: options.signal,
      onProgress: (progress) => {
        const now = Date.now();
        if (now - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = now;
        link.send({ type: 'progress', job, index, progress });
      },
    });
    // A runner stopped early (its pod deleted, the node drained) has no full result: it fails, and
    // the controller reruns the run, instead of counting a short run as a whole one.
    if (options.signal?.aborted)
      throw new Error(`stopped early (SIGTERM) after ${result.durationMs} ms of the ${load.durationMs} ms measured; no result`);
    const encoded = encodeResult(result);
    // Both copies go out before the socket: they survive this pod's exit and a controller restart.
    const message = terminationMessageFor(result);
    if (message !== undefined) await writeFile(options.terminationLogPath ?? '/dev/termination-log', message);
    (options.print ?? ((line: string) => process.stdout.write(line)))(`${RESULT_LOG_PREFIX}${encoded}\n`);
    if (!(await link.deliver(chunkResult(encoded).map((chunk) => ({ type: 'result', job, index, ...chunk })))))
      log(`${job}/${index}: no ack from the controller; the result stays in the pod`);
    log(
      `${job}/${index}: ${result.requests} requests, ${result.throughputRps.toFixed(0)} req/s, start skew ${result.startSkewMs.toFixed(2)} ms`,
    );
    return 0;
  } catch (err) {
    const reason = (err as Error).message;
    log(`${job}/${index}: ${reason}`);
    // The controller hears why before this pod (and its termination message) may be gone.
    const said = reason.length <= MAX_REASON_CHARS ? reason : `${reason.slice(0, MAX_REASON_CHARS - 1)}…`;
    if (!(await link.deliver([{ type: 'failed', job, index, reason: said }])))
      log(`${job}/${index}: the controller did not take the reason; it stays in the pod`);
    return 1;
  } finally {
    link.close();
  }
}
