import { createServer } from 'node:net';
import { SwarmletError, invalid } from '../errors.js';

/** Tells whether addr:port can be bound right now. */
export type PortProbe = (addr: string, port: number) => Promise<boolean>;

/** Default range for task ports; 30000-32767 is kept for published ports. */
export const DEFAULT_TASK_PORT_RANGE: [number, number] = [20000, 29999];

/**
 * Hands out host ports for tasks, per address. Rotates through the range so a just-released port
 * is not handed out again at once, and probes each candidate by binding it, skipping ports in use.
 */
export class PortAllocator {
  private readonly lo: number;
  private readonly hi: number;
  private readonly probe: PortProbe;
  private readonly taken = new Map<string, Set<number>>();
  private readonly cursor = new Map<string, number>();

  constructor(range: [number, number] = DEFAULT_TASK_PORT_RANGE, probe: PortProbe = canBind) {
    const [lo, hi] = range;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || lo > hi) {
      throw invalid(`invalid port range ${lo}-${hi}: must be integers with 1 <= low <= high <= 65535`, 'portRange');
    }
    this.lo = lo;
    this.hi = hi;
    this.probe = probe;
  }

  /** The next free port on addr; throws `unavailable` when every port of the range is taken or in use. */
  async allocate(addr: string): Promise<number> {
    const taken = this.takenOn(addr);
    const size = this.hi - this.lo + 1;
    let port = this.cursor.get(addr) ?? this.lo;
    for (let tried = 0; tried < size; tried += 1, port = port >= this.hi ? this.lo : port + 1) {
      if (taken.has(port)) continue;
      taken.add(port); // reserve before probing so concurrent allocations never get the same port
      this.cursor.set(addr, port >= this.hi ? this.lo : port + 1);
      if (await this.probe(addr, port)) return port;
      taken.delete(port);
    }
    throw new SwarmletError('unavailable', `no free port in range ${this.lo}-${this.hi} on ${addr}`);
  }

  /**
   * Marks a port as handed out without probing it (a task adopted after an agent restart already
   * listens on it). False when it was already taken.
   */
  reserve(addr: string, port: number): boolean {
    const taken = this.takenOn(addr);
    if (taken.has(port)) return false;
    taken.add(port);
    return true;
  }

  release(addr: string, port: number): void {
    const taken = this.taken.get(addr);
    taken?.delete(port);
    if (taken && taken.size === 0) this.taken.delete(addr);
  }

  /** Ports currently handed out on addr (for tests and diagnostics). */
  inUse(addr: string): number[] {
    return [...(this.taken.get(addr) ?? [])].sort((a, b) => a - b);
  }

  private takenOn(addr: string): Set<number> {
    let set = this.taken.get(addr);
    if (!set) { set = new Set(); this.taken.set(addr, set); }
    return set;
  }
}

/**
 * Binds addr:port exclusively and closes it again. False when the port is in use or not allowed;
 * throws when the address itself cannot be bound (not a local address), since no port would work.
 */
export function canBind(addr: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRNOTAVAIL') {
        reject(new SwarmletError('failed_precondition', `cannot bind task ports on ${addr}: address not available on this host`));
      } else {
        resolve(false);
      }
    });
    server.listen({ host: addr, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
