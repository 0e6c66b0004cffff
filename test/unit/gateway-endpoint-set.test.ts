import t from 'tap';
import { ServiceEndpoints, countStates, nextEndpointSet, stateOf, UpstreamEndpoint } from '../../gateway/endpoint-set.js';
import type { RouteEndpoint } from '../../lib/protocol/endpoint-table.js';

const re = (taskId: string, slot: number, state: 'active' | 'draining' = 'active', port = 8000 + slot): RouteEndpoint =>
  ({ taskId, slot, nodeId: 'n1', addr: '127.0.0.1', port, state });

t.test('a new set: sorted by slot, nothing removed or drained', async (t) => {
  const c = nextEndpointSet([], [re('c', 3), re('a', 1), re('b', 2)]);
  t.same(c.endpoints.map((e) => e.taskId), ['a', 'b', 'c']);
  t.same(c.removed, []);
  t.same(c.drained, []);
  t.equal(c.endpoints[0]!.origin, 'http://127.0.0.1:8001');
});

t.test('endpoints that stay keep their object and health; draining and removal are reported', async (t) => {
  const first = nextEndpointSet([], [re('a', 1), re('b', 2), re('c', 3)]).endpoints;
  first[0]!.health = { failures: 0, ejections: 1, ejectedUntil: 99 };
  const c = nextEndpointSet(first, [re('a', 1), re('b', 2, 'draining'), re('d', 4)]);
  t.equal(c.endpoints[0], first[0], 'same object');
  t.equal(c.endpoints[0]!.health.ejectedUntil, 99, 'ejection survives a newer table');
  t.same(c.drained.map((e) => e.taskId), ['b']);
  t.equal(c.endpoints[1]!.state, 'draining');
  t.same(c.removed.map((e) => e.taskId), ['c']);
  t.equal(c.removed[0]!.state, 'draining', 'a removed endpoint is marked so a queued request sees it');
  t.same(c.endpoints.map((e) => e.taskId), ['a', 'b', 'd']);
  const again = nextEndpointSet(c.endpoints, [re('a', 1), re('b', 2, 'draining'), re('d', 4)]);
  t.same(again.drained, [], 'already draining: not reported twice');
});

t.test('the same task on a new port is a new endpoint', async (t) => {
  const first = nextEndpointSet([], [re('a', 1, 'active', 9000)]).endpoints;
  const c = nextEndpointSet(first, [re('a', 1, 'active', 9001)]);
  t.not(c.endpoints[0], first[0]);
  t.same(c.removed.map((e) => e.port), [9000]);
});

t.test('duplicates in a route are ignored', async (t) => {
  t.equal(nextEndpointSet([], [re('a', 1), re('a', 1)]).endpoints.length, 1);
});

t.test('states for metrics: draining wins over ejected', async (t) => {
  const a = UpstreamEndpoint.from(re('a', 1));
  const b = UpstreamEndpoint.from(re('b', 2, 'draining'));
  const c = UpstreamEndpoint.from(re('c', 3));
  c.health = { failures: 0, ejections: 1, ejectedUntil: 50 };
  b.health = c.health;
  t.equal(stateOf(a, 10), 'active');
  t.equal(stateOf(b, 10), 'draining');
  t.equal(stateOf(c, 10), 'ejected');
  t.same(countStates([a, b, c], 10), { active: 1, draining: 1, ejected: 1 });
  t.same(countStates([a, b, c], 50), { active: 2, draining: 1, ejected: 0 });
});

t.test('ServiceEndpoints: round-robin that continues across tables and skips draining', async (t) => {
  const s = new ServiceEndpoints('svc1', 'web');
  s.apply({ serviceId: 'svc1', name: 'web', ports: [], endpoints: [re('a', 1), re('b', 2), re('c', 3)] });
  t.same([1, 2, 3, 4].map(() => s.pick(undefined, 0)!.taskId), ['a', 'b', 'c', 'a']);
  s.apply({ serviceId: 'svc1', name: 'web', ports: [], endpoints: [re('a', 1), re('b', 2, 'draining'), re('c', 3)] });
  t.same([1, 2, 3, 4].map(() => s.pick(undefined, 0)!.taskId), ['c', 'a', 'c', 'a']);
  t.equal(s.pick(new Set(['a', 'c']), 0), undefined, 'nothing left to try');
});
