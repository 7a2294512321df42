import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../src/controller/protocol.js';
import { ResultAssembly, RESULT_CHUNK_CHARS, chunkResult, digestOf } from '../../src/controller/result-chunks.js';
import { decodeResult, encodeResult } from '../../src/controller/result-codec.js';
import { longResult } from './fixtures.js';

describe('result chunks', () => {
  const thirtyMinutes = longResult('rpc-gateway', 2, 1, 1800);
  const encoded = encodeResult(thirtyMinutes);

  it('a 30-minute result outgrows one frame, and comes back whole from its chunks, each under the frame limit', () => {
    expect(encoded.length).toBeGreaterThan(MAX_MESSAGE_BYTES);
    const chunks = chunkResult(encoded);
    expect(chunks.length).toBe(Math.ceil(encoded.length / RESULT_CHUNK_CHARS));
    for (const c of chunks)
      expect(Buffer.byteLength(JSON.stringify({ type: 'result', job: 'j'.repeat(63), index: 9, ...c }))).toBeLessThan(MAX_MESSAGE_BYTES);
    const assembly = new ResultAssembly();
    const got = chunks.map((c) => assembly.add(c));
    expect(got.slice(0, -1).every((g) => g === undefined)).toBe(true);
    expect(decodeResult(got.at(-1) ?? '')).toEqual(thirtyMinutes);
  });

  it('takes chunks in any order and a repeated chunk once; a small result is one chunk', () => {
    const chunks = chunkResult('cbr1:abcdefghij', 4);
    expect(chunks.map((c) => c.data)).toEqual(['cbr1', ':abc', 'defg', 'hij']);
    const assembly = new ResultAssembly();
    expect([chunks[2], chunks[0], chunks[2], chunks[3]].map((c) => assembly.add(c))).toEqual([undefined, undefined, undefined, undefined]);
    expect(assembly.add(chunks[1])).toBe('cbr1:abcdefghij');
    expect(chunkResult('cbr1:x')).toEqual([{ part: 0, parts: 1, sha256: digestOf('cbr1:x'), data: 'cbr1:x' }]);
  });

  it('refuses a tampered chunk, chunks out of range, and more than the bound, holding nothing after', () => {
    const chunks = chunkResult('cbr1:abcdefghij', 4);
    const assembly = new ResultAssembly();
    for (const c of chunks.slice(0, 3)) assembly.add(c);
    expect(() => assembly.add({ ...chunks[3], data: 'hiJ' })).toThrow('result sha256 does not match its chunks');
    expect(() => assembly.add({ ...chunks[0], part: 4 })).toThrow('chunk part 4: a whole number from 0 to 3');
    expect(() => assembly.add({ ...chunks[0], parts: 0 })).toThrow('chunk parts 0');
    expect(() => assembly.add({ ...chunks[0], sha256: 'x' })).toThrow('chunk sha256: 64 hex digits');
    // 15 characters against a bound of 12: refused when the bound is crossed, not at the end.
    const bounded = new ResultAssembly(12);
    for (const c of chunks.slice(0, 3)) bounded.add(c);
    expect(() => bounded.add(chunks[3])).toThrow('result over 12 bytes encoded');
    // Another digest starts over: the earlier chunks do not complete it.
    const restarted = new ResultAssembly();
    for (const c of chunks.slice(0, 3)) restarted.add(c);
    const other = chunkResult('cbr1:ABCDEFGHIJ', 4);
    expect(restarted.add(other[3])).toBeUndefined();
    expect(restarted.add(other[0])).toBeUndefined();
    expect(restarted.add(other[1])).toBeUndefined();
    expect(restarted.add(other[2])).toBe('cbr1:ABCDEFGHIJ');
  });
});
