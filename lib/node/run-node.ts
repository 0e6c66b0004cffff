import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { Agent } from '../agent/agent.js';
import { createHttpLink } from '../agent/http-link.js';
import { createTaskDriver, type DriverChoice, type DriverKind } from '../drivers/create-task-driver.js';
import { resolveNodeOptions, type GatewayOption, type NodeOptionNames, type ResolvedNodeOptions } from './node-options.js';
import { invalid, SwarmletError } from '../errors.js';
import { createTlsDispatcher, type ClientTlsOptions } from '../client/tls-dispatcher.js';
import { createGatewayProcess, type ProcessGateway } from '../../gateway/gateway-process.js';
import { lockDataDir, type DataDirLock } from '../cluster/data-dir-lock.js';
import { startUpError } from '../cluster/start-up-error.js';
import { describeHost } from '../agent/host-description.js';
import { JoinReplySchema, type JoinRequestBody } from '../protocol/join.js';
import { parseWire } from '../protocol/wire-error.js';
import { codeFor } from '../client/api-error.js';
import { managerUrls } from '../client/manager-cursor.js';
import { streamEndpointSource } from '../client/endpoint-stream-source.js';
import { VipGateways, type VipGatewaySource } from '../cluster/vip-gateways.js';
import type { WorkerSourceSpec } from '../../gateway/worker-config.js';

/** The same names as createCluster's options where they mean the same (`dataDir`, `gateway`, `driver`, `logger`, `clock`). */
export interface NodeOptions extends NodeOptionNames {
  /**
   * The manager's API URL, e.g. http://127.0.0.1:2377 or https://…; several managers of one cluster
   * comma-separated (the session, reports and the gateway's stream move to the next when one fails).
   */
  manager: string;
  /** Trust this CA (PEM text) for an https manager (`--tlscacert`). */
  tls?: ClientTlsOptions;
  /** Join token: needed the first time; afterwards the node's credential in `dataDir` is used. */
  token?: string;
  address: string;
  hostname: string;
  labels?: Record<string, string>;
  /** The node's own state: its identity and credential, task logs (`stateDir`, its old name, still works). */
  dataDir?: string;
  /**
   * The node's gateway (routing mesh), in a child process: /metrics on `adminPort` at the node address
   * (default 9323; false for none), its pino level on stderr `logLevel` (default 'silent'); false for none.
   * The same switch runs the node's VIP gateways (one child per service VIP, see VipGateways).
   */
  gateway?: GatewayOption;
  /** The task driver: `process` (default) or `docker` (with the engine at `dockerHost`, DOCKER_HOST or the local socket). */
  driver?: DriverKind | DriverChoice;
  clock?: Clock;
  logger?: Logger;
}

export interface NodeProcess {
  readonly nodeId: string;
  readonly hostname: string;
  /** The gateways of the services' virtual IPs on this node (undefined with `gateway: false`). */
  readonly vipGateways: VipGateways | undefined;
  /** Stops the gateway and every task of this node. */
  close(): Promise<void>;
}

interface Identity { NodeID: string; Credential: string; HeartbeatPeriodMs: number; Manager: string }

/** A node process: joins the manager (once), then runs an agent and, in a child process, a gateway for this node. */
export async function runNode(o: NodeOptions): Promise<NodeProcess> {
  const clock = o.clock ?? systemClock();
  const logger = o.logger ?? silentLogger();
  const r = resolveNodeOptions(o);
  mkdirSync(r.dataDir, { recursive: true });
  // Two node processes on one state directory would be one node twice (same credential, same tasks).
  const lock = lockDataDir(r.dataDir);
  try {
    return await startNode(o, r, clock, logger, lock);
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function startNode(o: NodeOptions, r: ResolvedNodeOptions, clock: Clock, logger: Logger, lock: DataDirLock): Promise<NodeProcess> {
  const id = await identity(o, r);
  const driver = await createTaskDriver(r.driver,
    { nodeId: id.NodeID, hostname: o.hostname, dataDir: join(r.dataDir, 'driver'), clock, logger });
  const link = createHttpLink({ manager: o.manager, nodeId: id.NodeID, credential: id.Credential, heartbeatMs: id.HeartbeatPeriodMs, clock, logger, ...(o.tls ? { tls: o.tls } : {}),
    logs: (taskId, query) => driver.logs(taskId, query) });
  const agent = new Agent({ nodeId: id.NodeID, hostname: o.hostname, addr: o.address, driver, link, clock, logger });
  let gateway: ProcessGateway | undefined;
  if (r.gateway !== false) {
    const port = r.gateway.adminPort;
    // Its own process, following the manager's endpoint stream itself: a busy agent or a dead
    // manager never delays a proxied request.
    gateway = createGatewayProcess({
      gateway: { id: id.NodeID, nodeId: id.NodeID, hostname: o.hostname, addr: o.address, staggerRoundRobin: true },
      source: { kind: 'stream', manager: o.manager, token: id.Credential, ...(o.tls ? { tls: o.tls } : {}) },
      clock, logger, logLevel: r.gateway.logLevel,
      admin: port === false ? false : { host: o.address, port },
    });
    try {
      await gateway.start();
    } catch (e) {
      await gateway.close();
      link.close();
      throw startUpError(e, 'gateway'); // a port in use: one sentence naming it and the way out
    }
  }
  // The services' virtual IPs on this machine: one gateway child per VIP, each following the
  // manager's stream projected to its VIP, in the drain barrier under its own ID.
  let vips: VipGateways | undefined;
  if (r.gateway !== false) {
    const stream: WorkerSourceSpec = { kind: 'stream', manager: o.manager, token: id.Credential, ...(o.tls ? { tls: o.tls } : {}) };
    const source: VipGatewaySource = {
      // An observer stream (no gateway ID): it only tells which VIPs exist, and holds up no drain.
      tables: (onTable) => streamEndpointSource({ manager: o.manager, gatewayId: undefined, token: id.Credential, ...(o.tls ? { tls: o.tls } : {}), clock, logger }).subscribe(onTable),
      gateway: (addr) => ({ id: `vip.${id.NodeID}.${addr}`, source: { ...stream, vip: addr } }),
    };
    vips = new VipGateways({ source, clock, logger, logLevel: r.gateway.logLevel });
    vips.start();
  }
  agent.start();
  return {
    nodeId: id.NodeID,
    hostname: o.hostname,
    vipGateways: vips,
    async close() {
      await vips?.close();
      await gateway?.close();
      link.close();
      await agent.close();
      lock.release();
    },
  };
}

async function identity(o: NodeOptions, r: ResolvedNodeOptions): Promise<Identity> {
  const file = join(r.dataDir, 'node.json');
  const wanted = managerUrls(o.manager);
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Identity;
    // The same cluster: one of the managers it joined through is still listed.
    if (saved.Manager === o.manager || managerUrls(saved.Manager).some((u) => wanted.includes(u))) return { ...saved, Manager: o.manager };
  }
  if (!o.token) throw invalid(`node ${o.hostname} has not joined ${o.manager} yet: pass --token (see \`swarmlet join-token worker\`)`, 'token');
  const dispatcher = createTlsDispatcher(o.tls);
  const driver = r.driver.kind;
  // The node describes itself (its platform, CPUs, memory): the manager records what the node sent.
  const joinBody: JoinRequestBody = { Token: o.token, Hostname: o.hostname, Addr: o.address, Labels: o.labels ?? {}, Driver: driver, Description: describeHost(driver) };
  let res: Awaited<ReturnType<typeof request>> | undefined;
  let body: { message?: string } = {};
  let lastError: Error | undefined;
  try {
    // Any manager takes the join (a follower forwards it to the leader); the next one is tried when one cannot.
    for (const manager of wanted) {
      try {
        res = await request(`${manager}/swarmlet/v1/join`, {
          ...(dispatcher ? { dispatcher } : {}), method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(joinBody),
          headersTimeout: 15_000,
        });
        body = await res.body.json() as { message?: string };
        if (res.statusCode < 500) break;
        lastError = new Error(`${manager}: ${body.message ?? res.statusCode}`);
      } catch (e) {
        lastError = new Error(`${manager}: ${(e as Error).message}`);
        res = undefined;
      }
    }
  } finally {
    await dispatcher?.close();
  }
  if (!res || res.statusCode >= 500) throw new SwarmletError('unavailable', `join failed: no manager took it (${lastError?.message ?? 'no manager'})`);
  if (res.statusCode !== 200) throw new SwarmletError(codeFor(res.statusCode, body.message), `join refused by ${o.manager}: ${body.message ?? res.statusCode}`);
  const reply = parseWire(JoinReplySchema, body, 'join reply');
  const id: Identity = { NodeID: reply.NodeID, Credential: reply.Credential, HeartbeatPeriodMs: reply.HeartbeatPeriodMs, Manager: o.manager };
  writeFileSync(`${file}.tmp`, JSON.stringify(id), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return id;
}
