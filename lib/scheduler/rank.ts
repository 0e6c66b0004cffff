/**
 * Node ranking ("spread", swarmkit `scheduleTaskGroup` `nodeLess`): a node with
 * many recent failures of the service goes last, then fewer active tasks of the
 * service wins, then fewer active tasks in total. swarmlet adds a final
 * tie-break on hostname then node ID so plans are deterministic.
 */
import type { NodeInfo } from './node-info.js';

/** swarmkit `maxFailures`: from this many recent failures on, a node is deprioritised. */
export const MAX_FAILURES = 5;

export type NodeCompare = (a: NodeInfo, b: NodeInfo) => number;

/** A node being ranked for one batch, with the counts the comparison needs at hand. */
export interface Candidate {
  readonly info: NodeInfo;
  /** Active tasks of the batch's service on the node; the placer bumps it on each assignment. */
  serviceTasks: number;
  /** Recent failures when ≥ MAX_FAILURES, else 0. */
  readonly penalty: number;
}

/** A candidate with `serviceTasks` tasks of the batch's service and `recentFailures` failures. */
export function candidateOf(info: NodeInfo, serviceTasks: number, recentFailures: number): Candidate {
  return { info, serviceTasks, penalty: recentFailures >= MAX_FAILURES ? recentFailures : 0 };
}

function compareIdentity(a: NodeInfo, b: NodeInfo): number {
  if (a.hostname !== b.hostname) return a.hostname < b.hostname ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** nodeLess on candidates: failures (from MAX_FAILURES on), tasks of the service, all tasks, hostname, ID. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  return a.penalty - b.penalty
    || a.serviceTasks - b.serviceTasks
    || a.info.activeTasks - b.info.activeTasks
    || compareIdentity(a.info, b.info);
}

/**
 * The same order as compareCandidates, straight on NodeInfo for one service.
 * `failures` holds the recent failure count of nodes that have any.
 */
export function rankNodes(serviceId: string, failures: ReadonlyMap<NodeInfo, number>): NodeCompare {
  return (a, b) => compareCandidates(
    candidateOf(a, a.activeTasksOf(serviceId), failures.get(a) ?? 0),
    candidateOf(b, b.activeTasksOf(serviceId), failures.get(b) ?? 0),
  );
}

/** A binary min-heap: the best node (candidate) is on top. */
export class NodeHeap<T = NodeInfo> {
  private readonly items: T[];
  private readonly compare: (a: T, b: T) => number;

  constructor(compare: (a: T, b: T) => number, nodes: Iterable<T> = []) {
    this.compare = compare;
    this.items = [...nodes];
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(node: T): void {
    this.items.push(node);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.down(0);
    }
    return top;
  }

  private up(i: number): void {
    const items = this.items;
    const node = items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(node, items[parent]!) >= 0) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = node;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const node = items[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.compare(items[child + 1]!, items[child]!) < 0) child += 1;
      if (this.compare(items[child]!, node) >= 0) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = node;
  }
}
