import type { Image, Node, Service, Task } from '../model/types.js';
import type { Config, Secret } from '../model/secret-types.js';
import type { Network } from '../model/network-types.js';
import type { ObjectKind } from './store.js';

export type JournalOp =
  | { op: 'put'; kind: ObjectKind; id: string; object: unknown; version: number }
  | { op: 'delete'; kind: ObjectKind; id: string; version: number };

export interface StoreSnapshot {
  version: number;
  services: Service[];
  tasks: Task[];
  nodes: Node[];
  images: Image[];
  /** Absent in snapshots written before secrets and configs existed. */
  secrets?: Secret[];
  configs?: Config[];
  networks?: Network[];
}

/** Durable backing for the store: a snapshot plus the batches committed after it. */
export interface Journal {
  load(): { snapshot: StoreSnapshot | undefined; ops: JournalOp[][] };
  /** Appends one committed transaction; durable on return. */
  append(ops: JournalOp[]): void;
  wantsSnapshot(): boolean;
  /**
   * Writes a snapshot atomically, after which the records before it are dropped. May work in the
   * background (the objects are never mutated meanwhile); the promise settles when it is durable.
   */
  snapshot(s: StoreSnapshot): void | Promise<void>;
  /** A snapshot written before returning (at close). Default: `snapshot`. */
  snapshotSync?(s: StoreSnapshot): void;
  /** Waits for a background snapshot. */
  flush?(): Promise<void>;
  close(): void;
}
