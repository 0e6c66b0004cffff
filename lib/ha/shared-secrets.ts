/**
 * The join tokens, the client token and node credentials of several managers: one object in the
 * shared store (a secret with a reserved ID, hidden from the secret API), its content sealed with the
 * managers' shared data key like any secret. Every manager reads it from its mirror of the store, so
 * a token rotated or a credential issued on the leader works against every manager.
 */
import { isoTime, type Clock } from '../clock.js';
import type { Secrets, SecretsHome } from '../dispatcher/join-tokens.js';
import type { Secret } from '../model/secret-types.js';
import type { SecretCipher } from '../secrets/secret-cipher.js';
import type { Store } from '../store/store.js';
import { CLUSTER_CREDENTIALS_ID } from '../secrets/reserved-secrets.js';


export function storeSecretsHome(store: Store, cipher: SecretCipher, clock: Clock): SecretsHome {
  let cache: { index: number; secrets: Secrets } | undefined;
  return {
    read() {
      const obj = store.view((tx) => tx.getSecret(CLUSTER_CREDENTIALS_ID));
      if (!obj?.Sealed) return undefined;
      if (cache?.index !== obj.Version.Index) {
        cache = { index: obj.Version.Index, secrets: JSON.parse(cipher.open(obj.ID, obj.Sealed).toString('utf8')) as Secrets };
      }
      return cache.secrets;
    },
    write(s) {
      const now = isoTime(clock.now());
      store.update((tx) => {
        const old = tx.getSecret(CLUSTER_CREDENTIALS_ID);
        const obj: Secret = {
          ID: CLUSTER_CREDENTIALS_ID, Version: { Index: 0 }, CreatedAt: old?.CreatedAt ?? now, UpdatedAt: now,
          Spec: { Name: CLUSTER_CREDENTIALS_ID, Labels: { 'swarmlet.internal': 'true' } },
          Sealed: cipher.seal(CLUSTER_CREDENTIALS_ID, Buffer.from(JSON.stringify(s), 'utf8')),
        };
        tx.putSecret(obj);
      });
    },
  };
}
