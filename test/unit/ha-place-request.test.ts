import t from 'tap';
import { placeRequest, NO_LEADER_MESSAGE } from '../../lib/ha/place-request.js';
import { parseEtcdPrefix, parseManagerList, parseStoreUrl } from '../../lib/ha/store-url.js';
import { ManagerCursor, managerUrls } from '../../lib/client/manager-cursor.js';
import { isSwarmletError } from '../../lib/errors.js';
import { managerNode } from '../../lib/ha/manager-nodes.js';

const L = 'http://127.0.0.1:2378';
const base = { forwarded: false, isLeader: false, leader: L };

t.test('the leader answers everything', async (t) => {
  for (const [method, path] of [['POST', '/services/create'], ['GET', '/services'], ['GET', '/swarmlet/v1/nodes/n1/session']]) {
    t.same(placeRequest({ ...base, isLeader: true, method: method!, path: path! }), { kind: 'local' });
  }
});

t.test('a follower forwards manager routes to the leader it knows', async (t) => {
  for (const [method, path] of [['POST', '/services/create'], ['GET', '/services'], ['GET', '/swarmlet/v1/nodes/n1/session'],
    ['GET', '/swarmlet/v1/endpoints'], ['POST', '/swarmlet/v1/join'], ['GET', '/events'], ['DELETE', '/services/web'], ['GET', '/info']]) {
    t.same(placeRequest({ ...base, method: method!, path: path! }), { kind: 'forward', leader: L }, `${method} ${path}`);
  }
});

t.test('a follower answers its own routes', async (t) => {
  for (const path of ['/_ping', '/version', '/swarmlet/v1/managers', '/ui', '/ui/app.js', '/metrics']) {
    t.same(placeRequest({ ...base, method: 'GET', path }), { kind: 'local' }, path);
  }
  t.same(placeRequest({ ...base, method: 'HEAD', path: '/_ping' }), { kind: 'local' });
});

t.test('no leader: reads from the mirror, writes and node sessions refused with 503 unavailable', async (t) => {
  const none = { ...base, leader: undefined };
  t.same(placeRequest({ ...none, method: 'GET', path: '/services' }), { kind: 'local' });
  t.same(placeRequest({ ...none, method: 'GET', path: '/swarmlet/v1/endpoints' }), { kind: 'local' });
  for (const [method, path] of [['POST', '/services/create'], ['GET', '/swarmlet/v1/nodes/n1/session'], ['POST', '/swarmlet/v1/nodes/n1/heartbeat'], ['POST', '/swarmlet/v1/join']]) {
    const p = placeRequest({ ...none, method: method!, path: path! });
    t.equal(p.kind, 'refuse', `${method} ${path}`);
    if (p.kind === 'refuse') {
      t.ok(isSwarmletError(p.error) && p.error.code === 'unavailable');
      t.equal(p.error.message, NO_LEADER_MESSAGE);
    }
  }
});

t.test('a forwarded request is never forwarded again', async (t) => {
  const p = placeRequest({ ...base, forwarded: true, method: 'POST', path: '/services/create' });
  t.equal(p.kind, 'refuse');
  if (p.kind === 'refuse') t.ok(isSwarmletError(p.error) && p.error.code === 'not_leader');
  t.same(placeRequest({ ...base, forwarded: true, isLeader: true, method: 'POST', path: '/services/create' }), { kind: 'local' });
  t.same(placeRequest({ ...base, forwarded: true, method: 'GET', path: '/services' }), { kind: 'local' }, 'a forwarded read: from the mirror');
  t.equal(placeRequest({ ...base, forwarded: true, method: 'GET', path: '/swarmlet/v1/nodes/n1/session' }).kind, 'refuse');
});

t.test('--store etcd://…', async (t) => {
  t.same(parseStoreUrl('etcd://127.0.0.1:2379,10.0.0.2:2379', { tls: false }), { kind: 'etcd', endpoints: ['http://127.0.0.1:2379', 'http://10.0.0.2:2379'] });
  t.same(parseStoreUrl('etcd://e1:2379', { tls: true }).endpoints, ['https://e1:2379']);
  t.throws(() => parseStoreUrl('http://127.0.0.1:2379', { tls: false }), { message: /invalid --store .*expected etcd:\/\//, field: 'store' });
  t.throws(() => parseStoreUrl('etcd://127.0.0.1', { tls: false }), { message: /"127.0.0.1" is not HOST:PORT/ });
  t.throws(() => parseStoreUrl('etcd://h:99999', { tls: false }), { message: /not HOST:PORT/ });
  t.throws(() => parseStoreUrl('etcd://,', { tls: false }), { message: /no etcd endpoint/ });
  t.equal(parseEtcdPrefix('/swarmlet/'), '/swarmlet');
  t.throws(() => parseEtcdPrefix('swarmlet'), { message: /invalid --etcd-prefix/, field: 'etcd-prefix' });
  t.same(parseManagerList('http://a:1, http://b:2/,http://a:1', (u) => u.replace(/\/$/, '')), ['http://a:1', 'http://b:2']);
  t.throws(() => parseManagerList(' , ', (u) => u), { message: /invalid --manager/, field: 'manager' });
});

t.test('the manager cursor moves round the list', async (t) => {
  t.same(managerUrls('http://a:1/, http://b:2'), ['http://a:1', 'http://b:2']);
  const c = new ManagerCursor('http://a:1,http://b:2,http://c:3');
  t.equal(c.current(), 'http://a:1');
  t.equal(c.next(), 'http://b:2');
  t.notOk(c.atStart());
  c.next();
  t.equal(c.next(), 'http://a:1');
  t.ok(c.atStart(), 'a whole round done');
  const one = new ManagerCursor('http://a:1');
  t.equal(one.size, 1);
});

t.test('a manager as a node: MANAGER STATUS from the registry', async (t) => {
  const n = managerNode({ id: 'm1', addr: 'http://127.0.0.1:2377', leader: true, reachable: true }, '2026-01-01T00:00:00.000Z');
  t.same(n.ManagerStatus, { Leader: true, Reachability: 'reachable', Addr: '127.0.0.1:2377' });
  t.equal(n.Spec.Role, 'manager');
  t.equal(n.Status.State, 'ready');
  const gone = managerNode({ id: 'm2', addr: 'http://127.0.0.2:2377', leader: false, reachable: false }, '2026-01-01T00:00:00.000Z');
  t.same(gone.ManagerStatus, { Leader: false, Reachability: 'unreachable', Addr: '127.0.0.2:2377' });
  t.equal(gone.Status.State, 'down');
});
