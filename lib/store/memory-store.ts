import type { Image, Node, Service, Task } from '../model/types.js';
import type { Config, Secret } from '../model/secret-types.js';
import type { Network } from '../model/network-types.js';
import type { Clock } from '../clock.js';
import { isoTime } from '../clock.js';
import type { KindMap, ObjectKind, ReadTx, Store, StoreEvent, WriteTx } from './store.js';
import type { Journal, JournalOp, StoreSnapshot } from './journal.js';
import { silentLogger, type Logger } from '../logger.js';
import { migrateObject } from './migrate-objects.js';

interface Tables {
  service: Map<string, Service>;
  task: Map<string, Task>;
  node: Map<string, Node>;
  image: Map<string, Image>;
  secret: Map<string, Secret>;
  config: Map<string, Config>;
  network: Map<string, Network>;
}

function emptyTables(): Tables {
  return { service: new Map(), task: new Map(), node: new Map(), image: new Map(), secret: new Map(), config: new Map(), network: new Map() };
}

/**
 * Secondary index: parent id → its tasks by id (the stored objects, so listing a service's 100,000
 * tasks copies references instead of looking each one up in the task table).
 */
class TaskIndex {
  private readonly by = new Map<string, Map<string, Task>>();
  add(key: string, id: string, task: Task): void {
    if (!key) return;
    let m = this.by.get(key);
    if (!m) this.by.set(key, (m = new Map()));
    m.set(id, task);
  }
  remove(key: string, id: string): void {
    if (!key) return;
    const m = this.by.get(key);
    if (!m) return;
    m.delete(id);
    if (m.size === 0) this.by.delete(key);
  }
  tasks(key: string): Task[] {
    const m = this.by.get(key);
    return m ? [...m.values()] : [];
  }
}

/** A change committed by another writer (a replicated backend): `object` undefined deletes. */
export interface CommittedChange { kind: ObjectKind; id: string; object?: unknown }

/** Same content (objects from a backend are fresh copies: compared by version, then by value). */
function sameObject(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const va = (a as { Version?: { Index?: number } }).Version?.Index;
  const vb = (b as { Version?: { Index?: number } }).Version?.Index;
  if (va !== undefined && vb !== undefined && va !== vb) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface MemoryStoreOptions { clock: Clock; journal?: Journal; logger?: Logger }

/** In-memory store with an optional durable journal. */
export class MemoryStore implements Store {
  private readonly t: Tables = emptyTables();
  private byService = new TaskIndex();
  private byNode = new TaskIndex();
  private version = 0;
  private watchers = new Set<(e: StoreEvent[]) => void>();
  private readonly clock: Clock;
  private readonly journal: Journal | undefined;
  private closed = false;
  private readonly logger: Logger;
  /** Committed batches not yet delivered: watchers see batches in commit order, even when one writes. */
  private readonly outbox: StoreEvent[][] = [];
  private delivering = false;
  private inTransaction = false;

  constructor(opts: MemoryStoreOptions) {
    this.clock = opts.clock;
    this.logger = opts.logger ?? silentLogger();
    this.journal = opts.journal;
    const loaded = this.journal?.load();
    if (loaded) this.restore(loaded.snapshot, loaded.ops);
  }

  private restore(snapshot: StoreSnapshot | undefined, ops: JournalOp[][]): void {
    // Objects written by earlier versions are brought to today's shape (migrate-objects.ts).
    const specs = new WeakMap<object, unknown>();
    const migrated = <T>(kind: ObjectKind, x: T): T => migrateObject(kind, x, specs) as T;
    if (snapshot) {
      this.version = snapshot.version;
      for (const s of snapshot.services) this.raw('service', s.ID, migrated('service', s));
      for (const x of snapshot.tasks) this.raw('task', x.ID, migrated('task', x));
      for (const n of snapshot.nodes) this.raw('node', n.ID, n);
      for (const i of snapshot.images) this.raw('image', i.Name, i);
      for (const x of snapshot.secrets ?? []) this.raw('secret', x.ID, x);
      for (const x of snapshot.configs ?? []) this.raw('config', x.ID, x);
      for (const x of snapshot.networks ?? []) this.raw('network', x.Id, x);
    }
    for (const batch of ops) {
      for (const op of batch) {
        if (op.op === 'put') this.raw(op.kind, op.id, migrated(op.kind, op.object) as KindMap[typeof op.kind]);
        else this.raw(op.kind, op.id, undefined);
        this.version = Math.max(this.version, op.version);
      }
    }
  }

  private raw<K extends ObjectKind>(kind: K, id: string, obj: KindMap[K] | undefined): KindMap[K] | undefined {
    const table = this.t[kind] as Map<string, KindMap[K]>;
    const old = table.get(id);
    if (kind === 'task' && old) {
      const t = old as Task;
      this.byService.remove(t.ServiceID, id);
      this.byNode.remove(t.NodeID, id);
    }
    if (obj === undefined) table.delete(id);
    else {
      table.set(id, obj);
      if (kind === 'task') {
        const t = obj as Task;
        this.byService.add(t.ServiceID, id, t);
        this.byNode.add(t.NodeID, id, t);
      }
    }
    return old;
  }

  /**
   * The read transaction, built once: its functions read the live tables (a fresh object per
   * `view` cost more than the lookups it serves when a watcher reads one object per event).
   */
  private readTx: ReadTx | undefined;

  private reader(): ReadTx {
    return (this.readTx ??= this.makeReader());
  }

  private makeReader(): ReadTx {
    const t = this.t;
    return {
      getService: (id) => t.service.get(id),
      listServices: () => [...t.service.values()],
      getTask: (id) => t.task.get(id),
      listTasks: () => [...t.task.values()],
      tasksOfService: (id) => this.byService.tasks(id),
      tasksOfNode: (id) => this.byNode.tasks(id),
      getNode: (id) => t.node.get(id),
      listNodes: () => [...t.node.values()],
      getImage: (name) => t.image.get(name),
      listImages: () => [...t.image.values()],
      getSecret: (id) => t.secret.get(id),
      listSecrets: () => [...t.secret.values()],
      getConfig: (id) => t.config.get(id),
      listConfigs: () => [...t.config.values()],
      getNetwork: (id) => t.network.get(id),
      listNetworks: () => [...t.network.values()],
      index: () => this.version,
    };
  }

  view<T>(fn: (tx: ReadTx) => T): T {
    return fn(this.reader());
  }

  update<T>(fn: (tx: WriteTx) => T): T {
    if (this.closed) throw new Error('store is closed');
    const events: StoreEvent[] = [];
    const ops: JournalOp[] = [];
    const undo: Array<() => void> = [];
    const startVersion = this.version;
    const now = isoTime(this.clock.now());
    const put = <K extends ObjectKind>(kind: K, id: string, obj: KindMap[K]): KindMap[K] => {
      // A shallow copy: the caller keeps no handle on the stored object, and nested objects are
      // shared with earlier versions (stored objects are never mutated), which keeps a put of a
      // task cheap when thousands are written at once.
      const copy = { ...obj } as KindMap[K] & { Version?: { Index: number }; UpdatedAt?: string };
      this.version += 1;
      if (kind !== 'image') { copy.Version = { Index: this.version }; copy.UpdatedAt = now; }
      const old = this.raw(kind, id, copy);
      undo.push(() => { this.raw(kind, id, old); });
      ops.push({ op: 'put', kind, id, object: copy, version: this.version });
      events.push(old ? { kind, action: 'update', id, object: copy, old } : { kind, action: 'create', id, object: copy });
      return copy;
    };
    const del = <K extends ObjectKind>(kind: K, id: string): void => {
      const old = this.raw(kind, id, undefined);
      if (!old) return;
      this.version += 1;
      undo.push(() => { this.raw(kind, id, old); });
      ops.push({ op: 'delete', kind, id, version: this.version });
      events.push({ kind, action: 'delete', id, object: old });
    };
    const tx: WriteTx = {
      ...this.reader(),
      putService: (s) => put('service', s.ID, s),
      deleteService: (id) => del('service', id),
      putTask: (x) => put('task', x.ID, x),
      deleteTask: (id) => del('task', id),
      putNode: (n) => put('node', n.ID, n),
      deleteNode: (id) => del('node', id),
      putImage: (i) => put('image', i.Name, i),
      deleteImage: (name) => del('image', name),
      putSecret: (x) => put('secret', x.ID, x),
      deleteSecret: (id) => del('secret', id),
      putConfig: (x) => put('config', x.ID, x),
      deleteConfig: (id) => del('config', id),
      putNetwork: (x) => put('network', x.Id, x),
      deleteNetwork: (id) => del('network', id),
    };
    let result: T;
    if (this.inTransaction) throw new Error('store.update() called inside another update() callback');
    this.inTransaction = true;
    try {
      result = fn(tx);
      if (ops.length > 0 && this.journal) this.journal.append(ops);
    } catch (e) {
      for (const u of undo.reverse()) u();
      this.version = startVersion;
      throw e;
    } finally {
      this.inTransaction = false;
    }
    if (ops.length > 0 && this.journal?.wantsSnapshot()) {
      // Committed and journaled already: a failed snapshot only means a longer replay next time.
      try {
        const done = this.journal.snapshot(this.snapshot());
        if (done) done.catch((err: unknown) => this.logger.error({ err }, 'store snapshot failed'));
      } catch (err) { this.logger.error({ err }, 'store snapshot failed'); }
    }
    if (events.length > 0) this.deliver(events);
    return result;
  }

  /**
   * Applies changes committed elsewhere (a replicated backend's leader): no journal, one batch of
   * events for what actually changed. `version` (the committed counter) never moves backwards here.
   */
  applyCommitted(changes: ReadonlyArray<CommittedChange>, version?: number): void {
    if (this.closed) return;
    if (this.inTransaction) throw new Error('store.applyCommitted() called inside an update() callback');
    const events: StoreEvent[] = [];
    for (const c of changes) this.applyOne(c, events);
    if (version !== undefined) this.version = Math.max(this.version, version);
    if (events.length > 0) this.deliver(events);
  }

  /**
   * Replaces the whole state with `snapshot` (a resync from a replicated backend): objects absent
   * from it are deleted, new or different ones written; one batch of events for the differences only.
   * The version counter becomes the snapshot's.
   */
  replaceWith(snapshot: StoreSnapshot): void {
    if (this.closed) return;
    if (this.inTransaction) throw new Error('store.replaceWith() called inside an update() callback');
    const wanted: Array<[ObjectKind, Array<{ id: string; object: unknown }>]> = [
      ['service', snapshot.services.map((x) => ({ id: x.ID, object: x }))],
      ['task', snapshot.tasks.map((x) => ({ id: x.ID, object: x }))],
      ['node', snapshot.nodes.map((x) => ({ id: x.ID, object: x }))],
      ['image', snapshot.images.map((x) => ({ id: x.Name, object: x }))],
      ['secret', (snapshot.secrets ?? []).map((x) => ({ id: x.ID, object: x }))],
      ['config', (snapshot.configs ?? []).map((x) => ({ id: x.ID, object: x }))],
      ['network', (snapshot.networks ?? []).map((x) => ({ id: x.Id, object: x }))],
    ];
    const events: StoreEvent[] = [];
    for (const [kind, list] of wanted) {
      const keep = new Set(list.map((x) => x.id));
      for (const id of [...this.t[kind].keys()]) if (!keep.has(id)) this.applyOne({ kind, id }, events);
      for (const x of list) this.applyOne({ kind, id: x.id, object: x.object }, events);
    }
    this.version = snapshot.version;
    if (events.length > 0) this.deliver(events);
  }

  private applyOne(c: CommittedChange, events: StoreEvent[]): void {
    const table = this.t[c.kind] as Map<string, unknown>;
    const current = table.get(c.id);
    if (c.object === undefined) {
      if (current === undefined) return;
      this.raw(c.kind, c.id, undefined);
      events.push({ kind: c.kind, action: 'delete', id: c.id, object: current as KindMap[ObjectKind] });
      return;
    }
    if (current !== undefined && sameObject(current, c.object)) return;
    this.raw(c.kind, c.id, c.object as KindMap[ObjectKind]);
    const object = c.object as KindMap[ObjectKind];
    events.push(current === undefined
      ? { kind: c.kind, action: 'create', id: c.id, object }
      : { kind: c.kind, action: 'update', id: c.id, object, old: current as KindMap[ObjectKind] });
  }

  private deliver(events: StoreEvent[]): void {
    this.outbox.push(events);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let batch = this.outbox.shift(); batch; batch = this.outbox.shift()) {
        for (const w of [...this.watchers]) {
          if (!this.watchers.has(w)) continue;
          try { w(batch); } catch (err) { this.logger.error({ err }, 'store watcher failed'); }
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  snapshot(): StoreSnapshot {
    return {
      version: this.version,
      services: [...this.t.service.values()],
      tasks: [...this.t.task.values()],
      nodes: [...this.t.node.values()],
      images: [...this.t.image.values()],
      secrets: [...this.t.secret.values()],
      configs: [...this.t.config.values()],
      networks: [...this.t.network.values()],
    };
  }

  watch(fn: (events: StoreEvent[]) => void, onSnapshot?: (tx: ReadTx) => void): () => void {
    onSnapshot?.(this.reader());
    this.watchers.add(fn);
    return () => { this.watchers.delete(fn); };
  }

  close(): void {
    if (this.closed) return;
    if (this.journal) {
      if (this.journal.snapshotSync) this.journal.snapshotSync(this.snapshot());
      else void this.journal.snapshot(this.snapshot());
      this.journal.close();
    }
    this.closed = true;
    this.watchers.clear();
  }
}
