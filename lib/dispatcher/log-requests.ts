import type { IncomingMessage } from 'node:http';
import { AbortFanout } from '../abort-fanout.js';
import type { LogLine, LogQuery } from '../agent/task-driver.js';
import type { Clock } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import { ndjsonLines } from '../ndjson-lines.js';
import { LogsUnavailable } from '../manager/incomplete-logs.js';
import { LogUploadLineSchema, type LogRequest } from '../protocol/session.js';

interface Pending {
  nodeId: string;
  push(line: LogLine): void;
  end(): void;
  /** Resolves once the reader has caught up (or is gone): the upload is not read meanwhile. */
  room(): Promise<void>;
  /** The node's upload, once it arrived. */
  upload?: IncomingMessage;
  /** Set when the reader is gone: the node's upload is cut. */
  closed: boolean;
}

const HIGH_WATER = 2000;
const LOW_WATER = 200;

/**
 * The manager's end of remote `service logs`: the manager has no connection to a node of its
 * own, so a request goes down the node's session and the node uploads the lines
 * (`POST /swarmlet/v1/nodes/{id}/logs/{request}`, NDJSON). Reading stops the upload when the
 * reader goes away; a node that does not answer within `answerTimeoutMs` yields no lines.
 */
export class LogRequests {
  private readonly pending = new Map<string, Pending>();
  /** The reads of a service's tasks share the reader's signal: one abort listener for all of them. */
  private readonly aborts = new AbortFanout();

  constructor(private readonly o: { clock: Clock; ids: IdGenerator; answerTimeoutMs?: number }) {}

  /**
   * The task's lines from its node; `send` delivers the request down the node's session and
   * says whether the node has one (when it has none: LogsUnavailable, after no line).
   */
  read(nodeId: string, taskId: string, query: LogQuery, send: (r: LogRequest) => boolean | Promise<boolean>): AsyncIterable<LogLine> {
    const id = this.o.ids.next();
    const queue: LogLine[] = [];
    let ended = false;
    let wake: (() => void) | undefined;
    let caughtUp: (() => void) | undefined;
    const notify = () => { const w = wake; wake = undefined; w?.(); };
    const release = () => { const c = caughtUp; caughtUp = undefined; c?.(); };
    const entry: Pending = {
      nodeId, closed: false,
      push: (l) => { queue.push(l); notify(); },
      end: () => { ended = true; notify(); },
      room: () => (queue.length < HIGH_WATER || entry.closed ? Promise.resolve() : new Promise<void>((r) => { caughtUp = r; })),
    };
    const request: LogRequest = { ID: id, TaskID: taskId, ...(query.follow ? { Follow: true } : {}),
      ...(query.tail !== undefined ? { Tail: query.tail } : {}), ...(query.since !== undefined ? { Since: query.since } : {}) };
    const pending = this.pending;
    const timeoutMs = this.o.answerTimeoutMs ?? 5000;
    const clock = this.o.clock;
    const aborts = this.aborts;
    return (async function* () {
      pending.set(id, entry);
      let timer: { cancel(): void } | undefined;
      const onAbort = () => entry.end();
      const unsubscribe = query.signal ? aborts.on(query.signal, onAbort) : undefined;
      try {
        if (!await send(request)) throw new LogsUnavailable(nodeId);
        // A node that never starts its upload (its session died before the manager noticed) is
        // as unavailable as one without a session.
        let unanswered = false;
        timer = clock.setTimeout(() => { if (!entry.upload) { unanswered = true; entry.end(); } }, timeoutMs);
        for (;;) {
          while (queue.length > 0) {
            yield queue.shift()!;
            if (queue.length <= LOW_WATER) release();
          }
          if (query.signal?.aborted) return;
          if (ended) {
            if (unanswered) throw new LogsUnavailable(nodeId);
            return;
          }
          await new Promise<void>((r) => { wake = r; });
        }
      } finally {
        timer?.cancel();
        unsubscribe?.();
        entry.closed = true;
        release();
        pending.delete(id);
        entry.upload?.destroy();
      }
    })();
  }

  /** Signals some read is listening on (one listener each, however many reads share it). */
  get abortSignalsWatched(): number {
    return this.aborts.signals;
  }

  /**
   * A node's upload of the lines of request `id`. Resolves when the upload ended or the reader
   * went away. False when there is no such request of this node (it ended, or never was).
   */
  async accept(nodeId: string, id: string, upload: IncomingMessage): Promise<boolean> {
    const entry = this.pending.get(id);
    if (!entry || entry.nodeId !== nodeId || entry.upload) return false;
    entry.upload = upload;
    try {
      for await (const lines of ndjsonLines(upload)) {
        for (const line of lines) {
          const l = parseLine(line);
          if (l) entry.push(l);
        }
        if (entry.closed) break;
        await entry.room();
      }
    } catch {
      // the node went away or the reader cut the upload
    }
    entry.end();
    return true;
  }
}

/** A line of the upload, or undefined for a torn or malformed one (skipped). */
function parseLine(line: string): LogLine | undefined {
  try {
    const l = LogUploadLineSchema.safeParse(JSON.parse(line));
    return l.success ? l.data : undefined;
  } catch {
    return undefined;
  }
}
