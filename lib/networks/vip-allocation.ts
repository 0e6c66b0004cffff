/**
 * Subnets and virtual IPs (pure). Each network gets a /24 from the pool (default 127.77.0.0/16,
 * inside 127.0.0.0/8 so every address is local on any Linux host without configuration), the
 * lowest free one; its .1 is the gateway address. Each service attached to a network gets the
 * lowest free address .2-.254 of that subnet; a service keeps its VIP while it stays attached.
 */
import { invalid, SwarmletError } from '../errors.js';

export const DEFAULT_VIP_POOL = '127.77.0.0/16';

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

/** The lowest /24 of `pool` that overlaps none of `taken` (subnets in CIDR form). */
export function allocateSubnet(taken: string[], pool = DEFAULT_VIP_POOL): string {
  const p = parseCidr(pool, 'pool');
  if (p.bits > 24) throw invalid(`invalid pool ${pool}: it must hold /24 subnets`, 'pool');
  const used = taken.map((c) => parseCidr(c));
  const count = 2 ** (24 - p.bits);
  for (let i = 0; i < count; i++) {
    const candidate = { base: (p.base + i * 256) >>> 0, bits: 24 };
    if (!used.some((u) => overlaps(u, candidate))) return `${formatIpv4(candidate.base)}/24`;
  }
  throw new SwarmletError('unavailable', `no free subnet left in the virtual IP pool ${pool}`);
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
