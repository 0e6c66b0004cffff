/**
 * `connect()`: a swarmlet manager over HTTP with the interface of the in-process cluster
 * (`SwarmletClient`): the same verbs and option names, the same LogRecord and EventMessage, and
 * SwarmletErrors (ApiError: the code mapped back from the HTTP status and Docker's message).
 * Built on the CLI's Engine-API client (`createClient`).
 */
import { sleep, systemClock, type Clock } from '../clock.js';
import { SwarmletError } from '../errors.js';
import { checkConvergence } from '../update/converged.js';
import type { EventsOptions } from '../events/events.js';
import { formatUnixNanos, nanosOfMs, parseEventTime } from '../events/event-time.js';
import type { EventMessage } from '../events/event-message.js';
import { imageFromOptions } from '../model/image-options.js';
import type { LogRecord } from '../model/log-record.js';
import { applyNodeUpdate } from '../model/node-update.js';
import { checkScalable } from '../model/scale-check.js';
import { applyUpdateOptions, specFromOptions } from '../model/spec-from-options.js';
import type { Service } from '../model/types.js';
import type { WireLogLine } from '../protocol/log-frames.js';
import { isNotFound } from './api-error.js';
import { createClient, type ClientOptions, type EngineClient, type LogOptions } from './client.js';
import type { LogsOptions, SwarmletClient, WaitOptions } from './swarmlet-client.js';

export interface ConnectOptions extends ClientOptions {
  /** Time source of `waitForConvergence` and of relative event times (default the system clock). */
  clock?: Clock;
  /** How often `waitForConvergence` reads the service (default 200 ms). */
  pollMs?: number;
}

/** A manager over HTTP: the SwarmletClient verbs, plus the Engine-API client underneath and `close()`. */
export interface RemoteSwarmlet extends SwarmletClient {
  /** The manager's origin, e.g. http://127.0.0.1:2377. */
  readonly host: string;
  /** The Engine-API client the verbs use (secrets, configs, networks, join tokens …). */
  readonly engine: EngineClient;
  /** Closes the connection pool. */
  close(): Promise<void>;
}

function toRecord(line: WireLogLine): LogRecord {
  const time = line.time === undefined ? Number.NaN : Date.parse(line.time);
  return { stream: line.stream, time: Number.isNaN(time) ? 0 : time, text: line.text, taskId: line.taskId, serviceId: line.serviceId, nodeId: line.nodeId };
}

/** Ends the stream quietly once `signal` has aborted (the in-process streams end so; undici throws AbortError). */
async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (e) {
    if (signal?.aborted) return;
    throw e;
  }
}

/** A service's lines, or a task's when `ref` names no service (as `cluster.logs`). */
async function* remoteLogs(engine: EngineClient, ref: string, q: LogsOptions): AsyncGenerator<LogRecord> {
  const opts: LogOptions = {
    details: true, timestamps: true, ...(q.follow ? { follow: true } : {}), ...(q.tail !== undefined ? { tail: q.tail } : {}),
    ...(q.since !== undefined ? { since: formatUnixNanos(nanosOfMs(q.since)) } : {}), ...(q.signal ? { signal: q.signal } : {}),
  };
  let it = engine.serviceLogs(ref, opts)[Symbol.asyncIterator]();
  let next: IteratorResult<WireLogLine>;
  try {
    next = await it.next();
  } catch (e) {
    if (!isNotFound(e)) throw e;
    it = engine.taskLogs(ref, opts)[Symbol.asyncIterator]();
    next = await it.next();
  }
  for (; !next.done; next = await it.next()) yield toRecord(next.value);
}

function followLogs(engine: EngineClient, ref: string, q: LogsOptions): AsyncIterable<LogRecord> {
  return untilAborted(remoteLogs(engine, ref, q), q.signal);
}

function remoteEvents(engine: EngineClient, clock: Clock, opts: EventsOptions): AsyncIterable<EventMessage> {
  const now = (opts.clock ?? clock).now();
  const since = opts.since === undefined ? undefined : parseEventTime(opts.since, 'since', now);
  const until = opts.until === undefined ? undefined : parseEventTime(opts.until, 'until', now);
  if (since !== undefined && until !== undefined && until < since) throw new SwarmletError('invalid_argument', '`since` time cannot be after `until` time', 'since');
  return untilAborted(engine.events({
    ...(since !== undefined ? { since: formatUnixNanos(since) } : {}), ...(until !== undefined ? { until: formatUnixNanos(until) } : {}),
    ...(opts.filters ? { filters: opts.filters } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
  }), opts.signal);
}

async function waitRemote(engine: EngineClient, clock: Clock, pollMs: number, ref: string, opts: WaitOptions): Promise<Service> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const s = await engine.services.get(ref);
    const [tasks, nodes] = await Promise.all([engine.tasks.list({ service: [s.ID] }), engine.nodes.list()]);
    const c = checkConvergence(s, tasks, nodes);
    if (c.state === 'converged') return s;
    if (c.state === 'failed') throw new SwarmletError('failed_precondition', c.message);
    if (clock.now() >= deadline) throw new SwarmletError('unavailable', `service ${ref} did not converge within ${timeoutMs} ms`);
    await sleep(clock, Math.min(pollMs, Math.max(1, deadline - clock.now())));
  }
}

/** Connects to a swarmlet manager (`host`: http://127.0.0.1:2377 by default; `token` when it requires one). */
export function connect(options: ConnectOptions = {}): RemoteSwarmlet {
  const { clock = systemClock(), pollMs = 200, ...clientOptions } = options;
  const engine = createClient(clientOptions);
  const get = (ref: string) => engine.services.get(ref);
  return {
    host: engine.host,
    engine,
    async createService(opts) {
      const { ID } = await engine.services.create(specFromOptions(opts));
      return get(ID);
    },
    async updateService(ref, opts) {
      const s = await get(ref);
      await engine.services.update(s.ID, s.Version.Index, applyUpdateOptions(s.Spec, opts));
      return get(s.ID);
    },
    async scaleService(ref, replicas) {
      const s = await get(ref);
      checkScalable(s, ref);
      await engine.services.update(s.ID, s.Version.Index, applyUpdateOptions(s.Spec, { replicas }));
      return get(s.ID);
    },
    async rollbackService(ref) {
      const s = await get(ref);
      await engine.services.update(s.ID, s.Version.Index, s.Spec, { rollback: true });
      return get(s.ID);
    },
    removeService: (ref) => engine.services.remove(ref),
    services: (filters) => engine.services.list({ ...(filters ? { filters } : {}), status: true }),
    service: get,
    tasks: (filters) => engine.tasks.list(filters),
    nodes: (filters) => engine.nodes.list(filters),
    async updateNode(ref, update) {
      const n = await engine.nodes.get(ref);
      await engine.nodes.update(n.ID, n.Version.Index, applyNodeUpdate(n.Spec, update));
      return engine.nodes.get(n.ID);
    },
    images: () => engine.images.list(),
    addImage: (image) => engine.images.add(imageFromOptions(image)),
    removeImage: (name) => engine.images.remove(name),
    logs: (ref, q = {}) => followLogs(engine, ref, q),
    events: (opts = {}) => remoteEvents(engine, clock, opts),
    waitForConvergence: (ref, opts = {}) => waitRemote(engine, clock, pollMs, ref, opts),
    close: () => engine.close(),
  };
}
