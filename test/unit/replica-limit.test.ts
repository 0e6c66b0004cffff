import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { sequentialIds } from '../../lib/ids.js';
import { createControl } from '../../lib/manager/create-control.js';
import { DEFAULT_MAX_REPLICAS } from '../../lib/manager/service-ops.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import { parseMaxReplicas } from '../../cmd/max-replicas.js';

function setup(maxReplicas?: number) {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const control = createControl({
    store, clock, ids: sequentialIds('s'), clusterId: 'c', createdAt: new Date(clock.now()).toISOString(), selfNodeId: () => '',
    logs: () => (async function* () { /* none */ })(), checkImage: () => {}, ...(maxReplicas !== undefined ? { maxReplicas } : {}),
  });
  return { store, control };
}

const spec = (replicas: number, extra: object = {}) => ({ Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: replicas } }, ...extra });

t.test('the default limit is 100,000 replicas per service', async (t) => {
  t.equal(DEFAULT_MAX_REPLICAS, 100_000);
  const { store, control } = setup();
  t.throws(() => control.createService(spec(100_001)), {
    code: 'invalid_argument',
    message: /Mode\.Replicated\.Replicas 100001 is more than this manager allows per service \(100000\); start the manager with --max-replicas/,
  });
  t.equal(store.view((tx) => tx.listServices().length), 0, 'nothing created');
  t.equal(store.view((tx) => tx.index()), 0, 'nothing written at all');
});

t.test('a raised limit accepts more; create and update (scale) are both checked', async (t) => {
  const { store, control } = setup(10);
  t.throws(() => control.createService(spec(11)), /more than this manager allows per service \(10\)/);
  const { ID } = control.createService(spec(10));
  const s = store.view((tx) => tx.getService(ID))!;
  t.equal(s.Spec.Mode.Replicated?.Replicas, 10);
  const before = store.view((tx) => tx.index());
  t.throws(() => control.updateService(s.ID, s.Version.Index, spec(11)), /Mode\.Replicated\.Replicas 11 is more/);
  t.equal(store.view((tx) => tx.index()), before, 'a refused scale changes nothing');
  t.throws(() => control.createService({ Name: 'job', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 11 } } }),
    /Mode\.ReplicatedJob\.TotalCompletions 11 is more/);
});

t.test('--max-replicas takes a positive integer', async (t) => {
  t.equal(parseMaxReplicas('250000'), 250_000);
  for (const bad of ['0', '-1', '1.5', 'lots', '']) t.throws(() => parseMaxReplicas(bad), /invalid --max-replicas/);
});
