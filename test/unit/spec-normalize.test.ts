import t from 'tap';
import { isTaskDirty, normalize, specsEqual, taskTemplateChanged } from '../../lib/model/normalize-spec.js';
import { withDefaults } from '../../lib/model/defaults.js';
import { applyUpdateOptions, specFromOptions } from '../../lib/model/spec-from-options.js';
import { validateServiceSpec } from '../../lib/model/validate-spec.js';
import type { ServiceSpec, TaskSpec } from '../../lib/model/types.js';

const created = (): ServiceSpec => validateServiceSpec(specFromOptions({
  name: 'toms', image: 'whoami', replicas: 3, publish: ['9000:8080'], env: ['A=1'], constraints: ['node.role==worker'],
}));

/** What `docker service scale` POSTs back: Go re-encoding drops omitempty zero values, keeps pointers to empty structs. */
function dockerRoundTrip(spec: ServiceSpec): ServiceSpec {
  const s = structuredClone(spec);
  const c = s.TaskTemplate.ContainerSpec;
  if (c.Env?.length === 0) delete c.Env;
  delete s.TaskTemplate.ForceUpdate;
  s.TaskTemplate.Resources = { Limits: {}, Reservations: {} };
  return reverseKeys(s) as ServiceSpec;
}

/** The same value with every object's keys in reverse order (Go encodes in struct order, not ours). */
function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]));
}

t.test('normalize drops absent/null/{}/[]/0/false/"" recursively', async (t) => {
  t.equal(normalize(undefined), undefined);
  for (const empty of [null, {}, [], 0, false, '', { a: { b: [] } }, { a: null, b: 0, c: false, d: '', e: {} }]) t.equal(normalize(empty), undefined, JSON.stringify(empty));
  t.strictSame(normalize({ b: 1, a: { z: 0, y: 'x' } }), { a: { y: 'x' }, b: 1 });
  t.strictSame(Object.keys(normalize({ b: 1, a: 2 }) as object), ['a', 'b'], 'keys sorted');
  t.strictSame(normalize({ Args: ['', 'x', 0] }), { Args: ['', 'x', 0] }, 'array elements keep their positions');
  t.strictSame(normalize({ Mode: { Global: {} } }), { Mode: { Global: {} } }, 'Mode.Global {} is meaningful');
  t.notOk(specsEqual({ Mode: { Global: {} } }, { Mode: { Replicated: { Replicas: 0 } } }), 'global is not zero replicas');
});

t.test('specsEqual: key order and empties do not matter', async (t) => {
  t.ok(specsEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2], d: null }, a: 1, e: {} }));
  t.ok(specsEqual({ Labels: {} }, {}));
  t.ok(specsEqual({ ForceUpdate: 0, Init: false }, { }));
  t.notOk(specsEqual({ a: [1, 2] }, { a: [2, 1] }), 'array order matters');
  t.notOk(specsEqual({ a: 1 }, { a: '1' }));
  t.notOk(specsEqual({ a: { b: 1 } }, { a: { b: 1, c: 2 } }));
});

t.test("the docker CLI's round trip of a spec is not dirty and not a template change", async (t) => {
  const spec = created();
  const back = validateServiceSpec(dockerRoundTrip(spec));
  t.ok(specsEqual(spec, back));
  t.notOk(isTaskDirty(back, spec.TaskTemplate, spec.EndpointSpec?.Ports));
  t.notOk(taskTemplateChanged(spec, back));
  const lean: TaskSpec = { ContainerSpec: { Image: 'whoami', Env: ['A=1'] }, Placement: { Constraints: ['node.role==worker'] } };
  t.notOk(isTaskDirty(spec, lean), 'a lean task spec with the same meaning is not dirty');
});

t.test('what makes a task dirty', async (t) => {
  const spec = created();
  const task = structuredClone(spec.TaskTemplate);
  const ports = spec.EndpointSpec?.Ports;
  t.ok(isTaskDirty(applyUpdateOptions(spec, { envAdd: ['B=2'] }), task, ports), 'Env change');
  t.ok(isTaskDirty(applyUpdateOptions(spec, { image: 'whoami:2' }), task, ports), 'image change');
  t.ok(isTaskDirty(applyUpdateOptions(spec, { force: true }), task, ports), 'ForceUpdate bump');
  t.ok(isTaskDirty(applyUpdateOptions(spec, { containerLabelAdd: ['x=1'] }), task, ports), 'container label');
  t.ok(isTaskDirty(applyUpdateOptions(spec, { publishAdd: ['9001:81'] }), task, ports), 'published ports, when the task ports are given');
  t.notOk(isTaskDirty(applyUpdateOptions(spec, { publishAdd: ['9001:81'] }), task), 'ports ignored when not given');
  t.notOk(isTaskDirty(applyUpdateOptions(spec, { labelAdd: ['x=1'] }), task, ports), 'service label only');
  t.notOk(isTaskDirty(applyUpdateOptions(spec, { replicas: 9 }), task, ports), 'replicas only');
  t.notOk(isTaskDirty(applyUpdateOptions(spec, { updateParallelism: 4, rollbackDelay: '1s' }), task, ports), 'UpdateConfig only');
  t.notOk(isTaskDirty(applyUpdateOptions(spec, { constraintAdd: ['node.labels.zone==eu'] }), task, ports), 'constraints only');
  t.ok(isTaskDirty(applyUpdateOptions(spec, { constraintAdd: ['node.labels.zone==eu'], envAdd: ['B=2'] }), task, ports), 'constraints and env');
  t.notOk(isTaskDirty(spec, task, [{ TargetPort: 8080, PublishedPort: 9000 }]), 'tcp/ingress defaults spelled or not');
});

t.test('taskTemplateChanged: a rolling update is needed', async (t) => {
  const spec = created();
  t.notOk(taskTemplateChanged(spec, applyUpdateOptions(spec, { replicas: 7 })), 'scale only');
  t.notOk(taskTemplateChanged(spec, applyUpdateOptions(spec, { labelAdd: ['a=b'] })), 'labels only');
  t.notOk(taskTemplateChanged(spec, applyUpdateOptions(spec, { updateDelay: '5s' })), 'update config only');
  t.ok(taskTemplateChanged(spec, applyUpdateOptions(spec, { image: 'whoami:2' })));
  t.ok(taskTemplateChanged(spec, applyUpdateOptions(spec, { force: true })));
  t.ok(taskTemplateChanged(spec, applyUpdateOptions(spec, { constraintRm: ['node.role==worker'] })));
  t.ok(taskTemplateChanged(spec, applyUpdateOptions(spec, { publishRm: ['8080'] })), 'EndpointSpec change');
  const noVip = structuredClone(spec);
  noVip.EndpointSpec = { Ports: [{ TargetPort: 8080, PublishedPort: 9000 }] };
  t.notOk(taskTemplateChanged(spec, noVip), 'vip, tcp and ingress are the defaults');
  const twoPorts = applyUpdateOptions(spec, { publishAdd: ['9001:81'] });
  const reversed = structuredClone(twoPorts);
  reversed.EndpointSpec!.Ports!.reverse();
  t.notOk(taskTemplateChanged(twoPorts, reversed), 'port order does not matter');
});

t.test('a spec read with insertDefaults and sent back changes no task (the Python SDK scale, docker service update)', async (t) => {
  const spec = { Name: 'w', TaskTemplate: { ContainerSpec: { Image: 'whoami:1' } }, Mode: { Replicated: { Replicas: 1 } } } as ServiceSpec;
  const back = { ...withDefaults(spec), Mode: { Replicated: { Replicas: 2 } } };
  t.equal(taskTemplateChanged(spec, back), false, 'the defaults are what the tasks already run with');
  t.equal(isTaskDirty(back, spec.TaskTemplate), false);
  const changed = { ...back, TaskTemplate: { ...back.TaskTemplate, RestartPolicy: { Condition: 'none' as const } } };
  t.equal(taskTemplateChanged(spec, changed), true, 'a value other than the default is a change');
});
