import { describe, expect, it } from 'vitest';
import { BackendTable, NEED_MORE, PROTOCOL_ERROR, ResponseParser } from '../../loadtest/response-parser.js';

const HELLO =
  'HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain; charset=utf-8\r\n' +
  'X-Served-By: 127.0.0.1:8080\r\nDate: Thu, 26 Nov 2026 07:02:58 GMT\r\n\r\nHello, World!';
const CHUNKED =
  'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nx-served-by: b\r\n\r\n' +
  '5\r\nHello\r\n8;ext=1\r\n, World!\r\n0\r\nX-Trailer: t\r\n\r\n';

/** Feeds `text` cut into pieces at `cuts`; returns what each feed() said. */
function feedInPieces(parser: ResponseParser, text: string, cuts: readonly number[]): number[] {
  const bytes = Buffer.from(text, 'latin1');
  const bounds = [0, ...cuts, bytes.length];
  const results: number[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    // Each piece sits at an offset inside a larger, dirty buffer, as reads do in the engine.
    const read = Buffer.alloc(8192, '\r\n\r\n0\r\n');
    const piece = bytes.subarray(bounds[i], bounds[i + 1]);
    piece.copy(read, 0);
    results.push(parser.feed(read, 0, piece.length));
  }
  return results;
}

describe('ResponseParser', () => {
  it('reads a Content-Length response in one read: status, end offset, X-Served-By', () => {
    const backends = new BackendTable();
    const parser = new ResponseParser(backends);
    const bytes = Buffer.from(HELLO + 'garbage', 'latin1');
    expect(parser.feed(bytes, 0, bytes.length)).toBe(HELLO.length);
    expect(parser.status).toBe(200);
    expect(backends.names[parser.backend]).toBe('127.0.0.1:8080');
    expect(parser.closeAfter).toBe(false);
  });

  it.each([
    ['Content-Length', HELLO],
    ['chunked', CHUNKED],
  ])('finds the end of a %s response however the reads split it', (_, text) => {
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new ResponseParser(new BackendTable());
      const results = feedInPieces(parser, text, [cut]);
      expect(results, `cut at ${cut}`).toEqual([NEED_MORE, text.length - cut]);
      expect(parser.status).toBe(200);
    }
    // And byte by byte.
    const parser = new ResponseParser(new BackendTable());
    const cuts = Array.from({ length: text.length - 1 }, (_, i) => i + 1);
    const results = feedInPieces(parser, text, cuts);
    expect(results.slice(0, -1).every((r) => r === NEED_MORE)).toBe(true);
    expect(results.at(-1)).toBe(1);
  });

  it('reads keep-alive responses one after another and interns each backend once', () => {
    const backends = new BackendTable();
    const parser = new ResponseParser(backends);
    const seen: number[] = [];
    for (const name of ['a:1', 'a:1', 'b:2', 'a:1']) {
      const bytes = Buffer.from(`HTTP/1.1 200 OK\r\nX-Served-By:  ${name} \r\nContent-Length: 2\r\n\r\nok`, 'latin1');
      expect(parser.feed(bytes, 0, bytes.length)).toBe(bytes.length);
      seen.push(parser.backend);
    }
    expect(backends.names).toEqual(['a:1', 'b:2']);
    expect(seen).toEqual([0, 0, 1, 0]);
  });

  it('knows bodies that are empty, that run until close, and heads that promise a close', () => {
    const parser = new ResponseParser(new BackendTable());
    for (const head of [
      'HTTP/1.1 204 No Content\r\n\r\n',
      'HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
    ]) {
      const bytes = Buffer.from(head, 'latin1');
      expect(parser.feed(bytes, 0, bytes.length), head).toBe(bytes.length);
    }
    const untilClose = Buffer.from('HTTP/1.0 200 OK\r\n\r\nsome body', 'latin1');
    expect(parser.feed(untilClose, 0, untilClose.length)).toBe(NEED_MORE);
    expect(parser.closeAfter).toBe(true);
    expect(parser.finishAtClose()).toBe(true);
    const close = Buffer.from('HTTP/1.1 503 Busy\r\nCONNECTION: Close\r\nContent-Length: 1\r\n\r\nx', 'latin1');
    expect(parser.feed(close, 0, close.length)).toBe(close.length);
    expect([parser.status, parser.closeAfter]).toEqual([503, true]);
  });

  it.each([
    ['HTTP/1.1', 'close, x-foo', true],
    ['HTTP/1.1', 'x-foo ,Close', true],
    ['HTTP/1.1', 'keep-alive, close', true],
    ['HTTP/1.1', 'x-close, closed', false],
    ['HTTP/1.0', 'x-foo, Keep-Alive', false],
    ['HTTP/1.0', 'x-foo', true],
  ])('%s Connection: %s (a token list) means close: %s', (version, value, closes) => {
    const parser = new ResponseParser(new BackendTable());
    const bytes = Buffer.from(`${version} 200 OK\r\nConnection: ${value}\r\nContent-Length: 1\r\n\r\nx`, 'latin1');
    expect(parser.feed(bytes, 0, bytes.length)).toBe(bytes.length);
    expect(parser.closeAfter).toBe(closes);
  });

  it('skips an interim 1xx head and reports the final response', () => {
    const parser = new ResponseParser(new BackendTable());
    const text = 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n' + HELLO;
    const bytes = Buffer.from(text, 'latin1');
    expect(parser.feed(bytes, 0, bytes.length)).toBe(bytes.length);
    expect(parser.status).toBe(200);
  });

  it.each([
    'SSH-2.0-OpenSSH_9.2\r\n\r\n',
    'HTTP/1.1 2x0 OK\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  ])('rejects what is not an HTTP/1.x response: %j', (text) => {
    const bytes = Buffer.from(text, 'latin1');
    expect(new ResponseParser(new BackendTable()).feed(bytes, 0, bytes.length)).toBe(PROTOCOL_ERROR);
  });
});
