/**
 * An Engine-API client for a swarmlet manager (also speaks to a Docker Swarm manager for
 * the Engine-API routes). Errors: ApiError (the server's message + HTTP status) or ConnectionError.
 */
import type { SwarmObject } from '../api/swarm-state.js';
import type { Image, Node, NodeSpec, Service, ServiceSpec, Task } from '../model/types.js';
import type { Config, ConfigSpec, Secret, SecretSpec } from '../model/secret-types.js';
import type { Network } from '../model/network-types.js';
import { encodeFilters, type Filters } from './filters.js';
import { Http, segment } from './http.js';
import type { ClientTlsOptions } from './tls-dispatcher.js';
import { decodeLogStream, type WireLogLine } from '../protocol/log-frames.js';
import { normalizeHost } from './host.js';
import type { PingResult, SystemInfo, SystemVersion } from './system-info.js';
import type { EventMessage } from '../events/event-message.js';
import { decodeEventStream, type EventsQueryOptions } from './events.js';

export interface ClientOptions {
  /** `http://host:port`, `https://host:port`, `tcp://host:port` or `host:port`; default http://127.0.0.1:2377. */
  host?: string;
  /** TLS: trust this CA (PEM text) for an https host. Makes `tcp://` and bare hosts https. */
  tls?: ClientTlsOptions;
  /** The manager's client token, sent as `Authorization: Bearer …` (needed when the manager serves TLS). */
  token?: string;
}

export interface LogOptions {
  follow?: boolean;
  /** Last N lines per task, or 'all' (default). */
  tail?: number | 'all';
  /** Unix seconds (`"1700000000"` or `"1700000000.5"`). */
  since?: string;
  timestamps?: boolean;
  /** Ask for the details prefix (the task/service/node IDs); false = `--raw`. Default true. */
  details?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  signal?: AbortSignal;
}

export interface NewImage { Name: string; Cmd?: string[]; Entrypoint?: string[]; Cwd?: string; Env?: string[] }

/** /secrets or /configs: Data is base64 in create; a secret's is never returned. */
export interface ObjectApi<T, S> {
  list(filters?: Filters): Promise<T[]>;
  get(ref: string): Promise<T>;
  create(spec: S): Promise<{ ID: string }>;
  /** Only Labels may change; `version` is the Version.Index read. */
  update(ref: string, version: number, spec: S): Promise<void>;
  remove(ref: string): Promise<void>;
}

export interface EngineClient {
  readonly host: string;
  ping(): Promise<PingResult>;
  info(): Promise<SystemInfo>;
  version(): Promise<SystemVersion>;
  services: {
    list(opts?: { filters?: Filters; status?: boolean }): Promise<Service[]>;
    get(ref: string, opts?: { insertDefaults?: boolean }): Promise<Service>;
    create(spec: ServiceSpec): Promise<{ ID: string; Warnings: string[] | null }>;
    update(ref: string, version: number, spec: ServiceSpec, opts?: { rollback?: boolean }): Promise<{ Warnings: string[] | null }>;
    remove(ref: string): Promise<void>;
  };
  tasks: { list(filters?: Filters): Promise<Task[]>; get(ref: string): Promise<Task> };
  nodes: {
    list(filters?: Filters): Promise<Node[]>;
    get(ref: string): Promise<Node>;
    update(ref: string, version: number, spec: NodeSpec): Promise<void>;
    /** DELETE /nodes/{ref}: only a node that is down, unless `force`. */
    remove(ref: string, opts?: { force?: boolean }): Promise<void>;
  };
  /** The join token of a role (`rotate`: a new one; the old one stops working at once). */
  joinToken(role: 'worker' | 'manager', opts?: { rotate?: boolean }): Promise<{ Role: string; Token: string; Command: string }>;
  /** The manager's client token (`rotate`: a new one; the old one is refused at once). */
  clientToken(opts?: { rotate?: boolean }): Promise<{ Token: string }>;
  /** The swarm object (`GET /swarm`), its update, and autolock's unlock key and unlock. */
  swarm: {
    inspect(): Promise<SwarmObject>;
    update(version: number, spec: Record<string, unknown>, opts?: { rotateWorkerToken?: boolean; rotateManagerToken?: boolean; rotateManagerUnlockKey?: boolean }): Promise<void>;
    /** '' while autolock is off. */
    unlockKey(): Promise<string>;
    /** Unlocks a manager that restarted locked (autolock). */
    unlock(key: string): Promise<void>;
  };
  /** The managers of a cluster on etcd (`swarmlet manager ls`); a single manager answers 404. */
  managers(): Promise<Array<{ ID: string; Addr: string; Leader: boolean; Reachable: boolean; Self: boolean }>>;
  images: { list(): Promise<Image[]>; add(image: NewImage): Promise<Image>; remove(name: string): Promise<void> };
  secrets: ObjectApi<Secret, SecretSpec>;
  configs: ObjectApi<Config, ConfigSpec>;
  networks: {
    list(filters?: Filters): Promise<Network[]>;
    get(ref: string): Promise<Network>;
    create(req: { Name: string; Driver?: string; Attachable?: boolean; Internal?: boolean; Labels?: Record<string, string>; Options?: Record<string, string>; IPAM?: { Config: Array<{ Subnet: string }> } }): Promise<{ Id: string; Warning?: string }>;
    remove(ref: string): Promise<void>;
  };
  serviceLogs(ref: string, opts?: LogOptions): AsyncIterable<WireLogLine>;
  taskLogs(ref: string, opts?: LogOptions): AsyncIterable<WireLogLine>;
  /** GET /events: replayed then live events until `until`, the server ends the stream, or `signal` aborts. */
  events(opts?: EventsQueryOptions): AsyncIterable<EventMessage>;
  close(): Promise<void>;
}

/** Path of the swarmlet image catalog extension. */
export const IMAGES_PATH = '/swarmlet/v1/images';

function logQuery(opts: LogOptions) {
  const details = opts.details ?? true;
  return {
    stdout: opts.stdout === false ? undefined : 1,
    stderr: opts.stderr === false ? undefined : 1,
    details: details ? 1 : undefined,
    follow: opts.follow ? 1 : undefined,
    timestamps: opts.timestamps ? 1 : undefined,
    since: opts.since,
    tail: opts.tail === undefined ? 'all' : String(opts.tail),
  };
}

async function* streamEvents(http: Http, filters: string | undefined, opts: EventsQueryOptions): AsyncGenerator<EventMessage> {
  const res = await http.send({ method: 'GET', path: '/events', query: { since: opts.since, until: opts.until, filters }, signal: opts.signal });
  yield* decodeEventStream(res.body);
}

async function* streamLogs(http: Http, path: string, opts: LogOptions): AsyncGenerator<WireLogLine> {
  const res = await http.send({ method: 'GET', path, query: logQuery(opts), signal: opts.signal });
  yield* decodeLogStream(res.body, { details: opts.details ?? true, timestamps: opts.timestamps ?? false });
}

function objectApi<T, S>(http: Http, base: string): ObjectApi<T, S> {
  return {
    list: (filters) => http.json<T[]>({ method: 'GET', path: base, query: { filters: filters ? encodeFilters(filters) : undefined } }),
    get: (ref) => http.json<T>({ method: 'GET', path: `${base}/${segment(ref)}` }),
    create: (spec) => http.json<{ ID: string }>({ method: 'POST', path: `${base}/create`, body: spec }),
    update: (ref, version, spec) => http.empty({ method: 'POST', path: `${base}/${segment(ref)}/update`, query: { version }, body: spec }),
    remove: (ref) => http.empty({ method: 'DELETE', path: `${base}/${segment(ref)}` }),
  };
}

export function createClient(options: ClientOptions = {}): EngineClient {
  const http = new Http(normalizeHost(options.host, { tls: options.tls !== undefined }), {
    ...(options.tls ? { tls: options.tls } : {}), ...(options.token ? { token: options.token } : {}),
  });
  const filtersQuery = (filters?: Filters) => ({ filters: filters ? encodeFilters(filters) : undefined });
  return {
    host: http.origin,
    async ping() {
      const res = await http.send({ method: 'GET', path: '/_ping' });
      await res.body.dump();
      const h = (k: string) => { const v = res.headers[k]; return Array.isArray(v) ? v[0] : v; };
      return { apiVersion: h('api-version'), swarm: h('swarm'), osType: h('ostype') };
    },
    info: () => http.json<SystemInfo>({ method: 'GET', path: '/info' }),
    version: () => http.json<SystemVersion>({ method: 'GET', path: '/version' }),
    services: {
      list: (opts = {}) => http.json<Service[]>({
        method: 'GET', path: '/services', query: { ...filtersQuery(opts.filters), status: opts.status ? 'true' : undefined },
      }),
      get: (ref, opts = {}) => http.json<Service>({
        method: 'GET', path: `/services/${segment(ref)}`, query: { insertDefaults: opts.insertDefaults ? 'true' : 'false' },
      }),
      create: (spec) => http.json({ method: 'POST', path: '/services/create', body: spec }),
      update: async (ref, version, spec, opts = {}) => (await http.json<{ Warnings: string[] | null } | undefined>({
        method: 'POST', path: `/services/${segment(ref)}/update`, body: spec,
        query: { version, rollback: opts.rollback ? 'previous' : undefined },
      })) ?? { Warnings: null },
      remove: (ref) => http.empty({ method: 'DELETE', path: `/services/${segment(ref)}` }),
    },
    tasks: {
      list: (filters) => http.json<Task[]>({ method: 'GET', path: '/tasks', query: filtersQuery(filters) }),
      get: (ref) => http.json<Task>({ method: 'GET', path: `/tasks/${segment(ref)}` }),
    },
    nodes: {
      list: (filters) => http.json<Node[]>({ method: 'GET', path: '/nodes', query: filtersQuery(filters) }),
      get: (ref) => http.json<Node>({ method: 'GET', path: `/nodes/${segment(ref)}` }),
      update: (ref, version, spec) => http.empty({ method: 'POST', path: `/nodes/${segment(ref)}/update`, query: { version }, body: spec }),
      remove: (ref, opts = {}) => http.empty({ method: 'DELETE', path: `/nodes/${segment(ref)}`, query: { force: opts.force ? 1 : undefined } }),
    },
    joinToken: (role, opts = {}) => http.json({ method: 'GET', path: `/swarmlet/v1/join-token/${role}`, query: { rotate: opts.rotate ? 1 : undefined } }),
    clientToken: (opts = {}) => http.json({ method: 'GET', path: '/swarmlet/v1/client-token', query: { rotate: opts.rotate ? 1 : undefined } }),
    swarm: {
      inspect: () => http.json<SwarmObject>({ method: 'GET', path: '/swarm' }),
      update: (version, spec, opts = {}) => http.empty({ method: 'POST', path: '/swarm/update', body: spec, query: {
        version, rotateWorkerToken: opts.rotateWorkerToken ? 'true' : undefined, rotateManagerToken: opts.rotateManagerToken ? 'true' : undefined,
        rotateManagerUnlockKey: opts.rotateManagerUnlockKey ? 'true' : undefined,
      } }),
      unlockKey: async () => (await http.json<{ UnlockKey: string }>({ method: 'GET', path: '/swarm/unlockkey' })).UnlockKey,
      unlock: (key) => http.empty({ method: 'POST', path: '/swarm/unlock', body: { UnlockKey: key } }),
    },
    managers: () => http.json({ method: 'GET', path: '/swarmlet/v1/managers' }),
    images: {
      list: () => http.json<Image[]>({ method: 'GET', path: IMAGES_PATH }),
      add: (image) => http.json<Image>({ method: 'POST', path: IMAGES_PATH, body: image }),
      remove: (name) => http.empty({ method: 'DELETE', path: `${IMAGES_PATH}/${segment(name)}` }),
    },
    secrets: objectApi<Secret, SecretSpec>(http, '/secrets'),
    configs: objectApi<Config, ConfigSpec>(http, '/configs'),
    networks: {
      list: (filters) => http.json<Network[]>({ method: 'GET', path: '/networks', query: filtersQuery(filters) }),
      get: (ref) => http.json<Network>({ method: 'GET', path: `/networks/${segment(ref)}` }),
      create: (req) => http.json<{ Id: string; Warning?: string }>({ method: 'POST', path: '/networks/create', body: req }),
      remove: (ref) => http.empty({ method: 'DELETE', path: `/networks/${segment(ref)}` }),
    },
    serviceLogs: (ref, opts = {}) => streamLogs(http, `/services/${segment(ref)}/logs`, opts),
    taskLogs: (ref, opts = {}) => streamLogs(http, `/tasks/${segment(ref)}/logs`, opts),
    events: (opts = {}) => streamEvents(http, filtersQuery(opts.filters).filters, opts),
    close: () => http.close(),
  };
}

/**
 * @deprecated The Engine-API client is `EngineClient`; `SwarmletClient` is the interface shared by the
 * in-process cluster and `connect()` (swarmlet-client.ts). Kept so code written against the old name compiles.
 */
export type SwarmletClient = EngineClient;
