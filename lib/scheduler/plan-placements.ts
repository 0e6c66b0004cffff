/**
 * planPlacements: the scheduler's pure core. Given a snapshot (nodes, services,
 * every task) and the tasks waiting for a node, it returns which node each task
 * goes to, and for the rest Swarm's "no suitable node (…)" reason.
 *
 * Pending tasks are batched per (service, spec version), as swarmkit does, and
 * batches are placed in a stable order (service ID, spec version, then slot).
 * For each batch the filter pipeline picks the eligible nodes; they are ranked
 * with swarmkit's nodeLess in a heap, and each task goes to the best node, whose
 * counts and free resources are updated at once so the next pick (and the
 * re-check of the dynamic filters) sees them. Placement preferences split the
 * batch over label branches first.
 */
import type { Node, Service, Task } from '../model/types.js';
import {
  alwaysAvailable, enabledFilters, explainNoNode, footprintOfRequirements, noSuitableNode, passesFilters,
  requirementsOf, type Filter, type ImageAvailable, type TaskRequirements,
} from './filters.js';
import { reasonHolds } from './reason-holds.js';
import { buildNodeInfos, type NodeInfo, type NodeInfoSet, type ServiceTaskIndex } from './node-info.js';
import { NodeHeap, candidateOf, compareCandidates, type Candidate } from './rank.js';
import { buildSpreadTree, flatTree, placeOnTree, type PlaceOnLeaf, type SpreadTree } from './spread-tree.js';

export interface PlacementInput {
  nodes: Node[];
  services: ReadonlyMap<string, Service>;
  /** Every task in the store (for counts, reservations, failures); not read when `nodeInfos` is given. */
  tasks: Task[];
  /** NodeInfo kept up to date between plans (NodeInfoCache); assignments are added to it. */
  nodeInfos?: NodeInfoSet;
  /** Tasks to place: NodeID === '' and Status.State 'new' or 'pending', DesiredState <= running. */
  pending: Task[];
  /** ms since the epoch, for the 5-minute failure window. */
  now: number;
  /** Default: every image is available everywhere. */
  imageAvailable?: (node: Node, image: string) => boolean;
}

export interface PlacementPlan {
  assignments: Array<{ taskId: string; nodeId: string }>;
  /**
   * reason = 'no suitable node (…)', as Swarm sets it in the task's Status.Err; a pending task's
   * current reason when it still holds (each node counted under a filter that rejects it).
   */
  unplaced: Array<{ taskId: string; reason: string }>;
}

interface TaskGroup { serviceId: string; version: number; tasks: Task[] }

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Pending tasks batched per (service, spec version), in a stable order. */
function groupPending(pending: readonly Task[]): TaskGroup[] {
  const groups = new Map<string, TaskGroup>();
  for (const task of pending) {
    const version = task.SpecVersion?.Index ?? -1;
    const key = `${task.ServiceID}\u0000${version}`;
    const group = groups.get(key);
    if (group) group.tasks.push(task);
    else groups.set(key, { serviceId: task.ServiceID, version, tasks: [task] });
  }
  const list = [...groups.values()];
  list.sort((a, b) => compareStrings(a.serviceId, b.serviceId) || a.version - b.version);
  for (const g of list) g.tasks.sort((a, b) => a.Slot - b.Slot || compareStrings(a.ID, b.ID));
  return list;
}

/** Recent failures of the group's service and spec version, for nodes that have any. */
function failuresOf(nodes: NodeInfoSet, group: TaskGroup, service: Service | undefined, now: number): Map<NodeInfo, number> {
  const version = group.version >= 0 ? group.version : service?.SpecVersion?.Index;
  const failures = new Map<NodeInfo, number>();
  for (const info of nodes.withFailures) {
    const n = info.recentFailures(group.serviceId, version, now);
    if (n > 0) failures.set(info, n);
  }
  return failures;
}

function spreadDescriptors(task: Task, service: Service | undefined): string[] {
  const mode = service?.Spec.Mode;
  if (mode?.Global || mode?.GlobalJob) return [];
  const prefs = task.Spec?.Placement?.Preferences ?? [];
  return prefs.map((p) => p.Spread?.SpreadDescriptor ?? '').filter((d) => d !== '');
}

interface GroupContext {
  serviceId: string;
  req: TaskRequirements;
  imageAvailable: ImageAvailable;
  /** The enabled filters an assignment can change the answer of. */
  recheck: readonly Filter[];
  failures: ReadonlyMap<NodeInfo, number>;
  /** Active tasks per service and node, kept up to date as tasks are placed. */
  byService: ServiceTaskIndex;
  plan: PlacementPlan;
}

/** Places tasks from `queue` (in order) on the best nodes of a leaf until `want` are placed or none fits. */
function leafPlacer(ctx: GroupContext, queue: readonly Task[], cursor: { next: number }): PlaceOnLeaf {
  const heaps = new Map<SpreadTree, NodeHeap<Candidate>>();
  const footprint = footprintOfRequirements(ctx.req);
  return (leaf, want) => {
    let heap = heaps.get(leaf);
    if (!heap) {
      const { failures } = ctx;
      const serviceTasks = ctx.byService.get(ctx.serviceId);
      const candidates = leaf.nodes.map((info) => candidateOf(
        info, serviceTasks?.get(info) ?? 0, failures.size > 0 ? failures.get(info) ?? 0 : 0));
      heaps.set(leaf, (heap = new NodeHeap(compareCandidates, candidates)));
    }
    let placed = 0;
    while (placed < want && cursor.next < queue.length) {
      const best = heap.pop();
      if (!best) break;
      best.info.add(footprint);
      best.serviceTasks += 1;
      ctx.plan.assignments.push({ taskId: queue[cursor.next]!.ID, nodeId: best.info.id });
      cursor.next += 1;
      placed += 1;
      if (passesFilters(best.info, ctx.req, ctx.imageAvailable, ctx.recheck)) heap.push(best);
    }
    return placed;
  };
}

function placeGroup(group: TaskGroup, input: PlacementInput, nodes: NodeInfoSet, plan: PlacementPlan): void {
  const service = input.services.get(group.serviceId);
  const first = group.tasks[0]!;
  const imageAvailable = input.imageAvailable ?? alwaysAvailable;
  const req = requirementsOf(first, service);
  const filters = enabledFilters(req, input.imageAvailable !== undefined);
  const eligible = nodes.list.filter((info) => passesFilters(info, req, imageAvailable, filters));
  const cursor = { next: 0 };
  if (eligible.length > 0) {
    const descriptors = spreadDescriptors(first, service);
    let tree = flatTree(eligible);
    if (descriptors.length > 0) {
      const chosen = new Set(eligible);
      tree = buildSpreadTree(descriptors, group.serviceId, nodes.list, (info) => chosen.has(info));
    }
    const ctx: GroupContext = {
      serviceId: group.serviceId, req, imageAvailable, plan,
      recheck: filters.filter((f) => f.dynamic),
      failures: failuresOf(nodes, group, service, input.now),
      byService: nodes.byService,
    };
    placeOnTree(tree, group.tasks.length, leafPlacer(ctx, group.tasks, cursor));
  }
  if (cursor.next >= group.tasks.length) return;
  const reason = noSuitableNode(explainNoNode(nodes.list, req, imageAvailable));
  const holds = new Map<string, boolean>();
  for (const task of group.tasks.slice(cursor.next)) {
    // A waiting task keeps the reason it shows while that reason stays true (see reason-holds.ts).
    const shown = task.Status.State === 'pending' ? task.Status.Err : undefined;
    let keep = false;
    if (shown !== undefined && shown !== reason) {
      keep = holds.get(shown) ?? reasonHolds(shown, nodes.list, req, imageAvailable);
      holds.set(shown, keep);
    }
    plan.unplaced.push({ taskId: task.ID, reason: keep ? shown! : reason });
  }
}

/** Decides a node for each pending task (see the file comment). Pure: the input is not modified. */
export function planPlacements(input: PlacementInput): PlacementPlan {
  const nodes = input.nodeInfos ?? buildNodeInfos(input.nodes, input.services, input.tasks, input.now);
  const plan: PlacementPlan = { assignments: [], unplaced: [] };
  for (const group of groupPending(input.pending)) placeGroup(group, input, nodes, plan);
  return plan;
}
