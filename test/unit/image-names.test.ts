import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { sequentialIds } from '../../lib/ids.js';
import { createControl } from '../../lib/manager/create-control.js';
import { addImage, findImage, removeImage } from '../../lib/manager/image-catalog.js';
import { isTaskDirty, taskTemplateChanged } from '../../lib/model/normalize-spec.js';
import { normalizeImageName } from '../../lib/model/image-ref.js';
import { MemoryStore } from '../../lib/store/memory-store.js';

t.test('image names are normalised as the docker CLI sends them', async (t) => {
  t.equal(normalizeImageName('whoami'), 'whoami:latest');
  t.equal(normalizeImageName('whoami:1'), 'whoami:1');
  t.equal(normalizeImageName('library/nginx'), 'nginx:latest');
  t.equal(normalizeImageName('docker.io/library/nginx:1.27'), 'nginx:1.27');
  t.equal(normalizeImageName('index.docker.io/library/nginx'), 'nginx:latest');
  t.equal(normalizeImageName('docker.io/org/app'), 'org/app:latest');
  t.equal(normalizeImageName('library/a/b'), 'library/a/b:latest', 'library/ is only the official namespace of one-part names');
  t.equal(normalizeImageName('host:5000/app'), 'host:5000/app:latest', 'a registry port is not a tag');
  t.equal(normalizeImageName('nginx@sha256:abc'), 'nginx@sha256:abc', 'a digest gets no tag');
  t.equal(normalizeImageName('ghcr.io/org/app:2'), 'ghcr.io/org/app:2');
});

function setup() {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const control = createControl({
    store, clock, ids: sequentialIds('s'), clusterId: 'c', createdAt: new Date(clock.now()).toISOString(), selfNodeId: () => '',
    logs: () => (async function* () { /* none */ })(), checkImage: () => {},
  });
  return { store, control, clock };
}

t.test('service create and update store the normalised image (what service inspect shows)', async (t) => {
  const { store, control } = setup();
  const spec = (image: string, replicas = 1) => ({ Name: 'web', TaskTemplate: { ContainerSpec: { Image: image } }, Mode: { Replicated: { Replicas: replicas } } });
  const { ID } = control.createService(spec('whoami'));
  const image = () => store.view((tx) => tx.getService(ID))!.Spec.TaskTemplate.ContainerSpec.Image;
  t.equal(image(), 'whoami:latest');
  const s = store.view((tx) => tx.getService(ID))!;
  control.updateService(ID, s.Version.Index, spec('docker.io/library/whoami:2'));
  t.equal(image(), 'whoami:2');
});

t.test('a spec stored before normalisation is not a template change, and its tasks are not dirty', async (t) => {
  const old = { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 1 } } };
  const now = { ...old, TaskTemplate: { ContainerSpec: { Image: 'whoami:latest' } }, Mode: { Replicated: { Replicas: 3 } } };
  t.notOk(taskTemplateChanged(old, now), 'scaling an old service starts no rolling update');
  t.notOk(isTaskDirty(now, { ContainerSpec: { Image: 'whoami' } }), 'an old task runs the same image');
  t.ok(isTaskDirty(now, { ContainerSpec: { Image: 'whoami:1' } }), 'another tag is a change');
});

t.test('the catalog stores normalised names and still finds entries stored before', async (t) => {
  const { store, clock } = setup();
  const added = store.update((tx) => addImage(tx, { Name: 'docker.io/library/app', Cmd: ['node', 'a.js'] }, clock.now()));
  t.equal(added.Name, 'app:latest');
  t.equal(store.view((tx) => findImage(tx, 'library/app:latest', clock.now()))?.Name, 'app:latest');
  // An entry written by an older version under its un-normalised name.
  store.update((tx) => tx.putImage({ Name: 'library/old:latest', Cmd: ['node'], CreatedAt: new Date(0).toISOString() }));
  t.equal(store.view((tx) => findImage(tx, 'old', clock.now()))?.Name, 'library/old:latest', 'found by its normalised name');
  t.equal(store.view((tx) => findImage(tx, 'library/old', clock.now()))?.Name, 'library/old:latest', 'and by the name it was stored under');
  store.update((tx) => removeImage(tx, 'old'));
  t.equal(store.view((tx) => findImage(tx, 'library/old', clock.now())), undefined, 'removed by its normalised name');
  t.equal(store.view((tx) => findImage(tx, 'whoami', clock.now()))?.Name, 'whoami:latest', 'the built-in image');
  t.equal(store.view((tx) => findImage(tx, 'nope', clock.now())), undefined);
});
