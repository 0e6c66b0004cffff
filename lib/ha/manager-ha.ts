/**
 * One manager among several sharing a backend (etcd): runs the leader-only loops (orchestrators,
 * scheduler, updater, the dispatcher's failure detection) exactly while this manager leads, and gives
 * the API server its hooks (forwarding to the leader, the durability barrier, the end of local streams
 * when the leader changes).
 */
import type { Agent as UndiciAgent } from 'undici';
import type { Clock, Timer } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ApiHa } from '../api/api-ha.js';
import type { HaBackend, ManagerInfo } from './ha-types.js';
import { FORWARDED_HEADER, placeRequest } from './place-request.js';
import { forwardRequest } from './forward-request.js';

/** Something that runs only on the leader. `start` is called on winning leadership, `stop` at once on losing it. */
export interface LeaderRole { name: string; start(): void; stop(): void }

export interface ManagerHaOptions {
  backend: HaBackend;
  self: { id: string; addr: string };
  roles: LeaderRole[];
  clock: Clock;
  logger: Logger;
  /** How often the leader's identity is checked (for the end of forwarded streams); default 250 ms. */
  pollMs?: number;
  /** For forwarding to an https leader. */
  dispatcher?: UndiciAgent;
}

export class ManagerHa {
  private epochCtl = new AbortController();
  private lastLeader: string | undefined;
  private leading = false;
  private timer: Timer | undefined;
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  /** Exchanges forwarded to a leader: cut when the leader is another one. */
  private readonly forwards = new Set<{ target: string; ctl: AbortController }>();

  constructor(private readonly o: ManagerHaOptions) {}

  /** Follows leadership from now on (starts the roles at once if this manager already leads). */
  start(): void {
    this.unsubscribe = this.o.backend.election.onChange((isLeader) => this.onLeadership(isLeader));
    if (this.o.backend.election.isLeader()) this.onLeadership(true);
    this.lastLeader = this.o.backend.election.leader()?.id;
    this.poll();
  }

  isLeader(): boolean { return this.o.backend.election.isLeader(); }
  managers(): ManagerInfo[] { return this.o.backend.election.managers(); }

  private onLeadership(isLeader: boolean): void {
    if (this.closed || isLeader === this.leading) return;
    this.leading = isLeader;
    this.o.logger.warn({ manager: this.o.self.id }, isLeader ? 'this manager leads: starting the orchestrators, scheduler, updater and dispatcher' : 'leadership lost: loops stopped');
    this.newEpoch();
    const roles = isLeader ? this.o.roles : [...this.o.roles].reverse();
    for (const r of roles) {
      try {
        if (isLeader) r.start(); else r.stop();
      } catch (err) {
        this.o.logger.error({ err, role: r.name }, isLeader ? 'leader role failed to start' : 'leader role failed to stop');
      }
    }
  }

  /** Ends every local stream and every forwarded exchange (they reconnect to the leader of now). */
  private newEpoch(): void {
    const old = this.epochCtl;
    this.epochCtl = new AbortController();
    old.abort();
    const leader = this.o.backend.election.leader();
    const now = leader && leader.id !== this.o.self.id ? leader.addr : undefined;
    for (const f of this.forwards) if (f.target !== now) f.ctl.abort();
  }

  private poll(): void {
    if (this.closed) return;
    const now = this.o.backend.election.leader()?.id;
    if (now !== this.lastLeader) {
      this.o.logger.info({ from: this.lastLeader, to: now }, 'leader changed');
      this.lastLeader = now;
      this.newEpoch();
    }
    this.timer = this.o.clock.setTimeout(() => this.poll(), this.o.pollMs ?? 250);
  }

  api(): ApiHa {
    const e = this.o.backend.election;
    return {
      place: (req, method, path) => {
        const leader = e.leader();
        return placeRequest({
          method, path, forwarded: req.headers[FORWARDED_HEADER] !== undefined, isLeader: e.isLeader(),
          leader: leader && leader.id !== this.o.self.id ? leader.addr : undefined,
        });
      },
      forward: async (req, res, leader) => {
        const f = { target: leader, ctl: new AbortController() };
        this.forwards.add(f);
        try {
          await forwardRequest(req, res, leader, {
            self: this.o.self.id, signal: f.ctl.signal, logger: this.o.logger, ...(this.o.dispatcher ? { dispatcher: this.o.dispatcher } : {}),
          });
        } finally {
          this.forwards.delete(f);
        }
      },
      durable: () => this.o.backend.store.durable(),
      epoch: () => this.epochCtl.signal,
    };
  }

  /** Stops the roles, resigns and closes the backend. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.onLeadership(false);
    this.closed = true;
    this.timer?.cancel();
    this.unsubscribe?.();
    this.epochCtl.abort();
    for (const f of this.forwards) f.ctl.abort();
    await this.o.dispatcher?.close().catch(() => undefined);
    await this.o.backend.close();
  }
}
