/**
 * The swarm object's saved settings (Version, Labels, history limit, heartbeat …) when several managers
 * share the store: one object there (a secret with a reserved ID, hidden from the secret API, sealed
 * with the shared data key like the shared credentials), so what `swarm update` answered on the leader
 * is what the next leader serves and applies.
 */
import { isoTime, type Clock } from '../clock.js';
import type { SavedSwarm } from '../api/swarm-state.js';
import type { Secret } from '../model/secret-types.js';
import type { SecretCipher } from '../secrets/secret-cipher.js';
import type { Store } from '../store/store.js';
import { CLUSTER_SWARM_ID } from '../secrets/reserved-secrets.js';

export interface SwarmHome {
  read(): SavedSwarm | undefined;
  write(s: SavedSwarm): void;
}

export function storeSwarmHome(store: Store, cipher: SecretCipher, clock: Clock): SwarmHome {
  let cache: { index: number; swarm: SavedSwarm } | undefined;
  return {
    read() {
      const obj = store.view((tx) => tx.getSecret(CLUSTER_SWARM_ID));
      if (!obj?.Sealed) return undefined;
      if (cache?.index !== obj.Version.Index) {
        cache = { index: obj.Version.Index, swarm: JSON.parse(cipher.open(obj.ID, obj.Sealed).toString('utf8')) as SavedSwarm };
      }
      return cache.swarm;
    },
    write(s) {
      const now = isoTime(clock.now());
      store.update((tx) => {
        const old = tx.getSecret(CLUSTER_SWARM_ID);
        const obj: Secret = {
          ID: CLUSTER_SWARM_ID, Version: { Index: 0 }, CreatedAt: old?.CreatedAt ?? now, UpdatedAt: now,
          Spec: { Name: CLUSTER_SWARM_ID, Labels: { 'swarmlet.internal': 'true' } },
          Sealed: cipher.seal(CLUSTER_SWARM_ID, Buffer.from(JSON.stringify(s), 'utf8')),
        };
        tx.putSecret(obj);
      });
    },
  };
}
