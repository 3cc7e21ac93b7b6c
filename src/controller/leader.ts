// Leader election on a coordination.k8s.io Lease, as client-go does it: acquire when the
// lease is free or expired, renew before it expires, optimistic locking through
// resourceVersion (409 means someone else won), release on shutdown so a successor does not
// wait for expiry. Only the leader writes status and events; every replica serves traffic.

import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface LeaderElectorOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  /** How often the holder renews and others retry. */
  retryPeriodMs: number;
  log: Logger;
  onChange: (leading: boolean) => void;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;
  private lastRenew = 0;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.api = opts.kc.makeApiClient(CoordinationV1Api);
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** Stops campaigning; a leader hands the lease back. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.opts.identity) {
        lease.spec.holderIdentity = undefined;
        lease.spec.leaseDurationSeconds = 1;
        lease.spec.renewTime = new V1MicroTime(Date.now());
        await this.api.replaceNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace, body: lease });
        this.opts.log.info({ lease: this.opts.name }, 'leader lease released');
      }
    } catch (err) {
      this.opts.log.warn({ err: String(err) }, 'could not release the leader lease; it will expire');
    }
  }

  private async tick(): Promise<void> {
    try {
      await this.tryAcquireOrRenew();
    } catch (err) {
      this.opts.log.warn({ err: String(err) }, 'leader election attempt failed');
      // A leader that cannot renew before its lease runs out must stop acting as leader.
      if (this.leading && Date.now() - this.lastRenew > this.opts.leaseDurationMs) this.setLeading(false);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.opts.retryPeriodMs);
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = Date.now();
    const lease = await this.read();
    const durationSeconds = Math.max(1, Math.ceil(this.opts.leaseDurationMs / 1000));
    if (!lease) {
      await this.api.createNamespacedLease({
        namespace: this.opts.namespace,
        body: {
          metadata: { name: this.opts.name, namespace: this.opts.namespace },
          spec: {
            holderIdentity: this.opts.identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: new V1MicroTime(now),
            renewTime: new V1MicroTime(now),
            leaseTransitions: 0,
          },
        },
      });
      this.renewed(now);
      return;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const renewedAt = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = !holder || renewedAt + (spec.leaseDurationSeconds ?? durationSeconds) * 1000 < now;
    if (holder !== this.opts.identity && !expired) {
      if (this.leading) this.setLeading(false);
      return;
    }
    const taking = holder !== this.opts.identity;
    lease.spec = {
      ...spec,
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: new V1MicroTime(now),
      acquireTime: taking ? new V1MicroTime(now) : spec.acquireTime,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (taking && holder ? 1 : 0),
    };
    // The resourceVersion in metadata makes this a compare-and-swap: 409 if anyone wrote first.
    await this.api.replaceNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace, body: lease });
    this.renewed(now);
  }

  private renewed(at: number): void {
    this.lastRenew = at;
    if (!this.leading) this.setLeading(true);
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.opts.log.info({ lease: this.opts.name, identity: this.opts.identity, leading }, leading ? 'became leader' : 'lost leadership');
    this.opts.onChange(leading);
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }
}
