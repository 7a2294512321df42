/**
 * A result over the runners' socket in numbered chunks: a long run's encoded result outgrows one
 * frame (measured: about 23 KB encoded per 10 s with per-second histograms, so a 30-minute run
 * is about 4 MB against the 1 MiB frame limit). Each chunk carries its number, the total and the
 * SHA-256 of the whole encoding; the controller holds at most one assembly per runner, at most
 * MAX_ENCODED_BYTES of it, and decodes (bounded again by MAX_RESULT_BYTES) only a whole one whose
 * digest matches.
 */
import { createHash } from 'node:crypto';

/** Characters of the encoded result per chunk: a chunk's frame stays well under MAX_MESSAGE_BYTES. */
export const RESULT_CHUNK_CHARS = 512 << 10;
/** The most encoded characters one result may have (gzip of JSON is smaller than the JSON, bounded by MAX_RESULT_BYTES). */
export const MAX_ENCODED_BYTES = 32 << 20;

/** One chunk: `data` is characters [part × chunk size, …) of the encoded result (ASCII: tag and base64). */
export interface ResultChunk {
  readonly part: number;
  readonly parts: number;
  readonly sha256: string;
  readonly data: string;
}

export function digestOf(encoded: string): string {
  return createHash('sha256').update(encoded).digest('hex');
}

/** Splits an encoded result into chunks of at most `chunkChars` characters (at least one chunk). */
export function chunkResult(encoded: string, chunkChars = RESULT_CHUNK_CHARS): ResultChunk[] {
  const parts = Math.max(1, Math.ceil(encoded.length / chunkChars));
  const sha256 = digestOf(encoded);
  return Array.from({ length: parts }, (_, part) => ({
    part,
    parts,
    sha256,
    data: encoded.slice(part * chunkChars, (part + 1) * chunkChars),
  }));
}

/**
 * One runner's chunks, put back together. A chunk of another digest starts over (a runner has one
 * result; anything else is not it); a repeated chunk replaces its earlier copy (a resend after a
 * reconnect). Throws, naming the field, on a chunk that cannot belong to a result within bounds.
 */
export class ResultAssembly {
  private sha256 = '';
  private parts = 0;
  private readonly chunks = new Map<number, string>();
  private bytes = 0;

  constructor(private readonly maxBytes = MAX_ENCODED_BYTES) {}

  /** Adds a chunk; returns the whole encoded result once every part is here and its digest matches. */
  add(chunk: ResultChunk): string | undefined {
    const { part, parts, sha256, data } = chunk;
    if (!Number.isInteger(parts) || parts < 1) throw new Error(`chunk parts ${String(parts)}: a whole number of at least 1`);
    if (!Number.isInteger(part) || part < 0 || part >= parts)
      throw new Error(`chunk part ${String(part)}: a whole number from 0 to ${parts - 1}`);
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) throw new Error('chunk sha256: 64 hex digits');
    if (typeof data !== 'string') throw new Error('chunk data: a string');
    if (sha256 !== this.sha256 || parts !== this.parts) {
      this.sha256 = sha256;
      this.parts = parts;
      this.chunks.clear();
      this.bytes = 0;
    }
    this.bytes += data.length - (this.chunks.get(part)?.length ?? 0);
    this.chunks.set(part, data);
    if (this.bytes > this.maxBytes) {
      this.chunks.clear();
      this.bytes = 0;
      this.sha256 = '';
      throw new Error(`result over ${this.maxBytes} bytes encoded`);
    }
    if (this.chunks.size < parts) return undefined;
    const encoded = Array.from({ length: parts }, (_, i) => this.chunks.get(i)).join('');
    this.chunks.clear();
    this.bytes = 0;
    this.sha256 = '';
    if (digestOf(encoded) !== sha256) throw new Error('result sha256 does not match its chunks');
    return encoded;
  }
}
