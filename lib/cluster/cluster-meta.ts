import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isoTime } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { SavedSwarm } from '../api/swarm-state.js';
import type { AddrPool } from '../networks/vip-allocation.js';

/**
 * The cluster's identity, its address pool (where networks' subnets come from, once given) and,
 * once `swarm update` or `swarm init` ran, the swarm object's settings.
 */
export interface ClusterMeta { clusterId: string; createdAt: string; addrPool?: AddrPool; swarm?: SavedSwarm }

const FILE = 'cluster.json';

/** Writes the file atomically and durably (temp file, fsync, rename, directory fsync). */
function writeMeta(dataDir: string, meta: ClusterMeta): void {
  const file = join(dataDir, FILE);
  const fd = openSync(`${file}.tmp`, 'w', 0o644);
  try {
    writeSync(fd, JSON.stringify(meta));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(`${file}.tmp`, file);
  try {
    const dir = openSync(dataDir, 'r');
    try { fsyncSync(dir); } finally { closeSync(dir); }
  } catch { /* the rename is atomic even where a directory cannot be fsync'd */ }
}

function readMeta(dataDir: string): ClusterMeta | undefined {
  const file = join(dataDir, FILE);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as ClusterMeta : undefined;
}

/**
 * The cluster's identity, kept in the data directory so a restart is the same cluster. An
 * `addrPool` given (a checked one) is kept from now on, replacing the stored one (networks that
 * exist keep their subnets; new ones come from it); without one, the stored pool stays in effect.
 */
export function loadOrCreateMeta(dataDir: string | undefined, ids: IdGenerator, now: number, addrPool?: AddrPool): ClusterMeta {
  const fresh = (): ClusterMeta => ({ clusterId: ids.next(), createdAt: isoTime(now), ...(addrPool ? { addrPool } : {}) });
  if (!dataDir) return fresh();
  mkdirSync(dataDir, { recursive: true });
  const stored = readMeta(dataDir);
  if (stored !== undefined && (addrPool === undefined || JSON.stringify(stored.addrPool) === JSON.stringify(addrPool))) return stored;
  const meta: ClusterMeta = stored ? { ...stored, ...(addrPool ? { addrPool } : {}) } : fresh();
  writeMeta(dataDir, meta);
  return meta;
}

/**
 * Saves the swarm's settings (durable on return, so a `swarm update` answered 200 survives a crash).
 * A new swarm (`swarm init` after a forced leave) becomes the cluster's identity too; the address
 * pool stays.
 */
export function saveSwarm(dataDir: string, swarm: SavedSwarm): void {
  const addrPool = readMeta(dataDir)?.addrPool;
  writeMeta(dataDir, { clusterId: swarm.id, createdAt: swarm.createdAt, ...(addrPool ? { addrPool } : {}), swarm });
}
