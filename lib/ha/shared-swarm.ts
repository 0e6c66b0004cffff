/**
 * The swarm object's saved settings (Version, Labels, history limit, heartbeat …) when several managers
 * share the store: one object there (a secret with a reserved ID, hidden from the secret API, sealed
 * with the shared data key like the shared credentials), so what `swarm update` answered on the leader
 * is what the next leader serves and applies.
 */
import type { Clock } from '../clock.js';
import type { SavedSwarm } from '../api/swarm-state.js';
import type { SecretCipher } from '../secrets/secret-cipher.js';
import type { Store } from '../store/store.js';
import { CLUSTER_SWARM_ID } from '../secrets/reserved-secrets.js';
import { sealedRecord } from './sealed-record.js';

export interface SwarmHome {
  read(): SavedSwarm | undefined;
  write(s: SavedSwarm): void;
}

export function storeSwarmHome(store: Store, cipher: SecretCipher, clock: Clock): SwarmHome {
  const record = sealedRecord<SavedSwarm>(store, cipher, clock, CLUSTER_SWARM_ID);
  return { read: () => record.read(), write: (s) => record.write(s) };
}
