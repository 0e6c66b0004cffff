/**
 * The leader's writes on their way to etcd. Each store commit is queued at once (the memory store
 * stays the synchronous path); writes are coalesced per key (a key written again moves to the end
 * with its latest value) and sent in order, in transactions of at most `maxOps` ops and `maxBytes`
 * bytes, by `send` (which adds the fence). A transaction that fails is retried as it was until it
 * goes through; one that has not gone through within `failAfterMs` makes the queue unhealthy
 * (`onHealth(error)`, waiting `durable()` calls reject with `unavailable`) while it keeps retrying.
 * A fenced transaction (`send` answers 'fenced') stops the queue: the owner then calls `drop`.
 */
import type { Clock, Timer } from '../clock.js';
import { sleep } from '../clock.js';
import { SwarmletError } from '../errors.js';
import type { KeyWrite } from './etcd-keys.js';

export type SendResult = 'ok' | 'fenced';

export interface WriteQueueOptions {
  /** Sends one fenced transaction; throws when it did not go through (network, timeout, no quorum). */
  send(batch: KeyWrite[]): Promise<SendResult>;
  clock: Clock;
  /** etcd's default --max-txn-ops is 128. */
  maxOps?: number;
  /** Kept under etcd's default --max-request-bytes (1.5 MiB). */
  maxBytes?: number;
  /** A transaction not through after this long makes the store unavailable (default 2000 ms). */
  failAfterMs?: number;
  retryDelayMs?: number;
  onFenced(): void;
  /** An error once writes fail for failAfterMs; undefined once a write went through again. */
  onHealth(error: SwarmletError | undefined): void;
}

interface Entry { key: string; value: string | null; seq: number }
interface Waiter { target: number; resolve(): void; reject(err: Error): void }

export class WriteQueue {
  private readonly pending = new Map<string, Entry>();
  private seq = 0;
  private flushed = 0;
  private droppedThrough = 0;
  private dropError: Error | undefined;
  private waiters: Waiter[] = [];
  private running = false;
  private stopped = false;
  private generation = 0;
  private unhealthy: SwarmletError | undefined;
  private readonly maxOps: number;
  private readonly maxBytes: number;
  private readonly failAfterMs: number;
  private readonly retryDelayMs: number;

  constructor(private readonly opts: WriteQueueOptions) {
    this.maxOps = opts.maxOps ?? 128;
    this.maxBytes = opts.maxBytes ?? 1024 * 1024;
    this.failAfterMs = opts.failAfterMs ?? 2000;
    this.retryDelayMs = opts.retryDelayMs ?? 200;
  }

  /** Queues one commit's writes; returns its sequence number. */
  enqueue(writes: readonly KeyWrite[]): number {
    if (this.stopped) throw new Error('write queue is closed');
    const seq = ++this.seq;
    for (const w of writes) {
      this.pending.delete(w.key);
      this.pending.set(w.key, { key: w.key, value: w.value, seq });
    }
    if (this.pending.size === 0) this.flushed = seq;
    void this.pump();
    return seq;
  }

  /** The error writes fail with right now (undefined while healthy). */
  health(): SwarmletError | undefined { return this.unhealthy; }

  size(): number { return this.pending.size; }

  /** Resolves once every commit queued so far is in etcd. */
  durable(): Promise<void> {
    const target = this.seq;
    if (target <= this.droppedThrough && this.dropError) return Promise.reject(this.dropError);
    if (target <= this.flushed) return Promise.resolve();
    if (this.unhealthy) return Promise.reject(this.unhealthy);
    return new Promise((resolve, reject) => { this.waiters.push({ target, resolve, reject }); });
  }

  /** Forgets every queued write (leadership lost): waiting and later durable() calls for them reject with `err`. */
  drop(err: Error): void {
    this.generation += 1;
    this.pending.clear();
    this.droppedThrough = this.seq;
    this.flushed = this.seq;
    this.dropError = err;
    this.setHealth(undefined);
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(err);
  }

  close(err: Error): void {
    this.drop(err);
    this.stopped = true;
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.stopped && this.pending.size > 0) {
        const gen = this.generation;
        const batch = this.takeBatch();
        const ok = await this.sendUntilThrough(batch, gen);
        if (gen !== this.generation) continue; // dropped meanwhile: whatever is queued now is new
        if (!ok) break; // fenced: the owner drops the queue

        for (const e of batch) if (this.pending.get(e.key) === e) this.pending.delete(e.key);
        this.advance();
      }
    } finally {
      this.running = false;
    }
  }

  private takeBatch(): Entry[] {
    const batch: Entry[] = [];
    let bytes = 0;
    for (const e of this.pending.values()) {
      const size = e.key.length + (e.value?.length ?? 0) + 32;
      if (batch.length > 0 && (batch.length >= this.maxOps || bytes + size > this.maxBytes)) break;
      batch.push(e);
      bytes += size;
    }
    return batch;
  }

  /** True once the batch went through; false when fenced or dropped meanwhile. */
  private async sendUntilThrough(batch: Entry[], gen: number): Promise<boolean> {
    let lastError = 'no answer yet';
    const deadline: Timer = this.opts.clock.setTimeout(() => {
      if (gen === this.generation) this.setHealth(new SwarmletError('unavailable', `cluster store unavailable: ${lastError}`));
    }, this.failAfterMs);
    try {
      for (;;) {
        let result: SendResult;
        try {
          result = await this.opts.send(batch.map((e) => ({ key: e.key, value: e.value })));
        } catch (err) {
          lastError = (err as Error).message;
          if (this.unhealthy) this.setHealth(new SwarmletError('unavailable', `cluster store unavailable: ${lastError}`));
          await sleep(this.opts.clock, this.retryDelayMs);
          if (gen !== this.generation || this.stopped) return false;
          continue;
        }
        if (gen !== this.generation) return false;
        if (result === 'fenced') { this.opts.onFenced(); return false; }
        this.setHealth(undefined);
        return true;
      }
    } finally {
      deadline.cancel();
    }
  }

  /** Everything before the oldest still-pending commit is durable. */
  private advance(): void {
    // entries are ordered by their latest commit, so the first one is the oldest pending commit
    let oldest = this.seq + 1;
    for (const e of this.pending.values()) { oldest = e.seq; break; }
    this.flushed = Math.max(this.flushed, oldest - 1);
    const still: Waiter[] = [];
    for (const w of this.waiters) (w.target <= this.flushed ? w.resolve() : still.push(w));
    this.waiters = still;
  }

  private setHealth(err: SwarmletError | undefined): void {
    const was = this.unhealthy;
    this.unhealthy = err;
    if (err) {
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w.reject(err);
    }
    if ((was === undefined) !== (err === undefined) || (err && was?.message !== err.message)) this.opts.onHealth(err);
  }
}
