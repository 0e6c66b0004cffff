/**
 * Service and node names by ID, for task events (a Task carries only ServiceID/NodeID). Names of
 * removed objects are kept for a while (bounded) so that the removals of their tasks, which come
 * after, still name them.
 */
import type { Node, Service } from '../model/types.js';
import type { ReadTx, StoreEvent } from '../store/store.js';

export interface NameLookup {
  serviceName(id: string): string | undefined;
  nodeName(id: string): string | undefined;
}

/** A node's display name: Spec.Name, else its hostname (moby's rule for node events). */
export function nodeDisplayName(n: Node): string {
  return n.Spec.Name || n.Description.Hostname;
}

const FORGOTTEN_LIMIT = 1000;

export class EventNames implements NameLookup {
  private readonly services = new Map<string, string>();
  private readonly nodes = new Map<string, string>();
  /** IDs of removed objects, oldest first; their names go once more than FORGOTTEN_LIMIT are kept. */
  private readonly removed = new Map<string, 'service' | 'node'>();

  serviceName(id: string): string | undefined { return this.services.get(id); }
  nodeName(id: string): string | undefined { return this.nodes.get(id); }

  /** Seeds from a snapshot. */
  load(tx: ReadTx): void {
    for (const s of tx.listServices()) this.services.set(s.ID, s.Spec.Name);
    for (const n of tx.listNodes()) this.nodes.set(n.ID, nodeDisplayName(n));
  }

  /** Learns from one store event (call before mapping the event). */
  learn(e: StoreEvent): void {
    if (e.kind === 'service') this.track('service', e.id, (e.object as Service).Spec.Name, e.action);
    else if (e.kind === 'node') this.track('node', e.id, nodeDisplayName(e.object as Node), e.action);
  }

  private track(kind: 'service' | 'node', id: string, name: string, action: StoreEvent['action']): void {
    (kind === 'service' ? this.services : this.nodes).set(id, name);
    if (action !== 'delete') {
      this.removed.delete(id);
      return;
    }
    this.removed.set(id, kind);
    while (this.removed.size > FORGOTTEN_LIMIT) {
      const [oldId, oldKind] = this.removed.entries().next().value as [string, 'service' | 'node'];
      this.removed.delete(oldId);
      (oldKind === 'service' ? this.services : this.nodes).delete(oldId);
    }
  }
}
