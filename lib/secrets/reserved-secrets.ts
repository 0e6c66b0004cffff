/**
 * Secrets the cluster keeps for itself in the store (lib/ha/shared-secrets.ts: the join tokens, client
 * token and node credentials shared by several managers; lib/ha/shared-swarm.ts: the swarm's settings). The secret API neither lists nor finds them
 * and no service can reference them.
 */
export const CLUSTER_CREDENTIALS_ID = 'swarmlet-cluster-credentials';
/** The swarm object's saved settings (lib/ha/shared-swarm.ts) when several managers share the store. */
export const CLUSTER_SWARM_ID = 'swarmlet-cluster-swarm';

export function isReservedSecret(id: string): boolean {
  return id === CLUSTER_CREDENTIALS_ID || id === CLUSTER_SWARM_ID;
}
