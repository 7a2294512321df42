/**
 * A load result's compact encoding, for the places it must survive the runner: the pod's
 * termination message (at most 4096 bytes) or, when it does not fit, the last line of its log.
 * gzip, then base64, behind a tag naming the schema.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { LOAD_RESULT_SCHEMA, type LoadResult } from '../../loadtest/types.js';

const TAG = 'cbr1:';
/** Kubernetes keeps at most 4096 bytes of a container's termination message. */
export const TERMINATION_MESSAGE_LIMIT = 4096;
/** Prefix of the log line that carries the result. */
export const RESULT_LOG_PREFIX = 'clusterbench-result ';

export function encodeResult(result: LoadResult): string {
  return TAG + gzipSync(JSON.stringify(result), { level: 9 }).toString('base64');
}

/** Decodes an encoded result; throws on anything else (wrong tag, corrupt, not a load result). */
export function decodeResult(encoded: string): LoadResult {
  const text = encoded.trim();
  if (!text.startsWith(TAG)) throw new Error('not an encoded load result');
  const result = JSON.parse(gunzipSync(Buffer.from(text.slice(TAG.length), 'base64')).toString('utf8')) as LoadResult;
  if (result?.schema !== LOAD_RESULT_SCHEMA) throw new Error(`not a ${LOAD_RESULT_SCHEMA}`);
  return result;
}

/** Finds the result in a log: the last line with the result prefix. */
export function resultFromLog(log: string): LoadResult | undefined {
  const line = log.split('\n').reverse().find((l) => l.startsWith(RESULT_LOG_PREFIX));
  return line === undefined ? undefined : decodeResult(line.slice(RESULT_LOG_PREFIX.length));
}

/** Whether the encoding fits the termination message. */
export function fitsTerminationMessage(encoded: string): boolean {
  return Buffer.byteLength(encoded) <= TERMINATION_MESSAGE_LIMIT;
}
