import t from 'tap';
import { matchServices } from '../../cmd/resolve-services.js';
import { pickSlotTask, splitDisplayName } from '../../cmd/log-target.js';
import { applyNodeUpdate, checkNodeUpdateFlags } from '../../cmd/node-spec-update.js';
import { parseSince } from '../../cmd/since.js';
import { addrPoolOptions } from '../../cmd/addr-pool-flags.js';
import { createOptionsFromFlags, updateOptionsFromFlags } from '../../cmd/service-flags.js';
import { parseFilterArgs } from '../../cmd/options.js';
import { digits, formatLogLine, logPrefix } from '../../cmd/format/log-line.js';
import { NOW, service, task } from './cli-fixtures.js';

t.test('service refs: full ID, then full name, then unique ID prefix', async (t) => {
  const a = service({ ID: 'abc111' });
  a.Spec.Name = 'web';
  const b = service({ ID: 'abc222' });
  b.Spec.Name = 'abc111x';
  const all = [a, b];
  t.same(matchServices(['abc111'], all, []).services.map((s) => s.ID), ['abc111']);
  t.same(matchServices(['web'], [], [a]).services.map((s) => s.ID), ['abc111']);
  t.same(matchServices(['abc2'], all, []).services.map((s) => s.ID), ['abc222']);
  t.same(matchServices(['nosuch', 'web'], [], [a]), { services: [a], notFound: ['nosuch'] });
  t.throws(() => matchServices(['abc'], all, []), { message: 'multiple services found with provided prefix: abc' });
  t.same(matchServices(['web', 'abc111'], all, [a]).services.length, 1, 'no duplicates');
});

t.test('task display names: web.1 → newest task of slot 1; web.<node> for global', async (t) => {
  t.same(splitDisplayName('web.1'), { service: 'web', slot: '1' });
  t.same(splitDisplayName('my.app.2'), { service: 'my.app', slot: '2' });
  t.equal(splitDisplayName('web'), undefined);
  t.equal(splitDisplayName('web.'), undefined);
  const tasks = [task({ ID: 'old', Slot: 1, age: 9000 }), task({ ID: 'new', Slot: 1, age: 1000 }), task({ ID: 's2', Slot: 2 }),
    task({ ID: 'g', Slot: 0, NodeID: 'nodeabc' })];
  t.equal(pickSlotTask(tasks, '1')?.ID, 'new');
  t.equal(pickSlotTask(tasks, '3'), undefined);
  t.equal(pickSlotTask(tasks, 'nodea')?.ID, 'g');
});

t.test('node update: availability checked before the server, labels added/removed', async (t) => {
  t.throws(() => checkNodeUpdateFlags({ availability: 'x' }), { message: 'invalid Availability: "x"' });
  t.throws(() => checkNodeUpdateFlags({ role: 'boss' }), { message: 'invalid Role: "boss"' });
  const spec = { Role: 'worker' as const, Availability: 'active' as const, Labels: { old: '1', keep: 'k' } };
  const next = applyNodeUpdate(spec, { availability: 'Drain', labelAdd: ['zone=a', 'ssd'], labelRm: ['old'] });
  t.same(next, { Role: 'worker', Availability: 'drain', Labels: { keep: 'k', zone: 'a', ssd: '' } });
  t.same(spec.Labels, { old: '1', keep: 'k' }, 'input untouched');
  t.throws(() => applyNodeUpdate(spec, { labelRm: ['nope'] }), { message: "key nope doesn't exist in node's labels" });
});

t.test('--since: durations, RFC 3339, unix seconds', async (t) => {
  t.equal(parseSince('10m', NOW), String(Math.floor((NOW - 600_000) / 1000)));
  t.equal(parseSince('2026-01-01T00:00:00Z', NOW), String(Date.UTC(2026, 0, 1) / 1000));
  t.equal(parseSince('1700000000.5', NOW), '1700000000.5');
  t.throws(() => parseSince('yesterday', NOW), { message: /invalid value for "since"/ });
});

t.test('create flags → ServiceOptions (only given flags; IMAGE COMMAND ARGS)', async (t) => {
  const opts = createOptionsFromFlags({
    name: 'web', replicas: 3, publish: ['9000:8080'], env: ['A=1'], label: ['a=b'], containerLabel: ['c=d'], constraint: ['node.role==worker'],
    updateParallelism: 2, updateDelay: '3s', rollbackFailureAction: 'continue', healthcheck: false, detach: true, quiet: undefined,
  }, 'whoami:1', 'node', ['-e', 'x']);
  t.same(opts, {
    name: 'web', replicas: 3, publish: ['9000:8080'], env: ['A=1'], labels: ['a=b'], containerLabels: ['c=d'], constraints: ['node.role==worker'],
    updateParallelism: 2, updateDelay: '3s', rollbackFailureAction: 'continue', noHealthcheck: true,
    image: 'whoami:1', args: ['node', '-e', 'x'],
  });
  t.same(createOptionsFromFlags({ entrypoint: ['sh', '-c'] }, 'i:1', 'echo hi', []), { image: 'i:1', command: ['sh', '-c'], args: ['echo hi'] }, 'as docker: --entrypoint is Command, COMMAND ARGS are Args');
  t.same(createOptionsFromFlags({ healthcheck: true }, 'i:1', undefined, []), { image: 'i:1' });
});

t.test('update flags → ServiceUpdateOptions', async (t) => {
  t.same(updateOptionsFromFlags({ image: 'whoami:2', envAdd: ['A=2'], publishRm: ['8080'], force: true, args: ['a', 'b c'], replicas: 0, name: 'ignored' }),
    { replicas: 0, image: 'whoami:2', args: ['a', 'b c'], publishRm: ['8080'], envAdd: ['A=2'], force: true });
});

t.test('--filter k=v', async (t) => {
  t.same(parseFilterArgs(['desired-state=running', 'node=n1', 'node=n2']), { 'desired-state': ['running'], node: ['n1', 'n2'] });
  t.throws(() => parseFilterArgs(['oops']), { message: /bad format of filter/ });
});

t.test('log prefix: name.slot.task12@node, padded to the replica count', async (t) => {
  const src = { serviceName: 'toms', slot: 1, nodeId: 'n1', taskId: 'nwzijcja8ho6abcdefghijklm', nodeName: 'node-2' };
  t.equal(logPrefix(src, { noTrunc: false, noTaskIds: false, padding: 1 }), 'toms.1.nwzijcja8ho6@node-2');
  t.equal(logPrefix(src, { noTrunc: false, noTaskIds: false, padding: 2 }), 'toms.1.nwzijcja8ho6@node-2 ');
  t.equal(logPrefix({ ...src, slot: 10 }, { noTrunc: false, noTaskIds: false, padding: 2 }), 'toms.10.nwzijcja8ho6@node-2');
  t.equal(logPrefix(src, { noTrunc: true, noTaskIds: false, padding: 1 }), 'toms.1.nwzijcja8ho6abcdefghijklm@node-2');
  t.equal(logPrefix(src, { noTrunc: false, noTaskIds: true, padding: 1 }), 'toms.1@node-2');
  t.equal(logPrefix({ ...src, slot: 0, nodeId: 'nodeid1' }, { noTrunc: false, noTaskIds: true, padding: 1 }), 'toms.nodeid1@node-2');
  const rec = { stream: 'stdout' as const, text: 'hello', time: '2026-01-01T00:00:00Z', taskId: '', serviceId: '', nodeId: '' };
  t.equal(formatLogLine('toms.1.x@n', rec, false), 'toms.1.x@n    | hello');
  t.equal(formatLogLine('toms.1.x@n', rec, true), '2026-01-01T00:00:00Z toms.1.x@n    | hello');
  t.equal(digits(100), 3);
});

t.test('--default-addr-pool / --default-addr-pool-mask-length: checked, naming the flag; nothing given, nothing set', async (t) => {
  t.same(addrPoolOptions({}), {}, 'the stored or default pool stays');
  t.same(addrPoolOptions({ defaultAddrPool: ['127.88.0.0/16'], defaultAddrPoolMaskLength: '24' }), { defaultAddrPool: ['127.88.0.0/16'], subnetSize: 24 });
  t.same(addrPoolOptions({ defaultAddrPool: ['127.88.0.0/16,127.99.0.0/16'] }), { defaultAddrPool: ['127.88.0.0/16', '127.99.0.0/16'], subnetSize: 24 }, 'comma-separated like docker');
  t.same(addrPoolOptions({ defaultAddrPoolMaskLength: '26' }), { defaultAddrPool: ['127.77.0.0/16'], subnetSize: 26 }, 'the mask alone applies to the default pool');
  t.throws(() => addrPoolOptions({ defaultAddrPool: ['10.0.0.0/8'] }), { message: 'invalid --default-addr-pool 10.0.0.0/8: swarmlet\'s virtual IPs live in 127.0.0.0/8 (loopback)' });
  t.throws(() => addrPoolOptions({ defaultAddrPool: ['127.88.0.0/16'], defaultAddrPoolMaskLength: 'x' }), { message: 'invalid --default-addr-pool-mask-length "x": expected a prefix length such as 24' });
  t.throws(() => addrPoolOptions({ defaultAddrPool: ['127.88.0.0/16'], defaultAddrPoolMaskLength: '8' }), /^invalid --default-addr-pool-mask-length 8: expected 16-30/);
});
