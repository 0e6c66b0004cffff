/**
 * The join tokens, the client token and node credentials of several managers: one object in the
 * shared store (a secret with a reserved ID, hidden from the secret API), its content sealed with the
 * managers' shared data key like any secret. Every manager reads it from its mirror of the store, so
 * a token rotated or a credential issued on the leader works against every manager.
 */
import type { Clock } from '../clock.js';
import type { Secrets, SecretsHome } from '../dispatcher/join-tokens.js';
import type { SecretCipher } from '../secrets/secret-cipher.js';
import type { Store } from '../store/store.js';
import { CLUSTER_CREDENTIALS_ID } from '../secrets/reserved-secrets.js';
import { sealedRecord } from './sealed-record.js';

export function storeSecretsHome(store: Store, cipher: SecretCipher, clock: Clock): SecretsHome {
  const record = sealedRecord<Secrets>(store, cipher, clock, CLUSTER_CREDENTIALS_ID);
  return { read: () => record.read(), write: (s) => record.write(s) };
}
