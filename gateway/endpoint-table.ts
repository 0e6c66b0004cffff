/**
 * The endpoint table a gateway routes by, as the manager feeds it (a full table on every change,
 * with a version that only grows). A gateway acknowledges each version once it has applied it;
 * the manager holds back stopping a task until every gateway has acknowledged the version in which
 * that task became `draining` (or a bounded drain timeout has passed).
 */
export interface EndpointTable {
  /** Grows with every change; a gateway acks the versions it applied. */
  version: number;
  services: ServiceRoute[];
}

export interface ServiceRoute {
  serviceId: string;
  /** Service name (metric label). */
  name: string;
  /** Published ports: the gateway listens on `published` on its node address. TCP only for now. */
  ports: Array<{ published: number; target: number; protocol: 'tcp' | 'udp' | 'sctp' }>;
  /** Tasks that can take requests (`active`) or that must get no new ones (`draining`). */
  endpoints: RouteEndpoint[];
}

export interface RouteEndpoint {
  taskId: string;
  /** Replica slot (1..N), or 0 for global tasks: the metric label for the spread. */
  slot: number;
  nodeId: string;
  addr: string;
  port: number;
  state: 'active' | 'draining';
}

/** Where a gateway gets its table: an in-process store watch or the manager's HTTP stream. */
export interface EndpointSource {
  /** Calls `onTable` with the current table at once and then with every newer one. Returns a stop function. */
  subscribe(onTable: (table: EndpointTable) => void, onError?: (err: Error) => void): () => void;
  /** Tells the manager that this gateway routes by `version` now. */
  ack(gatewayId: string, version: number): void;
}
