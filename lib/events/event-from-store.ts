/**
 * Store events → Docker events (pure). Services and nodes follow moby's daemon/cluster events:
 * `name`, and on updates the `X.old`/`X.new` pairs of what changed (image, replicas, updatestate;
 * availability, role, state, leader, reachability). Tasks are swarmlet's extension (`Type: 'task'`):
 * create, update (when the state, desired state or node changed) and remove, naming their service,
 * slot and node. Rewrites that change nothing visible (version, timestamps, service status counts,
 * a task's status message) are not events. Image catalog changes are not reported.
 */
import { taskDisplayName } from '../model/naming.js';
import type { Node, Service, Task } from '../model/types.js';
import type { StoreEvent } from '../store/store.js';
import type { EventAction, EventDraft, EventType } from './event-message.js';
import { nodeDisplayName, type NameLookup } from './event-names.js';

type Attrs = Record<string, string>;

const ACTIONS: Record<StoreEvent['action'], EventAction> = { create: 'create', update: 'update', delete: 'remove' };

/** The events one store change gives (none for images and for invisible rewrites). */
export function eventsFromStore(e: StoreEvent, names: NameLookup): EventDraft[] {
  switch (e.kind) {
    case 'service': return serviceEvent(e as StoreEvent<'service'>);
    case 'node': return nodeEvent(e as StoreEvent<'node'>);
    case 'task': return taskEvent(e as StoreEvent<'task'>, names);
    // moby's daemon/cluster events for these: the name only (a secret's content is never in an event).
    case 'secret': case 'config': return draft(e.kind, e, { name: (e as StoreEvent<'secret'>).object.Spec.Name });
    case 'network': return draft('network', e, { name: (e as StoreEvent<'network'>).object.Name });
    default: return [];
  }
}

function draft(type: EventType, e: StoreEvent, attrs: Attrs): EventDraft[] {
  return [{ Type: type, Action: ACTIONS[e.action], Actor: { ID: e.id, Attributes: attrs }, scope: 'swarm' }];
}

function changed<T>(a: T, b: T): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

/** Adds `key.old`/`key.new` when the two values differ. */
function pair(attrs: Attrs, key: string, oldValue: string | undefined, newValue: string | undefined): void {
  if (oldValue === newValue) return;
  attrs[`${key}.old`] = oldValue ?? '';
  attrs[`${key}.new`] = newValue ?? '';
}

function serviceEvent(e: StoreEvent<'service'>): EventDraft[] {
  const s = e.object;
  const attrs: Attrs = { name: s.Spec.Name };
  const old = e.old;
  if (e.action !== 'update' || !old) return draft('service', e, attrs);
  if (!serviceChanged(old, s)) return [];
  pair(attrs, 'image', old.Spec.TaskTemplate.ContainerSpec.Image, s.Spec.TaskTemplate.ContainerSpec.Image);
  const oldReplicas = old.Spec.Mode.Replicated?.Replicas;
  const newReplicas = s.Spec.Mode.Replicated?.Replicas;
  if (oldReplicas !== undefined && newReplicas !== undefined) pair(attrs, 'replicas', String(oldReplicas), String(newReplicas));
  if (s.UpdateStatus) {
    if (!old.UpdateStatus) attrs['updatestate.new'] = s.UpdateStatus.State;
    else pair(attrs, 'updatestate', old.UpdateStatus.State, s.UpdateStatus.State);
  }
  return draft('service', e, attrs);
}

function serviceChanged(a: Service, b: Service): boolean {
  return changed(a.Spec, b.Spec) || changed(a.UpdateStatus, b.UpdateStatus) || changed(a.PreviousSpec, b.PreviousSpec);
}

function nodeEvent(e: StoreEvent<'node'>): EventDraft[] {
  const n = e.object;
  const attrs: Attrs = { name: nodeDisplayName(n) };
  const old = e.old;
  if (e.action !== 'update' || !old) return draft('node', e, attrs);
  if (!nodeChanged(old, n)) return [];
  pair(attrs, 'availability', old.Spec.Availability, n.Spec.Availability);
  pair(attrs, 'role', old.Spec.Role, n.Spec.Role);
  pair(attrs, 'state', old.Status.State, n.Status.State);
  if (n.ManagerStatus && old.ManagerStatus) {
    pair(attrs, 'leader', String(old.ManagerStatus.Leader), String(n.ManagerStatus.Leader));
    pair(attrs, 'reachability', old.ManagerStatus.Reachability, n.ManagerStatus.Reachability);
  }
  return draft('node', e, attrs);
}

function nodeChanged(a: Node, b: Node): boolean {
  return changed(a.Spec, b.Spec) || changed(a.Status, b.Status) || changed(a.ManagerStatus, b.ManagerStatus) || changed(a.Description, b.Description);
}

function taskEvent(e: StoreEvent<'task'>, names: NameLookup): EventDraft[] {
  const t = e.object;
  const old = e.old;
  const attrs = taskAttrs(t, names);
  if (e.action !== 'update' || !old) {
    attrs.state = t.Status.State;
    attrs.desiredstate = t.DesiredState;
    return draft('task', e, attrs);
  }
  if (old.Status.State === t.Status.State && old.DesiredState === t.DesiredState && old.NodeID === t.NodeID) return [];
  if (old.Status.State === t.Status.State) attrs.state = t.Status.State;
  else pair(attrs, 'state', old.Status.State, t.Status.State);
  pair(attrs, 'desiredstate', old.DesiredState, t.DesiredState);
  return draft('task', e, attrs);
}

function taskAttrs(t: Task, names: NameLookup): Attrs {
  const service = names.serviceName(t.ServiceID) ?? t.ServiceID;
  const attrs: Attrs = { name: taskDisplayName(service, t), service, 'service.id': t.ServiceID };
  if (t.Slot > 0) attrs.slot = String(t.Slot);
  if (t.NodeID !== '') {
    attrs.node = names.nodeName(t.NodeID) ?? t.NodeID;
    attrs['node.id'] = t.NodeID;
  }
  if (t.Status.Err) attrs.error = t.Status.Err;
  return attrs;
}
