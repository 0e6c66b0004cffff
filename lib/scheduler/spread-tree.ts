/**
 * Placement preferences (`--placement-pref spread=node.labels.zone`), as in
 * swarmkit `nodeset.tree` and `scheduleNTasksOnSubtree`: one tree level per
 * preference, branches keyed by the label value (nodes without the label form
 * the "" branch). At each level the new tasks are split so every branch ends up
 * with about (existing + new) / branches; a branch that cannot take its share
 * is marked full and the rest is spread over the others.
 */
import type { Node } from '../model/types.js';
import type { NodeInfo } from './node-info.js';

export interface SpreadTree {
  readonly key: string;
  /** Active tasks of the service under this branch (eligible or not), updated as tasks are placed. */
  tasks: number;
  /** Sub-branches sorted by key; undefined on a leaf. */
  readonly children?: SpreadTree[];
  /** On a leaf: the nodes that pass the filters. */
  readonly nodes: NodeInfo[];
}

/** Places up to `want` tasks on a leaf's nodes and says how many it placed. */
export type PlaceOnLeaf = (leaf: SpreadTree, want: number) => number;

const NODE_LABELS = 'node.labels.';
const ENGINE_LABELS = 'engine.labels.';

type LabelOf = (node: Node) => string;

/** How a descriptor reads a node's value, or undefined for descriptors Swarm ignores. */
function labelReader(descriptor: string): LabelOf | undefined {
  const lower = descriptor.toLowerCase();
  if (descriptor.length > NODE_LABELS.length && lower.startsWith(NODE_LABELS)) {
    const key = descriptor.slice(NODE_LABELS.length);
    return (node) => node.Spec?.Labels?.[key] ?? '';
  }
  if (descriptor.length > ENGINE_LABELS.length && lower.startsWith(ENGINE_LABELS)) {
    const key = descriptor.slice(ENGINE_LABELS.length);
    return (node) => node.Description?.Engine?.Labels?.[key] ?? '';
  }
  return undefined;
}

interface Building { tasks: number; nodes: NodeInfo[]; next?: Map<string, Building> }

function freeze(key: string, b: Building): SpreadTree {
  if (!b.next) return { key, tasks: b.tasks, nodes: b.nodes };
  const children = [...b.next.entries()]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([k, child]) => freeze(k, child));
  return { key, tasks: b.tasks, children, nodes: [] };
}

/** A single leaf holding `eligible`: what placement uses when there are no preferences. */
export function flatTree(eligible: NodeInfo[]): SpreadTree {
  return { key: '', tasks: 0, nodes: eligible };
}

/**
 * The decision tree for `descriptors` (the SpreadDescriptor of each preference,
 * in order). Counts come from every node; only `isEligible` nodes can be chosen.
 */
export function buildSpreadTree(
  descriptors: readonly string[],
  serviceId: string,
  all: readonly NodeInfo[],
  isEligible: (info: NodeInfo) => boolean,
): SpreadTree {
  const readers = descriptors.map(labelReader).filter((r): r is LabelOf => r !== undefined);
  if (readers.length === 0) return flatTree(all.filter(isEligible));
  const root: Building = { tasks: 0, nodes: [] };
  for (const info of all) {
    const count = info.activeTasksOf(serviceId);
    let branch = root;
    for (const read of readers) {
      branch.tasks += count;
      const next = branch.next ?? (branch.next = new Map());
      const value = read(info.node);
      let child = next.get(value);
      if (!child) next.set(value, (child = { tasks: 0, nodes: [] }));
      branch = child;
    }
    branch.tasks += count;
    if (isEligible(info)) branch.nodes.push(info);
  }
  return freeze('', root);
}

/** Places up to `n` tasks under `tree`, evening out the branches; returns how many were placed. */
export function placeOnTree(tree: SpreadTree, n: number, placeOnLeaf: PlaceOnLeaf): number {
  if (n <= 0) return 0;
  const placed = tree.children ? placeOnBranches(tree.children, tree.tasks, n, placeOnLeaf) : placeOnLeaf(tree, n);
  tree.tasks += placed;
  return placed;
}

function placeOnBranches(branches: SpreadTree[], existing: number, n: number, placeOnLeaf: PlaceOnLeaf): number {
  let scheduled = 0;
  let usable = existing;
  const full = new Set<SpreadTree>();
  while (scheduled < n && full.size < branches.length) {
    const open = branches.length - full.size;
    const total = usable + n - scheduled;
    const desired = Math.floor(total / open);
    let remainder = total % open;
    let progressed = false;
    for (const b of branches) {
      if (scheduled >= n) break;
      if (full.has(b) || b.tasks > desired || (b.tasks === desired && remainder === 0)) continue;
      const want = Math.min(desired - b.tasks + (remainder > 0 ? 1 : 0), n - scheduled);
      const got = placeOnTree(b, want, placeOnLeaf);
      scheduled += got;
      usable += got;
      progressed = true;
      if (got < want) {
        full.add(b);
        usable -= b.tasks;
      } else if (remainder > 0) {
        remainder -= 1;
      }
    }
    if (!progressed) break;
  }
  return scheduled;
}
