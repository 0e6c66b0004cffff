import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { isoTime } from '../clock.js';
import type { IdGenerator } from '../ids.js';

export interface ClusterMeta { clusterId: string; createdAt: string }

/** The cluster's identity, kept in the data directory so a restart is the same cluster. */
export function loadOrCreateMeta(dataDir: string | undefined, ids: IdGenerator, now: number): ClusterMeta {
  if (!dataDir) return { clusterId: ids.next(), createdAt: isoTime(now) };
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'cluster.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ClusterMeta;
  const meta = { clusterId: ids.next(), createdAt: isoTime(now) };
  writeFileSync(file + '.tmp', JSON.stringify(meta));
  renameSync(file + '.tmp', file);
  return meta;
}
