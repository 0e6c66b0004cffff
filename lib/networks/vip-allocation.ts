/**
 * Subnets and virtual IPs (pure). Each network gets a subnet of the address pool's subnet size
 * (default: a /24 of 127.77.0.0/16; configurable as Docker's `--default-addr-pool` and
 * `--default-addr-pool-mask-length`, always inside 127.0.0.0/8 so every address is local on any
 * Linux host without configuration), the lowest free one of the first pool that has one; its first
 * host is the gateway address. Each service attached to a network gets the lowest free address
 * from the second host on; a service keeps its VIP while it stays attached.
 */
import { invalid, SwarmletError } from '../errors.js';

export const DEFAULT_VIP_POOL = '127.77.0.0/16';
export const DEFAULT_SUBNET_SIZE = 24;

/** Where networks' subnets come from: Docker's swarm `DefaultAddrPool` and `SubnetSize`. */
export interface AddrPool {
  pools: readonly string[];
  subnetSize: number;
}

export const DEFAULT_ADDR_POOL: AddrPool = { pools: [DEFAULT_VIP_POOL], subnetSize: DEFAULT_SUBNET_SIZE };

export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `a.b.c.d/len` → base and prefix length; refused outside 127.0.0.0/8 or with host bits set. */
export function parseCidr(cidr: string, field = 'Subnet'): { base: number; bits: number } {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  const base = m ? parseIpv4(m[1]!) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (base === undefined || !(bits >= 8 && bits <= 30)) throw invalid(`invalid subnet ${cidr}: expected a.b.c.d/8-30`, field);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  if ((base & mask) >>> 0 !== base) throw invalid(`invalid subnet ${cidr}: host bits are set`, field);
  if (base >>> 24 !== 127) throw invalid(`invalid subnet ${cidr}: swarmlet's virtual IPs live in 127.0.0.0/8 (loopback)`, field);
  return { base, bits };
}

function overlaps(a: { base: number; bits: number }, b: { base: number; bits: number }): boolean {
  const bits = Math.min(a.bits, b.bits);
  const mask = (~0 << (32 - bits)) >>> 0;
  return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}

/**
 * Checks an address pool: each pool a CIDR inside 127.0.0.0/8, none overlapping another, and a
 * subnet size from the widest pool's prefix to 30 (a subnet needs a gateway and one VIP). Errors
 * name `names.pool` / `names.size` (an option, a flag or an API field).
 */
export function checkAddrPool(pool: AddrPool, names = { pool: 'DefaultAddrPool', size: 'SubnetSize' }): AddrPool {
  if (pool.pools.length === 0) throw invalid(`invalid ${names.pool}: at least one pool is needed`, names.pool);
  const parsed = pool.pools.map((c) => {
    try {
      return parseCidr(c, names.pool);
    } catch (e) {
      throw invalid(`invalid ${names.pool} ${c}: ${(e as Error).message.replace(/^invalid subnet [^:]*: /, '')}`, names.pool);
    }
  });
  parsed.forEach((a, i) => parsed.slice(i + 1).forEach((b, j) => {
    if (overlaps(a, b)) throw invalid(`invalid ${names.pool}: ${pool.pools[i]} overlaps ${pool.pools[i + 1 + j]}`, names.pool);
  }));
  const size = pool.subnetSize;
  const widest = Math.max(...parsed.map((p) => p.bits));
  if (!Number.isInteger(size) || size < widest || size > 30) {
    throw invalid(`invalid ${names.size} ${String(size)}: expected ${widest}-30 (at least the pool's prefix length, at most 30)`, names.size);
  }
  return { pools: [...pool.pools], subnetSize: size };
}

/**
 * The lowest subnet of the pool's size that overlaps none of `taken` (subnets in CIDR form), from
 * the first pool that has one. `pool` may also be one CIDR (subnets of /24).
 */
export function allocateSubnet(taken: string[], pool: AddrPool | string = DEFAULT_ADDR_POOL): string {
  const p = checkAddrPool(typeof pool === 'string' ? { pools: [pool], subnetSize: DEFAULT_SUBNET_SIZE } : pool, { pool: 'pool', size: 'SubnetSize' });
  const used = taken.map((c) => parseCidr(c));
  const bits = p.subnetSize;
  const step = 2 ** (32 - bits);
  for (const cidr of p.pools) {
    const range = parseCidr(cidr);
    const count = 2 ** (bits - range.bits);
    for (let i = 0; i < count; i++) {
      const candidate = { base: (range.base + i * step) >>> 0, bits };
      if (!used.some((u) => overlaps(u, candidate))) return `${formatIpv4(candidate.base)}/${bits}`;
    }
  }
  throw new SwarmletError('unavailable', `no free subnet left in the virtual IP pool ${p.pools.join(', ')}`);
}

/** The subnet's gateway address (its first host). */
export function gatewayOf(subnet: string): string {
  return formatIpv4(parseCidr(subnet).base + 1);
}

/** The lowest free host address of `subnet` (from .2), as `addr/len`; `taken` are addresses with or without /len. */
export function allocateVip(subnet: string, taken: string[]): string {
  const { base, bits } = parseCidr(subnet);
  const used = new Set(taken.map((a) => parseIpv4(a.split('/')[0]!)));
  const last = base + 2 ** (32 - bits) - 2;
  for (let n = base + 2; n <= last; n++) if (!used.has(n)) return `${formatIpv4(n)}/${bits}`;
  throw new SwarmletError('unavailable', `no free virtual IP left in ${subnet}`);
}

/** `127.77.1.2/24` → `127.77.1.2`. */
export function vipAddress(addr: string): string {
  return addr.split('/')[0]!;
}
