/**
 * `--default-addr-pool CIDR` (repeatable, or comma-separated) and `--default-addr-pool-mask-length N`
 * of `swarmlet up` and `swarmlet manager`, as Docker's `swarm init`: where networks' subnets, and so
 * services' virtual IPs, come from. Checked here so that an error names the flag.
 */
import type { Command } from 'commander';
import { checkAddrPool, DEFAULT_ADDR_POOL, DEFAULT_SUBNET_SIZE } from '../lib/networks/vip-allocation.js';
import { collect } from './options.js';

export interface AddrPoolFlags { defaultAddrPool?: string[]; defaultAddrPoolMaskLength?: string }

const POOL_FLAG = '--default-addr-pool';
const SIZE_FLAG = '--default-addr-pool-mask-length';

export function addAddrPoolFlags(cmd: Command): Command {
  return cmd
    .option(`${POOL_FLAG} <cidr>`, `address pool of networks' subnets and services' virtual IPs, inside 127.0.0.0/8 (repeatable; default ${DEFAULT_ADDR_POOL.pools.join(',')}; kept in --data)`, collect)
    .option(`${SIZE_FLAG} <n>`, `prefix length of each network's subnet taken from the pool (default ${DEFAULT_SUBNET_SIZE})`);
}

/** The createCluster options the flags ask for (none when neither is given: the stored or default pool stays). */
export function addrPoolOptions(o: AddrPoolFlags): { defaultAddrPool?: string[]; subnetSize?: number } {
  if (o.defaultAddrPool === undefined && o.defaultAddrPoolMaskLength === undefined) return {};
  const pools = o.defaultAddrPool?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const raw = o.defaultAddrPoolMaskLength;
  const size = raw === undefined ? DEFAULT_SUBNET_SIZE : /^\d{1,2}$/.test(raw.trim()) ? Number(raw) : NaN;
  if (Number.isNaN(size)) throw new Error(`invalid ${SIZE_FLAG} "${raw}": expected a prefix length such as 24`);
  const checked = checkAddrPool({ pools: pools ?? DEFAULT_ADDR_POOL.pools, subnetSize: size }, { pool: POOL_FLAG, size: SIZE_FLAG });
  return { defaultAddrPool: [...checked.pools], subnetSize: checked.subnetSize };
}
