import type { Clock, Timer } from '../clock.js';
import { SwarmletError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { Manager, TaskReport } from '../manager/manager.js';
import { listImages } from '../manager/image-catalog.js';
import type { Image, Task } from '../model/types.js';
import { registerNode } from '../cluster/cluster-nodes.js';
import type { Store } from '../store/store.js';
import type { JoinRole, JoinTokens } from './join-tokens.js';
import { planLiveness } from './node-liveness.js';
import { serviceInfoOf, watchNode } from './watch-node.js';

export interface JoinRequest { token: string; hostname: string; addr: string; labels?: Record<string, string>; driver?: string }
export interface JoinResult { nodeId: string; credential: string; role: JoinRole; heartbeatMs: number }

/** What a node's session carries down: its tasks, the services they belong to, the image catalog. */
export interface Assignments {
  Tasks: Task[];
  Services: Record<string, { name: string; targetPort?: number }>;
  Images: Image[];
}

export interface DispatcherOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  manager: Manager;
  tokens: JoinTokens;
  /** Swarm's --dispatcher-heartbeat (default 5 s); a node silent for 3 periods is down. */
  heartbeatMs?: number;
  logger?: Logger;
}

/**
 * The manager's side of node sessions: joins with a token, heartbeats, failure detection
 * (period × 3 → `down`, "heartbeat failure"), task status from agents, and each node's assignments.
 */
export class Dispatcher {
  readonly heartbeatMs: number;
  private readonly lastSeen = new Map<string, number>();
  private timer: Timer | undefined;
  private readonly logger: Logger;

  constructor(private readonly o: DispatcherOptions) {
    this.heartbeatMs = o.heartbeatMs ?? 5000;
    this.logger = o.logger ?? silentLogger();
  }

  /** Starts failure detection; nodes known from before a restart get one full grace period. */
  start(): void {
    const now = this.o.clock.now();
    for (const n of this.o.store.view((tx) => tx.listNodes())) this.lastSeen.set(n.ID, now);
    this.tick();
  }

  stop(): void { this.timer?.cancel(); this.timer = undefined; }

  private tick(): void {
    this.checkLiveness();
    this.timer = this.o.clock.setTimeout(() => this.tick(), Math.max(50, Math.floor(this.heartbeatMs / 4)));
  }

  checkLiveness(): void {
    const now = this.o.clock.now();
    this.o.store.update((tx) => {
      for (const c of planLiveness(tx.listNodes(), this.lastSeen, now, this.heartbeatMs, new Set())) {
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
      return { Tasks: tasks, Services: services, Images: listImages(tx, this.o.clock.now()) };
    });
  }

  /** Calls `fn` with the node's assignments now and after every change that concerns it. */
  watchAssignments(nodeId: string, fn: (a: Assignments) => void): () => void {
    return watchNode(this.o.store, nodeId, () => fn(this.assignments(nodeId)), (e) => e.kind === 'image' || e.kind === 'service');
  }
}
