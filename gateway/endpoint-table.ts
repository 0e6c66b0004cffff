import type { EndpointTable } from '../lib/protocol/endpoint-table.js';

// The table itself is a wire type (lib/protocol/endpoint-table.ts); re-exported for code written
// against its old home. New code imports it from lib/protocol.
export type { EndpointTable, RouteEndpoint, ServiceRoute } from '../lib/protocol/endpoint-table.js';

/** Where a gateway gets its table: an in-process store watch or the manager's HTTP stream. */
export interface EndpointSource {
  /** Calls `onTable` with the current table at once and then with every newer one. Returns a stop function. */
  subscribe(onTable: (table: EndpointTable) => void, onError?: (err: Error) => void): () => void;
  /** Tells the manager that this gateway routes by `version` now. */
  ack(gatewayId: string, version: number): void;
}
