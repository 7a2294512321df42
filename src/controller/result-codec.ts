/**
 * A load result's compact encoding, for the places it must survive the runner: the pod's
 * termination message (at most 4096 bytes) and the last line of its log. gzip, then base64,
 * behind a tag naming the schema.
 *
 * A full result rarely fits 4096 bytes (measured: 23 KB for 10 s at 23k req/s, most of it the
 * per-second histograms), so the termination message gets the full result when it fits, else a
 * trimmed one without the per-second histograms (the merge then bounds each second's p99 from
 * above), else nothing; the log line always has the full result. A trimmed result is marked as
 * such when decoded, so the report can say which run's result lacks what.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { LOAD_RESULT_SCHEMA, type LoadResult } from '../../loadtest/types.js';

const FULL_TAG = 'cbr1:';
const TRIMMED_TAG = 'cbr1t:';
/** Kubernetes keeps at most 4096 bytes of a container's termination message. */
export const TERMINATION_MESSAGE_LIMIT = 4096;
/** The most a result may decompress to: a gzip bomb under the socket's frame limit stops here. */
export const MAX_RESULT_BYTES = 32 << 20;
/** Prefix of the log line that carries the result. */
export const RESULT_LOG_PREFIX = 'clusterbench-result ';

function pack(tag: string, result: LoadResult): string {
  return tag + gzipSync(JSON.stringify(result), { level: 9 }).toString('base64');
}

export function encodeResult(result: LoadResult): string {
  return pack(FULL_TAG, result);
}

/**
 * The result without its per-second histograms: that is all it drops. What is kept (every count,
 * the whole-run histograms and percentiles, each second's rps, p99 and errors) reads as before;
 * only merging runners second by second loses exactness (each merged second's p99 is then the
 * largest of its runners', an upper bound: loadtest/merge.ts).
 */
export function trimResult(result: LoadResult): LoadResult {
  return { ...result, timeline: result.timeline.map(({ histogram: _dropped, ...point }) => point) };
}

/** What trimResult drops, in words. */
export const TRIMMED_AWAY = 'per-second latency histograms';

/** A result decoded from the trimmed form names what it lacks; it stays with it in the run records. */
type DecodedResult = LoadResult & { readonly trimmed?: typeof TRIMMED_AWAY };

/** What a result lacks because it was decoded from the trimmed form (a termination message), if it was. */
export function trimmedAway(result: LoadResult): string | undefined {
  return (result as DecodedResult).trimmed;
}

/** What to write to the termination message: the full result if it fits, else the trimmed one if that fits. */
export function terminationMessageFor(result: LoadResult): string | undefined {
  for (const encoded of [encodeResult(result), pack(TRIMMED_TAG, trimResult(result))]) {
    if (Buffer.byteLength(encoded) <= TERMINATION_MESSAGE_LIMIT) return encoded;
  }
  return undefined;
}

/** Whether an encoding is the trimmed form (the log line then has more). */
export function isTrimmed(encoded: string): boolean {
  return encoded.trim().startsWith(TRIMMED_TAG);
}

/** Decodes either form; throws on anything else (wrong tag, corrupt, not a load result). */
export function decodeResult(encoded: string): LoadResult {
  const text = encoded.trim();
  const tag = [TRIMMED_TAG, FULL_TAG].find((t) => text.startsWith(t));
  if (!tag) throw new Error('not an encoded load result');
  let json: Buffer;
  try {
    json = gunzipSync(Buffer.from(text.slice(tag.length), 'base64'), { maxOutputLength: MAX_RESULT_BYTES });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new Error(`result larger than ${MAX_RESULT_BYTES} bytes decompressed`, { cause: err });
    throw err;
  }
  const result = JSON.parse(json.toString('utf8')) as LoadResult;
  if (result?.schema !== LOAD_RESULT_SCHEMA) throw new Error(`not a ${LOAD_RESULT_SCHEMA}`);
  if (tag !== TRIMMED_TAG) return result;
  const marked: DecodedResult = { ...result, trimmed: TRIMMED_AWAY };
  return marked;
}

/** Finds the result in a log: the last line with the result prefix. */
export function resultFromLog(log: string): LoadResult | undefined {
  const line = log
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(RESULT_LOG_PREFIX));
  return line === undefined ? undefined : decodeResult(line.slice(RESULT_LOG_PREFIX.length));
}
