import type { Store } from '../store/store.js';

/** One manager process of the cluster, as registered in the shared store. */
export interface ManagerInfo {
  /** Stable id of the manager (kept in its data directory). */
  id: string;
  /** The manager's API base URL, e.g. http://127.0.0.1:2377 (what clients, nodes and gateways use). */
  addr: string;
  leader: boolean;
  /** Its registration lease is alive. */
  reachable: boolean;
}

/** Leadership among managers sharing one backend (etcd). */
export interface LeaderElection {
  isLeader(): boolean;
  /** The current leader (undefined while nobody leads). */
  leader(): ManagerInfo | undefined;
  /** Every manager seen: registered (reachable) and recently gone (reachable: false). */
  managers(): ManagerInfo[];
  /** Called on every change of this manager's leadership, synchronously at the moment it is known. */
  onChange(fn: (isLeader: boolean) => void): () => void;
  /** Resigns (if leader) and revokes the registration. */
  close(): Promise<void>;
}

/** A store whose writes become durable asynchronously (etcd); the file journal satisfies it trivially. */
export interface ReplicatedStore extends Store {
  /**
   * Resolves once every change committed (by `update`) so far is durable in the backend. Rejects with a
   * `SwarmletError('unavailable', 'cluster store unavailable: …')` when it cannot become durable (quorum lost:
   * the store keeps retrying in the background) or with `SwarmletError('not_leader', …)` when this manager
   * lost leadership first (the change is then NOT in the backend and will be dropped from memory on resync).
   */
  durable(): Promise<void>;
  /**
   * True while `update` may be called: this manager leads and the backend took its last write. When false,
   * `update` throws the same SwarmletError as `durable` would reject with, and changes nothing.
   */
  writable(): boolean;
}

export interface HaBackend {
  /** The shared state: on a follower it mirrors the backend (watch) and `update` throws not_leader. */
  readonly store: ReplicatedStore;
  readonly election: LeaderElection;
  /** Registers and campaigns from now on, when it was opened without (a locked manager); idempotent. */
  campaign?(): void;
  close(): Promise<void>;
}
