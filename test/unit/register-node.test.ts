import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { describeHost } from '../../lib/agent/host-description.js';
import { reportDescription } from '../../lib/agent/report-description.js';
import type { AgentLink } from '../../lib/agent/agent-link.js';
import type { TaskDriver } from '../../lib/agent/task-driver.js';
import { describeNode, registerNode } from '../../lib/dispatcher/register-node.js';
import { sequentialIds } from '../../lib/ids.js';
import type { NodeReport } from '../../lib/protocol/node-report.js';
import { MemoryStore } from '../../lib/store/memory-store.js';

const FAR: NodeReport = { Platform: { OS: 'plan9', Architecture: 'riscv64' }, Resources: { NanoCPUs: 3e9, MemoryBytes: 12345 }, Engine: { EngineVersion: 'e1' } };

function setup() {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const ids = sequentialIds('n');
  const register = (hostname: string, description?: NodeReport) => store.update((tx) => registerNode(tx, {
    hostname, addr: '127.0.0.9', role: 'worker', driver: 'process', ...(description ? { description } : {}),
  }, ids, clock.now()));
  return { clock, store, register };
}

t.test('registerNode stores the description the node sent, never the manager\'s machine', async (t) => {
  const { store, register } = setup();
  const n = register('far', FAR);
  t.same(n.Description, { Hostname: 'far', Platform: FAR.Platform, Resources: FAR.Resources, Engine: { EngineVersion: 'e1', Plugins: [] }, Driver: 'process' });
  const bare = register('bare');
  t.same(bare.Description, { Hostname: 'bare', Driver: 'process' }, 'no description: nothing invented');
  const again = register('far');
  t.equal(again.ID, n.ID, 'a re-join without a description is the same node');
  t.same(again.Description.Resources, FAR.Resources, 'and keeps what it said before');
  t.equal(store.view((tx) => tx.listNodes().length), 2);
});

t.test('describeNode: what the node reports replaces what it said; left-out fields stay, except Images', async (t) => {
  const { store, register } = setup();
  const n = register('far', FAR);
  store.update((tx) => describeNode(tx, n.ID, { Resources: { NanoCPUs: 8e9, MemoryBytes: 99 }, Driver: 'docker', Images: ['nginx', 'a:1', 'nginx:latest'] }));
  const d = store.view((tx) => tx.getNode(n.ID)!.Description);
  t.same(d.Resources, { NanoCPUs: 8e9, MemoryBytes: 99 });
  t.same(d.Platform, FAR.Platform, 'platform kept');
  t.equal(d.Driver, 'docker');
  t.same(d.Images, ['a:1', 'nginx:latest'], 'images canonical, sorted, unique');
  const version = store.view((tx) => tx.getNode(n.ID)!.Version.Index);
  store.update((tx) => describeNode(tx, n.ID, { Driver: 'docker', Images: ['nginx:latest', 'a:1'] }));
  t.equal(store.view((tx) => tx.getNode(n.ID)!.Version.Index), version, 'an unchanged report writes nothing');
  store.update((tx) => describeNode(tx, n.ID, { Driver: 'docker' }));
  t.equal(store.view((tx) => tx.getNode(n.ID)!.Description.Images), undefined, 'no Images: the driver lists none');
});

t.test('describeHost: this machine in Docker\'s terms', async (t) => {
  const d = describeHost('process');
  t.match(d, { Platform: { OS: String, Architecture: String }, Resources: { NanoCPUs: Number, MemoryBytes: Number }, Engine: { EngineVersion: String }, Driver: 'process' });
  t.ok(d.Resources!.NanoCPUs >= 1e9 && d.Resources!.NanoCPUs % 1e9 === 0);
  t.not(d.Platform!.Architecture, 'x64', 'Docker\'s architecture names (x86_64), not Node\'s');
});

t.test('reportDescription: the host description with the driver; sent again whenever it changes', async (t) => {
  const clock = new FakeClock();
  const sent: NodeReport[] = [];
  const link = { describe: (_id: string, d: NodeReport) => sent.push(d) } as unknown as AgentLink;
  let images = ['b:1', 'a:1'];
  let host: NodeReport = FAR;
  const driver = { name: 'docker', listImages: async () => images } as unknown as TaskDriver;
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const settle = async () => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };
  void reportDescription({ driver, link, nodeId: 'n1', clock, logger: { warn() {} } as never, host: () => host, intervalMs: 1000, signal: stop.signal });
  await settle();
  t.same(sent, [{ ...FAR, Driver: 'docker', Images: ['a:1', 'b:1'] }]);
  clock.advance(1000); await settle();
  t.equal(sent.length, 1, 'nothing changed: nothing sent');
  host = { ...FAR, Resources: { NanoCPUs: 16e9, MemoryBytes: 1 } };
  clock.advance(1000); await settle();
  t.same(sent.at(-1)?.Resources, { NanoCPUs: 16e9, MemoryBytes: 1 }, 'resources changed: sent');
  images = ['c:1'];
  clock.advance(1000); await settle();
  t.same(sent.at(-1)?.Images, ['c:1'], 'images changed: sent');
  t.equal(sent.length, 3);

  const once: NodeReport[] = [];
  const plain = { name: 'process' } as unknown as TaskDriver;
  await reportDescription({ driver: plain, link: { describe: (_: string, d: NodeReport) => once.push(d) } as unknown as AgentLink, nodeId: 'n2', clock, logger: {} as never, host: () => FAR, signal: stop.signal });
  t.same(once, [{ ...FAR, Driver: 'process' }], 'a driver without images: the description once, at start');
});
