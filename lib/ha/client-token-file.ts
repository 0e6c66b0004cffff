/**
 * Several managers with client auth (TLS): the client token lives only in the shared store, sealed,
 * so `swarmlet client-token --data DIR` — how a first client is bootstrapped on a manager's machine —
 * found no secrets file to read. Each manager keeps `<data>/client-token` (mode 0600) equal to the
 * cluster's token, rewritten when the shared credentials change (a rotation through any manager).
 */
import { readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { CLUSTER_CREDENTIALS_ID } from '../secrets/reserved-secrets.js';

export const CLIENT_TOKEN_FILE = 'client-token';

/** Follows the store from now on; returns the stop function. `token` reads the shared token (undefined before the first leader made it). */
export function keepClientTokenFile(store: Store, token: () => string | undefined, file: string, logger: Logger): () => void {
  let last: string | undefined;
  const sync = () => {
    let t: string | undefined;
    try {
      t = token();
      if (t === undefined || t === last) return;
      writeFileSync(`${file}.tmp`, `${t}\n`, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
      last = t;
    } catch (err) {
      logger.warn({ err, file }, 'could not keep the client token file');
    }
  };
  return store.watch((events) => {
    if (events.some((e) => e.kind === 'secret' && e.id === CLUSTER_CREDENTIALS_ID)) sync();
  }, () => sync());
}

/** The token kept by keepClientTokenFile, or undefined when there is no such file. */
export function readClientTokenFile(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const t = readFileSync(file, 'utf8').trim();
  return t === '' ? undefined : t;
}
