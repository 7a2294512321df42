import { describe, expect, it } from 'vitest';
import { leaseHolder } from '../../src/controller/leader.js';

const lease = (holderIdentity: string | undefined, renewTime: string) => ({
  spec: { holderIdentity, renewTime: new Date(renewTime), leaseDurationSeconds: 15 },
});
const at = Date.parse('2026-01-01T00:00:10Z');

describe('leader election: who holds the Lease', () => {
  it('no Lease, or no holder: free', () => {
    expect(leaseHolder(undefined, 'a', at)).toEqual({ kind: 'free' });
    expect(leaseHolder(lease(undefined, '2026-01-01T00:00:00Z'), 'a', at)).toEqual({ kind: 'free' });
  });

  it('another candidate until its renewal is older than the lease duration, then free', () => {
    expect(leaseHolder(lease('b', '2026-01-01T00:00:00Z'), 'a', at)).toEqual({
      kind: 'other',
      holder: 'b',
      expiresAt: Date.parse('2026-01-01T00:00:15Z'),
    });
    expect(leaseHolder(lease('b', '2026-01-01T00:00:00Z'), 'a', Date.parse('2026-01-01T00:00:15Z'))).toEqual({ kind: 'free' });
  });

  it('its own, however old', () => {
    expect(leaseHolder(lease('a', '2025-01-01T00:00:00Z'), 'a', at)).toEqual({ kind: 'mine' });
  });
});
