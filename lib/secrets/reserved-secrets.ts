/**
 * Secrets the cluster keeps for itself in the store (lib/ha/shared-secrets.ts: the join tokens, client
 * token and node credentials shared by several managers; lib/ha/shared-swarm.ts: the swarm's settings; lib/ha/shared-autolock.ts: the unlock key). The secret API neither lists nor finds them
 * and no service can reference them.
 */
export const CLUSTER_CREDENTIALS_ID = 'swarmlet-cluster-credentials';
/** The swarm object's saved settings (lib/ha/shared-swarm.ts) when several managers share the store. */
export const CLUSTER_SWARM_ID = 'swarmlet-cluster-swarm';

/** Autolock's unlock key when several managers share the store (lib/ha/shared-autolock.ts), sealed with the data key. */
export const CLUSTER_AUTOLOCK_ID = 'swarmlet-cluster-autolock';

export function isReservedSecret(id: string): boolean {
  return id === CLUSTER_CREDENTIALS_ID || id === CLUSTER_SWARM_ID || id === CLUSTER_AUTOLOCK_ID;
}
