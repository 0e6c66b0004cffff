/**
 * Whether a waiting task's failure reason ("no suitable node (…)") is still a true account of the
 * nodes. A fresh explanation counts each node under the first filter that rejects it; which one
 * is first can change without anything the task cares about changing (another task takes the
 * CPUs of a node the task's constraints exclude anyway). Rewriting the reason then is a store
 * write with no real change, at every retry. So a reason already written is kept while it holds:
 * each filter it names rejects exactly that many nodes under some attribution of every rejected
 * node to one of the filters that reject it (Hall's condition, over at most 2^7 filter sets).
 */
import { FILTERS, noSuitableNode, type ImageAvailable, type TaskRequirements } from './filters.js';
import type { NodeInfo } from './node-info.js';

const PREFIX = 'no suitable node (';

/**
 * The per-filter node counts a reason names (index in FILTERS → count; -1: a part without a
 * count, max-replicas), or undefined when it is not a scheduler explanation for `req`.
 */
function parseReason(reason: string, req: TaskRequirements): Map<number, number> | undefined {
  const counts = new Map<number, number>();
  if (reason === noSuitableNode('')) return counts;
  if (!reason.startsWith(PREFIX) || !reason.endsWith(')')) return undefined;
  for (const part of reason.slice(PREFIX.length, -1).split('; ')) {
    const digits = part.match(/\d+/g);
    const n = digits ? Number(digits[digits.length - 1]) : 0;
    const i = FILTERS.findIndex((f) => f.explain(n, req) === part);
    if (i < 0 || counts.has(i)) return undefined;
    const countless = FILTERS[i]!.explain(0, req) === FILTERS[i]!.explain(1, req); // the same text for any count
    counts.set(i, countless ? -1 : n);
  }
  return counts;
}

/** True when `reason` still truly explains why no node in `infos` accepts a task with `req`. */
export function reasonHolds(reason: string, infos: readonly NodeInfo[], req: TaskRequirements, imageAvailable: ImageAvailable): boolean {
  const named = parseReason(reason, req);
  if (!named) return false;
  const bits = [...named.keys()];
  // Rejected nodes per set of named filters that reject them (bit j: bits[j]).
  const bySet = new Map<number, number>();
  let rejected = 0;
  for (const info of infos) {
    let set = 0;
    let any = false;
    for (let i = 0; i < FILTERS.length; i++) {
      if (FILTERS[i]!.check(info, req, imageAvailable)) continue;
      any = true;
      const j = bits.indexOf(i);
      if (j >= 0) set |= 1 << j;
    }
    if (!any) continue;
    if (set === 0) return false; // rejected by a filter the reason does not name
    rejected += 1;
    bySet.set(set, (bySet.get(set) ?? 0) + 1);
  }
  const caps = bits.map((i) => named.get(i)!);
  const countless = caps.indexOf(-1);
  const known = caps.reduce((s, c) => s + (c > 0 ? c : 0), 0);
  if (countless >= 0) {
    if (rejected - known < 1) return false;
    caps[countless] = rejected - known;
  } else if (known !== rejected) return false;
  // Every rejected node can be counted under one of its filters with exactly these counts iff,
  // for every set S of named filters, the nodes rejected only by filters in S are at most S's counts.
  for (let s = 1; s < 1 << bits.length; s++) {
    let cap = 0;
    for (let j = 0; j < bits.length; j++) if (s & (1 << j)) cap += caps[j]!;
    let need = 0;
    for (const [set, n] of bySet) if ((set & ~s) === 0) need += n;
    if (need > cap) return false;
  }
  return true;
}
