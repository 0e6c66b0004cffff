/**
 * classifyChanges (pure): which committed store events make manager work — services to reconcile,
 * all services, and which parked tasks to wake. Table-driven over single events, then batches.
 */
import t from 'tap';
import { changesOrchestration, classifyChanges, nodeSchedulingKey, type ChangeEffects } from '../../lib/manager/classify-changes.js';
import type { Image, Node, Service, Task } from '../../lib/model/types.js';
import type { StoreEvent } from '../../lib/store/store.js';
import { img, nd, svc, tsk } from '../fixtures/store-objects.js';

const svcEv = (action: StoreEvent['action'], s: Service, old?: Service): StoreEvent =>
  ({ kind: 'service', action, id: s.ID, object: s, ...(old ? { old } : {}) });
const nodeEv = (action: StoreEvent['action'], n: Node, old?: Node): StoreEvent =>
  ({ kind: 'node', action, id: n.ID, object: n, ...(old ? { old } : {}) });
const imgEv = (action: StoreEvent['action'], i: Image, old?: Image): StoreEvent =>
  ({ kind: 'image', action, id: i.Name, object: i, ...(old ? { old } : {}) });
/** A task event as the store emits it: create (object), update (object + old), delete (object = the deleted task). */
const taskEv = (action: StoreEvent['action'], object: Task, old?: Task): StoreEvent =>
  ({ kind: 'task', action, id: object.ID, object, ...(old ? { old } : {}) });

const node = (over: (n: Node) => Node = (n) => n) => over(nd('n1'));
const task = (over: Partial<Task> = {}, status: Partial<Task['Status']> = {}): Task => {
  const base = tsk('t1', 's1', 'n1', 1);
  return { ...base, ...over, Status: { ...base.Status, ...status } };
};
const pendingTask = (over: Partial<Task> = {}, status: Partial<Task['Status']> = {}): Task =>
  task({ NodeID: '', ...over }, { State: 'pending', ...status });

interface Expect {
  services?: string[];
  allServices?: boolean;
  wakeAll?: boolean;
  wakeServices?: string[];
  wakeResourceBound?: boolean;
}

function summary(fx: ChangeEffects): Required<Expect> {
  return {
    services: [...fx.services].sort(), allServices: fx.allServices, wakeAll: fx.wakeAll,
    wakeServices: [...fx.wakeServices].sort(), wakeResourceBound: fx.wakeResourceBound,
  };
}

function expected(e: Expect): Required<Expect> {
  return {
    services: [...(e.services ?? [])].sort(), allServices: e.allServices ?? false, wakeAll: e.wakeAll ?? false,
    wakeServices: [...(e.wakeServices ?? [])].sort(), wakeResourceBound: e.wakeResourceBound ?? false,
  };
}

const NOTHING: Expect = {};
const EVERYTHING: Expect = { allServices: true, wakeAll: true };

const rows: Array<{ name: string; events: StoreEvent[]; expect: Expect; todo?: string }> = [
  // services
  { name: 'service created', events: [svcEv('create', svc('s1'))], expect: { services: ['s1'], wakeServices: ['s1'] } },
  { name: 'service updated', events: [svcEv('update', { ...svc('s1'), Version: { Index: 2 } }, svc('s1'))], expect: { services: ['s1'], wakeServices: ['s1'] } },
  { name: 'service removed', events: [svcEv('delete', svc('s1'))], expect: { services: ['s1'], wakeServices: ['s1'] } },

  // images
  { name: 'image added', events: [imgEv('create', img('app:1'))], expect: { wakeAll: true } },
  { name: 'image replaced', events: [imgEv('update', { ...img('app:1'), Cmd: ['x'] }, img('app:1'))], expect: { wakeAll: true } },
  { name: 'image removed', events: [imgEv('delete', img('app:1'))], expect: { wakeAll: true } },

  // nodes: anything the filters, orchestrators or the constraint enforcer read
  { name: 'node joined', events: [nodeEv('create', node())], expect: EVERYTHING },
  { name: 'node removed', events: [nodeEv('delete', node())], expect: EVERYTHING },
  { name: 'node update without old (unknown before)', events: [nodeEv('update', node())], expect: EVERYTHING },
  { name: 'node drained', events: [nodeEv('update', node((n) => ({ ...n, Spec: { ...n.Spec, Availability: 'drain' } })), node())], expect: EVERYTHING },
  { name: 'node paused', events: [nodeEv('update', node((n) => ({ ...n, Spec: { ...n.Spec, Availability: 'pause' } })), node())], expect: EVERYTHING },
  {
    name: 'node re-activated',
    events: [nodeEv('update', node(), node((n) => ({ ...n, Spec: { ...n.Spec, Availability: 'drain' } })))], expect: EVERYTHING,
  },
  { name: 'node label added', events: [nodeEv('update', node((n) => ({ ...n, Spec: { ...n.Spec, Labels: { zone: 'mars' } } })), node())], expect: EVERYTHING },
  {
    name: 'node label value changed',
    events: [nodeEv('update', node((n) => ({ ...n, Spec: { ...n.Spec, Labels: { zone: 'b' } } })), node((n) => ({ ...n, Spec: { ...n.Spec, Labels: { zone: 'a' } } })))],
    expect: EVERYTHING,
  },
  { name: 'node role changed', events: [nodeEv('update', node((n) => ({ ...n, Spec: { ...n.Spec, Role: 'manager' } })), node())], expect: EVERYTHING },
  { name: 'node went down', events: [nodeEv('update', node((n) => ({ ...n, Status: { ...n.Status, State: 'down' } })), node())], expect: EVERYTHING },
  { name: 'node turned ready', events: [nodeEv('update', node(), node((n) => ({ ...n, Status: { ...n.Status, State: 'down' } })))], expect: EVERYTHING },
  {
    name: 'node resources changed',
    events: [nodeEv('update', node((n) => ({ ...n, Description: { ...n.Description, Resources: { NanoCPUs: 4e9 } } })),
      node((n) => ({ ...n, Description: { ...n.Description, Resources: { NanoCPUs: 2e9 } } })))],
    expect: EVERYTHING,
  },
  {
    name: 'node platform changed',
    events: [nodeEv('update', node((n) => ({ ...n, Description: { ...n.Description, Platform: { OS: 'linux', Architecture: 'aarch64' } } })), node())],
    expect: EVERYTHING,
  },
  {
    name: 'node images changed',
    events: [nodeEv('update', node((n) => ({ ...n, Description: { ...n.Description, Images: ['app:1'] } })), node())], expect: EVERYTHING,
  },
  {
    name: 'node driver changed',
    events: [nodeEv('update', node((n) => ({ ...n, Description: { ...n.Description, Driver: 'docker' } })), node())], expect: EVERYTHING,
  },
  {
    name: 'node: only ManagerStatus changed',
    events: [nodeEv('update', node((n) => ({ ...n, ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '127.0.0.1:2377' } })), node())],
    expect: NOTHING,
  },
  {
    name: 'node: only Status.Message changed',
    events: [nodeEv('update', node((n) => ({ ...n, Status: { ...n.Status, Message: 'heartbeat' } })), node())], expect: NOTHING,
  },
  {
    name: 'node: only Version/UpdatedAt changed',
    events: [nodeEv('update', node((n) => ({ ...n, Version: { Index: 9 }, UpdatedAt: '2026-02-01T00:00:00.000Z' })), node())], expect: NOTHING,
  },
  {
    name: 'node: only the engine version changed',
    events: [nodeEv('update', node((n) => ({ ...n, Description: { ...n.Description, Engine: { EngineVersion: '2' } } })), node())], expect: NOTHING,
  },

  // Fields placement constraints read (node.ip, engine.labels.*, node.hostname) but nodeSchedulingKey leaves out:
  // a task parked on such a constraint waits for the next resync (60 s), and the constraint enforcer too.
  {
    name: 'node address changed (constraint node.ip)',
    events: [nodeEv('update', node((n) => ({ ...n, Status: { ...n.Status, Addr: '127.0.0.9' } })), node())], expect: EVERYTHING,
  },
  {
    name: 'node engine labels changed (constraint engine.labels.*, spread preference)',
    events: [nodeEv('update', node((n) => ({ ...n, Description: { ...n.Description, Engine: { Labels: { disk: 'ssd' } } } })), node())], expect: EVERYTHING,
  },
  {
    name: 'node hostname changed (constraint node.hostname)',
    events: [nodeEv('update', node((n) => ({ ...n, Description: { ...n.Description, Hostname: 'renamed' } })), node())], expect: EVERYTHING,
  },

  // tasks
  { name: 'task created (pending, no node)', events: [taskEv('create', pendingTask())], expect: { services: ['s1'] } },
  { name: 'task created on a node', events: [taskEv('create', task())], expect: { services: ['s1'] } },
  { name: 'task: only Status.Err changed', events: [taskEv('update', pendingTask({}, { Err: 'no suitable node (b)' }), pendingTask({}, { Err: 'no suitable node (a)' }))], expect: NOTHING },
  { name: 'task: only Status.Message changed', events: [taskEv('update', task({}, { Message: 'still running' }), task())], expect: NOTHING },
  { name: 'task: only Timestamp/Version changed', events: [taskEv('update', task({ Version: { Index: 7 } }, { Timestamp: '2026-03-01T00:00:00.000Z' }), task())], expect: NOTHING },
  { name: 'task: only Endpoint changed', events: [taskEv('update', task({ Endpoint: { Addr: '127.0.0.1', Port: 1 } }), task())], expect: NOTHING },
  { name: 'task assigned to a node', events: [taskEv('update', task({}, { State: 'assigned' }), pendingTask())], expect: { services: ['s1'] } },
  { name: 'task starting → running', events: [taskEv('update', task({ RunningAt: 'x' }), task({}, { State: 'starting' }))], expect: { services: ['s1'] } },
  { name: 'task health changed', events: [taskEv('update', task({}, { Health: 'unhealthy' }), task({}, { Health: 'healthy' }))], expect: { services: ['s1'] } },
  { name: 'task labels changed', events: [taskEv('update', task({ Labels: { a: 'b' } }), task())], expect: { services: ['s1'] } },
  { name: 'task StartAfter changed', events: [taskEv('update', pendingTask({ StartAfter: 5 }), pendingTask())], expect: { services: ['s1'] } },
  {
    name: 'task told to stop (still running): its service wakes, no resources freed yet',
    events: [taskEv('update', task({ DesiredState: 'shutdown' }), task())], expect: { services: ['s1'], wakeServices: ['s1'] },
  },
  {
    name: 'task failed on its node: frees resources',
    events: [taskEv('update', task({ DesiredState: 'shutdown' }, { State: 'failed' }), task({ DesiredState: 'shutdown' }))],
    expect: { services: ['s1'], wakeServices: ['s1'], wakeResourceBound: true },
  },
  {
    name: 'running task becomes complete',
    events: [taskEv('update', task({}, { State: 'complete' }), task())], expect: { services: ['s1'], wakeServices: ['s1'], wakeResourceBound: true },
  },
  {
    name: 'task left its node (moved)',
    events: [taskEv('update', task({ NodeID: 'n2' }), task())], expect: { services: ['s1'], wakeServices: ['s1'], wakeResourceBound: true },
  },
  {
    name: 'running task deleted',
    events: [taskEv('delete', task())], expect: { services: ['s1'], wakeServices: ['s1'], wakeResourceBound: true },
  },
  {
    name: 'stopped task deleted (reaped history): nothing freed, nothing woken',
    events: [taskEv('delete', task({ DesiredState: 'shutdown' }, { State: 'shutdown' }))], expect: { services: ['s1'] },
  },
  {
    name: 'pending task removed before placement: its service wakes, no resources freed',
    events: [taskEv('delete', pendingTask())], expect: { services: ['s1'], wakeServices: ['s1'] },
  },
  {
    name: 'pending task given up (desired shutdown): its service wakes',
    events: [taskEv('update', pendingTask({ DesiredState: 'shutdown' }), pendingTask())], expect: { services: ['s1'], wakeServices: ['s1'] },
  },
  {
    name: 'desired running → complete: still active, no wake',
    events: [taskEv('update', task({ DesiredState: 'complete' }), task())], expect: { services: ['s1'] },
  },
  {
    name: 'a terminal task that changes again (failed → rejected): holds nothing',
    events: [taskEv('update', task({ DesiredState: 'shutdown' }, { State: 'rejected' }), task({ DesiredState: 'shutdown' }, { State: 'failed' }))],
    expect: { services: ['s1'] },
  },
];

for (const row of rows) {
  t.test(row.name, async (t) => {
    t.same(summary(classifyChanges(row.events)), expected(row.expect), row.name, row.todo ? { todo: row.todo } : {});
  });
}

t.test('no events: no work', async (t) => {
  const fx = classifyChanges([]);
  t.same(summary(fx), expected(NOTHING));
  t.equal(fx.tasks.size, 0);
});

t.test('every task event reports the latest version of the task (undefined when deleted)', async (t) => {
  const created = pendingTask();
  const errOnly = pendingTask({}, { Err: 'no suitable node' });
  t.same([...classifyChanges([taskEv('create', created)]).tasks], [['t1', created]]);
  t.same([...classifyChanges([taskEv('update', errOnly, created)]).tasks], [['t1', errOnly]], 'even an update that makes no work');
  t.same([...classifyChanges([taskEv('delete', created)]).tasks], [['t1', undefined]]);
  const placed = task({}, { State: 'assigned' });
  t.same([...classifyChanges([taskEv('create', created), taskEv('update', placed, created)]).tasks], [['t1', placed]], 'last version wins');
  t.same([...classifyChanges([taskEv('create', created), taskEv('delete', created)]).tasks], [['t1', undefined]], 'created then deleted');
  t.equal(classifyChanges([svcEv('create', svc('s1')), nodeEv('create', node()), imgEv('create', img('a:1'))]).tasks.size, 0, 'only tasks');
});

t.test('a batch is the union of its events', async (t) => {
  const s2task = (over: Partial<Task> = {}, status: Partial<Task['Status']> = {}) => ({ ...task(over, status), ID: 't2', ServiceID: 's2' });
  const fx = classifyChanges([
    svcEv('update', svc('s3'), svc('s3')),
    taskEv('update', pendingTask({}, { Err: 'x' }), pendingTask()), // s1: Err only: nothing
    taskEv('delete', s2task()), // s2: frees resources
    nodeEv('update', node((n) => ({ ...n, Status: { ...n.Status, Message: 'hb' } })), node()), // nothing
  ]);
  t.same(summary(fx), expected({ services: ['s2', 's3'], wakeServices: ['s2', 's3'], wakeResourceBound: true }));
  t.same([...fx.tasks.keys()].sort(), ['t1', 't2']);

  const withNode = classifyChanges([taskEv('create', pendingTask()), nodeEv('update', node((n) => ({ ...n, Spec: { ...n.Spec, Availability: 'drain' } })), node())]);
  t.same(summary(withNode), expected({ services: ['s1'], allServices: true, wakeAll: true }));
});

t.test('nodeSchedulingKey ignores heartbeat-only fields; changesOrchestration ignores status text', async (t) => {
  const n = node();
  t.equal(nodeSchedulingKey({ ...n, Status: { ...n.Status, Message: 'm' }, ManagerStatus: { Leader: false, Reachability: 'unknown', Addr: 'a' } }), nodeSchedulingKey(n));
  t.not(nodeSchedulingKey({ ...n, Spec: { ...n.Spec, Labels: { a: '1' } } }), nodeSchedulingKey(n));
  t.equal(nodeSchedulingKey({ ...n, Spec: { ...n.Spec, Labels: {} } }), nodeSchedulingKey({ ...n, Spec: { Role: n.Spec.Role, Availability: n.Spec.Availability } }), 'no labels = empty labels');
  const x = task();
  t.notOk(changesOrchestration(x, { ...x, Status: { ...x.Status, Err: 'e', Message: 'm', Timestamp: 'later' } }));
  t.ok(changesOrchestration(x, { ...x, Status: { ...x.Status, State: 'failed' } }));
  t.ok(changesOrchestration(x, { ...x, DesiredState: 'shutdown' }));
  t.ok(changesOrchestration(x, { ...x, NodeID: '' }));
  t.ok(changesOrchestration(x, { ...x, JobIteration: { Index: 1 } }));
});
