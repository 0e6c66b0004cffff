import { invalid } from '../errors.js';
import { serviceModeName, taskDisplayName } from '../model/naming.js';
import type { Node, Service, Task } from '../model/types.js';
import type { Filters } from './control.js';
import { isTaskDirty } from '../model/normalize-spec.js';

type Predicate<T> = (x: T, value: string) => boolean;

function applyFilters<T>(items: T[], filters: Filters | undefined, preds: Record<string, Predicate<T>>): T[] {
  if (!filters) return items;
  const active = Object.entries(filters).filter(([, v]) => v.length > 0);
  for (const [key] of active) if (!preds[key]) throw invalid(`invalid filter '${key}'`, `filters.${key}`);
  return items.filter((x) => active.every(([key, values]) => values.some((v) => preds[key]!(x, v))));
}

function labelMatch(labels: Record<string, string> | undefined, v: string): boolean {
  const i = v.indexOf('=');
  if (i < 0) return labels?.[v] !== undefined;
  return labels?.[v.slice(0, i)] === v.slice(i + 1);
}

export function filterServices(services: Service[], filters?: Filters): Service[] {
  return applyFilters(services, filters, {
    id: (s, v) => s.ID.startsWith(v),
    name: (s, v) => s.Spec.Name.startsWith(v),
    label: (s, v) => labelMatch(s.Spec.Labels, v),
    mode: (s, v) => serviceModeName(s) === v,
    runtime: (_s, v) => v === 'container',
  });
}

export interface TaskFilterContext {
  services: Service[];
  nodes: Node[];
}

/** Task filters as moby: `service` and `node` accept IDs or names; `name` matches `svc.slot` names. */
export function filterTasks(tasks: Task[], filters: Filters | undefined, ctx: TaskFilterContext): Task[] {
  const svc = new Map(ctx.services.map((s) => [s.ID, s]));
  const serviceIds = (v: string) => bestMatch(ctx.services, v, (s) => s.ID, (s) => s.Spec.Name);
  const nodeIds = (v: string) => bestMatch(ctx.nodes, v, (n) => n.ID, (n) => n.Description.Hostname);
  return applyFilters(tasks, filters, {
    id: (t, v) => t.ID.startsWith(v),
    name: (t, v) => {
      const s = svc.get(t.ServiceID);
      return s !== undefined && taskDisplayName(s.Spec.Name, t).startsWith(v);
    },
    // swarmkit matches a task's labels and its service's (docker stack ps filters by the stack's label).
    label: (t, v) => labelMatch(t.Labels, v) || labelMatch(svc.get(t.ServiceID)?.Spec.Labels, v),
    service: (t, v) => serviceIds(v).includes(t.ServiceID),
    node: (t, v) => nodeIds(v).includes(t.NodeID),
    'desired-state': (t, v) => {
      if (v === 'running') return t.DesiredState === 'running' || t.DesiredState === 'ready';
      if (v === 'shutdown') return t.DesiredState === 'shutdown' || t.DesiredState === 'remove';
      if (v === 'accepted') return t.DesiredState === 'accepted';
      throw invalid(`Invalid desired-state filter: '${v}'`, 'filters.desired-state');
    },
    '_up-to-date': (t, v) => {
      const s = svc.get(t.ServiceID);
      if (!s) return false;
      const upToDate = (t.SpecVersion?.Index ?? 0) === (s.SpecVersion?.Index ?? 0) || !isTaskDirty(s.Spec, t.Spec);
      return v === 'true' || v === '1' ? upToDate : !upToDate;
    },
    runtime: (_t, v) => v === 'container',
  });
}

export function filterNodes(nodes: Node[], filters?: Filters): Node[] {
  return applyFilters(nodes, filters, {
    id: (n, v) => n.ID.startsWith(v),
    name: (n, v) => n.Description.Hostname.startsWith(v) || (n.Spec.Name ?? '').startsWith(v),
    label: (n, v) => labelMatch(n.Description.Engine?.Labels, v),
    'node.label': (n, v) => labelMatch(n.Spec.Labels, v),
    role: (n, v) => n.Spec.Role === v,
    membership: (_n, v) => v === 'accepted',
  });
}

/** moby resolves a reference to one object: the full ID, else the full name, else a unique ID prefix. */
function bestMatch<T>(items: T[], ref: string, id: (x: T) => string, name: (x: T) => string): string[] {
  const exact = items.find((x) => id(x) === ref) ?? items.find((x) => name(x) === ref);
  if (exact) return [id(exact)];
  const byPrefix = items.filter((x) => id(x).startsWith(ref));
  return byPrefix.length === 1 ? [id(byPrefix[0]!)] : [];
}
