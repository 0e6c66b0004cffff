/**
 * Autolock with several managers (as swarmkit keeps the unlock key in the replicated cluster object).
 *
 * The cluster's unlock key lives in the shared store: one object (a secret with a reserved ID, hidden
 * from the secret API) sealed with the managers' shared data key, like the shared tokens — so nothing
 * in etcd opens without the data key, and the unlock key is never written in the clear. The leader
 * makes it (`swarm update --autolock=true`, forwarded by any manager), replaces it (`unlock-key
 * --rotate`) or deletes it (`--autolock=false`); every manager follows what its mirror shows
 * (`sync`, on each change of the object): its own data key file wrapped with that key, or back in the
 * clear. A manager started on a wrapped file is locked until `unlock` with the key that wrapped it,
 * then follows the store's key (rewrapping if it was rotated meanwhile).
 */
import type { Clock } from '../clock.js';
import type { AutolockKeys } from '../api/swarm-state.js';
import type { ManagerKeys } from '../secrets/manager-keys.js';
import { CLUSTER_AUTOLOCK_ID } from '../secrets/reserved-secrets.js';
import type { SecretCipher } from '../secrets/secret-cipher.js';
import { formatUnlockKey, newUnlockKey } from '../secrets/unlock-key.js';
import type { Store } from '../store/store.js';
import { sealedRecord } from './sealed-record.js';

/** Where the cluster's unlock key is kept: `undefined` is autolock off. */
export interface UnlockKeyHome {
  read(): Buffer | undefined;
  write(key: Buffer | undefined): void;
}

/** The unlock key in the shared store, sealed with the data key (reading it needs the data key). */
export function storeUnlockKeyHome(store: Store, cipher: SecretCipher, clock: Clock): UnlockKeyHome {
  const record = sealedRecord<{ unlockKey?: unknown }>(store, cipher, clock, CLUSTER_AUTOLOCK_ID);
  return {
    read() {
      const rec = record.read();
      return typeof rec?.unlockKey === 'string' ? Buffer.from(rec.unlockKey, 'base64') : undefined;
    },
    write(key) { record.write(key ? { unlockKey: key.toString('base64') } : undefined); },
  };
}

/** True when a batch of store events touches the shared unlock key (a manager then calls `sync`). */
export function touchesUnlockKey(events: ReadonlyArray<{ kind: string; id: string }>): boolean {
  return events.some((e) => e.kind === 'secret' && e.id === CLUSTER_AUTOLOCK_ID);
}

/**
 * The swarm's autolock on one of several managers: the key is the store's (`home`), this manager's
 * data key file (`keys`) follows it. Writes to `home` throw not_leader on a follower (the API forwards
 * `swarm update` to the leader first).
 */
export class SharedAutolock implements AutolockKeys {
  /** `onSyncError`: following the store failed after an unlock (the next change of the key retries). */
  constructor(private readonly keys: ManagerKeys, private readonly home: UnlockKeyHome, private readonly onSyncError: (err: unknown) => void = () => undefined) {}

  isLocked(): boolean { return this.keys.isLocked(); }

  /** On for every manager once the store holds a key; a locked manager's file is wrapped, so on too. */
  autolock(): boolean { return this.keys.isLocked() || this.home.read() !== undefined; }

  unlockKey(): string {
    this.keys.dataKey(); // locked: Docker's 503
    const key = this.home.read();
    return key ? formatUnlockKey(key) : '';
  }

  /** A new key in the store (the store's own when already on), then this manager's file wrapped with it. */
  enableAutolock(): string {
    this.keys.dataKey();
    let key = this.home.read();
    if (!key) {
      key = newUnlockKey();
      this.home.write(key);
    }
    this.keys.follow(key);
    return formatUnlockKey(key);
  }

  disableAutolock(): void {
    this.keys.dataKey();
    if (this.home.read()) this.home.write(undefined);
    this.keys.follow(undefined);
  }

  rotateUnlockKey(): string {
    this.keys.dataKey();
    if (!this.home.read()) return '';
    const key = newUnlockKey();
    this.home.write(key);
    this.keys.follow(key);
    return formatUnlockKey(key);
  }

  /** Opens this manager's data key file with `text` (Docker's refusals for a bad key), then follows the store. */
  unlock(text: string): void {
    this.keys.unlock(text);
    try {
      this.sync();
    } catch (err) {
      this.onSyncError(err); // unlocked all the same: the file opens with the key given
    }
  }

  /** Makes this manager's data key file match the store's key (nothing while locked). */
  sync(): void {
    if (this.keys.isLocked()) return;
    this.keys.follow(this.home.read());
  }
}
