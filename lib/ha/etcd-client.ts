/**
 * A small etcd v3 client over etcd's HTTP/JSON gateway (`/v3/...`, served by every etcd ≥ 3.4 on its
 * client URL) through undici. Keys and values are base64 in JSON, int64s are strings: both are hidden
 * here. One request goes to one endpoint; a failure (network, timeout, 5xx) moves to the next endpoint
 * for the following request and is thrown as an EtcdError: retrying is the caller's policy.
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import { timeoutSignal } from '../clock.js';

export interface EtcdTls { ca?: string; cert?: string; key?: string }

export interface EtcdClientOptions {
  endpoints: string[];
  clock: Clock;
  tls?: EtcdTls;
  /** Per request (default 2000 ms). */
  requestTimeoutMs?: number;
}

export interface KeyValue { key: string; value: string; createRevision: number; modRevision: number; lease: string }

export interface WatchEvent { type: 'put' | 'delete'; kv: KeyValue }

export type Compare = { key: string; createRevision: number };
export type TxnOp = { put: string; value: string; lease?: string } | { del: string };

export class EtcdError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'EtcdError';
  }
}

export interface WatchHandle { cancel(): void; readonly done: Promise<void> }

export interface WatchCallbacks {
  /** The watch is established (events from `fromRevision` on will follow). */
  onCreated?(): void;
  /** One message: events in revision order (several revisions may share a message). */
  onEvents(events: WatchEvent[]): void;
  /** The revisions asked for were compacted away: resync from a full range. */
  onCompacted(compactRevision: number): void;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

/** The end of the range of every key starting with `prefix`. */
export function prefixEnd(prefix: string): string {
  const b = Buffer.from(prefix, 'utf8');
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) { b[i]! += 1; return b.subarray(0, i + 1).toString('latin1'); }
  }
  return '\0';
}

interface RawKv { key?: string; value?: string; create_revision?: string; mod_revision?: string; lease?: string }
function kvOf(raw: RawKv): KeyValue {
  return {
    key: unb64(raw.key), value: unb64(raw.value), createRevision: Number(raw.create_revision ?? 0),
    modRevision: Number(raw.mod_revision ?? 0), lease: raw.lease ?? '0',
  };
}

/** A range end as the gateway wants it (prefixEnd returns latin1 bytes so a 0xff carry stays exact). */
const b64End = (end: string): string => Buffer.from(end, 'latin1').toString('base64');

export class EtcdClient {
  private readonly endpoints: string[];
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher;
  private current = 0;

  constructor(opts: EtcdClientOptions) {
    if (opts.endpoints.length === 0) throw new Error('etcd: at least one endpoint is needed');
    this.endpoints = opts.endpoints.map((e) => e.replace(/\/+$/, ''));
    this.clock = opts.clock;
    this.timeoutMs = opts.requestTimeoutMs ?? 2000;
    const tls = opts.tls;
    this.dispatcher = new Agent({
      connections: 8, bodyTimeout: 0, headersTimeout: 0,
      ...(tls && (tls.ca || tls.cert) ? { connect: { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) } } : {}),
    });
  }

  /** The endpoint the next request goes to. */
  endpoint(): string { return this.endpoints[this.current % this.endpoints.length]!; }
  private rotate(): void { this.current = (this.current + 1) % this.endpoints.length; }

  /** One POST to the gateway: the JSON answer, or an EtcdError (and the next request tries another member). */
  async call<T>(path: string, body: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const base = this.endpoint();
    const t = timeoutSignal(this.clock, timeoutMs);
    try {
      const res = await request(`${base}${path}`, {
        method: 'POST', body: JSON.stringify(body), signal: t.signal, dispatcher: this.dispatcher,
        headers: { 'content-type': 'application/json' },
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        let message = text;
        try { message = (JSON.parse(text) as { message?: string; error?: string }).message ?? message; } catch { /* keep text */ }
        if (res.statusCode >= 500) this.rotate();
        throw new EtcdError(`${base}${path}: ${message.trim() || `HTTP ${res.statusCode}`}`, res.statusCode);
      }
      return JSON.parse(text) as T;
    } catch (err) {
      if (err instanceof EtcdError) throw err;
      this.rotate();
      const reason = t.signal.aborted ? `no answer within ${timeoutMs} ms` : (err as Error).message;
      throw new EtcdError(`${base}${path}: ${reason}`);
    } finally {
      t.done();
    }
  }

  /** Every key under `prefix`, read in pages at one revision. */
  async rangePrefix(prefix: string, pageSize = 500): Promise<{ kvs: KeyValue[]; revision: number }> {
    // a page of big objects takes longer than a write: at least 5 s each
    const timeoutMs = Math.max(this.timeoutMs, 5000);
    const end = b64End(prefixEnd(prefix));
    const kvs: KeyValue[] = [];
    let from = b64(prefix);
    let revision = 0;
    for (;;) {
      const res = await this.call<{ header?: { revision?: string }; kvs?: RawKv[]; more?: boolean }>('/v3/kv/range', {
        key: from, range_end: end, limit: pageSize, ...(revision ? { revision } : {}),
      }, timeoutMs);
      if (!revision) revision = Number(res.header?.revision ?? 0);
      const page = res.kvs ?? [];
      for (const raw of page) kvs.push(kvOf(raw));
      if (!res.more || page.length === 0) return { kvs, revision };
      from = Buffer.concat([Buffer.from(page.at(-1)!.key!, 'base64'), Buffer.from([0])]).toString('base64');
    }
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call<{ kvs?: RawKv[] }>('/v3/kv/range', { key: b64(key) });
    const raw = res.kvs?.[0];
    return raw ? kvOf(raw) : undefined;
  }

  /** A transaction: all `compare`s (create revision equality) hold → `success` ops. Returns whether they held, and the revision. */
  async txn(compare: Compare[], success: TxnOp[], timeoutMs?: number): Promise<{ succeeded: boolean; revision: number }> {
    const res = await this.call<{ succeeded?: boolean; header?: { revision?: string } }>('/v3/kv/txn', {
      compare: compare.map((c) => ({ key: b64(c.key), target: 'CREATE', result: 'EQUAL', create_revision: String(c.createRevision) })),
      success: success.map((op) => ('put' in op
        ? { request_put: { key: b64(op.put), value: b64(op.value), ...(op.lease ? { lease: op.lease } : {}) } }
        : { request_delete_range: { key: b64(op.del) } })),
    }, timeoutMs);
    return { succeeded: res.succeeded === true, revision: Number(res.header?.revision ?? 0) };
  }

  async put(key: string, value: string, lease?: string): Promise<void> {
    await this.call('/v3/kv/put', { key: b64(key), value: b64(value), ...(lease ? { lease } : {}) });
  }

  async leaseGrant(ttlSeconds: number): Promise<{ id: string; ttlSeconds: number }> {
    const res = await this.call<{ ID?: string; TTL?: string; error?: string }>('/v3/lease/grant', { TTL: ttlSeconds });
    if (!res.ID) throw new EtcdError(`lease grant refused: ${res.error ?? 'no lease'}`);
    return { id: res.ID, ttlSeconds: Number(res.TTL ?? ttlSeconds) };
  }

  /** One keep-alive: the lease's remaining TTL in seconds, 0 when it no longer exists. */
  async leaseKeepAlive(id: string, timeoutMs?: number): Promise<number> {
    const res = await this.call<{ result?: { TTL?: string }; error?: { message?: string } }>('/v3/lease/keepalive', { ID: id }, timeoutMs);
    if (res.error) throw new EtcdError(`lease keep-alive: ${res.error.message ?? 'failed'}`);
    return Number(res.result?.TTL ?? 0);
  }

  async leaseRevoke(id: string): Promise<void> {
    try {
      await this.call('/v3/lease/revoke', { ID: id });
    } catch (err) {
      if (err instanceof EtcdError && /not found/.test(err.message)) return;
      throw err;
    }
  }

  /**
   * Watches every key under `prefix` from `fromRevision`. The stream ends (done resolves) when the
   * connection breaks or `cancel()` is called; the caller reconnects from the last revision it saw.
   */
  watch(prefix: string, fromRevision: number, cb: WatchCallbacks): WatchHandle {
    const ac = new AbortController();
    const base = this.endpoint();
    const done = (async () => {
      try {
        const res = await request(`${base}/v3/watch`, {
          method: 'POST', signal: ac.signal, dispatcher: this.dispatcher, headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ create_request: { key: b64(prefix), range_end: b64End(prefixEnd(prefix)), start_revision: String(fromRevision), prev_kv: true } }),
        });
        if (res.statusCode !== 200) { await res.body.text().catch(() => ''); this.rotate(); return; }
        let pending = '';
        for await (const chunk of res.body) {
          pending += chunk.toString();
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            if (line && !this.onWatchLine(line, cb)) { ac.abort(); return; }
          }
        }
        this.rotate();
      } catch {
        if (!ac.signal.aborted) this.rotate();
      }
    })();
    return { cancel: () => ac.abort(), done };
  }

  /** False when the watch is over (cancelled by etcd). */
  private onWatchLine(line: string, cb: WatchCallbacks): boolean {
    const msg = JSON.parse(line) as { result?: WatchMessage; error?: unknown };
    const r = msg.result;
    if (!r) return false;
    if (r.compact_revision && Number(r.compact_revision) > 0) { cb.onCompacted(Number(r.compact_revision)); return false; }
    if (r.canceled) return false;
    if (r.created) cb.onCreated?.();
    const events = (r.events ?? []).map((e): WatchEvent => ({ type: e.type === 'DELETE' ? 'delete' : 'put', kv: kvOf(e.kv ?? {}) }));
    if (events.length > 0) cb.onEvents(events);
    return true;
  }

  async close(): Promise<void> {
    await this.dispatcher.destroy().catch(() => {});
  }
}

interface WatchMessage {
  header?: { revision?: string };
  created?: boolean;
  canceled?: boolean;
  compact_revision?: string;
  events?: Array<{ type?: string; kv?: RawKv }>;
}
