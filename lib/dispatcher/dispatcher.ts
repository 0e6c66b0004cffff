import type { Clock, Timer } from '../clock.js';
import { SwarmletError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { Manager } from '../manager/manager.js';
import type { TaskReport } from '../protocol/task-report.js';
import { listImages } from '../manager/image-catalog.js';
import type { Image, Task } from '../model/types.js';
import { describeNode, registerNode } from './register-node.js';
import type { NodeReport } from '../protocol/node-report.js';
import type { Assignments, SessionMessage } from '../protocol/session.js';
import type { Store } from '../store/store.js';
import type { JoinRole, JoinTokens } from './join-tokens.js';
import { planLiveness } from './node-liveness.js';
import { LogRequests } from './log-requests.js';
import type { LogLine, LogQuery } from '../agent/task-driver.js';
import type { IncomingMessage } from 'node:http';
import { serviceInfoOf, watchNode } from './watch-node.js';
import { awaitsStart, payloadsFor, type ContentLookup } from '../secrets/task-files.js';
import { discoveryEnv } from '../networks/discovery-env.js';

export interface JoinRequest {
  token: string; hostname: string; addr: string; labels?: Record<string, string>; driver?: string;
  /** What the node says it is and has (validated at the route): stored as the node's Description. */
  description?: NodeReport;
}
export interface JoinResult { nodeId: string; credential: string; role: JoinRole; heartbeatMs: number }

export interface DispatcherOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  manager: Manager;
  tokens: JoinTokens;
  /** Swarm's --dispatcher-heartbeat (default 5 s); a node silent for 3 periods is down. */
  heartbeatMs?: number;
  /**
   * Nodes whose agents run inside the manager's process (createCluster's own nodes): they send no
   * heartbeats and are never judged down by liveness.
   */
  localNodes?: Iterable<string>;
  logger?: Logger;
  /** Decrypted secret and config content, for the tasks a node is about to start. */
  content?: ContentLookup;
}

/**
 * The manager's side of node sessions: joins with a token, heartbeats, failure detection
 * (period × 3 → `down`, "heartbeat failure"), task status from agents, and each node's assignments.
 */
export class Dispatcher {
  private period: number;
  /** The period before the last change and until when liveness still allows for it (nodes learn the new one at their next heartbeat). */
  private previous: { ms: number; until: number } | undefined;
  private readonly lastSeen = new Map<string, number>();
  private timer: Timer | undefined;
  private readonly logger: Logger;
  /** Each connected node's session streams (the newest one gets log requests). */
  private readonly sessions = new Map<string, Array<(message: SessionMessage) => void>>();
  private readonly logRequests: LogRequests;
  private readonly sessionWaiters = new Map<string, Set<() => void>>();
  private readonly localNodes: ReadonlySet<string>;

  constructor(private readonly o: DispatcherOptions) {
    this.period = o.heartbeatMs ?? 5000;
    this.logger = o.logger ?? silentLogger();
    this.logRequests = new LogRequests({ clock: o.clock, ids: o.ids });
    this.localNodes = new Set(o.localNodes ?? []);
  }

  /** The heartbeat period (`docker swarm update --dispatcher-heartbeat`). */
  get heartbeatMs(): number { return this.period; }

  /**
   * A new heartbeat period. Nodes learn it from the answer to their next heartbeat, which comes within
   * the old period: until then failure detection allows for the longer of the two.
   */
  setHeartbeatPeriod(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) throw new Error(`invalid heartbeat period ${ms}`);
    if (ms === this.period) return;
    const now = this.o.clock.now();
    const old = Math.max(this.period, this.previous && now < this.previous.until ? this.previous.ms : 0);
    this.previous = { ms: old, until: now + old * 3 };
    this.period = ms;
    this.logger.info({ heartbeatMs: ms }, 'heartbeat period changed');
  }

  /** The period failure detection uses now. */
  private livenessPeriod(now: number): number {
    return this.previous && now < this.previous.until ? Math.max(this.previous.ms, this.period) : this.period;
  }

  /** A node's session opened: `send` writes one message down it. Returns the close function. */
  openSession(nodeId: string, send: (message: SessionMessage) => void): () => void {
    const list = this.sessions.get(nodeId) ?? [];
    list.push(send);
    this.sessions.set(nodeId, list);
    for (const wake of [...(this.sessionWaiters.get(nodeId) ?? [])]) wake();
    return () => {
      const rest = (this.sessions.get(nodeId) ?? []).filter((s) => s !== send);
      if (rest.length > 0) this.sessions.set(nodeId, rest);
      else this.sessions.delete(nodeId);
    };
  }

  /**
   * A task's logs from the node that ran it, asked down its session. A node that is between
   * sessions (its process restarting) gets a moment to reconnect; without a session: no lines.
   */
  logs(nodeId: string, taskId: string, query: LogQuery): AsyncIterable<LogLine> {
    return this.logRequests.read(nodeId, taskId, query, async (r) => {
      const send = this.sessions.get(nodeId)?.at(-1) ?? await this.nextSession(nodeId, Math.min(5000, this.heartbeatMs * 2), query.signal);
      if (!send) {
        this.logger.warn({ node: nodeId, task: taskId }, 'task logs not available: the node is not connected');
        return false;
      }
      send({ LogRequest: r });
      return true;
    });
  }

  /** The node's next session, when one opens within `ms` (and the node is not down). */
  private nextSession(nodeId: string, ms: number, signal?: AbortSignal): Promise<((m: SessionMessage) => void) | undefined> {
    const down = this.o.store.view((tx) => tx.getNode(nodeId)?.Status.State !== 'ready');
    if (down || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiters = this.sessionWaiters.get(nodeId) ?? new Set();
      const done = () => { timer.cancel(); waiters.delete(done); signal?.removeEventListener('abort', done); resolve(this.sessions.get(nodeId)?.at(-1)); };
      const timer = this.o.clock.setTimeout(done, ms);
      waiters.add(done);
      this.sessionWaiters.set(nodeId, waiters);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** A node's upload of log lines for one of `logs`' requests; false when there is no such request. */
  acceptLogs(nodeId: string, requestId: string, upload: IncomingMessage): Promise<boolean> {
    return this.logRequests.accept(nodeId, requestId, upload);
  }

  /**
   * Starts failure detection; nodes known from before a restart (or a failover to this manager) get
   * one full grace period (3 heartbeat periods, plus `extraGraceMs`: a new leader after a failover
   * gives nodes time to find it) to reconnect before any is marked down.
   */
  start(opts: { extraGraceMs?: number } = {}): void {
    this.timer?.cancel();
    const now = this.o.clock.now() + (opts.extraGraceMs ?? 0);
    for (const n of this.o.store.view((tx) => tx.listNodes())) this.lastSeen.set(n.ID, now);
    this.tick();
  }

  stop(): void { this.timer?.cancel(); this.timer = undefined; }

  private tick(): void {
    try {
      this.checkLiveness();
    } catch (err) { // the store refused the write (a shared store without quorum): judged again next tick
      this.logger.warn({ err: (err as Error).message }, 'node liveness not recorded');
    }
    this.timer = this.o.clock.setTimeout(() => this.tick(), Math.max(50, Math.floor(this.heartbeatMs / 4)));
  }

  checkLiveness(): void {
    const now = this.o.clock.now();
    this.o.store.update((tx) => {
      for (const c of planLiveness(tx.listNodes(), this.lastSeen, now, this.livenessPeriod(now), this.localNodes)) {
        const n = tx.getNode(c.nodeId);
        if (!n) continue;
        if (c.state === 'down') this.logger.warn({ node: n.Description.Hostname }, 'node down: heartbeat failure');
        tx.putNode({ ...n, Status: { ...n.Status, State: c.state, Message: c.message } });
      }
    });
  }

  join(req: JoinRequest): JoinResult {
    const role = this.o.tokens.roleOf(req.token);
    if (!role) throw new SwarmletError('invalid_argument', 'invalid join token');
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(req.hostname)) throw new SwarmletError('invalid_argument', `invalid hostname "${req.hostname}"`, 'Hostname');
    if (!/^[0-9a-fA-F.:]+$/.test(req.addr)) throw new SwarmletError('invalid_argument', `invalid address "${req.addr}"`, 'Addr');
    const now = this.o.clock.now();
    const node = this.o.store.update((tx) => registerNode(tx, {
      hostname: req.hostname, addr: req.addr, role, driver: req.driver ?? 'process', ...(req.labels ? { labels: req.labels } : {}),
      ...(req.description ? { description: req.description } : {}),
    }, this.o.ids, now));
    this.lastSeen.set(node.ID, now);
    const credential = this.o.tokens.issueCredential(node.ID);
    this.logger.info({ node: req.hostname, role }, 'node joined');
    return { nodeId: node.ID, credential, role, heartbeatMs: this.heartbeatMs };
  }

  authenticate(nodeId: string, credential: string): boolean {
    return this.o.tokens.checkCredential(nodeId, credential);
  }

  heartbeat(nodeId: string): void {
    this.lastSeen.set(nodeId, this.o.clock.now());
    const down = this.o.store.view((tx) => tx.getNode(nodeId)?.Status.State !== 'ready');
    if (down) this.checkLiveness();
  }

  /** What a node reports about itself (platform, resources, engine, driver, images). */
  describe(nodeId: string, d: NodeReport): void {
    this.lastSeen.set(nodeId, this.o.clock.now());
    this.o.store.update((tx) => describeNode(tx, nodeId, d));
  }

  report(nodeId: string, taskId: string, report: TaskReport): void {
    this.lastSeen.set(nodeId, this.o.clock.now());
    this.o.manager.reportTask(nodeId, taskId, report);
  }

  assignments(nodeId: string): Assignments {
    return this.o.store.view((tx) => {
      const tasks = tx.tasksOfNode(nodeId);
      const services: Assignments['Services'] = {};
      for (const t of tasks) {
        const s = tx.getService(t.ServiceID);
        if (s && !services[s.ID]) services[s.ID] = serviceInfoOf(s);
      }
      const content = this.o.content ? payloadsFor(tasks, this.o.content) : {};
      const env: Record<string, string[]> = {};
      for (const t of tasks.filter(awaitsStart)) {
        const s = tx.getService(t.ServiceID);
        const vars = s ? discoveryEnv(s, tx.listServices()) : [];
        if (vars.length > 0) env[t.ID] = vars;
      }
      return { Tasks: tasks, Services: services, Images: listImages(tx, this.o.clock.now()), ...content, ...(Object.keys(env).length > 0 ? { Env: env } : {}) };
    });
  }

  /** Calls `fn` with the node's assignments now and after every change that concerns it. */
  watchAssignments(nodeId: string, fn: (a: Assignments) => void): () => void {
    return watchNode(this.o.store, nodeId, () => fn(this.assignments(nodeId)), (e) => e.kind === 'image' || e.kind === 'service');
  }
}
