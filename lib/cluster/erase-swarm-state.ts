import type { Control } from '../manager/control.js';

/**
 * `docker swarm leave --force` on the last manager: the swarm's state is gone. Every service is removed
 * (its tasks stop) and every node that joined is forgotten; the nodes this process runs stay.
 */
export function eraseSwarmState(control: Control, ownNodes: ReadonlySet<string>): void {
  for (const s of control.listServices()) control.removeService(s.ID);
  for (const n of control.listNodes()) {
    if (!ownNodes.has(n.ID) && control.removeNode) control.removeNode(n.ID, true);
  }
}
