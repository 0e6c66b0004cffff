import { z } from 'zod';
import { NodeReportSchema, type NodeReport } from './node-report.js';
import { nonNegInt, stringMap } from './fields.js';

/** A node's join (`POST /swarmlet/v1/join`). */
export interface JoinRequestBody {
  Token: string;
  Hostname: string;
  Addr: string;
  Labels?: Record<string, string>;
  /** The node's task driver (also in Description.Driver). */
  Driver?: string;
  /** What the node has and is; without it the manager records no platform or resources for it. */
  Description?: NodeReport;
}

export const JoinRequestSchema = z.object({
  Token: z.string(),
  Hostname: z.string(),
  Addr: z.string(),
  Labels: stringMap().optional(),
  Driver: z.string().min(1).optional(),
  Description: NodeReportSchema.optional(),
}) satisfies z.ZodType<JoinRequestBody>;

/** The manager's answer to a join: the node's identity and how often it must heartbeat. */
export interface JoinReply {
  NodeID: string;
  Credential: string;
  Role: 'worker' | 'manager';
  HeartbeatPeriodMs: number;
}

export const JoinReplySchema = z.object({
  NodeID: z.string().min(1),
  Credential: z.string().min(1),
  Role: z.enum(['worker', 'manager']),
  HeartbeatPeriodMs: nonNegInt(),
}) satisfies z.ZodType<JoinReply>;

/** The manager's answer to a heartbeat (`POST /swarmlet/v1/nodes/{id}/heartbeat`): the period to keep (it may change). */
export interface HeartbeatReply { HeartbeatPeriodMs: number }

export const HeartbeatReplySchema = z.object({ HeartbeatPeriodMs: nonNegInt() }) satisfies z.ZodType<HeartbeatReply>;
