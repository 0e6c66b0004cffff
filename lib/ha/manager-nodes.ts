/**
 * The manager processes as nodes of role manager (what `docker node ls` and `docker info` show):
 * made from the election's registry when asked, never stored (they run no tasks: the scheduler never
 * sees them). MANAGER STATUS: Leader, Reachable or Unreachable.
 */
import { notFound, SwarmletError } from '../errors.js';
import type { Control } from '../manager/control.js';
import { filterNodes } from '../manager/list-filters.js';
import type { Node } from '../model/types.js';
import type { ManagerInfo } from './ha-types.js';

/** HOST:PORT of a manager's API URL. */
export function hostPortOf(url: string): string {
  return url.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
}

export function managerNode(m: ManagerInfo, createdAt: string): Node {
  const addr = hostPortOf(m.addr);
  return {
    ID: m.id, Version: { Index: 1 }, CreatedAt: createdAt, UpdatedAt: createdAt,
    Spec: { Labels: {}, Role: 'manager', Availability: 'active' },
    Description: { Hostname: `manager-${addr}`, Platform: { OS: 'linux', Architecture: process.arch === 'x64' ? 'x86_64' : process.arch } },
    Status: { State: m.reachable ? 'ready' : 'down', Addr: addr.replace(/:\d+$/, ''), ...(m.reachable ? {} : { Message: 'manager lease expired' }) },
    ManagerStatus: { Leader: m.leader, Reachability: m.reachable ? 'reachable' : 'unreachable', Addr: addr },
  };
}

/**
 * `control` with the managers listed among the nodes: list, inspect (by ID or hostname) and info
 * (Managers, Nodes, this manager as "self"). Updating or removing a manager node is refused.
 */
export function withManagerNodes(control: Control, managers: () => ManagerInfo[], self: { id: string; addr: string }, createdAt: string): Control {
  const nodes = () => managers().map((m) => managerNode(m, createdAt));
  const find = (ref: string) => nodes().find((n) => n.ID === ref || n.Description.Hostname === ref);
  const refuse = (ref: string) => new SwarmletError('failed_precondition', `node ${ref} is a manager process of the cluster: stop it (or start it) instead`);
  return Object.assign(Object.create(control) as Control, {
    info() {
      const base = control.info();
      const list = managers();
      return { ...base, nodeId: self.id, nodeAddr: hostPortOf(self.addr).replace(/:\d+$/, ''), managerAddr: hostPortOf(self.addr),
        nodes: base.nodes + list.length, managers: base.managers + list.length };
    },
    listNodes(filters?: Parameters<Control['listNodes']>[0]) {
      return [...filterNodes(nodes(), filters), ...control.listNodes(filters)];
    },
    getNode(ref: string) {
      const m = find(ref);
      if (m) return m;
      return control.getNode(ref);
    },
    updateNode(ref: string, version: number, spec: Parameters<Control['updateNode']>[2]) {
      if (find(ref)) throw refuse(ref);
      control.updateNode(ref, version, spec);
    },
    removeNode(ref: string, force: boolean) {
      if (find(ref)) throw refuse(ref);
      if (!control.removeNode) throw notFound('node', ref);
      control.removeNode(ref, force);
    },
  });
}
