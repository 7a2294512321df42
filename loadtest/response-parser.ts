/**
 * A minimal, incremental HTTP/1.x response parser for the load generator's hot path: the status
 * code, the body framing (Content-Length, chunked, or until close), `Connection: close`, and the
 * `X-Served-By` value, interned to a small integer. It allocates nothing per response in the
 * common case (one response in one read, same backend as the previous response).
 */

const CR = 0x0d;
const LF = 0x0a;
/** A response head larger than this is treated as a protocol error. */
const MAX_HEAD_BYTES = 64 * 1024;

const NAME_CONTENT_LENGTH = Buffer.from('content-length:', 'latin1');
const NAME_TRANSFER_ENCODING = Buffer.from('transfer-encoding:', 'latin1');
const NAME_CONNECTION = Buffer.from('connection:', 'latin1');
const NAME_SERVED_BY = Buffer.from('x-served-by:', 'latin1');

// Parser states.
const HEAD = 0;
const BODY_LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_EXTENSION = 3;
const CHUNK_DATA = 4;
const CHUNK_DATA_END = 5;
const TRAILERS = 6;
const BODY_UNTIL_CLOSE = 7;

/** feed() results besides "the response ended at this offset". */
export const NEED_MORE = -1;
export const PROTOCOL_ERROR = -2;

/** X-Served-By values seen by one engine, interned: index → name, and a count per index. */
export class BackendTable {
  readonly names: string[] = [];
  readonly counts: number[] = [];
  private readonly index = new Map<string, number>();

  intern(name: string): number {
    let id = this.index.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.counts.push(0);
      this.index.set(name, id);
    }
    return id;
  }
}

/** Case-insensitive match of a lower-case header name (with its colon) at buf[pos]. */
function matchName(buf: Buffer, pos: number, end: number, name: Buffer): boolean {
  const n = name.length;
  if (end - pos < n) return false;
  for (let i = 0; i < n; i++) {
    if ((buf[pos + i] | 0x20) !== name[i]) return false;
  }
  return true;
}

function skipSpaces(buf: Buffer, pos: number, end: number): number {
  while (pos < end && (buf[pos] === 0x20 || buf[pos] === 0x09)) pos++;
  return pos;
}

function trimEnd(buf: Buffer, start: number, end: number): number {
  while (end > start && (buf[end - 1] === 0x20 || buf[end - 1] === 0x09)) end--;
  return end;
}

/** Whether buf[start, end) ends with the token `chunked` (any case). */
function endsWithChunked(buf: Buffer, start: number, end: number): boolean {
  const word = 'chunked';
  if (end - start < word.length) return false;
  for (let i = 0; i < word.length; i++) {
    if ((buf[end - word.length + i] | 0x20) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether buf[start, end) is the token `close` (any case). */
function isClose(buf: Buffer, start: number, end: number): boolean {
  if (end - start !== 5) return false;
  return (
    (buf[start] | 0x20) === 0x63 &&
    (buf[start + 1] | 0x20) === 0x6c &&
    (buf[start + 2] | 0x20) === 0x6f &&
    (buf[start + 3] | 0x20) === 0x73 &&
    (buf[start + 4] | 0x20) === 0x65
  );
}

export class ResponseParser {
  /** Status code of the last response head. */
  status = 0;
  /** Interned X-Served-By of the last response, or -1 when it had none. */
  backend = -1;
  /** The server will close the connection after this response (Connection: close, HTTP/1.0). */
  closeAfter = false;
  private state = HEAD;
  private remaining = 0;
  private chunkDigits = 0;
  private trailerLineLength = 0;
  /** Bytes of a response head split across reads. */
  private head: Buffer | null = null;
  private headLength = 0;
  /** The last X-Served-By value's bytes, so that the usual repeat costs one compare. */
  private lastBackendBytes: Buffer | null = null;
  private lastBackend = -1;

  constructor(private readonly backends: BackendTable) {}

  /** Forgets a partial response (the connection was closed or replaced). */
  reset(): void {
    this.state = HEAD;
    this.headLength = 0;
    this.status = 0;
    this.backend = -1;
    this.closeAfter = false;
  }

  /**
   * Consumes buf[start, end). Returns the offset just past the end of a complete response,
   * NEED_MORE when the response continues in a later read, or PROTOCOL_ERROR.
   */
  feed(buf: Buffer, start: number, end: number): number {
    let pos = start;
    while (pos < end) {
      switch (this.state) {
        case HEAD: {
          if (this.headLength === 0) {
            // Usually the whole head is in this read: parse it in place.
            const bodyStart = this.parseHead(buf, pos, end);
            if (bodyStart === PROTOCOL_ERROR) return PROTOCOL_ERROR;
            if (bodyStart >= 0) {
              pos = bodyStart;
              if (this.status < 200) continue; // an interim 1xx head: the response follows
              if (this.bodyIsEmpty()) return pos;
              continue;
            }
          }
          pos = this.appendHead(buf, pos, end);
          if (pos === PROTOCOL_ERROR) return PROTOCOL_ERROR;
          if (this.headLength > 0) return NEED_MORE;
          if (this.status < 200) continue;
          if (this.bodyIsEmpty()) return pos;
          continue;
        }
        case BODY_LENGTH: {
          const available = end - pos;
          if (available < this.remaining) {
            this.remaining -= available;
            return NEED_MORE;
          }
          pos += this.remaining;
          this.remaining = 0;
          this.state = HEAD;
          return pos;
        }
        case CHUNK_SIZE: {
          const c = buf[pos++];
          const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1;
          if (digit >= 0) {
            if (++this.chunkDigits > 12) return PROTOCOL_ERROR;
            this.remaining = this.remaining * 16 + digit;
          } else if (c === LF || c === CR || c === 0x3b || c === 0x20 || c === 0x09) {
            if (this.chunkDigits === 0) return PROTOCOL_ERROR;
            this.state = c === LF ? this.afterChunkSize() : CHUNK_EXTENSION;
          } else {
            return PROTOCOL_ERROR;
          }
          continue;
        }
        case CHUNK_EXTENSION: {
          const lf = buf.indexOf(LF, pos);
          if (lf < 0 || lf >= end) return NEED_MORE;
          pos = lf + 1;
          this.state = this.afterChunkSize();
          continue;
        }
        case CHUNK_DATA: {
          const available = end - pos;
          if (available < this.remaining) {
            this.remaining -= available;
            return NEED_MORE;
          }
          pos += this.remaining;
          this.remaining = 2; // the CRLF after the data
          this.state = CHUNK_DATA_END;
          continue;
        }
        case CHUNK_DATA_END: {
          const c = buf[pos++];
          if (c !== (this.remaining === 2 ? CR : LF)) return PROTOCOL_ERROR;
          if (--this.remaining === 0) this.beginChunk();
          continue;
        }
        case TRAILERS: {
          const c = buf[pos++];
          if (c === LF) {
            if (this.trailerLineLength === 0) {
              this.state = HEAD;
              return pos;
            }
            this.trailerLineLength = 0;
          } else if (c !== CR) {
            this.trailerLineLength++;
          }
          continue;
        }
        default: // BODY_UNTIL_CLOSE
          return NEED_MORE;
      }
    }
    return NEED_MORE;
  }

  /** Ends a body that runs until the connection closes; true if one was being read. */
  finishAtClose(): boolean {
    if (this.state !== BODY_UNTIL_CLOSE) return false;
    this.state = HEAD;
    return true;
  }

  private beginChunk(): void {
    this.state = CHUNK_SIZE;
    this.remaining = 0;
    this.chunkDigits = 0;
  }

  private afterChunkSize(): number {
    if (this.remaining === 0) {
      this.trailerLineLength = 0;
      return TRAILERS;
    }
    return CHUNK_DATA;
  }

  /** After a head: true when the response has no body left to read (and the state is HEAD). */
  private bodyIsEmpty(): boolean {
    if (this.state === HEAD) return true;
    if (this.state === BODY_LENGTH && this.remaining === 0) {
      this.state = HEAD;
      return true;
    }
    return false;
  }

  /**
   * Copies a partial head aside; once it is complete, parses it. Returns the offset in buf where
   * the body starts, `end` while the head is still incomplete, or PROTOCOL_ERROR.
   */
  private appendHead(buf: Buffer, pos: number, end: number): number {
    const length = end - pos;
    if (this.headLength + length > MAX_HEAD_BYTES) return PROTOCOL_ERROR;
    if (this.head === null || this.head.length < this.headLength + length) {
      const grown = Buffer.allocUnsafe(Math.min(MAX_HEAD_BYTES, Math.max(1024, (this.headLength + length) * 2)));
      if (this.head !== null) this.head.copy(grown, 0, 0, this.headLength);
      this.head = grown;
    }
    buf.copy(this.head, this.headLength, pos, end);
    const total = this.headLength + length;
    const bodyStart = this.parseHead(this.head, 0, total);
    if (bodyStart === PROTOCOL_ERROR) return PROTOCOL_ERROR;
    if (bodyStart === NEED_MORE) {
      this.headLength = total;
      return end;
    }
    this.headLength = 0;
    // Bytes copied after the head belong to the body: resume from them in buf.
    return end - (total - bodyStart);
  }

  /**
   * Parses a head at buf[start, end) in one pass over its bytes (no native calls: for a head of
   * a few lines that is cheaper than indexOf per line). Returns the offset just past the blank
   * line, NEED_MORE if the head goes on beyond `end`, or PROTOCOL_ERROR.
   */
  private parseHead(buf: Buffer, start: number, end: number): number {
    // "HTTP/1.x SSS"
    if (end - start < 12) return NEED_MORE;
    if (buf[start] !== 0x48 || buf[start + 4] !== 0x2f || buf[start + 5] !== 0x31 || buf[start + 8] !== 0x20) return PROTOCOL_ERROR;
    const s0 = buf[start + 9] - 0x30;
    const s1 = buf[start + 10] - 0x30;
    const s2 = buf[start + 11] - 0x30;
    if (s0 < 1 || s0 > 5 || s1 < 0 || s1 > 9 || s2 < 0 || s2 > 9) return PROTOCOL_ERROR;
    let contentLength = -1;
    let chunked = false;
    let close = buf[start + 7] === 0x30; // HTTP/1.0 closes unless it says keep-alive
    let closeToken = false; // Connection: close, which no keep-alive undoes
    let backend = -1;
    let line = start + 12;
    while (line < end && buf[line] !== LF) line++;
    line++;
    for (;;) {
      if (line >= end) return NEED_MORE;
      const first = buf[line];
      if (first === CR || first === LF) {
        // The blank line that ends the head.
        if (first === CR) {
          if (line + 1 >= end) return NEED_MORE;
          if (buf[line + 1] !== LF) return PROTOCOL_ERROR;
          line++;
        }
        line++;
        break;
      }
      let lineEnd = line;
      while (lineEnd < end && buf[lineEnd] !== LF) lineEnd++;
      if (lineEnd >= end) return NEED_MORE;
      const valueEnd = trimEnd(buf, line, buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd);
      const lower = first | 0x20;
      if (lower === 0x63 /* c */) {
        if (matchName(buf, line, valueEnd, NAME_CONTENT_LENGTH)) {
          const v = skipSpaces(buf, line + NAME_CONTENT_LENGTH.length, valueEnd);
          if (valueEnd === v || valueEnd - v > 15) return PROTOCOL_ERROR;
          let n = 0;
          for (let i = v; i < valueEnd; i++) {
            const d = buf[i] - 0x30;
            if (d < 0 || d > 9) return PROTOCOL_ERROR;
            n = n * 10 + d;
          }
          contentLength = n;
        } else if (matchName(buf, line, valueEnd, NAME_CONNECTION)) {
          // A token list (`close, x-foo`): each token on its own.
          let keepAlive = false;
          let token = line + NAME_CONNECTION.length;
          while (token < valueEnd) {
            let tokenEnd = token;
            while (tokenEnd < valueEnd && buf[tokenEnd] !== 0x2c /* , */) tokenEnd++;
            const v = skipSpaces(buf, token, tokenEnd);
            const e = trimEnd(buf, v, tokenEnd);
            if (isClose(buf, v, e)) closeToken = true;
            else if (e - v === 10 && (buf[v] | 0x20) === 0x6b /* keep-alive */) keepAlive = true;
            token = tokenEnd + 1;
          }
          if (keepAlive) close = false;
        }
      } else if (lower === 0x74 /* t */) {
        if (matchName(buf, line, valueEnd, NAME_TRANSFER_ENCODING)) chunked = endsWithChunked(buf, line, valueEnd);
      } else if (lower === 0x78 /* x */) {
        if (matchName(buf, line, valueEnd, NAME_SERVED_BY)) {
          backend = this.internBackend(buf, skipSpaces(buf, line + NAME_SERVED_BY.length, valueEnd), valueEnd);
        }
      }
      line = lineEnd + 1;
    }
    const status = s0 * 100 + s1 * 10 + s2;
    this.status = status;
    this.backend = backend;
    this.closeAfter = close || closeToken;
    if (status < 200 || status === 204 || status === 304) {
      this.state = HEAD;
    } else if (chunked) {
      this.beginChunk();
    } else if (contentLength >= 0) {
      this.state = BODY_LENGTH;
      this.remaining = contentLength;
    } else {
      this.state = BODY_UNTIL_CLOSE;
    }
    return line;
  }

  private internBackend(buf: Buffer, start: number, end: number): number {
    const last = this.lastBackendBytes;
    if (last !== null && last.length === end - start) {
      let i = 0;
      while (i < last.length && last[i] === buf[start + i]) i++;
      if (i === last.length) return this.lastBackend;
    }
    const name = buf.toString('latin1', start, end);
    this.lastBackendBytes = Buffer.from(name, 'latin1');
    this.lastBackend = this.backends.intern(name);
    return this.lastBackend;
  }
}
