/**
 * `openEtcdBackend`: the shared state of several managers in etcd (issue 17).
 *
 * The memory store stays the fast, synchronous read and write path. On the leader, `update` applies in
 * memory and queues the writes (WriteQueue: coalesced, ≤128 ops per transaction, each fenced on the
 * leader key's create revision); followers mirror etcd (StoreMirror: range, then watch) and refuse
 * writes with `not_leader`. Leadership (EtcdElection) rides on this manager's lease (LeaseKeeper).
 * Losing it (fenced write, lease deadline, key gone): the queue is dropped (pending `durable()` reject
 * with not_leader), the listeners hear `false` at once, then memory is resynced from etcd.
 */
import type { Clock } from '../clock.js';
import { SwarmletError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { MemoryStore } from '../store/memory-store.js';
import type { HaBackend } from './ha-types.js';
import { EtcdClient, type EtcdTls } from './etcd-client.js';
import { etcdLayout } from './etcd-keys.js';
import { EtcdElection } from './election.js';
import { LeaseKeeper } from './lease-keeper.js';
import { EtcdReplicatedStore, queueJournal } from './replicated-store.js';
import { StoreMirror } from './store-mirror.js';
import { WriteQueue } from './write-queue.js';

export interface EtcdBackendOptions {
  endpoints: string[];
  /** Default /swarmlet. */
  prefix?: string;
  self: { id: string; addr: string };
  /** The leader's lease TTL (default 3000 ms): a dead leader is replaced within about this long. */
  leaseTtlMs?: number;
  /** Default leaseTtlMs / 3. */
  renewIntervalMs?: number;
  clock: Clock;
  logger?: Logger;
  tls?: EtcdTls;
  /** One etcd request (default 1000 ms; a failed one is retried on the next member). */
  requestTimeoutMs?: number;
  /** A write not in etcd after this long makes `update` answer unavailable (default leaseTtlMs). */
  writeFailAfterMs?: number;
  /** How long openEtcdBackend waits for etcd's state (default 15000 ms). */
  startTimeoutMs?: number;
  /**
   * false: mirror the store but neither register nor campaign until `campaign()` (a manager locked by
   * autolock). Default true.
   */
  campaign?: boolean;
}

const unavailable = (why: string) => new SwarmletError('unavailable', `cluster store unavailable: ${why}`);

export async function openEtcdBackend(opts: EtcdBackendOptions): Promise<HaBackend> {
  const clock = opts.clock;
  const logger = (opts.logger ?? silentLogger()).child({ component: 'etcd' });
  const ttlMs = opts.leaseTtlMs ?? 3000;
  if (!(ttlMs >= 1000)) throw new SwarmletError('invalid_argument', `leaseTtlMs must be at least 1000 (etcd leases count in seconds), got ${ttlMs}`, 'leaseTtlMs');
  const renewIntervalMs = opts.renewIntervalMs ?? Math.floor(ttlMs / 3);
  if (!(renewIntervalMs > 0 && renewIntervalMs < ttlMs)) throw new SwarmletError('invalid_argument', `renewIntervalMs must be between 0 and leaseTtlMs, got ${renewIntervalMs}`, 'renewIntervalMs');
  if (opts.endpoints.length === 0) throw new SwarmletError('invalid_argument', 'at least one etcd endpoint is needed', 'endpoints');
  const layout = etcdLayout(opts.prefix);
  const client = new EtcdClient({ endpoints: opts.endpoints, clock, requestTimeoutMs: opts.requestTimeoutMs ?? 1000, ...(opts.tls ? { tls: opts.tls } : {}) });

  let closed = false;
  /** etcd unreachable while not leading (range, lease grant or campaign failing), or the lease deadline passed. */
  let reachError: SwarmletError | undefined;
  const setReach = (err: Error | undefined) => {
    if (err && !reachError) logger.warn({ err: err.message }, 'etcd unreachable');
    if (!err && reachError) logger.info({}, 'etcd reachable again');
    reachError = err ? (err instanceof SwarmletError ? err : unavailable(err.message)) : undefined;
  };

  let election!: EtcdElection;
  const queue = new WriteQueue({
    clock,
    failAfterMs: opts.writeFailAfterMs ?? ttlMs,
    async send(batch) {
      const fence = election.fenceRevision();
      if (fence === 0) return 'fenced';
      const ops = batch.map((w) => (w.value === null ? { del: w.key } : { put: w.key, value: w.value }));
      const { succeeded } = await client.txn([{ key: layout.leader, createRevision: fence }], ops);
      return succeeded ? 'ok' : 'fenced';
    },
    onFenced: () => election.stepDown('a write was fenced out (another manager holds the leader key)'),
    onHealth: (err) => { if (err) logger.warn({ err: err.message }, 'etcd writes failing'); },
  });

  const writeError = (): SwarmletError | undefined => {
    if (closed) return unavailable('the store is closed');
    const down = queue.health() ?? reachError;
    if (down) return down;
    if (!election.isLeader()) {
      const l = election.leader();
      return new SwarmletError('not_leader', l ? `this manager is not the leader (${l.addr} leads)` : 'this manager is not the leader (no leader elected yet)');
    }
    return undefined;
  };

  const memory = new MemoryStore({ clock, logger, journal: queueJournal(layout, queue, writeError) });
  const store = new EtcdReplicatedStore(memory, queue, writeError);

  const mirror = new StoreMirror({
    client, layout, store: memory, clock, logger,
    onControl: (reset, events) => election.observe(reset, events),
    onReachable: (err) => { if (!err || !election.isLeader()) setReach(err); },
  });

  const lease = new LeaseKeeper({
    client, clock, ttlMs, renewIntervalMs,
    onLost(reason, leaseId) {
      if (/TTL/.test(reason)) setReach(unavailable(`no lease renewal within ${ttlMs} ms`));
      election.leaseLost(reason);
      client.leaseRevoke(leaseId).catch(() => { /* expires on its own */ });
    },
  });

  election = new EtcdElection({
    client, layout, clock, logger, self: opts.self, lease,
    catchUp: (revision) => mirror.waitRevision(revision),
    onReachable: (err) => { if (!err || !election.isLeader()) setReach(err); },
    onLeading(isLeader, reason) {
      if (isLeader) {
        mirror.setLeaderMode(true);
        return;
      }
      queue.drop(new SwarmletError('not_leader', `this manager lost the leadership before the change was stored (${reason})`));
      mirror.setLeaderMode(false);
      void mirror.resync();
    },
  });

  const started = mirror.start();
  let timer: { cancel(): void } | undefined;
  const startTimeoutMs = opts.startTimeoutMs ?? 15_000;
  const timedOut = new Promise<'timeout'>((resolve) => { timer = clock.setTimeout(() => resolve('timeout'), startTimeoutMs); });
  const first = await Promise.race([started.then(() => 'loaded' as const), timedOut]);
  timer?.cancel();
  if (first === 'timeout') {
    await mirror.close();
    await client.close();
    throw unavailable(`etcd at ${opts.endpoints.join(',')} did not answer within ${startTimeoutMs} ms${reachError ? ` (${reachError.message})` : ''}`);
  }
  let campaigning = false;
  const campaign = () => {
    if (campaigning || closed) return;
    campaigning = true;
    election.start();
  };
  if (opts.campaign !== false) campaign();

  return {
    store,
    election,
    campaign,
    async close() {
      if (closed) return;
      await election.close();
      closed = true;
      queue.close(unavailable('the store is closed'));
      await mirror.close();
      store.close();
      await client.close();
    },
  };
}
