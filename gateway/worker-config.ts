/**
 * What the primary of a multi-process gateway (createGatewayWorkers) tells each worker, and the
 * messages they exchange over the node:cluster IPC channel. Everything here is plain JSON: a
 * worker builds its own endpoint source from `source`.
 */
import { streamEndpointSource, type StreamSourceOptions } from '../lib/client/endpoint-stream-source.js';
import type { Logger } from '../lib/logger.js';
import type { GatewayOptions } from './create-gateway.js';
import type { EndpointSource, EndpointTable } from './endpoint-table.js';

/** Where every worker gets its endpoint table (each follows it on its own and acks it with its own gateway ID). */
export type WorkerSourceSpec =
  | { kind: 'stream'; manager: string; token?: string; tls?: StreamSourceOptions['tls'] }
  /** A fixed table (benchmarks, tests). */
  | { kind: 'static'; table: EndpointTable };

/** The serializable part of GatewayOptions. */
export type WorkerGatewayOptions = Pick<GatewayOptions,
  'id' | 'nodeId' | 'hostname' | 'addr' | 'limits' | 'ejection' | 'retries' | 'staggerRoundRobin' | 'closeGraceMs' | 'bindRetryMs' | 'processMetrics'>;

export interface WorkerConfig {
  gateway: WorkerGatewayOptions;
  source: WorkerSourceSpec;
  /** pino level of the worker's JSON log lines on stderr; 'silent' for none. */
  logLevel: string;
}

/** The environment variable that carries a worker's WorkerConfig (JSON). */
export const WORKER_CONFIG_ENV = 'SWARMLET_GATEWAY_WORKER';

export type ToWorker =
  | { swarmlet: 'metrics'; seq: number }
  | { swarmlet: 'close' };

export type FromWorker =
  | { swarmlet: 'routed'; version: number; ports: number[] }
  | { swarmlet: 'started' }
  | { swarmlet: 'failed'; message: string }
  | { swarmlet: 'metrics'; seq: number; metrics: object[] | null };

export function isFromWorker(m: unknown): m is FromWorker {
  return typeof m === 'object' && m !== null && typeof (m as { swarmlet?: unknown }).swarmlet === 'string';
}

/** The gateway ID of worker `n` (1-based): the manager waits for the acks of every worker. */
export function workerGatewayId(baseId: string, n: number): string {
  return `${baseId}-w${n}`;
}

export function sourceFromSpec(spec: WorkerSourceSpec, gatewayId: string, logger: Logger): EndpointSource {
  if (spec.kind === 'static') {
    const table = spec.table;
    return { subscribe: (onTable) => { onTable(table); return () => {}; }, ack: () => {} };
  }
  return streamEndpointSource({ manager: spec.manager, gatewayId, token: spec.token, tls: spec.tls, logger });
}
