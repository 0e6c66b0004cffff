import { z } from 'zod';
import { TASK_STATES } from '../model/task-state.js';
import type { Image, Task } from '../model/types.js';
import { nonNegInt, port } from './fields.js';
import { checkWire, type WireCheck } from './wire-error.js';

/**
 * What an agent needs of a task's service: its name (`<service>.<slot>`) and the first port it
 * publishes: target, protocol (absent: tcp), the host port when published in host mode, and
 * whether every port is UDP (readiness is then not a TCP connect).
 */
export interface ServiceInfo {
  name: string;
  targetPort?: number;
  protocol?: 'tcp' | 'udp' | 'sctp';
  hostPort?: number;
  udpOnly?: boolean;
  /** The service's other distinct target ports, in order (host mode: with the published port). */
  extraPorts?: Array<{ target: number; protocol?: 'tcp' | 'udp' | 'sctp'; hostPort?: number }>;
  /**
   * A target port published with another protocol too (`-p 53:53/tcp -p 53:53/udp`), which the one
   * host port of that target serves as well (docker driver: bound for that protocol too).
   */
  moreProtocols?: Array<{ target: number; protocol: 'tcp' | 'udp' | 'sctp' }>;
  /**
   * The service publishes no port but has a virtual IP: its tasks are reached through the VIP on
   * this target port, so (like a published one) a task counts as running once it accepts connections.
   */
  vipPort?: number;
}

/** Secret or config content as the session carries it (base64). */
export interface ContentPayload { ID: string; Data: string }

/** What a node's session carries down: its tasks, the services they belong to, the image catalog. */
export interface Assignments {
  Tasks: Task[];
  Services: Record<string, ServiceInfo>;
  Images: Image[];
  /** The content of the secrets and configs that the node's tasks awaiting start reference (and no other). */
  Secrets?: ContentPayload[];
  Configs?: ContentPayload[];
  /** Service discovery variables of the node's tasks awaiting start, by task ID. */
  Env?: Record<string, string[]>;
}

/** What goes down a node's session when the manager wants a task's logs. */
export interface LogRequest {
  ID: string;
  TaskID: string;
  Follow?: boolean;
  Tail?: number;
  Since?: number;
}

/** Besides assignments, a session carries requests for a task's logs. */
export interface SessionMessage { LogRequest: LogRequest }

export const LogRequestSchema = z.object({
  ID: z.string().min(1),
  TaskID: z.string().min(1),
  Follow: z.boolean().optional(),
  Tail: nonNegInt().optional(),
  Since: z.number().optional(),
}) satisfies z.ZodType<LogRequest>;

/** One NDJSON line of a node's log upload (`POST /swarmlet/v1/nodes/{id}/logs/{request}`). */
export const LogUploadLineSchema = z.object({
  stream: z.enum(['stdout', 'stderr']),
  time: z.number(),
  text: z.string(),
});

export const SessionMessageSchema = z.object({ LogRequest: LogRequestSchema }) satisfies z.ZodType<SessionMessage>;

/**
 * A task as the agent reads it: the fields it acts on are checked, the rest of the Swarm object is
 * kept as the manager sent it.
 */
const AssignedTaskSchema = z.looseObject({
  ID: z.string().min(1),
  ServiceID: z.string(),
  NodeID: z.string(),
  Slot: nonNegInt(),
  DesiredState: z.enum(TASK_STATES),
  Status: z.looseObject({ State: z.enum(TASK_STATES) }),
  Spec: z.looseObject({ ContainerSpec: z.looseObject({}).optional() }),
});

const ImageSchema = z.looseObject({ Name: z.string().min(1), Cmd: z.array(z.string()), CreatedAt: z.string() });

const ContentPayloadSchema = z.object({ ID: z.string().min(1), Data: z.base64() });

export const AssignmentsSchema = z.object({
  Tasks: z.array(AssignedTaskSchema),
  Services: z.record(z.string(), z.object({
    name: z.string(), targetPort: port().optional(), protocol: z.enum(['tcp', 'udp', 'sctp']).optional(),
    hostPort: port().optional(), udpOnly: z.boolean().optional(), vipPort: port().optional(),
    extraPorts: z.array(z.object({ target: port(), protocol: z.enum(['tcp', 'udp', 'sctp']).optional(), hostPort: port().optional() })).optional(),
    moreProtocols: z.array(z.object({ target: port(), protocol: z.enum(['tcp', 'udp', 'sctp']) })).optional(),
  })),
  Images: z.array(ImageSchema),
  Secrets: z.array(ContentPayloadSchema).optional(),
  Configs: z.array(ContentPayloadSchema).optional(),
  Env: z.record(z.string(), z.array(z.string())).optional(),
});

/**
 * One line of a node's session stream: a log request, or the node's assignments (the tasks' other
 * fields are the manager's Swarm objects as they are). A bad line is an error naming the field.
 */
export function parseSessionLine(value: unknown): WireCheck<Assignments | SessionMessage> {
  if (typeof value === 'object' && value !== null && 'LogRequest' in value) return checkWire(SessionMessageSchema, value, 'SessionMessage');
  return checkWire(AssignmentsSchema, value, 'Assignments') as WireCheck<unknown> as WireCheck<Assignments>;
}
