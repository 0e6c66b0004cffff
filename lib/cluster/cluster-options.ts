/** The options of createCluster and the cluster it returns (the types only; start-up is create-cluster.ts). */
import type { Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import type { Agent } from '../agent/agent.js';
import type { TaskDriver } from '../agent/task-driver.js';
import type { DriverChoice, DriverKind } from '../drivers/create-task-driver.js';
import type { Control } from '../manager/control.js';
import type { Manager } from '../manager/manager.js';
import type { Store } from '../store/store.js';
import type { EndpointFeed } from '../dispatcher/endpoint-feed.js';
import type { EventLog } from '../events/event-log.js';
import type { TlsServerOptions } from '../api/listen-security.js';
import type { HaBackend } from '../ha/ha-types.js';
import type { ManagerHa } from '../ha/manager-ha.js';
import type { ProcessGateway } from '../../gateway/gateway-process.js';
import type { ClusterClient } from './cluster-client.js';
import type { VipGateways } from './vip-gateways.js';

export interface ClusterOptions {
  /** Number of nodes (default 3): node-K at 127.0.0.K. */
  nodes?: number;
  /** Node addresses; default 127.0.0.1 … 127.0.0.N. */
  addresses?: string[];
  /** Durable state (journal + snapshot) and task logs. Default: a fresh temporary directory, not durable across runs. */
  dataDir?: string;
  /** Where the Engine-API server listens ("127.0.0.1:2377"); false for no HTTP server. Default false. */
  listen?: string | false;
  /**
   * Serve the API over HTTPS with this certificate and key (PEM text). Required for a non-loopback
   * `listen` address. With TLS, every manager route needs the client token (`clientToken`).
   */
  tls?: TlsServerOptions;
  /** Require the client token on manager routes even over plain http on loopback (always on with `tls`). */
  requireClientToken?: boolean;
  logger?: Logger;
  clock?: Clock;
  ids?: IdGenerator;
  /**
   * The task driver of every node: `process` (default: child processes) or `docker` (containers on
   * a Docker engine; `dockerHost` or DOCKER_HOST or the local socket).
   */
  driver?: DriverKind | DriverChoice;
  /** Replace the task driver (tests). Called once per node. */
  driverFactory?: (node: { hostname: string; addr: string; dataDir: string }) => TaskDriver;
  taskHistoryLimit?: number;
  /** Most replicas (or job completions) one service may ask for: a guard rail against a mistyped count (default 100,000). */
  maxReplicas?: number;
  /**
   * Run a gateway (the routing mesh) on every node: listeners on each published port at the node's
   * address, /metrics on `adminPort` (default 9323; false for none). Default true. Each gateway is a
   * child process of this one, fed the endpoint table over IPC: nothing this process does (a busy or
   * stopped manager) delays a proxied request. `logLevel`: the children's pino level on stderr
   * (default 'silent').
   */
  gateway?: boolean | { adminPort?: number | false; logLevel?: string };
  /**
   * Accept remote node processes (`swarmlet node join`): join tokens, node sessions over the API,
   * heartbeats (`heartbeatMs`, default 5 s) and failure detection. `nodes` may then be 0.
   */
  dispatcher?: { heartbeatMs?: number };
  /** Longest a stopping task waits for the gateways to stop routing to it (default 5 s). */
  drainTimeoutMs?: number;
  /**
   * Turn autolock on (Docker's `swarm init --autolock`): the manager's keys at rest are wrapped with an
   * unlock key (`unlockKey()`), and a restart on this data directory starts locked until `unlock(key)`.
   * Once on, it stays on across restarts until `swarm update --autolock=false`.
   */
  autolock?: boolean;
  /**
   * One manager among several sharing a backend (etcd, lib/ha/): the state lives there instead of the
   * file journal, the loops run only while this manager leads, any manager answers the API (followers
   * forward to the leader). Needs `listen` with an explicit port, `dispatcher` and `nodes: 0`.
   * `open` gets this manager's stable id (kept in `dataDir`) and API URL, and `campaign: false` when the
   * manager starts locked (autolock: it campaigns once unlocked). `dataKeyFile`: the data key every
   * manager shares (secrets, tokens); default `<dataDir>/keys/data.key`. Autolock (`swarm update
   * --autolock=true` through any manager) wraps every manager's file with the unlock key kept, sealed,
   * in the store.
   */
  ha?: { open(self: { id: string; addr: string }, how?: { campaign: boolean }): Promise<HaBackend>; dataKeyFile?: string;
    /** The CA (PEM) that signed the other managers' certificates, for forwarding to an https leader (default: the system CAs). */
    peerCa?: string };
  /**
   * Where networks' subnets (and so services' virtual IPs) come from, as Docker's
   * `swarm init --default-addr-pool`: CIDRs inside 127.0.0.0/8. Default ['127.77.0.0/16']. Kept in
   * the data directory: a restart without it keeps the pool given before.
   */
  defaultAddrPool?: string[];
  /** The prefix length of each network's subnet (`--default-addr-pool-mask-length`). Default 24. */
  subnetSize?: number;
}

export interface Cluster extends ClusterClient {
  /** With `ha`: this manager's place among several (leadership, the managers). */
  readonly ha: ManagerHa | undefined;
  readonly control: Control;
  readonly store: Store;
  readonly manager: Manager;
  readonly agents: ReadonlyArray<Agent>;
  /** One gateway per node, each in its own child process (empty with `gateway: false`). */
  readonly gateways: ReadonlyArray<ProcessGateway>;
  /** The gateways of services' VIPs, one child process per VIP address (undefined with `gateway: false`). */
  readonly vipGateways: VipGateways | undefined;
  /** The API's base URL when `listen` was given (e.g. http://127.0.0.1:2377, https://… with `tls`). */
  readonly url: string | undefined;
  /** The current client token (`Authorization: Bearer …` on manager routes when auth is on); undefined without secrets. */
  clientToken(): string | undefined;
  /** Replaces the client token: the old one is refused at once. */
  rotateClientToken(): string;
  /**
   * Started on a data directory left with autolock on: no task is started or stopped and the API answers
   * Docker's "Swarm is encrypted…" until `unlock`. Gateways route to the endpoints known before.
   */
  isLocked(): boolean;
  /** Unlocks with the unlock key (`SWMKEY-1-…`), then the manager, agents and dispatcher start. */
  unlock(key: string): void;
  /** The unlock key ('' with autolock off). */
  unlockKey(): string;
  /** The node heartbeat period in use (the saved `swarm update --dispatcher-heartbeat` wins over the option). */
  heartbeatMs(): number;
  readonly dataDir: string;
  /** The routing table feed (gateways subscribe to it). */
  readonly feed: EndpointFeed;
  /** The cluster's recent events (replayed by `events(cluster, { since })`; kept on disk with a dataDir). */
  readonly eventLog: EventLog;
  /** The manager's Prometheus registry (also served at GET /metrics on the API). */
  readonly metrics: Registry;
  /** Stops every task (no orphan processes), the API and the store. */
  close(): Promise<void>;
  /** Kills every task at once, without grace periods (close() still finishes the rest). */
  kill(): Promise<void>;
}
