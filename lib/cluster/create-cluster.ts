import { join } from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { invalid, SwarmletError } from '../errors.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { randomIds, type IdGenerator } from '../ids.js';
import { silentLogger, type Logger } from '../logger.js';
import { Agent } from '../agent/agent.js';
import { createLocalLink } from '../dispatcher/local-link.js';
import type { TaskDriver } from '../agent/task-driver.js';
import { createApiServer, type ApiServer } from '../api/server.js';
import { SwarmState } from '../api/swarm-state.js';
import { eraseSwarmState } from './erase-swarm-state.js';
import { startUpError } from './start-up-error.js';
import { createTaskDriver, type DriverChoice } from '../drivers/create-task-driver.js';
import { createControl } from '../manager/create-control.js';
import { canRunImage } from '../manager/node-images.js';
import { Manager } from '../manager/manager.js';
import { FileJournal } from '../store/file-journal.js';
import { MemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';
import { loadOrCreateMeta, saveSwarm } from './cluster-meta.js';
import { registerNode } from '../dispatcher/register-node.js';
import { describeHost } from '../agent/host-description.js';
import { ClusterClient } from './cluster-client.js';
import { tmpdir } from 'node:os';
import { EndpointFeed } from '../dispatcher/endpoint-feed.js';
import { Dispatcher } from '../dispatcher/dispatcher.js';
import { JoinTokens } from '../dispatcher/join-tokens.js';
import { nodeSessionRoutes } from '../dispatcher/node-routes.js';
import { localEndpointSource } from '../dispatcher/local-endpoint-source.js';
import { createGatewayProcess, type ProcessGateway } from '../../gateway/gateway-process.js';
import { endpointRoutes } from '../dispatcher/endpoint-routes.js';
import { createManagerMetrics } from '../manager/manager-metrics.js';
import { metricsRoute } from '../manager/metrics-route.js';
import { eventsRoute } from '../events/events-route.js';
import { DEFAULT_EVENT_LOG_CAPACITY, EventLog } from '../events/event-log.js';
import { EventFile } from '../events/event-file.js';
import { SWARMLET_VERSION } from '../version.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { assertListenAllowed, clientAuthRequired } from '../api/listen-security.js';
import { createAuthorizer } from '../api/client-auth.js';
import { clientTokenRoute } from '../api/client-token-route.js';
import { uiRoutes } from '../api/ui-route.js';
import { feedVipSource, VipGateways } from './vip-gateways.js';
import { checkAddrPool, DEFAULT_ADDR_POOL, DEFAULT_SUBNET_SIZE, type AddrPool } from '../networks/vip-allocation.js';
import { createSecretCipher } from '../secrets/secret-cipher.js';
import { ManagerKeys } from '../secrets/manager-keys.js';
import { storeSwarmHome } from '../ha/shared-swarm.js';
import { SharedAutolock, storeUnlockKeyHome, touchesUnlockKey } from '../ha/shared-autolock.js';

/** `--autolock` at start is `swarm init --autolock`: with several managers the swarm exists already. */
const AUTOLOCK_FLAG_HA = 'autolock with several managers (--store) is turned on with `swarmlet swarm update --autolock=true` (or `docker swarm update --autolock=true`) through any manager, not with --autolock';
import type { HaBackend } from '../ha/ha-types.js';
import { ManagerHa } from '../ha/manager-ha.js';
import { managersRoute } from '../ha/managers-route.js';
import { withManagerNodes } from '../ha/manager-nodes.js';
import { storeSecretsHome } from '../ha/shared-secrets.js';
import { CLIENT_TOKEN_FILE, keepClientTokenFile } from '../ha/client-token-file.js';
import { loadOrCreateManagerId } from '../ha/manager-id.js';
import { createTlsDispatcher } from '../client/tls-dispatcher.js';

import type { Cluster, ClusterOptions } from './cluster-options.js';
export type { Cluster, ClusterOptions } from './cluster-options.js';

/** Reads (or creates) the manager's stable id in its data directory and opens the shared backend. */
async function openHaBackend(opts: ClusterOptions, ha: NonNullable<ClusterOptions['ha']>, listen: { host: string; port: number } | undefined, dataDir: string, ids: IdGenerator, locked: boolean):
  Promise<{ backend: HaBackend; self: { id: string; addr: string } }> {
  if (!listen || listen.port === 0) throw new Error('several managers need the API address other managers and nodes reach: pass listen with an explicit port');
  if (!opts.dispatcher) throw new Error('several managers need the dispatcher (remote nodes)');
  if ((opts.addresses?.length ?? opts.nodes ?? 3) !== 0) throw new Error('several managers run no nodes of their own: pass nodes: 0');
  const self = { id: loadOrCreateManagerId(dataDir, ids), addr: `${opts.tls ? 'https' : 'http'}://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}` };
  return { backend: await ha.open(self, { campaign: !locked }), self };
}

function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:tcp:\/\/|http:\/\/)?([^:]+):(\d+)$/.exec(listen);
  if (!m) throw invalid(`invalid listen address "${listen}": expected HOST:PORT`, 'listen');
  return { host: m[1]!, port: Number(m[2]) };
}

/** Starts a local cluster in this process: a manager, an API server (optional) and N node agents. */
export async function createCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const clock = opts.clock ?? systemClock();
  const ids = opts.ids ?? randomIds();
  const logger = opts.logger ?? silentLogger();
  if (opts.listen) assertListenAllowed(parseListen(opts.listen).host, opts.tls); // before anything is opened
  const count = opts.addresses?.length ?? opts.nodes ?? 3;
  const minNodes = opts.dispatcher ? 0 : 1;
  if (!Number.isInteger(count) || count < minNodes || count > 254) throw invalid(`invalid node count ${count}: expected ${minNodes}-254`, opts.addresses ? 'addresses' : 'nodes');
  const addrPool = opts.defaultAddrPool === undefined && opts.subnetSize === undefined ? undefined
    : checkAddrPool({ pools: opts.defaultAddrPool ?? DEFAULT_ADDR_POOL.pools, subnetSize: opts.subnetSize ?? DEFAULT_SUBNET_SIZE },
      { pool: 'defaultAddrPool', size: 'subnetSize' });
  const addresses = opts.addresses ?? Array.from({ length: count }, (_, i) => `127.0.0.${i + 1}`);
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'swarmlet-'));
  const durable = opts.dataDir !== undefined;
  // Before anything is read or written: a second process on the same store would lose changes.
  const lock = durable ? lockDataDir(dataDir) : undefined;
  try {
    return await startCluster(opts, { clock, ids, logger, addresses, dataDir, durable, lock, addrPool });
  } catch (e) {
    lock?.release();
    throw e;
  }
}

interface StartContext {
  clock: Clock; ids: IdGenerator; logger: Logger; addresses: string[]; dataDir: string; durable: boolean; lock: DataDirLock | undefined;
  addrPool: AddrPool | undefined;
}

async function startCluster(opts: ClusterOptions, c: StartContext): Promise<Cluster> {
  const { clock, ids, logger, addresses, dataDir, durable, lock } = c;
  const meta = loadOrCreateMeta(dataDir, ids, clock.now(), c.addrPool);
  const addrPool = meta.addrPool ?? DEFAULT_ADDR_POOL;
  // What `swarm update` changed before a restart wins over the options (as Docker's swarm spec over its flags).
  const saved = meta.swarm;
  const historyLimit = saved?.taskHistoryLimit ?? opts.taskHistoryLimit;
  let heartbeatMs = saved?.heartbeatPeriodMs ?? opts.dispatcher?.heartbeatMs ?? 5000;
  // Secret and config content is sealed with a key kept apart from the journal (mode 0600); with
  // autolock the key is wrapped with the unlock key and the manager starts locked.
  // Several managers share one data key (`ha.dataKeyFile`): each must open what the others sealed. With
  // autolock each wraps its file with the unlock key the store holds (sealed); a manager started on a
  // wrapped file mirrors the store but does not campaign until it is unlocked.
  const keys = new ManagerKeys(opts.ha?.dataKeyFile ?? (durable ? join(dataDir, 'keys', 'data.key') : undefined));
  if (opts.ha && opts.autolock) throw new Error(AUTOLOCK_FLAG_HA);
  if (opts.autolock && !keys.isLocked()) keys.enableAutolock();
  const locked = keys.isLocked();
  const cipher = createSecretCipher(() => keys.dataKey());
  const listen = opts.listen ? parseListen(opts.listen) : undefined;
  const backend = opts.ha ? await openHaBackend(opts, opts.ha, listen, dataDir, ids, locked) : undefined;
  const journal = durable && !backend ? new FileJournal({ dir: join(dataDir, 'store'), logger }) : undefined;
  const store: Store = backend?.backend.store ?? new MemoryStore({ clock, ...(journal ? { journal } : {}) });
  const authRequired = clientAuthRequired(opts.tls, opts.requireClientToken);
  const managerAddr = listen ? `${listen.host}:${listen.port}` : '127.0.0.1:2377';
  const driverChoice: DriverChoice = typeof opts.driver === 'string' ? { kind: opts.driver } : opts.driver ?? { kind: 'process' };
  const nodes = addresses.length === 0 ? [] : store.update((tx) => addresses.map((addr, i) => registerNode(tx, {
    hostname: `node-${i + 1}`, addr, role: i === 0 ? 'manager' : 'worker', driver: driverChoice.kind, managerAddr,
    description: describeHost(driverChoice.kind), // in-process nodes: this machine
  }, ids, clock.now())));
  let drivers: TaskDriver[];
  try {
    drivers = await Promise.all(nodes.map((n) => {
      const nodeDir = join(dataDir, 'nodes', n.Description.Hostname);
      return opts.driverFactory?.({ hostname: n.Description.Hostname, addr: n.Status.Addr!, dataDir: nodeDir })
        ?? createTaskDriver(driverChoice, { nodeId: n.ID, hostname: n.Description.Hostname, dataDir: nodeDir, clock, logger });
    }));
  } catch (e) {
    store.close();
    await backend?.backend.close();
    throw e;
  }
  const manager = new Manager({
    store, clock, ids, logger: logger.child({ component: 'manager' }),
    ...(historyLimit !== undefined ? { taskHistoryLimit: historyLimit } : {}),
    imageAvailable: (tx, node, image) => canRunImage(tx, node, image, clock.now()),
  });
  const feed = new EndpointFeed({ store, clock, logger: logger.child({ component: 'endpoints' }), ...(opts.drainTimeoutMs !== undefined ? { drainTimeoutMs: opts.drainTimeoutMs } : {}) });
  const content = (kind: 'secret' | 'config', id: string) => (kind === 'secret' ? control.secrets : control.configs)?.content(id);
  const link = createLocalLink(store, manager, clock, feed, content);
  const agents = nodes.map((n, i) => new Agent({ nodeId: n.ID, hostname: n.Description.Hostname, addr: n.Status.Addr!, driver: drivers[i]!, link, clock, logger }));
  const byNode = new Map(agents.map((a) => [a.nodeId, a]));
  const control = createControl({
    store, clock, ids, cipher, clusterId: meta.clusterId, createdAt: meta.createdAt, addrPool,
    onNodeRemoved: (id) => tokens?.forget(id),
    selfNodeId: () => nodes[0]?.ID ?? store.view((tx) => tx.listNodes().find((n) => n.Spec.Role === 'manager')?.ID ?? tx.listNodes()[0]?.ID ?? ''),
    ...(historyLimit !== undefined ? { taskHistoryLimit: historyLimit } : {}),
    ...(opts.maxReplicas !== undefined ? { maxReplicas: opts.maxReplicas } : {}),
    logs: (nodeId, taskId, query) => {
      const agent = byNode.get(nodeId);
      if (agent) return agent.driver.logs(taskId, query);
      // A node process: the lines come up its session (none when it is not connected).
      return dispatcher ? dispatcher.logs(nodeId, taskId, query) : (async function* () { /* node unknown: no logs */ })();
    },
  });
  const eventLog = new EventLog({ clock, ...(durable ? { file: new EventFile(join(dataDir, 'events.jsonl'), DEFAULT_EVENT_LOG_CAPACITY, logger) } : {}) });
  const unfollowEvents = eventLog.follow(store);
  // Locked: nothing starts or stops a task until the unlock (the gateways still route). Several
  // managers: only while this one leads (below).
  if (!locked && !backend) manager.start();
  feed.start();
  const metrics = createManagerMetrics({ store, version: SWARMLET_VERSION, feed });
  const gatewayOpt = opts.gateway ?? true;
  const adminPort = typeof gatewayOpt === 'object' ? gatewayOpt.adminPort ?? 9323 : 9323;
  const gateways: ProcessGateway[] = gatewayOpt === false ? [] : nodes.map((n) => createGatewayProcess({
    gateway: { id: n.ID, nodeId: n.ID, hostname: n.Description.Hostname, addr: n.Status.Addr!, staggerRoundRobin: true },
    source: localEndpointSource(feed, n.ID), logger, clock,
    logLevel: typeof gatewayOpt === 'object' ? gatewayOpt.logLevel ?? 'silent' : 'silent',
    admin: adminPort === false ? false : { host: n.Status.Addr!, port: adminPort },
  }));
  // Services' virtual IPs (127.77.N.M, local to this machine): one gateway child process each, fed like the node gateways.
  const vipGateways = gatewayOpt === false ? undefined : new VipGateways({ source: feedVipSource(feed), clock, logger,
    logLevel: typeof gatewayOpt === 'object' ? gatewayOpt.logLevel ?? 'silent' : 'silent' });
  let dispatcher: Dispatcher | undefined;
  let ha: ManagerHa | undefined;
  let stopTokenFile: (() => void) | undefined;
  let unwatchAutolock: (() => void) | undefined;
  /** Undoes a start that failed half-way (a port in use): nothing keeps running or writing. */
  const stopAll = async (): Promise<void> => {
    stopTokenFile?.();
    await ha?.close();
    if (backend && !ha) await backend.backend.close();
    manager.stop();
    dispatcher?.stop();
    await Promise.all(gateways.map((g) => g.close()));
    await vipGateways?.close();
    feed.stop();
    metrics.close();
    await Promise.all(agents.map((a) => a.close()));
    unfollowEvents();
    unwatchAutolock?.();
    store.close();
  };
  const started = await Promise.allSettled(gateways.map((g) => g.start()));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stopAll();
    throw startUpError(failed.reason, 'gateway');
  }
  vipGateways?.start();
  if (!locked) for (const a of agents) a.start();
  let tokens: JoinTokens | undefined;
  // The tokens file is sealed with the data key while autolock is on; several managers share them
  // through the store (sealed with the shared data key).
  const sharedSecrets = backend ? storeSecretsHome(store, cipher, clock) : undefined;
  if (opts.dispatcher || authRequired) tokens = new JoinTokens(sharedSecrets ?? (durable ? join(dataDir, 'secrets.json') : undefined), keys);
  // ... and `swarmlet client-token --data DIR` reads the token from a file each manager keeps.
  if (tokens && sharedSecrets && durable) stopTokenFile = keepClientTokenFile(store, () => (keys.isLocked() ? undefined : sharedSecrets.read()?.client), join(dataDir, CLIENT_TOKEN_FILE), logger, keys);
  // Several managers: the swarm's settings live in the shared store, so the next leader serves them;
  // so does the unlock key, which this manager's data key file follows (every change, and once now).
  const swarmHome = backend ? storeSwarmHome(store, cipher, clock) : undefined;
  const sharedAutolock = backend ? new SharedAutolock(keys, storeUnlockKeyHome(store, cipher, clock),
    (err) => logger.error({ err }, 'autolock: the data key file could not follow the cluster\'s unlock key')) : undefined;
  const syncAutolock = (): void => {
    try {
      sharedAutolock?.sync();
    } catch (err) {
      logger.error({ err }, 'autolock: the data key file could not follow the cluster\'s unlock key');
    }
  };
  unwatchAutolock = sharedAutolock ? store.watch((events) => { if (touchesUnlockKey(events)) syncAutolock(); }, () => syncAutolock()) : undefined;
  const swarm = new SwarmState({
    clock, ids, clusterId: meta.clusterId, createdAt: meta.createdAt, keys: sharedAutolock ?? keys, addrPool,
    ...(saved && !swarmHome ? { saved } : {}),
    ...(swarmHome ? { save: (s) => swarmHome.write(s), shared: () => swarmHome.read() }
      : durable ? { save: (s) => saveSwarm(dataDir, s) } : {}),
    ...(tokens ? { tokens } : {}),
    heartbeatPeriodMs: () => heartbeatMs,
    setHeartbeatPeriodMs: (ms) => { heartbeatMs = ms; dispatcher?.setHeartbeatPeriod(ms); },
    taskHistoryLimit: () => manager.taskHistoryLimit,
    setTaskHistoryLimit: (n) => { manager.taskHistoryLimit = n; },
    eraseState: () => eraseSwarmState(control, new Set(nodes.map((n) => n.ID))),
    onUnlock: () => {
      if (backend) {
        // Several managers: the loops are the leader's; this one now campaigns (follows, or leads if none does).
        logger.info('swarm unlocked: the manager joins the election');
        backend.backend.campaign?.();
        return;
      }
      logger.info('swarm unlocked: the manager starts');
      manager.start();
      for (const a of agents) a.start();
      dispatcher?.start();
    },
  });
  if (opts.dispatcher && tokens) {
    dispatcher = new Dispatcher({ store, clock, ids, manager, tokens, logger: logger.child({ component: 'dispatcher' }), content,
      localNodes: nodes.map((n) => n.ID), // their agents run in this process: no heartbeats
      heartbeatMs });
    if (!locked && !backend) dispatcher.start();
  }
  if (backend) {
    const d = dispatcher;
    const t = tokens;
    const peer = createTlsDispatcher(opts.ha?.peerCa !== undefined ? { ca: opts.ha.peerCa } : undefined);
    ha = new ManagerHa({ backend: backend.backend, self: backend.self, clock, logger: logger.child({ component: 'ha' }), ...(peer ? { dispatcher: peer } : {}), roles: [
      { name: 'tokens', start: () => t?.ensure(), stop: () => undefined },
      { name: 'swarm', start: () => swarm.refresh(), stop: () => undefined }, // the saved limit and heartbeat apply here now
      { name: 'manager', start: () => manager.start(), stop: () => manager.stop() },
      // Nodes need a moment to find the new leader: 3 more heartbeat periods than Swarm's 3 before any is
      // down, and at least 10 s: a node leaves a stopped manager on timeouts of 2 s or more per manager
      // tried, whatever the period (a 1 s heartbeat would leave them 3 s).
      { name: 'dispatcher', start: () => d?.start({ extraGraceMs: Math.max(3 * d.heartbeatMs, 10_000) }), stop: () => d?.stop() },
    ] });
    ha.start();
  }
  // The join command names every reachable manager when several share the store (the node then
  // follows whichever leads: `node join --manager URL,URL,URL`), this one's URL otherwise.
  const joinUrls = (): string => {
    const all = backend ? backend.backend.election.managers().filter((m) => m.reachable).map((m) => m.addr) : [];
    return all.length > 1 ? all.join(',') : url ?? '';
  };
  const sessionRoutes = dispatcher && tokens ? nodeSessionRoutes(dispatcher, tokens, feed, joinUrls, clock) : [];
  let api: ApiServer | undefined;
  let url: string | undefined;
  if (listen) {
    const tokenRoutes = tokens ? [clientTokenRoute(tokens)] : [];
    const h = ha;
    const haRoutes = h && backend ? [managersRoute(() => h.managers(), backend.self.id)] : [];
    const apiControl = h && backend ? withManagerNodes(control, () => h.managers(), backend.self, meta.createdAt) : control;
    api = createApiServer({ control: apiControl, logger, version: SWARMLET_VERSION, extraRoutes: [...haRoutes, ...endpointRoutes(feed, clock), metricsRoute(metrics.registry), eventsRoute({ log: eventLog, clock }), ...sessionRoutes, ...tokenRoutes, ...uiRoutes()],
      swarm, ...(opts.tls ? { tls: opts.tls } : {}), ...(tokens ? { authorize: createAuthorizer(tokens, { required: authRequired }) } : {}),
      ...(h ? { ha: h.api() } : {}) });
    try {
      const bound = await api.listen(listen.host, listen.port);
      url = `${opts.tls ? 'https' : 'http'}://${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}`;
    } catch (e) {
      await stopAll();
      throw startUpError(e, 'api');
    }
  }
  let closing: Promise<void> | undefined;
  const client = new ClusterClient(control, store, clock, eventLog);
  return Object.assign(client, {
    control, store, manager, agents, gateways, vipGateways, url, dataDir, feed, eventLog, metrics: metrics.registry, ha,
    clientToken: () => tokens?.clientToken(),
    isLocked: () => swarm.isLocked(),
    unlock: (key: string) => swarm.unlock({ UnlockKey: key }),
    unlockKey: () => swarm.unlockKey(),
    heartbeatMs: () => heartbeatMs,
    rotateClientToken(): string {
      if (!tokens) throw new SwarmletError('failed_precondition', 'this cluster keeps no client token: start it with `dispatcher`, `tls` or `requireClientToken`');
      return tokens.rotateClientToken();
    },
    async kill(): Promise<void> {
      manager.stop();
      await Promise.all(agents.map((a) => a.kill()));
    },
    close(): Promise<void> {
      closing ??= (async () => {
        manager.stop(); // no new plans while the API drains (stopAll stops it again: idempotent)
        dispatcher?.stop();
        await ha?.close(); // resigns at once: another manager takes over while this one drains
        await api?.close();
        await stopAll();
        lock?.release();
        if (!durable) rmSync(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  });
}
