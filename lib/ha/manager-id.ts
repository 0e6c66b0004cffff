import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IdGenerator } from '../ids.js';

/** A manager's stable id, kept in its data directory (`manager-id`): a restart is the same manager. */
export function loadOrCreateManagerId(dataDir: string, ids: IdGenerator): string {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'manager-id');
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9._-]{1,64}$/.test(id)) return id;
    throw new Error(`${file} does not hold a manager id (1-64 characters of [A-Za-z0-9._-]): remove it to get a new one`);
  }
  const id = ids.next();
  writeFileSync(`${file}.tmp`, `${id}\n`);
  renameSync(`${file}.tmp`, file);
  return id;
}
