/**
 * Exactly one controller acts: leader election on a coordination.k8s.io Lease in the controller's
 * namespace. A redeploy (or a second replica) otherwise runs two controllers at once: runners
 * split between them at the barrier, two writers patch the status, failover kills race. The
 * Lease is taken by an update with its resourceVersion, so of two candidates only one wins; the
 * holder renews it, and a candidate takes it over once it has gone unrenewed for its duration.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { describeError, isApiCode } from '../kube/kube.js';

export const LEASE_DURATION_SECONDS = 15;

/**
 * A Lease's times are MicroTime, which the API server parses only with six fractional digits;
 * client-node writes a Date with three (`toISOString`), so this one writes microseconds.
 */
class MicroTime extends Date {
  override toISOString(): string {
    return super.toISOString().replace(/Z$/, '000Z');
  }
}

/** Who holds a Lease at `now`: this candidate, another one (until when), or no one. */
export function leaseHolder(
  lease: V1Lease | undefined,
  identity: string,
  now: number,
): { kind: 'mine' } | { kind: 'free' } | { kind: 'other'; holder: string; expiresAt: number } {
  const spec = lease?.spec;
  if (!spec?.holderIdentity) return { kind: 'free' };
  if (spec.holderIdentity === identity) return { kind: 'mine' };
  const renewed = new Date(spec.renewTime ?? spec.acquireTime ?? 0).getTime();
  const expiresAt = renewed + (spec.leaseDurationSeconds ?? LEASE_DURATION_SECONDS) * 1000;
  return now >= expiresAt ? { kind: 'free' } : { kind: 'other', holder: spec.holderIdentity, expiresAt };
}

export interface LeaderElectionOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  /** This candidate, e.g. its pod name. */
  readonly identity: string;
  /** @default LEASE_DURATION_SECONDS */
  readonly leaseDurationSeconds?: number;
  readonly log: (line: string) => void;
}

export class LeaderElection {
  private readonly api: CoordinationV1Api;
  private readonly durationS: number;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private lease?: V1Lease;
  private renewedAt = 0;

  constructor(private readonly options: LeaderElectionOptions) {
    this.api = options.kc.makeApiClient(CoordinationV1Api);
    this.durationS = options.leaseDurationSeconds ?? LEASE_DURATION_SECONDS;
  }

  /** One try: takes or renews the Lease if it is free or this candidate's; true while leading. */
  private async tryOnce(): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    let lease: V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isApiCode(err, 404)) throw err;
    }
    const now = Date.now();
    const holder = leaseHolder(lease, identity, now);
    if (holder.kind === 'other') return false;
    const time = new MicroTime(now);
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: this.durationS,
      renewTime: time,
      acquireTime: holder.kind === 'mine' && lease?.spec?.acquireTime ? new MicroTime(lease.spec.acquireTime) : time,
      leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (holder.kind === 'mine' ? 0 : 1),
    };
    try {
      this.lease = lease
        ? await this.api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: { ...lease.spec, ...spec } } })
        : await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } });
    } catch (err) {
      if (isApiCode(err, 409)) return false; // another candidate wrote first
      throw err;
    }
    this.renewedAt = now;
    return true;
  }

  /** Resolves once this candidate leads; then keeps renewing, and calls `onLost` if it cannot. */
  async lead(onLost: (why: string) => void, retryMs = 2_000): Promise<void> {
    for (;;) {
      if (this.stopped) throw new Error('leader election stopped');
      try {
        if (await this.tryOnce()) break;
      } catch (err) {
        this.options.log(`leader election: ${describeError(err)}`);
      }
      await new Promise((r) => setTimeout(r, retryMs));
    }
    this.options.log(`leader election: ${this.options.identity} leads (Lease ${this.options.name})`);
    const renewEveryMs = (this.durationS * 1000) / 3;
    const renew = async () => {
      let ok = false;
      try {
        ok = await this.tryOnce();
      } catch (err) {
        this.options.log(`leader election: renewing: ${describeError(err)}`);
      }
      if (this.stopped) return;
      // Give up before the Lease can expire for the others: never two leaders.
      if (!ok && Date.now() - this.renewedAt > (this.durationS * 1000 * 2) / 3) {
        this.stopped = true;
        onLost('the Lease could not be renewed in time');
        return;
      }
      this.timer = setTimeout(() => void renew(), renewEveryMs);
    };
    this.timer = setTimeout(() => void renew(), renewEveryMs);
  }

  /** Stops renewing; with `release`, hands the Lease back so a successor need not wait it out. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!release || !this.lease?.spec) return;
    try {
      await this.api.replaceNamespacedLease({
        name: this.options.name,
        namespace: this.options.namespace,
        body: { ...this.lease, spec: { ...this.lease.spec, holderIdentity: undefined, renewTime: undefined, acquireTime: undefined } },
      });
    } catch (err) {
      this.options.log(`leader election: releasing: ${describeError(err)}`);
    }
  }
}
