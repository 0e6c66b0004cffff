import t from 'tap';
import { eventsFromStore } from '../../lib/events/event-from-store.js';
import { EventNames, type NameLookup } from '../../lib/events/event-names.js';
import type { Node, Service, Task } from '../../lib/model/types.js';
import type { StoreEvent } from '../../lib/store/store.js';
import { img, nd, svc, tsk } from '../fixtures/store-objects.js';

const names: NameLookup = {
  serviceName: (id) => ({ s1: 'web' } as Record<string, string>)[id],
  nodeName: (id) => ({ n1: 'node-1' } as Record<string, string>)[id],
};

function withSpec(s: Service, over: { image?: string; replicas?: number; global?: boolean }): Service {
  const out = structuredClone(s);
  if (over.image) out.Spec.TaskTemplate.ContainerSpec.Image = over.image;
  if (over.replicas !== undefined) out.Spec.Mode = { Replicated: { Replicas: over.replicas } };
  if (over.global) out.Spec.Mode = { Global: {} };
  return out;
}

function taskWith(over: Partial<Task> & { state?: Task['Status']['State'] }): Task {
  const { state, ...rest } = over;
  const base = tsk('t1', 's1', 'n1', 2);
  return { ...base, ...rest, Status: { ...base.Status, ...(state ? { State: state } : {}) } };
}

function nodeWith(over: { availability?: Node['Spec']['Availability']; state?: Node['Status']['State']; role?: Node['Spec']['Role']; name?: string; message?: string }): Node {
  const n = nd('n1', 'node-1');
  return {
    ...n,
    Spec: { ...n.Spec, ...(over.availability ? { Availability: over.availability } : {}), ...(over.role ? { Role: over.role } : {}), ...(over.name ? { Name: over.name } : {}) },
    Status: { ...n.Status, ...(over.state ? { State: over.state } : {}), ...(over.message ? { Message: over.message } : {}) },
  };
}

const web = svc('s1', 'web');
const t1 = taskWith({});

interface Row { name: string; event: StoreEvent; want: Array<{ Type: string; Action: string; ID: string; Attributes: Record<string, string> }> }

const rows: Row[] = [
  { name: 'service create', event: { kind: 'service', action: 'create', id: 's1', object: web },
    want: [{ Type: 'service', Action: 'create', ID: 's1', Attributes: { name: 'web' } }] },
  { name: 'service delete is remove', event: { kind: 'service', action: 'delete', id: 's1', object: web },
    want: [{ Type: 'service', Action: 'remove', ID: 's1', Attributes: { name: 'web' } }] },
  { name: 'service scale: replicas.old/new', event: { kind: 'service', action: 'update', id: 's1', object: withSpec(web, { replicas: 7 }), old: withSpec(web, { replicas: 3 }) },
    want: [{ Type: 'service', Action: 'update', ID: 's1', Attributes: { name: 'web', 'replicas.old': '3', 'replicas.new': '7' } }] },
  { name: 'service image change: image.old/new', event: { kind: 'service', action: 'update', id: 's1', object: withSpec(web, { image: 'whoami:2' }), old: web },
    want: [{ Type: 'service', Action: 'update', ID: 's1', Attributes: { name: 'web', 'image.old': 'whoami:1', 'image.new': 'whoami:2' } }] },
  { name: 'service update status appears: updatestate.new only', event: { kind: 'service', action: 'update', id: 's1', object: { ...web, UpdateStatus: { State: 'updating' } }, old: web },
    want: [{ Type: 'service', Action: 'update', ID: 's1', Attributes: { name: 'web', 'updatestate.new': 'updating' } }] },
  { name: 'service update status changes: old and new', event: { kind: 'service', action: 'update', id: 's1', object: { ...web, UpdateStatus: { State: 'completed' } }, old: { ...web, UpdateStatus: { State: 'updating' } } },
    want: [{ Type: 'service', Action: 'update', ID: 's1', Attributes: { name: 'web', 'updatestate.old': 'updating', 'updatestate.new': 'completed' } }] },
  { name: 'service replicated → global: no replicas pair', event: { kind: 'service', action: 'update', id: 's1', object: withSpec(web, { global: true }), old: web },
    want: [{ Type: 'service', Action: 'update', ID: 's1', Attributes: { name: 'web' } }] },
  { name: 'service rewrite with only version/status counts: no event',
    event: { kind: 'service', action: 'update', id: 's1', object: { ...web, Version: { Index: 9 }, UpdatedAt: 'x', ServiceStatus: { RunningTasks: 1, DesiredTasks: 1, CompletedTasks: 0 } }, old: web },
    want: [] },
  { name: 'node create', event: { kind: 'node', action: 'create', id: 'n1', object: nodeWith({}) },
    want: [{ Type: 'node', Action: 'create', ID: 'n1', Attributes: { name: 'node-1' } }] },
  { name: 'node named by Spec.Name first', event: { kind: 'node', action: 'delete', id: 'n1', object: nodeWith({ name: 'edge' }) },
    want: [{ Type: 'node', Action: 'remove', ID: 'n1', Attributes: { name: 'edge' } }] },
  { name: 'node drain: availability.old/new', event: { kind: 'node', action: 'update', id: 'n1', object: nodeWith({ availability: 'drain' }), old: nodeWith({}) },
    want: [{ Type: 'node', Action: 'update', ID: 'n1', Attributes: { name: 'node-1', 'availability.old': 'active', 'availability.new': 'drain' } }] },
  { name: 'node down: state.old/new', event: { kind: 'node', action: 'update', id: 'n1', object: nodeWith({ state: 'down', message: 'heartbeat failure' }), old: nodeWith({}) },
    want: [{ Type: 'node', Action: 'update', ID: 'n1', Attributes: { name: 'node-1', 'state.old': 'ready', 'state.new': 'down' } }] },
  { name: 'node promote: role.old/new', event: { kind: 'node', action: 'update', id: 'n1', object: nodeWith({ role: 'manager' }), old: nodeWith({}) },
    want: [{ Type: 'node', Action: 'update', ID: 'n1', Attributes: { name: 'node-1', 'role.old': 'worker', 'role.new': 'manager' } }] },
  { name: 'node rewrite with only version: no event', event: { kind: 'node', action: 'update', id: 'n1', object: { ...nodeWith({}), Version: { Index: 5 } }, old: nodeWith({}) },
    want: [] },
  { name: 'task create', event: { kind: 'task', action: 'create', id: 't1', object: taskWith({ state: 'assigned' }) },
    want: [{ Type: 'task', Action: 'create', ID: 't1', Attributes: { name: 'web.2', service: 'web', 'service.id': 's1', slot: '2', node: 'node-1', 'node.id': 'n1', state: 'assigned', desiredstate: 'running' } }] },
  { name: 'task create, not yet assigned, unknown service: IDs', event: { kind: 'task', action: 'create', id: 't2', object: { ...taskWith({ state: 'pending' }), ID: 't2', ServiceID: 'sX', NodeID: '' } },
    want: [{ Type: 'task', Action: 'create', ID: 't2', Attributes: { name: 'sX.2', service: 'sX', 'service.id': 'sX', slot: '2', state: 'pending', desiredstate: 'running' } }] },
  { name: 'global task: named by node, no slot', event: { kind: 'task', action: 'delete', id: 't1', object: taskWith({ Slot: 0 }) },
    want: [{ Type: 'task', Action: 'remove', ID: 't1', Attributes: { name: 'web.n1', service: 'web', 'service.id': 's1', node: 'node-1', 'node.id': 'n1', state: 'running', desiredstate: 'running' } }] },
  { name: 'task state change', event: { kind: 'task', action: 'update', id: 't1', object: t1, old: taskWith({ state: 'starting' }) },
    want: [{ Type: 'task', Action: 'update', ID: 't1', Attributes: { name: 'web.2', service: 'web', 'service.id': 's1', slot: '2', node: 'node-1', 'node.id': 'n1', 'state.old': 'starting', 'state.new': 'running' } }] },
  { name: 'task desired state change (orchestrator stops it)', event: { kind: 'task', action: 'update', id: 't1', object: taskWith({ DesiredState: 'shutdown' }), old: t1 },
    want: [{ Type: 'task', Action: 'update', ID: 't1', Attributes: { name: 'web.2', service: 'web', 'service.id': 's1', slot: '2', node: 'node-1', 'node.id': 'n1', state: 'running', 'desiredstate.old': 'running', 'desiredstate.new': 'shutdown' } }] },
  { name: 'task failure carries the error', event: { kind: 'task', action: 'update', id: 't1', object: { ...taskWith({ state: 'failed' }), Status: { Timestamp: 'x', State: 'failed', Err: 'task: non-zero exit (1)' } }, old: t1 },
    want: [{ Type: 'task', Action: 'update', ID: 't1', Attributes: { name: 'web.2', service: 'web', 'service.id': 's1', slot: '2', node: 'node-1', 'node.id': 'n1', 'state.old': 'running', 'state.new': 'failed', error: 'task: non-zero exit (1)' } }] },
  { name: 'task status message only: no event', event: { kind: 'task', action: 'update', id: 't1', object: { ...t1, Status: { ...t1.Status, Message: 'still running' } }, old: t1 },
    want: [] },
  { name: 'image catalog changes: no event', event: { kind: 'image', action: 'create', id: 'whoami:1', object: img('whoami:1') }, want: [] },
];

t.test('store events → docker events', async (t) => {
  for (const row of rows) {
    const got = eventsFromStore(row.event, names).map((e) => ({ Type: e.Type, Action: e.Action, ID: e.Actor.ID, Attributes: e.Actor.Attributes }));
    t.strictSame(got, row.want, row.name);
    for (const e of eventsFromStore(row.event, names)) t.equal(e.scope, 'swarm', `${row.name}: swarm scope`);
  }
});

t.test('EventNames: tasks of a removed service keep its name; learns renames and node names', async (t) => {
  const book = new EventNames();
  const n = nd('n1', 'node-1');
  book.learn({ kind: 'node', action: 'create', id: 'n1', object: n });
  book.learn({ kind: 'service', action: 'create', id: 's1', object: svc('s1', 'web') });
  book.learn({ kind: 'service', action: 'delete', id: 's1', object: svc('s1', 'web') });
  const removed = eventsFromStore({ kind: 'task', action: 'delete', id: 't1', object: tsk('t1', 's1', 'n1', 1) }, book);
  t.equal(removed[0]?.Actor.Attributes.service, 'web');
  t.equal(removed[0]?.Actor.Attributes.node, 'node-1');
  book.learn({ kind: 'node', action: 'update', id: 'n1', object: { ...n, Spec: { ...n.Spec, Name: 'edge' } }, old: n });
  t.equal(book.nodeName('n1'), 'edge');
  for (let i = 0; i < 1001; i++) book.learn({ kind: 'service', action: 'delete', id: `x${i}`, object: svc(`x${i}`) });
  t.equal(book.serviceName('s1'), undefined, 'the oldest removed names are forgotten past the bound');
  t.equal(book.serviceName('x1000'), 'x1000');
});
