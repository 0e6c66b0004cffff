/**
 * Per-client affinity of a UDP port (pure: time is an argument): a flow maps a client's
 * `ip:port` to what forwards its datagrams (one task, through one upstream socket). A flow lives
 * while datagrams pass in either direction and expires `idleMs` after the last one; the table
 * holds at most `maxFlows` (a new client beyond that is refused until some flow expires).
 */
export interface FlowTableOptions {
  /** A flow with no datagram either way for this long is forgotten. */
  idleMs: number;
  /** Most flows at once. */
  maxFlows: number;
}

interface Entry<F> { flow: F; lastSeen: number }

export class UdpFlowTable<F> {
  private readonly flows = new Map<string, Entry<F>>();
  constructor(readonly opts: FlowTableOptions) {}

  get size(): number { return this.flows.size; }

  /** The client's flow, if it has one that has not expired at `now` (and marks it used). */
  lookup(client: string, now: number): F | undefined {
    const e = this.flows.get(client);
    if (e === undefined) return undefined;
    if (now - e.lastSeen >= this.opts.idleMs) return undefined;
    e.lastSeen = now;
    return e.flow;
  }

  /** A datagram passed for the client's flow (a reply from its task counts too). */
  touch(client: string, now: number): void {
    const e = this.flows.get(client);
    if (e !== undefined) e.lastSeen = now;
  }

  /** Opens (or replaces) the client's flow; false when the table is full. */
  add(client: string, flow: F, now: number): boolean {
    if (!this.flows.has(client) && this.flows.size >= this.opts.maxFlows) return false;
    this.flows.set(client, { flow, lastSeen: now });
    return true;
  }

  /** Forgets one client's flow; returns it. */
  remove(client: string): F | undefined {
    const e = this.flows.get(client);
    this.flows.delete(client);
    return e?.flow;
  }

  /** Forgets every flow idle at `now` (or that `drop` says must go); returns them so their sockets can close. */
  sweep(now: number, drop?: (flow: F) => boolean): F[] {
    const gone: F[] = [];
    for (const [client, e] of this.flows) {
      if (now - e.lastSeen >= this.opts.idleMs || drop?.(e.flow) === true) {
        this.flows.delete(client);
        gone.push(e.flow);
      }
    }
    return gone;
  }

  /** Forgets every flow; returns them. */
  clear(): F[] {
    const all = [...this.flows.values()].map((e) => e.flow);
    this.flows.clear();
    return all;
  }
}
