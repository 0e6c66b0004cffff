/**
 * Keeps the memory store a mirror of etcd: a full range (paged, at one revision) replaces the memory
 * state (events for the differences), then a watch from the next revision applies each etcd
 * transaction as one batch of store events. The watch reconnects from the last revision seen; a
 * compacted revision, or `resync()`, takes a full range again. In leader mode object events are not
 * applied (they are the leader's own writes, already in memory); control keys (leader, managers) are
 * always passed to `onControl`.
 */
import type { Clock } from '../clock.js';
import { sleep } from '../clock.js';
import type { Logger } from '../logger.js';
import type { CommittedChange, MemoryStore } from '../store/memory-store.js';
import type { StoreSnapshot } from '../store/journal.js';
import type { EtcdClient, KeyValue, WatchEvent, WatchHandle } from './etcd-client.js';
import { parseKey, type EtcdLayout } from './etcd-keys.js';

export interface StoreMirrorOptions {
  client: EtcdClient;
  layout: EtcdLayout;
  store: MemoryStore;
  clock: Clock;
  logger: Logger;
  /** Leader and manager keys: `reset` with the complete set after a full range, else the events of one revision. */
  onControl(reset: boolean, events: WatchEvent[]): void;
  /** A range failed (etcd unreachable) / went through. */
  onReachable(error: Error | undefined): void;
  retryDelayMs?: number;
}

export class StoreMirror {
  private revisionSeen = 0;
  private leaderMode = false;
  private closed = false;
  private needLoad = true;
  private watchGen = 0;
  private watchHandle: WatchHandle | undefined;
  private waiters: Array<{ revision: number; resolve(): void }> = [];
  private loadWaiters: Array<() => void> = [];
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly opts: StoreMirrorOptions) {}

  /** The last etcd revision applied. */
  revision(): number { return this.revisionSeen; }

  /** Loads the state and starts following the watch; resolves after the first full load. */
  start(): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.loadWaiters.push(resolve));
    this.running = this.run();
    return loaded;
  }

  setLeaderMode(on: boolean): void { this.leaderMode = on; }

  /** Throws the memory state away and loads etcd's again; resolves once loaded. */
  resync(): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.loadWaiters.push(resolve));
    this.needLoad = true;
    this.watchGen += 1;
    this.watchHandle?.cancel();
    this.wake?.();
    return loaded;
  }

  /** Resolves once every revision up to `revision` has been applied. */
  waitRevision(revision: number): Promise<void> {
    if (this.revisionSeen >= revision) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ revision, resolve }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watchGen += 1;
    this.watchHandle?.cancel();
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    const delay = this.opts.retryDelayMs ?? 250;
    while (!this.closed) {
      if (this.needLoad) {
        try {
          await this.load();
          if (this.needLoad) continue;
        } catch (err) {
          this.opts.onReachable(err as Error);
          await this.pause(delay);
          continue;
        }
      }
      if (this.closed) break;
      const gen = ++this.watchGen;
      const handle = this.opts.client.watch(this.opts.layout.root, this.revisionSeen + 1, {
        onEvents: (events) => { if (gen === this.watchGen) this.apply(events); },
        onCompacted: () => { if (gen === this.watchGen) this.needLoad = true; },
      });
      this.watchHandle = handle;
      await handle.done;
      if (!this.closed && gen === this.watchGen) await this.pause(delay);
    }
  }

  private pause(ms: number): Promise<void> {
    const ac = new AbortController();
    this.wake = () => ac.abort();
    return sleep(this.opts.clock, ms, ac.signal).finally(() => { this.wake = undefined; });
  }

  private async load(): Promise<void> {
    this.needLoad = false;
    const waiting = this.loadWaiters;
    this.loadWaiters = [];
    let range: { kvs: KeyValue[]; revision: number };
    try {
      range = await this.opts.client.rangePrefix(this.opts.layout.root);
    } catch (err) {
      this.needLoad = true;
      this.loadWaiters.unshift(...waiting);
      throw err;
    }
    if (this.closed) return;
    if (this.needLoad) { this.loadWaiters.unshift(...waiting); return; } // a resync asked meanwhile: range again
    const { kvs, revision } = range;
    const snapshot: StoreSnapshot = { version: 0, services: [], tasks: [], nodes: [], images: [], secrets: [], configs: [], networks: [] };
    const control: WatchEvent[] = [];
    let version: number | undefined;
    let maxIndex = 0;
    for (const kv of kvs) {
      const k = parseKey(this.opts.layout, kv.key);
      if (k.type === 'version') version = Number(kv.value);
      else if (k.type === 'leader' || k.type === 'manager') control.push({ type: 'put', kv });
      else if (k.type === 'object') {
        const obj = parse(kv, this.opts.logger);
        if (obj === undefined) continue;
        listOf(snapshot, k.kind).push(obj);
        maxIndex = Math.max(maxIndex, (obj as { Version?: { Index?: number } }).Version?.Index ?? 0);
      }
    }
    snapshot.version = version ?? maxIndex;
    if (!this.leaderMode) this.opts.store.replaceWith(snapshot);
    this.revisionSeen = Math.max(this.revisionSeen, revision);
    this.opts.onReachable(undefined);
    this.opts.onControl(true, control);
    this.release();
    for (const w of waiting) w();
  }

  /** One watch message: applied one etcd revision (transaction) at a time. */
  private apply(events: WatchEvent[]): void {
    let i = 0;
    while (i < events.length) {
      const rev = events[i]!.kv.modRevision;
      let j = i;
      while (j < events.length && events[j]!.kv.modRevision === rev) j++;
      if (rev > this.revisionSeen) this.applyRevision(events.slice(i, j), rev);
      i = j;
    }
    this.release();
  }

  private applyRevision(events: WatchEvent[], rev: number): void {
    const changes: CommittedChange[] = [];
    const control: WatchEvent[] = [];
    let version: number | undefined;
    for (const e of events) {
      const k = parseKey(this.opts.layout, e.kv.key);
      if (k.type === 'object') {
        if (e.type === 'delete') changes.push({ kind: k.kind, id: k.id });
        else {
          const obj = parse(e.kv, this.opts.logger);
          if (obj !== undefined) changes.push({ kind: k.kind, id: k.id, object: obj });
        }
      } else if (k.type === 'version' && e.type === 'put') version = Number(e.kv.value);
      else if (k.type === 'leader' || k.type === 'manager') control.push(e);
    }
    this.revisionSeen = rev;
    if (!this.leaderMode && (changes.length > 0 || version !== undefined)) this.opts.store.applyCommitted(changes, version);
    if (control.length > 0) this.opts.onControl(false, control);
  }

  private release(): void {
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (w.revision <= this.revisionSeen ? w.resolve() : still.push(w));
    this.waiters = still;
  }
}

function parse(kv: KeyValue, logger: Logger): unknown {
  try {
    return JSON.parse(kv.value) as unknown;
  } catch {
    logger.warn({ key: kv.key }, 'etcd: a value that is not JSON was skipped');
    return undefined;
  }
}

function listOf(s: StoreSnapshot, kind: string): unknown[] {
  const key = ({ service: 'services', task: 'tasks', node: 'nodes', image: 'images', secret: 'secrets', config: 'configs', network: 'networks' } as Record<string, keyof StoreSnapshot>)[kind]!;
  return s[key] as unknown[];
}
