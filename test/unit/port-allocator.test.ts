import t from 'tap';
import fc from 'fast-check';
import { createServer, type Server } from 'node:net';
import { PortAllocator, canBind } from '../../lib/drivers/port-allocator.js';

const always = async () => true;

t.test('hands out distinct ports in the range, in rotation', async (t) => {
  const a = new PortAllocator([100, 104], always);
  const got = [];
  for (let i = 0; i < 5; i++) got.push(await a.allocate('10.0.0.1'));
  t.same(got, [100, 101, 102, 103, 104]);
  await t.rejects(a.allocate('10.0.0.1'), { code: 'unavailable', message: /no free port in range 100-104 on 10.0.0.1/ });
  a.release('10.0.0.1', 102);
  t.equal(await a.allocate('10.0.0.1'), 102, 'the only free port');
  a.release('10.0.0.1', 100);
  a.release('10.0.0.1', 101);
  t.equal(await a.allocate('10.0.0.1'), 100, 'wraps around');
});

t.test('a just-released port is not reused at once', async (t) => {
  const a = new PortAllocator([200, 209], always);
  const p = await a.allocate('h');
  a.release('h', p);
  t.not(await a.allocate('h'), p);
});

t.test('addresses are independent', async (t) => {
  const a = new PortAllocator([300, 300], always);
  t.equal(await a.allocate('a'), 300);
  t.equal(await a.allocate('b'), 300);
  await t.rejects(a.allocate('a'));
  t.same(a.inUse('a'), [300]);
});

t.test('skips ports the probe says are busy', async (t) => {
  const busy = new Set([400, 401, 403]);
  const a = new PortAllocator([400, 404], async (_addr, port) => !busy.has(port));
  t.equal(await a.allocate('x'), 402);
  t.equal(await a.allocate('x'), 404);
  await t.rejects(a.allocate('x'), { code: 'unavailable' });
});

t.test('concurrent allocations never share a port', async (t) => {
  const a = new PortAllocator([500, 519], () => new Promise((r) => setImmediate(() => r(true))));
  const ports = await Promise.all(Array.from({ length: 20 }, () => a.allocate('y')));
  t.equal(new Set(ports).size, 20);
});

t.test('rejects bad ranges', async (t) => {
  for (const r of [[0, 10], [10, 5], [1, 70000], [1.5, 3]] as Array<[number, number]>) {
    t.throws(() => new PortAllocator(r), { code: 'invalid_argument' }, JSON.stringify(r));
  }
});

t.test('property: ports handed out are in range and never held twice', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.oneof(fc.constant('alloc' as const), fc.nat({ max: 30 })), { maxLength: 60 }),
    async (ops) => {
      const a = new PortAllocator([1000, 1007], always);
      const held: number[] = [];
      for (const op of ops) {
        if (op === 'alloc') {
          const p = await a.allocate('z').catch(() => undefined);
          if (p === undefined) { if (held.length !== 8) throw new Error('refused with free ports'); continue; }
          if (p < 1000 || p > 1007 || held.includes(p)) throw new Error(`bad port ${p}`);
          held.push(p);
        } else if (held.length > 0) {
          const [p] = held.splice(op % held.length, 1);
          a.release('z', p!);
        }
      }
    },
  ));
});

t.test('the real probe skips a port that is bound on the address', async (t) => {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const busy = (server.address() as { port: number }).port;
  t.equal(await canBind('127.0.0.1', busy), false);
  const a = new PortAllocator([busy, Math.min(65535, busy + 20)]);
  const got = await a.allocate('127.0.0.1');
  t.not(got, busy);
  t.equal(await canBind('127.0.0.1', got), true, 'the port handed out is bindable');
});

t.test('the real probe fails fast on an address that is not local', async (t) => {
  await t.rejects(canBind('192.0.2.1', 20000), { code: 'failed_precondition' });
});
