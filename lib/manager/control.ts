import type { Image, Node, NodeSpec, Service, Task } from '../model/types.js';
import type { LogQuery } from '../agent/task-driver.js';
import type { LogRecord } from '../model/log-record.js';
import type { SecretControls } from './secret-control.js';
import type { NetworkControl } from './network-control.js';

/** Docker-style list filters: key → accepted values (ORed within a key, ANDed across keys). */
export type Filters = Record<string, string[]>;

/** @deprecated The same type as LogRecord (lib/model/log-record.ts), kept for existing callers. */
export type LogEntry = LogRecord;

export interface ClusterInfo {
  /** The node the manager treats as "self" (the `*` in node ls, `node ps` without argument). */
  nodeId: string;
  nodeAddr: string;
  /** The manager's API address (HOST:PORT), as `docker info` lists it under Manager Addresses. */
  managerAddr?: string;
  clusterId: string;
  createdAt: string;
  nodes: number;
  managers: number;
  heartbeatPeriodMs: number;
  taskHistoryLimit: number;
}

/**
 * The manager's control surface: what the HTTP API, the library and the CLI (through the API)
 * can do. Every reference (`ref`) is a full ID, a full name (hostname for nodes) or a unique ID
 * prefix. Errors are SwarmletErrors with Docker's texts (not_found → 404, …).
 * Specs arriving here are untrusted JSON: they are validated and normalised inside.
 */
export interface Control extends Partial<SecretControls> {
  info(): ClusterInfo;
  /** Overlay networks (service discovery through virtual IPs). Optional: absent, /networks answers 503. */
  networks?: NetworkControl;

  listServices(filters?: Filters, withStatus?: boolean): Service[];
  getService(ref: string, insertDefaults?: boolean): Service;
  createService(spec: unknown): { ID: string; Warnings: string[] | null };
  /** `version` is the Version.Index the caller read; a stale one is "update out of sequence". */
  updateService(ref: string, version: number, spec: unknown, opts?: { rollback?: boolean }): { Warnings: string[] | null };
  removeService(ref: string): void;

  listTasks(filters?: Filters): Task[];
  getTask(ref: string): Task;

  listNodes(filters?: Filters): Node[];
  getNode(ref: string): Node;
  updateNode(ref: string, version: number, spec: NodeSpec): void;
  /** Swarm's rule: only a node that is down, unless `force`; its tasks are replaced elsewhere. */
  removeNode?(ref: string, force: boolean): void;

  /** Lines of every task of the service (history included), ordered by time per task. */
  serviceLogs(ref: string, query: LogQuery): AsyncIterable<LogEntry>;
  taskLogs(ref: string, query: LogQuery): AsyncIterable<LogEntry>;

  listImages(): Image[];
  addImage(image: { Name: string; Cmd?: string[]; Entrypoint?: string[]; Cwd?: string; Env?: string[] }): Image;
  removeImage(name: string): void;
}
