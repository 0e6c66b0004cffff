/**
 * Leadership among the managers sharing one etcd, and the registry of those managers.
 *
 * Each manager holds one lease (LeaseKeeper) with its registration `<prefix>/managers/<id>` on it.
 * Campaign: a transaction "the leader key does not exist (create revision 0) → put it with my lease";
 * when it fails, wait until the watch shows the key deleted (the holder's lease expired or was
 * revoked) and campaign again. A win at revision R first waits for the mirror to apply every revision
 * up to R (`catchUp`), then leads. Every write of the leader is fenced on the leader key's create
 * revision (`fenceRevision`). Leadership ends, synchronously and before anything else runs, when the
 * lease is lost (local deadline or etcd says so), when the watch shows the leader key gone or taken,
 * or when a fenced write fails (`stepDown`).
 */
import type { Clock } from '../clock.js';
import { sleep } from '../clock.js';
import type { Logger } from '../logger.js';
import type { LeaderElection, ManagerInfo } from './ha-types.js';
import { EtcdError, type EtcdClient, type WatchEvent } from './etcd-client.js';
import { parseKey, type EtcdLayout } from './etcd-keys.js';
import type { LeaseKeeper } from './lease-keeper.js';

export interface ElectionOptions {
  client: EtcdClient;
  layout: EtcdLayout;
  clock: Clock;
  logger: Logger;
  self: { id: string; addr: string };
  lease: LeaseKeeper;
  /** Resolves once the memory store holds every revision up to `revision`. */
  catchUp(revision: number): Promise<void>;
  /** Called first on every change of leadership (the store switches mode), before the listeners. */
  onLeading(isLeader: boolean, reason: string): void;
  /** etcd could not be reached to campaign or register / was reached again. */
  onReachable(error: Error | undefined): void;
  retryDelayMs?: number;
}

interface Registered { id: string; addr: string }

export class EtcdElection implements LeaderElection {
  private leading = false;
  private fence = 0;
  private current: (ManagerInfo & { createRevision: number }) | undefined;
  private readonly registered = new Map<string, Registered>();
  private readonly gone = new Map<string, Registered>();
  private readonly listeners = new Set<(isLeader: boolean) => void>();
  private closed = false;
  private signal: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: ElectionOptions) {}

  /**
   * Leading, and the lease still within its local deadline now: after a pause past the deadline
   * (SIGSTOP) this is false at once, even before the deadline's timer has run and stepped down, so
   * nothing (a liveness tick, a buffered request) acts on the stale leadership meanwhile.
   */
  isLeader(): boolean { return this.leading && this.opts.lease.valid(); }

  /** The leader key's create revision while this manager leads (0 otherwise): every write compares on it. */
  fenceRevision(): number { return this.isLeader() ? this.fence : 0; }

  leader(): ManagerInfo | undefined {
    const c = this.current;
    if (!c) return undefined;
    return { id: c.id, addr: c.addr, leader: true, reachable: this.registered.has(c.id) || c.id === this.opts.self.id };
  }

  managers(): ManagerInfo[] {
    const leaderId = this.current?.id;
    const out = new Map<string, ManagerInfo>();
    for (const m of this.gone.values()) out.set(m.id, { id: m.id, addr: m.addr, leader: false, reachable: false });
    for (const m of this.registered.values()) out.set(m.id, { id: m.id, addr: m.addr, leader: m.id === leaderId, reachable: true });
    const self = this.opts.self;
    if (!out.has(self.id) || !out.get(self.id)!.reachable) {
      out.set(self.id, { id: self.id, addr: self.addr, leader: this.leading, reachable: this.opts.lease.alive() });
    }
    if (this.current && !out.has(this.current.id)) out.set(this.current.id, { id: this.current.id, addr: this.current.addr, leader: true, reachable: false });
    return [...out.values()].sort((a, b) => a.addr.localeCompare(b.addr) || a.id.localeCompare(b.id));
  }

  onChange(fn: (isLeader: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  start(): void { this.loop = this.campaignLoop(); }

  /** Leader and manager keys from the mirror (reset: the complete set, after a full range). */
  observe(reset: boolean, events: WatchEvent[]): void {
    if (reset) {
      for (const [id, m] of this.registered) this.gone.set(id, m);
      this.registered.clear();
      this.current = undefined;
    }
    for (const e of events) {
      const k = parseKey(this.opts.layout, e.kv.key);
      if (k.type === 'leader') {
        if (e.type === 'delete') this.current = undefined;
        else {
          const info = parseInfo(e.kv.value);
          this.current = info ? { ...info, leader: true, reachable: true, createRevision: e.kv.createRevision } : undefined;
        }
      } else if (k.type === 'manager') {
        const known = this.registered.get(k.id);
        if (e.type === 'delete') {
          if (known) this.gone.set(k.id, known);
          this.registered.delete(k.id);
        } else {
          const info = parseInfo(e.kv.value);
          if (info) { this.registered.set(k.id, { id: k.id, addr: info.addr }); this.gone.delete(k.id); }
        }
      }
    }
    if (this.leading && (!this.current || this.current.createRevision !== this.fence)) {
      this.stepDown('the leader key is gone or held by another manager');
    }
    this.signal?.();
  }

  /** Leadership is over (fenced write, lost lease, lost key): store first, then the listeners, synchronously. */
  stepDown(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.fence = 0;
    this.opts.logger.warn({ reason }, 'no longer the leader');
    this.opts.onLeading(false, reason);
    this.emit(false);
    this.signal?.();
  }

  /** The lease is lost: leadership too; a new lease is taken and registered by the loop. */
  leaseLost(reason: string): void {
    this.stepDown(`lease lost: ${reason}`);
    this.signal?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stepDown('closing');
    this.signal?.();
    await this.loop;
    await this.opts.lease.revoke().catch(() => {});
  }

  private emit(isLeader: boolean): void {
    for (const fn of [...this.listeners]) {
      try { fn(isLeader); } catch (err) { this.opts.logger.error({ err }, 'leadership listener failed'); }
    }
  }

  private async campaignLoop(): Promise<void> {
    const delay = this.opts.retryDelayMs ?? 250;
    while (!this.closed) {
      try {
        if (!this.opts.lease.alive()) await this.register();
        else if (!this.leading && !this.current) await this.campaign();
        this.opts.onReachable(undefined);
      } catch (err) {
        if (err instanceof EtcdError && err.status !== undefined && err.status < 500) {
          // etcd answered (reachable): e.g. our lease was revoked before the keeper noticed
          if (/lease not found/i.test(err.message)) this.opts.lease.stop();
          this.opts.onReachable(undefined);
        } else {
          this.opts.onReachable(err as Error);
        }
        await this.waitChange(delay);
        continue;
      }
      if (this.closed) break;
      // leading, or someone else leads: wait for a change (watch, lease), with a slow re-check
      await this.waitChange(this.leading || this.current ? 5000 : delay);
    }
  }

  private async register(): Promise<void> {
    const id = await this.opts.lease.grant();
    const self = this.opts.self;
    await this.opts.client.put(this.opts.layout.manager(self.id), JSON.stringify({ id: self.id, addr: self.addr }), id);
  }

  private async campaign(): Promise<void> {
    const lease = this.opts.lease.id;
    if (!lease) return;
    const self = this.opts.self;
    const value = JSON.stringify({ id: self.id, addr: self.addr, leader: true, reachable: true });
    const { succeeded, revision } = await this.opts.client.txn(
      [{ key: this.opts.layout.leader, createRevision: 0 }],
      [{ put: this.opts.layout.leader, value, lease }],
    );
    if (!succeeded) return; // the watch will show the holder; campaign again when its key goes
    await this.opts.catchUp(revision);
    // still ours? (lease lost or key deleted while catching up)
    if (this.closed || this.opts.lease.id !== lease || this.current?.createRevision !== revision) return;
    this.fence = revision;
    this.leading = true;
    this.opts.logger.info({ revision }, 'leading');
    this.opts.onLeading(true, 'won the election');
    this.emit(true);
  }

  private waitChange(ms: number): Promise<void> {
    const ac = new AbortController();
    this.signal = () => ac.abort();
    return sleep(this.opts.clock, ms, ac.signal).finally(() => { this.signal = undefined; });
  }
}

function parseInfo(value: string): { id: string; addr: string } | undefined {
  try {
    const v = JSON.parse(value) as { id?: unknown; addr?: unknown };
    return typeof v.id === 'string' && typeof v.addr === 'string' ? { id: v.id, addr: v.addr } : undefined;
  } catch {
    return undefined;
  }
}
