/**
 * The store a manager uses on etcd: reads and watches are the memory store's (synchronous, as with the
 * file journal); `update` runs only while `writeError()` says nothing against it (this manager leads
 * and etcd takes its writes), applies in memory at once and queues the writes (the write queue sends
 * them, fenced); `durable()` waits for them.
 */
import type { SwarmletError } from '../errors.js';
import type { Journal } from '../store/journal.js';
import type { MemoryStore } from '../store/memory-store.js';
import type { ReadTx, StoreEvent, WriteTx } from '../store/store.js';
import type { ReplicatedStore } from './ha-types.js';
import { writesOf, type EtcdLayout } from './etcd-keys.js';
import type { WriteQueue } from './write-queue.js';

/** The memory store's journal on etcd: every commit goes to the write queue (nothing to load: the mirror does). */
export function queueJournal(layout: EtcdLayout, queue: WriteQueue, writeError: () => SwarmletError | undefined): Journal {
  return {
    load: () => ({ snapshot: undefined, ops: [] }),
    append(ops) {
      const err = writeError();
      if (err) throw err;
      queue.enqueue(writesOf(layout, ops));
    },
    wantsSnapshot: () => false,
    snapshot: () => {},
    close: () => {},
  };
}

export class EtcdReplicatedStore implements ReplicatedStore {
  constructor(
    private readonly memory: MemoryStore,
    private readonly queue: WriteQueue,
    private readonly writeError: () => SwarmletError | undefined,
  ) {}

  view<T>(fn: (tx: ReadTx) => T): T { return this.memory.view(fn); }

  update<T>(fn: (tx: WriteTx) => T): T {
    const err = this.writeError();
    if (err) throw err;
    return this.memory.update(fn);
  }

  watch(fn: (events: StoreEvent[]) => void, onSnapshot?: (tx: ReadTx) => void): () => void {
    return this.memory.watch(fn, onSnapshot);
  }

  durable(): Promise<void> { return this.queue.durable(); }

  writable(): boolean { return this.writeError() === undefined; }

  close(): void { this.memory.close(); }
}
