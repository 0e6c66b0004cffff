import { isoTime } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { Node } from '../model/types.js';
import { canonicalImage } from '../manager/node-images.js';
import type { NodeReport } from '../protocol/node-report.js';
import type { WriteTx } from '../store/store.js';

export interface NodeSeed {
  hostname: string;
  addr: string;
  /** Role and labels of a node seen for the first time (a known node keeps its spec). */
  role: 'manager' | 'worker';
  labels?: Record<string, string>;
  driver: string;
  /**
   * What the node said about itself when it joined (its platform, resources, engine), validated.
   * Without it a new node has none recorded: the manager never substitutes its own machine's.
   */
  description?: NodeReport;
  /** The API address of the manager this node is (a manager node without it gets no ManagerStatus). */
  managerAddr?: string;
}

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
    Description: { ...withReport(base.Description, seed.description ?? {}), Hostname: seed.hostname, Driver: seed.description?.Driver ?? seed.driver },
    Status: { State: 'ready', Addr: seed.addr },
  };
  if (base.Spec.Role === 'manager' && seed.managerAddr) node.ManagerStatus = { Leader: true, Reachability: 'reachable', Addr: seed.managerAddr };
  else delete node.ManagerStatus;
  return tx.putNode(node);
}

/**
 * Records what a node reported about itself (platform, resources, engine, driver, its images: canonical
 * and sorted); a field it left out keeps its value, except Images (left out: the driver lists none).
 * A no-op when nothing changed.
 */
export function describeNode(tx: WriteTx, nodeId: string, d: NodeReport): void {
  const n = tx.getNode(nodeId);
  if (!n) return;
  const description = withReport(n.Description, d);
  if (d.Images === undefined) delete description.Images;
  if (JSON.stringify(description) === JSON.stringify(n.Description)) return;
  tx.putNode({ ...n, Description: description });
}

function withReport(d: Node['Description'], r: NodeReport): Node['Description'] {
  const out: Node['Description'] = { ...d };
  if (r.Platform) out.Platform = { OS: r.Platform.OS, Architecture: r.Platform.Architecture };
  if (r.Resources) out.Resources = { NanoCPUs: r.Resources.NanoCPUs, MemoryBytes: r.Resources.MemoryBytes };
  if (r.Engine) {
    out.Engine = { EngineVersion: r.Engine.EngineVersion, ...(r.Engine.Labels ? { Labels: { ...r.Engine.Labels } } : {}), Plugins: d.Engine?.Plugins ?? [] };
  }
  if (r.Driver !== undefined) out.Driver = r.Driver;
  if (r.Images !== undefined) out.Images = [...new Set(r.Images.map(canonicalImage))].sort();
  return out;
}
