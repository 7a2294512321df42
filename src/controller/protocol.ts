/**
 * What runners and the controller say over the WebSocket (`/runners` on the controller's port).
 * JSON text frames, one message each. A runner opens the socket with its Job, its index and its
 * Job's secret token in the upgrade request's headers; the controller refuses the upgrade unless
 * the token matches the hash on that Job and the peer is that runner's pod, and then takes only
 * messages naming that Job and index on the socket.
 */
import type { RawData } from 'ws';
import type { LoadProgress } from '../../loadtest/types.js';
import type { ResultChunk } from './result-chunks.js';

export const RUNNERS_PATH = '/runners';
/** Upgrade request headers: `authorization: Bearer <token>`, the Job and the runner index. */
export const JOB_HEADER = 'x-clusterbench-job';
export const INDEX_HEADER = 'x-clusterbench-runner';
/** The env var a runner pod gets its Job's token in (from the Secret the controller made for the Job). */
export const RUNNER_TOKEN_ENV = 'CLUSTERBENCH_RUNNER_TOKEN';
/** The largest message a runner may send (one frame). */
export const MAX_MESSAGE_BYTES = 1 << 20;
/** The longest reason a `failed` message may carry: the status condition and the report quote it whole. */
export const MAX_REASON_CHARS = 1_000;

/** Runner → controller. */
export type RunnerMessage =
  /** Connected and waiting; `startAt` when it already got a start time (a reconnect). */
  | { readonly type: 'ready'; readonly job: string; readonly index: number; readonly startAt?: number }
  | { readonly type: 'progress'; readonly job: string; readonly index: number; readonly progress: LoadProgress }
  /** One chunk of the result in its compact encoding (result-codec.ts, result-chunks.ts). */
  | ({ readonly type: 'result'; readonly job: string; readonly index: number } & ResultChunk)
  /**
   * Why this runner ends without a result (e.g. stopped by SIGTERM), sent before it exits: its pod,
   * and the termination message in it, may be gone (deleted, drained, evicted) before the
   * controller reads it.
   */
  | { readonly type: 'failed'; readonly job: string; readonly index: number; readonly reason: string };

/** Controller → runner. */
export type ControllerMessage =
  /** Begin the warmup at this epoch ms. */
  | { readonly type: 'start'; readonly startAt: number }
  /** The result (after its last chunk) or the failure is held; the runner may exit. */
  | { readonly type: 'ack' };

/** A frame's text: ws hands a Buffer, fragments as Buffer[], or an ArrayBuffer (binaryType). */
export function frameText(data: RawData): string {
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}

export function parseRunnerMessage(text: string): RunnerMessage {
  const m = JSON.parse(text) as RunnerMessage;
  if (typeof m !== 'object' || m === null || typeof m.job !== 'string' || !Number.isInteger(m.index)) {
    throw new Error('bad runner message');
  }
  if (m.type !== 'ready' && m.type !== 'progress' && m.type !== 'result' && m.type !== 'failed')
    throw new Error(`unknown message type ${String((m as { type: unknown }).type)}`);
  if (m.type === 'failed' && !(typeof m.reason === 'string' && m.reason.length > 0 && m.reason.length <= MAX_REASON_CHARS))
    throw new Error(`failed: reason must be 1 to ${MAX_REASON_CHARS} characters`);
  return m;
}
