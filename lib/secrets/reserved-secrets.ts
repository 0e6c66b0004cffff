/**
 * Secrets the cluster keeps for itself in the store (lib/ha/shared-secrets.ts: the join tokens, client
 * token and node credentials shared by several managers). The secret API neither lists nor finds them
 * and no service can reference them.
 */
export const CLUSTER_CREDENTIALS_ID = 'swarmlet-cluster-credentials';

export function isReservedSecret(id: string): boolean {
  return id === CLUSTER_CREDENTIALS_ID;
}
