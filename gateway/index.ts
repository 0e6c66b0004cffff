/** The gateway (routing mesh) of a node: public API. */
export { createGateway, type Gateway, type GatewayOptions } from './create-gateway.js';
export { createGatewayWorkers, type GatewayWorkersOptions, type WorkersGateway } from './workers.js';
export { createGatewayProcess, type GatewayProcessOptions, type ProcessGateway } from './gateway-process.js';
export type { WorkerSourceSpec, WorkerGatewayOptions } from './worker-config.js';
export type { EndpointSource } from './endpoint-table.js';
export type { EndpointTable, RouteEndpoint, ServiceRoute } from '../lib/protocol/endpoint-table.js';
export { pickEndpoint, isPickable, type PickCandidate } from './pick-endpoint.js';
export { ServiceEndpoints, UpstreamEndpoint, nextEndpointSet, countStates, type EndpointState } from './endpoint-set.js';
export { defaultEjectionPolicy, recordConnectFailure, recordSuccess, isEjected, type EjectionPolicy, type HealthRecord } from './passive-health.js';
export { forwardRequestHeaders, forwardResponseHeaders } from './hop-headers.js';
export { resolveLimits, type GatewayLimits } from './limits.js';
export { GatewayMetrics } from './gateway-metrics.js';
export { poolOptions } from './upstream-pools.js';
