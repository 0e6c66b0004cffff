/**
 * The scheduler's NodeInfo kept between passes (swarmkit keeps its nodeInfo map the same way):
 * built once from a snapshot, then moved by each task change, so placing one replacement among a
 * million running tasks costs what the change costs, not a scan of every task. Node changes,
 * host-port changes of a service, a failed apply and the manager's periodic resync rebuild it.
 */
import type { Node, Service, Task } from '../model/types.js';
import type { ReadTx, StoreEvent } from '../store/store.js';
import {
  NodeInfo, holdingFootprint, isFailure, recordFailureOf, serviceHostPorts,
  type NodeInfoSet, type ServiceTaskIndex, type TaskFootprint,
} from './node-info.js';
import { isTerminal } from '../model/task-state.js';

interface Held { info: NodeInfo; fp: TaskFootprint }

function sameFootprint(a: TaskFootprint, b: TaskFootprint): boolean {
  return a.serviceId === b.serviceId && a.nanoCpus === b.nanoCpus && a.memoryBytes === b.memoryBytes
    && a.active === b.active && a.hostPorts.length === b.hostPorts.length && a.hostPorts.every((k, i) => k === b.hostPorts[i]);
}

export class NodeInfoCache {
  private set: { list: NodeInfo[]; byId: Map<string, NodeInfo>; byService: ServiceTaskIndex } | undefined;
  /** What each task holds on its node, as added to that node's info. */
  private readonly held = new Map<string, Held>();
  private rebuilds = 0;

  /** Times the cache was built from a full snapshot (tests, metrics). */
  get rebuildCount(): number { return this.rebuilds; }

  /** Forgets everything: the next `get` rebuilds from the store. */
  invalidate(): void {
    this.set = undefined;
    this.held.clear();
  }

  /** The current NodeInfo of every node (rebuilt from `tx` when stale). Mutated by planPlacements as it assigns. */
  get(tx: ReadTx, services: ReadonlyMap<string, Service>, now: number): NodeInfoSet {
    if (!this.set) this.rebuild(tx, services, now);
    const { list, byId, byService } = this.set!;
    return { list, byId, byService, withFailures: list.filter((info) => info.hasFailures) };
  }

  private rebuild(tx: ReadTx, services: ReadonlyMap<string, Service>, now: number): void {
    this.rebuilds += 1;
    this.held.clear();
    const byService: ServiceTaskIndex = new Map();
    const list = tx.listNodes().map((n: Node) => new NodeInfo(n, byService));
    const byId = new Map(list.map((info) => [info.id, info]));
    const ports = new Map<string, string[]>();
    const portsOf = (id: string) => {
      let keys = ports.get(id);
      if (!keys) ports.set(id, (keys = serviceHostPorts(services.get(id))));
      return keys;
    };
    for (const task of tx.listTasks()) {
      const info = task.NodeID ? byId.get(task.NodeID) : undefined;
      if (!info) continue;
      if (isTerminal(task.Status.State)) {
        if (isFailure(task)) recordFailureOf(info, task, now);
        continue;
      }
      const fp = holdingFootprint(task, portsOf);
      if (!fp) continue;
      info.add(fp);
      this.held.set(task.ID, { info, fp });
    }
    this.set = { list, byId, byService };
  }

  /** Follows a batch of store events: node and host-port changes rebuild, task changes move footprints. */
  observe(events: readonly StoreEvent[], hostPortsOf: (serviceId: string) => string[], now: number): void {
    for (const e of events) {
      if (e.kind === 'node') { this.invalidate(); return; }
      if (e.kind === 'service') {
        const before = serviceHostPorts(e.old as Service | undefined ?? (e.action === 'delete' ? e.object as Service : undefined));
        const after = serviceHostPorts(e.action === 'delete' ? undefined : e.object as Service);
        if (before.join() !== after.join()) { this.invalidate(); return; }
        continue;
      }
      if (e.kind !== 'task') continue;
      const next = e.action === 'delete' ? undefined : (e.object as Task);
      const old = e.action === 'create' ? undefined : ((e.old ?? e.object) as Task);
      this.observeTask(e.id, old, next, hostPortsOf, now);
    }
  }

  /** Follows one task change (`next` undefined: deleted): its footprint moves, a new failure is recorded. */
  observeTask(id: string, old: Task | undefined, next: Task | undefined, hostPortsOf: (serviceId: string) => string[], now: number): void {
    if (!this.set) return;
    const prev = this.held.get(id);
    const fp = next ? holdingFootprint(next, hostPortsOf) : undefined;
    if (prev && fp && prev.info.id === next!.NodeID && sameFootprint(prev.fp, fp)) return;
    if (prev) { prev.info.remove(prev.fp); this.held.delete(id); }
    if (fp) {
      const info = this.set.byId.get(next!.NodeID);
      if (!info) { this.invalidate(); return; }
      info.add(fp);
      this.held.set(id, { info, fp });
    }
    if (next && isFailure(next) && !(old && isFailure(old)) && next.NodeID) {
      const info = this.set.byId.get(next.NodeID);
      if (info) recordFailureOf(info, next, now);
    }
  }

  /**
   * The plan already added this task's footprint to its node's info: remember it as held, so
   * that the commit's event for the same assignment changes nothing.
   */
  notePlaced(task: Task, hostPortsOf: (serviceId: string) => string[]): void {
    if (!this.set) return;
    const fp = holdingFootprint(task, hostPortsOf);
    const info = this.set.byId.get(task.NodeID);
    if (!fp || !info) { this.invalidate(); return; }
    this.held.set(task.ID, { info, fp });
  }
}
