import { describe, expect, it } from 'vitest';
import { nextBackoffMs } from '../../src/controller/informers.js';

describe('informer restarts', () => {
  it('back off exponentially from 1 s to at most 30 s', () => {
    const delays: number[] = [];
    let d: number | undefined;
    for (let i = 0; i < 7; i++) delays.push((d = nextBackoffMs(d)));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});
