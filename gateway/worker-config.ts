/**
 * What a parent tells a gateway child process (a node:cluster worker of createGatewayWorkers, or
 * the single child of createGatewayProcess), and the messages they exchange over the IPC channel.
 * Everything here is plain JSON: a child builds its own endpoint source from `source`.
 */
import { streamEndpointSource, type StreamSourceOptions } from '../lib/client/endpoint-stream-source.js';
import type { Logger } from '../lib/logger.js';
import type { GatewayOptions } from './create-gateway.js';
import type { EndpointSource } from './endpoint-table.js';
import type { EndpointTable } from '../lib/protocol/endpoint-table.js';
import { parentEndpointSource } from './parent-endpoint-source.js';
import { projectVipTable } from './vip-table.js';

/** Where every worker gets its endpoint table (each follows it on its own and acks it with its own gateway ID). */
export type WorkerSourceSpec =
  /**
   * The manager's endpoint stream; with `vip`, projected to that virtual IP (projectVipTable): the
   * child is the gateway of one VIP (a joined node's VIP gateways).
   */
  | { kind: 'stream'; manager: string; token?: string; tls?: StreamSourceOptions['tls']; vip?: string }
  /** A fixed table (benchmarks, tests). */
  | { kind: 'static'; table: EndpointTable }
  /** The parent sends every table over the IPC channel and forwards the child's acks (createGatewayProcess). */
  | { kind: 'parent' };

/** The serializable part of GatewayOptions. */
export type WorkerGatewayOptions = Pick<GatewayOptions,
  'id' | 'nodeId' | 'hostname' | 'addr' | 'limits' | 'ejection' | 'retries' | 'staggerRoundRobin' | 'closeGraceMs' | 'bindRetryMs' | 'quietAddrInUse' | 'processMetrics'
  | 'sniffTimeoutMs' | 'l4IdleTimeoutMs' | 'udpFlowIdleMs' | 'udp'>;

export interface WorkerConfig {
  gateway: WorkerGatewayOptions;
  source: WorkerSourceSpec;
  /** pino level of the worker's JSON log lines on stderr; 'silent' for none. */
  logLevel: string;
  /**
   * Listen through the node:cluster primary's sockets (a worker of createGatewayWorkers). Default
   * true; false: the child binds its own sockets, so nothing in the parent is on the request path.
   */
  sharedListeners?: boolean;
  /** /metrics and /healthz served by the child itself. Default false (the parent serves them). */
  admin?: { host: string; port: number } | false;
}

/** The environment variable that carries a worker's WorkerConfig (JSON). */
export const WORKER_CONFIG_ENV = 'SWARMLET_GATEWAY_WORKER';

export type ToWorker =
  | { swarmlet: 'metrics'; seq: number }
  | { swarmlet: 'close' }
  /** A new endpoint table (source kind 'parent'). */
  | { swarmlet: 'table'; table: EndpointTable };

export type FromWorker =
  | { swarmlet: 'routed'; version: number; ports: number[] }
  /** The child routes by `version` now (source kind 'parent': the parent acks it to its own source). */
  | { swarmlet: 'ack'; version: number }
  /** The child wants the current table and every later one (source kind 'parent'). */
  | { swarmlet: 'subscribe' }
  | { swarmlet: 'started'; admin?: { host: string; port: number } }
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
  if (spec.kind === 'parent') return parentEndpointSource();
  const stream = streamEndpointSource({ manager: spec.manager, gatewayId, token: spec.token, tls: spec.tls, logger });
  const vip = spec.vip;
  if (vip === undefined) return stream;
  return { subscribe: (onTable, onError) => stream.subscribe((t) => onTable(projectVipTable(t, vip)), onError), ack: (id, v) => stream.ack(id, v) };
}
