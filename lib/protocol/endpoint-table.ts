import { z } from 'zod';
import { hostPort, nonNegInt, port } from './fields.js';

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
  /**
   * Published ports: the gateway listens on `published` on its node address (TCP and UDP; SCTP is
   * not served). `appProtocol` fixes how a TCP port's connections are treated (`http`: layer 7,
   * `tcp`: layer 4); absent, the gateway tells them apart by their first bytes.
   */
  ports: Array<{ published: number; target: number; protocol: 'tcp' | 'udp' | 'sctp'; appProtocol?: 'http' | 'tcp' }>;
  /** Tasks that can take requests (`active`) or that must get no new ones (`draining`). */
  endpoints: RouteEndpoint[];
  /**
   * The service's virtual IPs (one per network it is attached to) and the TCP ports each serves:
   * served by the cluster's VIP gateways, not by the node gateways. Absent: none.
   */
  vips?: Array<{ addr: string; ports: number[] }>;
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

/** A gateway's acknowledgement that it routes by `Version` (`POST /swarmlet/v1/endpoints/ack`). */
export interface EndpointAck { Gateway: string; Version: number }

/** A gateway ID: 1-128 characters of [A-Za-z0-9._-]. */
export const GATEWAY_ID = /^[A-Za-z0-9._-]{1,128}$/;

const RouteEndpointSchema = z.object({
  taskId: z.string().min(1),
  slot: nonNegInt(),
  nodeId: z.string(),
  addr: z.string().min(1),
  port: hostPort(),
  state: z.enum(['active', 'draining']),
});

export const EndpointTableSchema = z.object({
  version: nonNegInt(),
  services: z.array(z.object({
    serviceId: z.string().min(1),
    name: z.string(),
    ports: z.array(z.object({ published: port(), target: port(), protocol: z.enum(['tcp', 'udp', 'sctp']), appProtocol: z.enum(['http', 'tcp']).optional() })),
    endpoints: z.array(RouteEndpointSchema),
    vips: z.array(z.object({ addr: z.string().min(1), ports: z.array(port()) })).optional(),
  })),
}) satisfies z.ZodType<EndpointTable>;

export const EndpointAckSchema = z.object({
  Gateway: z.string().regex(GATEWAY_ID, { error: 'expected a gateway ID (1-128 characters of [A-Za-z0-9._-])' }),
  Version: nonNegInt(),
}) satisfies z.ZodType<EndpointAck>;
