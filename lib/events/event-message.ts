/**
 * Docker's EventMessage (Engine API v1.41 `/events`), as swarmlet emits it. Swarm objects use
 * `scope: 'swarm'`; `task` is swarmlet's extension (a docker client prints it like any other type).
 *
 * `timeNano` is a bigint: nanoseconds since the epoch do not fit a JS number exactly, and the log
 * keeps it strictly increasing. Use `encodeEvent`/`decodeEvent` for JSON (plain JSON.stringify
 * cannot serialise a bigint).
 */
import { invalid } from '../errors.js';

export type EventType = 'service' | 'node' | 'task' | 'image' | 'container' | 'network' | 'volume' | 'secret' | 'config' | 'daemon' | 'plugin' | 'builder';
export type EventAction = 'create' | 'update' | 'remove' | (string & {});

export interface EventActor {
  ID: string;
  Attributes: Record<string, string>;
}

export interface EventMessage {
  Type: EventType;
  Action: EventAction;
  Actor: EventActor;
  scope: 'swarm' | 'local';
  /** Unix seconds. */
  time: number;
  /** Unix nanoseconds; strictly increasing within one event log. */
  timeNano: bigint;
}

/** An event before the log stamps its time. */
export type EventDraft = Omit<EventMessage, 'time' | 'timeNano'>;

/** One JSON object, no newline, in docker's field order (Type, Action, Actor, scope, time, timeNano). */
export function encodeEvent(e: EventMessage): string {
  const head = JSON.stringify({ Type: e.Type, Action: e.Action, Actor: e.Actor, scope: e.scope, time: e.time });
  return `${head.slice(0, -1)},"timeNano":${e.timeNano.toString()}}`;
}

/** Parses one line of a `/events` stream (swarmlet's or a docker daemon's); timeNano is read exactly. */
export function decodeEvent(line: string): EventMessage {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line) as Record<string, unknown>;
  } catch (e) {
    throw invalid(`invalid event: ${(e as Error).message}`, 'event');
  }
  if (typeof raw !== 'object' || raw === null || typeof raw.Type !== 'string' || typeof raw.Action !== 'string') {
    throw invalid('invalid event: expected an object with Type and Action', 'event');
  }
  const actor = (raw.Actor ?? {}) as Partial<EventActor>;
  const time = typeof raw.time === 'number' ? raw.time : 0;
  return {
    Type: raw.Type as EventType,
    Action: raw.Action,
    Actor: { ID: typeof actor.ID === 'string' ? actor.ID : '', Attributes: { ...(actor.Attributes ?? {}) } },
    scope: raw.scope === 'local' ? 'local' : 'swarm',
    time,
    timeNano: exactTimeNano(line) ?? BigInt(time) * 1_000_000_000n,
  };
}

/**
 * The top-level `"timeNano":<digits>` of a line. Inside a JSON string every `"` is escaped, so the
 * unescaped key can only be a real key; attribute values are strings, never bare digits.
 */
function exactTimeNano(line: string): bigint | undefined {
  let found: string | undefined;
  for (const m of line.matchAll(/"timeNano"\s*:\s*(-?\d+)/g)) found = m[1];
  return found === undefined ? undefined : BigInt(found);
}
