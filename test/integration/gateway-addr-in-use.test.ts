/**
 * A gateway whose address:port another process holds (a VIP served by another swarmlet process on
 * this machine): with quietAddrInUse the EADDRINUSE is logged once at debug (no warning at every
 * retry), the table is acked all the same (no drain waits for it), and the port is bound once the
 * other process lets it go. Loopback 127.0.0.238 only.
 */
import t from 'tap';
import net from 'node:net';
import { createGateway } from '../../gateway/create-gateway.js';
import { FakeEndpointSource } from '../fixtures/fake-endpoint-source.js';
import { RecordingLogger } from '../fixtures/recording-logger.js';
import { until } from '../fixtures/up-process.js';

const ADDR = '127.0.0.238';

t.test('EADDRINUSE with quietAddrInUse: one debug line, acked, bound once free', async (t) => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, ADDR, resolve));
  const port = (holder.address() as net.AddressInfo).port;
  const source = new FakeEndpointSource([{ serviceId: 's1', name: 'held', ports: [{ published: port, target: port, protocol: 'tcp' }], endpoints: [] }]);
  const logger = new RecordingLogger();
  const gw = createGateway({ id: 'vip.test', nodeId: 'vip.test', hostname: 'vip-test', addr: ADDR, source, logger, bindRetryMs: 100, processMetrics: false, quietAddrInUse: true });
  t.teardown(async () => { await gw.close(); holder.close(); });
  await gw.start();
  t.same(gw.ports(), [], 'the port is held by another process');
  t.ok(source.acks.some((a) => a.gatewayId === 'vip.test' && a.version === 1), 'the table is acked all the same');
  await new Promise((r) => setTimeout(r, 450)); // several retries
  const inUse = logger.records.filter((r) => r.level !== 'info' && JSON.stringify(r.obj).includes(String(port)));
  t.equal(inUse.length, 1, 'logged once');
  t.equal(inUse[0]?.level, 'debug', 'at debug');
  await new Promise<void>((resolve) => holder.close(() => resolve()));
  await until('bound once the other process let it go', () => gw.ports().includes(port), 5_000, 50);
  t.pass('the gateway took the port');
});
