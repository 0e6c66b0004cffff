/**
 * Task progress (new → pending → assigned → running, nothing else) does not reconcile a service
 * whose last reconcile planned nothing and that no progress can change (progress-inert.ts): the
 * pure rule, and the manager following it on the fake-clock harness.
 */
import t from 'tap';
import type { PassReport } from '../../lib/manager/manager.js';
import { progressIsInert } from '../../lib/manager/progress-inert.js';
import type { Service, Task } from '../../lib/model/types.js';
import { DRAIN_LABEL } from '../../lib/orchestrator/plan-drains.js';
import { REBALANCE_LABEL } from '../../lib/orchestrator/plan-rebalance.js';
import { harness, spec } from '../fixtures/manager-harness.js';

const ts = '2026-01-01T00:00:00.000Z';
const service = (over: Partial<Service> = {}, spec: Partial<Service['Spec']> = {}): Service => ({
  ID: 's1', Version: { Index: 1 }, CreatedAt: ts, UpdatedAt: ts, SpecVersion: { Index: 1 },
  Spec: { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 3 } }, ...spec },
  ...over,
} as Service);
const task = (slot: number, over: Partial<Task> = {}): Task => ({
  ID: `t${slot}-${over.CreatedAt ?? ''}`, Version: { Index: 1 }, CreatedAt: ts, UpdatedAt: ts, Labels: {},
  Spec: { ContainerSpec: { Image: 'whoami' } }, ServiceID: 's1', Slot: slot, NodeID: '', SpecVersion: { Index: 1 },
  Status: { Timestamp: ts, State: 'pending', Message: '' }, DesiredState: 'running', ...over,
} as Task);
const three = () => [task(1), task(2, { NodeID: 'n1', Status: { Timestamp: ts, State: 'assigned', Message: '' } }), task(3)];

t.test('progressIsInert: the rule', async (t) => {
  t.ok(progressIsInert(service(), three()), 'replicated, one live task per slot, no update: inert');
  t.ok(progressIsInert(service(), [...three(), task(1, { CreatedAt: '2025-01-01T00:00:00.000Z', DesiredState: 'shutdown', Status: { Timestamp: ts, State: 'failed', Message: '' } })]),
    'an ended task beside the live one changes nothing');
  t.notOk(progressIsInert(service({ UpdateStatus: { State: 'updating' } }), three()), 'an update under way watches its tasks come up');
  t.notOk(progressIsInert(service({ UpdateStatus: { State: 'paused' } }), three()), 'a paused update too');
  t.ok(progressIsInert(service({ UpdateStatus: { State: 'completed' } }), three()), 'a completed update does not');
  t.notOk(progressIsInert(service({}, { Labels: { [REBALANCE_LABEL]: 'true' } }), three()), 'rebalancing waits for every task to run');
  t.notOk(progressIsInert(service(), [...three(), task(2, { CreatedAt: '2026-02-01T00:00:00.000Z' })]), 'two live tasks in a slot: the older goes once the newer runs');
  t.notOk(progressIsInert(service(), [task(1), task(2, { DesiredState: 'ready' })]), 'a task waiting to start');
  t.notOk(progressIsInert(service(), [task(1), task(2, { Labels: { [DRAIN_LABEL]: 'true' } })]), 'a drain replacement on its way: the next drain waits for it');
  t.ok(progressIsInert(service(), [task(1), task(2, { Labels: { [DRAIN_LABEL]: 'true' }, Status: { Timestamp: ts, State: 'running', Message: '' } })]),
    'a drain replacement that runs');
  t.notOk(progressIsInert(service({}, { Mode: { Global: {} } }), [task(0)]), 'global services are not');
  t.notOk(progressIsInert(service({}, { Mode: { ReplicatedJob: {} } }), three()), 'nor jobs');
});

t.test('tasks of a settled service coming up do not reconcile it again; any other change does', async (t) => {
  const reports: PassReport[] = [];
  const h = await harness(t, { manager: { onPass: (r) => reports.push(r) } });
  const { ID } = h.control.createService(spec('web', 'whoami:1', 3));
  await h.settle();
  t.equal(h.running('web').length, 3, 'web runs');
  // Pass 1 plans the creates; the creates mark it dirty once more (a full reconcile that plans
  // nothing). Assigned → starting → running after that reconcile nothing.
  const reconciled = reports.filter((r) => r.services.includes(ID)).length;
  t.equal(reconciled, 2, `reconciled twice while its tasks were placed and started (${reconciled})`);
  t.ok(reports.some((r) => r.assigned > 0), 'the scheduler assigned them meanwhile');

  reports.length = 0;
  const victim = h.running('web')[0]!;
  h.drivers.get(victim.NodeID)!.crash(victim.ID, 1);
  await h.settle();
  t.ok(reports.some((r) => r.services.includes(ID)), 'a failed task reconciles it');
  await h.advance(5000); // the restart delay
  await h.settle();
  t.equal(h.running('web').length, 3, 'and it is replaced');
});

t.test('an update under way still follows its new tasks coming up', async (t) => {
  const h = await harness(t);
  h.control.createService(spec('web', 'whoami:1', 3, { UpdateConfig: { Parallelism: 1, Delay: 0 } }));
  await h.settle();
  const s = h.service('web');
  h.control.updateService(s.ID, s.Version.Index, { ...s.Spec, TaskTemplate: { ContainerSpec: { Image: 'whoami:2' } } });
  for (let i = 0; i < 20 && h.running('web').some((x) => x.Spec.ContainerSpec?.Image !== 'whoami:2'); i++) await h.advance(1000);
  t.equal(h.running('web').filter((x) => x.Spec.ContainerSpec?.Image === 'whoami:2').length, 3, 'every slot updated, one after the other');
  for (let i = 0; i < 30 && h.service('web').UpdateStatus?.State !== 'completed'; i++) await h.advance(1000); // the monitor period
  t.equal(h.service('web').UpdateStatus?.State, 'completed', 'and the update completes');
});
