/**
 * What runners and the controller say over the WebSocket (`/runners` on the controller's port).
 * JSON text frames, one message each.
 */
import type { RawData } from 'ws';
import type { LoadProgress } from '../../loadtest/types.js';

export const RUNNERS_PATH = '/runners';

/** Runner → controller. */
export type RunnerMessage =
  /** Connected and waiting; `startAt` when it already got a start time (a reconnect). */
  | { readonly type: 'ready'; readonly job: string; readonly index: number; readonly startAt?: number }
  | { readonly type: 'progress'; readonly job: string; readonly index: number; readonly progress: LoadProgress }
  /** The result in its compact encoding (result-codec.ts). */
  | { readonly type: 'result'; readonly job: string; readonly index: number; readonly result: string };

/** Controller → runner. */
export type ControllerMessage =
  /** Begin the warmup at this epoch ms. */
  | { readonly type: 'start'; readonly startAt: number }
  /** The result is held; the runner may exit. */
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
  if (m.type !== 'ready' && m.type !== 'progress' && m.type !== 'result') throw new Error(`unknown message type ${String((m as { type: unknown }).type)}`);
  return m;
}
