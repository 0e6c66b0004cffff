/**
 * The one client API of swarmlet for Node: the in-process cluster (`createCluster`, lib/cluster/cluster-client.ts)
 * and the HTTP client of a manager (`connect`, lib/client/connect.ts) both implement it, with the same verbs,
 * option names, log record, event type and errors (SwarmletError with a stable `code`).
 */
import type { LogQuery } from '../agent/task-driver.js';
import type { EventsOptions } from '../events/events.js';
import type { EventMessage } from '../events/event-message.js';
import type { ImageInput, ImageOptions } from '../model/image-options.js';
import type { LogRecord } from '../model/log-record.js';
import type { NodeUpdate } from '../model/node-update.js';
import type { ServiceOptions } from '../model/service-options.js';
import type { ServiceUpdateOptions } from '../model/apply-update-options.js';
import type { Image, Node, Service, Task } from '../model/types.js';
import type { Filters } from './filters.js';

/** `follow`, `tail` (last N lines per task), `since` (ms since the epoch), `signal`. */
export type LogsOptions = LogQuery;

export interface WaitOptions {
  /** Give up (SwarmletError `unavailable`) after this long; default 60 s. */
  timeoutMs?: number;
}

export interface SwarmletClient {
  /** Creates a service from the CLI's flags in camelCase (`{ name, image, replicas, publish: ['9000:8080'] }`). */
  createService(opts: ServiceOptions): Promise<Service>;
  /** Changes the service's spec (`{ image }`, `{ envAdd }`, `{ force: true }` …): a rolling update. */
  updateService(ref: string, opts: ServiceUpdateOptions): Promise<Service>;
  scaleService(ref: string, replicas: number): Promise<Service>;
  /** Back to the previous spec (Swarm's `service rollback`). */
  rollbackService(ref: string): Promise<Service>;
  removeService(ref: string): Promise<void>;
  /** Services with their ServiceStatus (running and desired task counts). */
  services(filters?: Filters): Promise<Service[]>;
  service(ref: string): Promise<Service>;
  tasks(filters?: Filters): Promise<Task[]>;
  nodes(filters?: Filters): Promise<Node[]>;
  updateNode(ref: string, update: NodeUpdate): Promise<Node>;
  images(): Promise<Image[]>;
  /** `{ name, cmd, entrypoint?, cwd?, env? }` as `swarmlet image add`'s flags. */
  addImage(image: ImageOptions | ImageInput): Promise<Image>;
  removeImage(name: string): Promise<void>;
  /** The lines of a service's tasks (or of one task: its ID or `web.1`). */
  logs(ref: string, opts?: LogsOptions): AsyncIterable<LogRecord>;
  /** Docker-shaped events: replayed (`since`) then live until `until` or `signal`. */
  events(opts?: EventsOptions): AsyncIterable<EventMessage>;
  /** Resolves once every task of the service's current spec runs and no update is in progress. */
  waitForConvergence(ref: string, opts?: WaitOptions): Promise<Service>;
}
