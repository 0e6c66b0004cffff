/**
 * One etcd lease kept alive by this manager (its registration and, while it leads, the leader key).
 * Renewed every `renewIntervalMs` (retried sooner after a failure). A local deadline is kept: the
 * lease is counted lost — `onLost` fires at once — when no renewal succeeded within the TTL counted
 * from when the last successful renewal was SENT (etcd may expire it from then on), without waiting
 * for etcd to say so; or when etcd answers that the lease is gone.
 */
import type { Clock, Timer } from '../clock.js';
import type { EtcdClient } from './etcd-client.js';

export interface LeaseKeeperOptions {
  client: Pick<EtcdClient, 'leaseGrant' | 'leaseKeepAlive' | 'leaseRevoke'>;
  clock: Clock;
  ttlMs: number;
  renewIntervalMs: number;
  onLost(reason: string, leaseId: string): void;
  /** A renewal failed (etcd unreachable or without quorum) / went through. */
  onRenewal?(error: Error | undefined): void;
}

export class LeaseKeeper {
  private leaseId: string | undefined;
  private deadline = 0;
  private deadlineTimer: Timer | undefined;
  private renewTimer: Timer | undefined;
  private lost = true;

  constructor(private readonly opts: LeaseKeeperOptions) {}

  /** The lease id while it is held. */
  get id(): string | undefined { return this.lost ? undefined : this.leaseId; }
  alive(): boolean { return !this.lost; }

  /**
   * Held and within its local deadline, checked on the clock now: a process that was paused past the
   * deadline (SIGSTOP, a long stall) learns it here, before the deadline's timer gets to run — a
   * leader must not act on stale leadership in the meantime.
   */
  valid(): boolean { return !this.lost && this.opts.clock.now() < this.deadline; }

  /** Grants a new lease (the previous one, if any, must be lost or revoked first) and starts renewing it. */
  async grant(): Promise<string> {
    const sentAt = this.opts.clock.now();
    const ttlSeconds = Math.max(1, Math.ceil(this.opts.ttlMs / 1000));
    const { id, ttlSeconds: granted } = await this.opts.client.leaseGrant(ttlSeconds);
    this.leaseId = id;
    this.lost = false;
    this.extend(sentAt, granted);
    this.scheduleRenew(this.opts.renewIntervalMs);
    return id;
  }

  /** Stops renewing and revokes the lease in etcd (its keys go at once). */
  async revoke(): Promise<void> {
    const id = this.leaseId;
    this.stop();
    if (id) await this.opts.client.leaseRevoke(id);
  }

  /** Stops renewing without telling etcd (the lease then expires on its own). */
  stop(): void {
    this.lost = true;
    this.deadlineTimer?.cancel();
    this.renewTimer?.cancel();
  }

  private extend(sentAt: number, ttlSeconds: number): void {
    this.deadline = Math.max(this.deadline, sentAt + Math.min(this.opts.ttlMs, ttlSeconds * 1000));
    this.deadlineTimer?.cancel();
    const id = this.leaseId;
    this.deadlineTimer = this.opts.clock.setTimeout(() => {
      if (this.leaseId === id) this.lose('no renewal of the lease within its TTL');
    }, Math.max(0, this.deadline - this.opts.clock.now()));
  }

  private lose(reason: string): void {
    if (this.lost || !this.leaseId) return;
    this.stop();
    this.opts.onLost(reason, this.leaseId);
  }

  private scheduleRenew(ms: number): void {
    this.renewTimer?.cancel();
    this.renewTimer = this.opts.clock.setTimeout(() => { void this.renew(); }, ms);
  }

  private async renew(): Promise<void> {
    const id = this.leaseId;
    if (this.lost || !id) return;
    const sentAt = this.opts.clock.now();
    try {
      const ttl = await this.opts.client.leaseKeepAlive(id, Math.max(100, this.deadline - sentAt));
      if (this.lost || this.leaseId !== id) return;
      if (ttl <= 0) { this.lose('the lease expired in etcd'); return; }
      this.extend(sentAt, ttl);
      this.opts.onRenewal?.(undefined);
      this.scheduleRenew(this.opts.renewIntervalMs);
    } catch (err) {
      if (this.lost || this.leaseId !== id) return;
      this.opts.onRenewal?.(err as Error);
      this.scheduleRenew(Math.min(this.opts.renewIntervalMs, 250));
    }
  }
}
