import t from 'tap';
import { startUpError } from '../../lib/cluster/start-up-error.js';
import { SwarmletError } from '../../lib/errors.js';

const inUse = () => Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:2377'), { code: 'EADDRINUSE', address: '127.0.0.1', port: 2377 });

t.test('an address in use is one sentence naming the address and the way out', async (t) => {
  const api = startUpError(inUse(), 'api') as SwarmletError;
  t.ok(api instanceof SwarmletError);
  t.equal(api.message, 'the manager API cannot listen on 127.0.0.1:2377: it is already in use (another swarmlet up, manager or example running?); choose another manager address with --listen HOST:PORT (library: the listen option)');
  t.notMatch(api.message, /\n/, 'one line');
  const gw = startUpError(new Error('gateway of node-1 failed: listen EADDRINUSE: address already in use 127.0.0.1:9323'), 'gateway') as SwarmletError;
  t.match(gw.message, /^a gateway cannot listen on 127\.0\.0\.1:9323: it is already in use .*--metrics-port PORT\|off or --no-gateway \(library: gateway: \{ adminPort \} or gateway: false\)/);
  const other = new Error('something else');
  t.equal(startUpError(other, 'api'), other, 'other errors pass through');
});
