/** Readiness through a proxy that accepts before the task listens (docker-proxy's behaviour). */
import t from 'tap';
import { createServer, type Server } from 'node:net';
import { canConnect } from '../../lib/agent/wait-listening.js';

const listen = (s: Server, port = 0) => new Promise<number>((r) => s.listen(port, '127.0.0.176', () => r((s.address() as { port: number }).port)));
const close = (s: Server) => new Promise((r) => s.close(r));

t.test('a connection that the peer closes at once does not count when holding', async (t) => {
  const proxy = createServer((c) => c.destroy());
  const port = await listen(proxy);
  t.equal(await canConnect('127.0.0.176', port), true, 'without hold: accepted is enough');
  t.equal(await canConnect('127.0.0.176', port, 500, 150), false, 'with hold: closed at once → not listening');
  await close(proxy);
  const reset = createServer((c) => c.resetAndDestroy());
  const p2 = await listen(reset);
  t.equal(await canConnect('127.0.0.176', p2, 500, 150), false, 'reset at once → not listening');
  await close(reset);
  const real = createServer(() => undefined);
  const p3 = await listen(real);
  const started = Date.now();
  t.equal(await canConnect('127.0.0.176', p3, 500, 150), true, 'a connection that stays open → listening');
  t.ok(Date.now() - started >= 140, 'after the hold');
  await close(real);
  const greeter = createServer((c) => c.write('hi'));
  const p4 = await listen(greeter);
  const s2 = Date.now();
  t.equal(await canConnect('127.0.0.176', p4, 500, 1000), true, 'a peer that speaks first → listening');
  t.ok(Date.now() - s2 < 900, 'at once');
  await close(greeter);
  t.equal(await canConnect('127.0.0.176', p4, 500, 150), false, 'nothing there → not listening');
});
