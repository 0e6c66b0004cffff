import { cpus, totalmem } from 'node:os';
import { isoTime } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { Node } from '../model/types.js';
import type { NodeReport } from '../agent/agent-link.js';
import { canonicalImage } from '../manager/node-images.js';
import type { WriteTx } from '../store/store.js';

export interface NodeSeed {
  hostname: string;
  addr: string;
  /** Role and labels of a node seen for the first time (a known node keeps its spec). */
  role: 'manager' | 'worker';
  labels?: Record<string, string>;
  driver: string;
  /** The API address of the manager this node is (a manager node without it gets no ManagerStatus). */
  managerAddr?: string;
}

export const ENGINE_VERSION = 'swarmlet-0.1.0';

/** Finds the node by hostname (a restart, a re-join) or registers it; either way it is ready at `addr`. */
export function registerNode(tx: WriteTx, seed: NodeSeed, ids: IdGenerator, now: number): Node {
  const existing = tx.listNodes().find((n) => n.Description.Hostname === seed.hostname);
  const ts = isoTime(now);
  const base: Node = existing ?? {
    ID: ids.next(), Version: { Index: 0 }, CreatedAt: ts, UpdatedAt: ts,
    Spec: { Labels: seed.labels ?? {}, Role: seed.role, Availability: 'active' },
    Description: { Hostname: seed.hostname },
    Status: { State: 'ready', Addr: seed.addr },
  };
  const node: Node = {
    ...base,
    Description: {
      ...base.Description,
      Hostname: seed.hostname,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: cpus().length * 1e9, MemoryBytes: totalmem() },
      Engine: { EngineVersion: ENGINE_VERSION, Plugins: [] },
      Driver: seed.driver,
    },
    Status: { State: 'ready', Addr: seed.addr },
  };
  if (base.Spec.Role === 'manager' && seed.managerAddr) node.ManagerStatus = { Leader: true, Reachability: 'reachable', Addr: seed.managerAddr };
  else delete node.ManagerStatus;
  return tx.putNode(node);
}

/** Records what a node reported about its driver (its images, canonical and sorted); a no-op when nothing changed. */
export function describeNode(tx: WriteTx, nodeId: string, d: NodeReport): void {
  const n = tx.getNode(nodeId);
  if (!n) return;
  const description = { ...n.Description };
  if (d.Driver !== undefined) description.Driver = d.Driver;
  if (d.Images !== undefined) description.Images = [...new Set(d.Images.map(canonicalImage))].sort();
  else delete description.Images;
  if (JSON.stringify(description) === JSON.stringify(n.Description)) return;
  tx.putNode({ ...n, Description: description });
}
