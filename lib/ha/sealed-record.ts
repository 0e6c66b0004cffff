/**
 * One JSON record that several managers share through the store: a secret with a reserved ID (hidden
 * from the secret API), its content sealed with the managers' shared data key, so nothing of it opens
 * without that key. Read from the manager's mirror, parsed once per version of the object.
 */
import { isoTime, type Clock } from '../clock.js';
import type { Secret } from '../model/secret-types.js';
import type { SecretCipher } from '../secrets/secret-cipher.js';
import type { Store } from '../store/store.js';

export interface SealedRecord<T> {
  /** The record, or undefined when the store holds none. */
  read(): T | undefined;
  /** Stores the record (sealed); undefined deletes it. */
  write(value: T | undefined): void;
}

export function sealedRecord<T>(store: Store, cipher: SecretCipher, clock: Clock, id: string): SealedRecord<T> {
  let cache: { index: number; value: T } | undefined;
  return {
    read() {
      const obj = store.view((tx) => tx.getSecret(id));
      if (!obj?.Sealed) return undefined;
      if (cache?.index !== obj.Version.Index) {
        cache = { index: obj.Version.Index, value: JSON.parse(cipher.open(obj.ID, obj.Sealed).toString('utf8')) as T };
      }
      return cache.value;
    },
    write(value) {
      const now = isoTime(clock.now());
      store.update((tx) => {
        const old = tx.getSecret(id);
        if (value === undefined) {
          if (old) tx.deleteSecret(id);
          return;
        }
        const obj: Secret = {
          ID: id, Version: { Index: 0 }, CreatedAt: old?.CreatedAt ?? now, UpdatedAt: now,
          Spec: { Name: id, Labels: { 'swarmlet.internal': 'true' } },
          Sealed: cipher.seal(id, Buffer.from(JSON.stringify(value), 'utf8')),
        };
        tx.putSecret(obj);
      });
    },
  };
}
