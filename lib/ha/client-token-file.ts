/**
 * Several managers with client auth (TLS): the client token lives only in the shared store, sealed,
 * so `swarmlet client-token --data DIR` — how a first client is bootstrapped on a manager's machine —
 * found no secrets file to read. Each manager keeps `<data>/client-token` (mode 0600) equal to the
 * cluster's token, rewritten when the shared credentials change (a rotation through any manager).
 * With autolock on (the manager's keys, `codec`) the file is sealed with the data key, as a single
 * manager's secrets file is: rewritten sealed when autolock turns on, in the clear when it turns off.
 */
import { readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { SecretFileCodec } from '../dispatcher/join-tokens.js';
import { isSealedText } from '../secrets/manager-keys.js';
import { CLUSTER_CREDENTIALS_ID } from '../secrets/reserved-secrets.js';

export const CLIENT_TOKEN_FILE = 'client-token';
const FILE_LABEL = 'client-token';

/** Follows the store from now on; returns the stop function. `token` reads the shared token (undefined before the first leader made it). */
export function keepClientTokenFile(store: Store, token: () => string | undefined, file: string, logger: Logger, codec?: Pick<SecretFileCodec, 'sealText' | 'onAutolockChange'>): () => void {
  let last: string | undefined;
  let stopped = false;
  const sync = (force = false) => {
    let t: string | undefined;
    try {
      t = token();
      if (t === undefined || (t === last && !force)) return;
      const text = `${t}\n`;
      writeFileSync(`${file}.tmp`, codec ? codec.sealText(FILE_LABEL, text) : text, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
      last = t;
    } catch (err) {
      logger.warn({ err, file }, 'could not keep the client token file');
    }
  };
  codec?.onAutolockChange(() => { if (!stopped) sync(true); });
  const unwatch = store.watch((events) => {
    if (events.some((e) => e.kind === 'secret' && e.id === CLUSTER_CREDENTIALS_ID)) sync();
  }, () => sync());
  return () => { stopped = true; unwatch(); };
}

/** The token kept by keepClientTokenFile, or undefined when there is no such file (or it is sealed: autolock on). */
export function readClientTokenFile(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  if (isSealedText(text)) return undefined;
  const t = text.trim();
  return t === '' ? undefined : t;
}

/** True when the kept file is sealed (autolock on): a local reader cannot use it. */
export function clientTokenFileSealed(file: string): boolean {
  try { return isSealedText(readFileSync(file, 'utf8')); } catch { return false; }
}
