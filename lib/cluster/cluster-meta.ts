import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isoTime } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { SavedSwarm } from '../api/swarm-state.js';

/** The cluster's identity and, once `swarm update` or `swarm init` ran, the swarm object's settings. */
export interface ClusterMeta { clusterId: string; createdAt: string; swarm?: SavedSwarm }

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

/** The cluster's identity, kept in the data directory so a restart is the same cluster. */
export function loadOrCreateMeta(dataDir: string | undefined, ids: IdGenerator, now: number): ClusterMeta {
  if (!dataDir) return { clusterId: ids.next(), createdAt: isoTime(now) };
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, FILE);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ClusterMeta;
  const meta = { clusterId: ids.next(), createdAt: isoTime(now) };
  writeMeta(dataDir, meta);
  return meta;
}

/**
 * Saves the swarm's settings (durable on return, so a `swarm update` answered 200 survives a crash).
 * A new swarm (`swarm init` after a forced leave) becomes the cluster's identity too.
 */
export function saveSwarm(dataDir: string, swarm: SavedSwarm): void {
  writeMeta(dataDir, { clusterId: swarm.id, createdAt: swarm.createdAt, swarm });
}
