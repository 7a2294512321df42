import { describe, expect, it } from 'vitest';
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { SERVICE_NAME_LABEL, whyServiceCannotAnswer } from '../../src/controller/readiness.js';

const slice = (service: string, ...ready: (boolean | undefined | 'terminating')[]): V1EndpointSlice => ({
  addressType: 'IPv4',
  metadata: { labels: { [SERVICE_NAME_LABEL]: service } },
  endpoints: ready.map((r, i) => ({
    addresses: [`10.0.0.${i + 1}`],
    conditions: r === 'terminating' ? { ready: false, terminating: true } : r === undefined ? {} : { ready: r },
  })),
});

describe('a topology counts as deployed only when its Service can answer', () => {
  it('needs one ready endpoint in the Service’s own slices; unset ready counts as ready', () => {
    expect(whyServiceCannotAnswer('nginx', [slice('nginx', false, true)])).toBeUndefined();
    expect(whyServiceCannotAnswer('nginx', [slice('nginx', undefined)])).toBeUndefined();
    expect(whyServiceCannotAnswer('nginx', [slice('nginx', false), slice('nginx', true)])).toBeUndefined();
  });

  it('names why not: no endpoints at all, or none ready (terminating ones never are); another Service’s do not count', () => {
    expect(whyServiceCannotAnswer('nginx', [])).toBe('Service nginx has no endpoints (no such Service, or no pods match it)');
    expect(whyServiceCannotAnswer('nginx', [slice('nginx')])).toBe('Service nginx has no endpoints (no such Service, or no pods match it)');
    expect(whyServiceCannotAnswer('nginx', [slice('nginx', false, 'terminating')])).toBe(
      'Service nginx has no ready endpoints (0 of 2 ready)',
    );
    expect(whyServiceCannotAnswer('nginx', [slice('hello', true)])).toBe(
      'Service nginx has no endpoints (no such Service, or no pods match it)',
    );
  });
});
