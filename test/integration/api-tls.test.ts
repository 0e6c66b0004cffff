/**
 * The management API over TLS with client-token auth (in-process manager on 127.0.0.161-169):
 * 401 without or with a wrong token, 403 for a node credential on a manager route, the client works
 * with the CA and the token, plain http to the TLS port fails, the endpoint stream takes a node
 * credential or the client token, rotation refuses the old token at once, and nothing secret is logged.
 */
import t from 'tap';
import { createServer } from 'node:net';
import { Agent, request } from 'undici';
import { createCluster, type Cluster } from '../../lib/cluster/create-cluster.js';
import { createClient } from '../../lib/client/client.js';
import { isApiError } from '../../lib/client/api-error.js';
import { RecordingLogger } from '../fixtures/recording-logger.js';
import { makeTestCerts, opensslAvailable, type TestCerts } from '../fixtures/tls-certs.js';

const HOST = '127.0.0.161';

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

if (!opensslAvailable()) {
  t.test('TLS', { skip: 'openssl is not installed: no certificates for the TLS tests' }, () => {});
} else {
  const certs: TestCerts = makeTestCerts([HOST, '127.0.0.162']);
  t.teardown(() => certs.cleanup());
  const trust = new Agent({ connect: { ca: certs.ca } });
  t.teardown(() => trust.close());

  interface Answer { status: number; body: { message?: string } & Record<string, unknown>; headers: Record<string, unknown> }
  const call = async (url: string, path: string, init: { method?: 'GET' | 'POST' | 'DELETE'; token?: string; body?: unknown } = {}): Promise<Answer> => {
    const r = await request(`${url}${path}`, {
      dispatcher: trust, method: init.method ?? 'GET',
      headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await r.body.text();
    const json = (r.headers['content-type'] ?? '').includes('json');
    return { status: r.statusCode, body: json && text ? JSON.parse(text) as Answer['body'] : {}, headers: r.headers };
  };

  t.test('a TLS manager: tokens, credentials, streams and logs', async (t) => {
    const logger = new RecordingLogger();
    const port = await freePort(HOST);
    const cluster: Cluster = await createCluster({ nodes: 0, gateway: false, listen: `${HOST}:${port}`, tls: { cert: certs.cert, key: certs.key },
      dispatcher: { heartbeatMs: 60_000 }, logger });
    t.teardown(() => cluster.close());
    const url = cluster.url!;
    t.equal(url, `https://${HOST}:${port}`);
    const token = cluster.clientToken()!;
    t.match(token, /^SWLCTK-1-/);

    await t.test('ping is public; manager routes need the client token', async (t) => {
      t.equal((await call(url, '/_ping')).status, 200);
      const none = await call(url, '/services');
      t.equal(none.status, 401);
      t.match(none.body.message, /requires a client token/);
      t.equal(none.headers['www-authenticate'], 'Bearer realm="swarmlet"');
      t.equal(none.headers['content-type'], 'application/json', 'Docker-style {"message"} body');
      const wrong = await call(url, '/services', { token: 'SWLCTK-1-wrong' });
      t.same([wrong.status, wrong.body.message], [401, 'unauthorized: invalid client token']);
      t.equal((await call(url, '/v1.41/services', { token: 'nope' })).status, 401, 'with a version prefix too');
      t.equal((await call(url, '/no/such/route')).status, 401, 'unknown routes do not tell unauthenticated callers anything');
      t.equal((await call(url, '/swarmlet/v1/join-token/worker')).status, 401);
      t.equal((await call(url, '/metrics')).status, 401);
      t.equal((await call(url, '/services', { token })).status, 200);
    });

    let worker = '';
    let node = { NodeID: '', Credential: '' };
    await t.test('a node joins with the join token and its credential is no manager credential', async (t) => {
      worker = (await call(url, '/swarmlet/v1/join-token/worker', { token })).body.Token as string;
      t.match(worker, /^SWLTKN-1-/);
      const bad = await call(url, '/swarmlet/v1/join', { method: 'POST', body: { Token: 'SWLTKN-1-wrong', Hostname: 'bad', Addr: '127.0.0.163' } });
      t.same([bad.status, bad.body.message], [400, 'invalid join token']);
      const joined = await call(url, '/swarmlet/v1/join', { method: 'POST', body: { Token: worker, Hostname: 'tls-n1', Addr: '127.0.0.162' } });
      t.equal(joined.status, 200);
      node = joined.body as unknown as typeof node;
      t.match(node.Credential, /^SWLCRED-/);
      for (const path of ['/services', '/nodes', '/swarmlet/v1/join-token/worker', '/swarmlet/v1/client-token', '/events', '/info']) {
        const r = await call(url, path, { token: node.Credential });
        t.same([r.status, r.body.message], [403, 'forbidden: a node credential cannot call manager routes; use the client token'], `node credential on ${path}`);
      }
      t.equal((await call(url, `/swarmlet/v1/nodes/${node.NodeID}/heartbeat`, { method: 'POST', token: node.Credential, body: {} })).status, 200,
        'its own session routes work');
      t.equal((await call(url, `/swarmlet/v1/nodes/${node.NodeID}/heartbeat`, { method: 'POST', token, body: {} })).status, 401,
        'the client token is not a node credential');
      t.equal((await call(url, `/swarmlet/v1/nodes/${node.NodeID}/heartbeat`, { method: 'POST', body: {} })).status, 401);
    });

    await t.test('the endpoint stream takes any node credential or the client token', async (t) => {
      t.equal((await call(url, '/swarmlet/v1/endpoints')).status, 401);
      t.equal((await call(url, '/swarmlet/v1/endpoints', { token: 'SWLCRED-forged' })).status, 401);
      t.equal((await call(url, '/swarmlet/v1/endpoints', { token: node.Credential })).status, 200);
      t.equal((await call(url, '/swarmlet/v1/endpoints', { token })).status, 200);
      const ack = await call(url, '/swarmlet/v1/endpoints/ack', { method: 'POST', body: { Gateway: 'g1', Version: 0 } });
      t.equal(ack.status, 401, 'acks too');
      const watch = new AbortController();
      const r = await request(`${url}/swarmlet/v1/endpoints?watch=1&gateway=gw-test`, { dispatcher: trust, signal: watch.signal,
        headers: { authorization: `Bearer ${node.Credential}` } });
      t.equal(r.statusCode, 200);
      const first = await new Promise<string>((resolve) => r.body.once('data', (b: Buffer) => resolve(b.toString())));
      t.match(JSON.parse(first.split('\n')[0]!), { version: Number, services: Array }, 'the table arrives');
      watch.abort();
      r.body.on('error', () => undefined);
    });

    await t.test('the swarmlet client: CA + token work; without either it fails clearly', async (t) => {
      const client = createClient({ host: url, tls: { ca: certs.ca }, token });
      t.teardown(() => client.close());
      const created = await client.services.create({ Name: 'tlsweb', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 0 } } });
      t.match(created.ID, /\w+/);
      t.same((await client.services.list()).map((s) => s.Spec.Name), ['tlsweb']);
      t.equal((await client.ping()).apiVersion, '1.41');

      const noToken = createClient({ host: url, tls: { ca: certs.ca } });
      t.teardown(() => noToken.close());
      const e1 = await noToken.services.list().catch((e: unknown) => e);
      t.ok(isApiError(e1) && e1.status === 401, 'no token: 401 ApiError');

      const otherCa = createClient({ host: url, tls: { ca: (await import('node:fs')).readFileSync(certs.otherCaFile, 'utf8') }, token });
      t.teardown(() => otherCa.close());
      const e2 = await otherCa.services.list().catch((e: unknown) => e);
      t.match(e2, { name: 'ConnectionError', message: /cannot connect to the swarmlet manager at https:\/\/127\.0\.0\.161:\d+ \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/ },
        'a certificate from another CA is refused');

      const tcp = createClient({ host: `tcp://${HOST}:${port}`, tls: { ca: certs.ca }, token });
      t.teardown(() => tcp.close());
      t.equal(tcp.host, url, 'tcp:// with TLS means https');
      t.equal((await tcp.services.list()).length, 1);
    });

    await t.test('plain http to the TLS port fails', async (t) => {
      const r = await request(`http://${HOST}:${port}/_ping`, { headersTimeout: 5000 }).then(async (res) => { await res.body.dump(); return res.statusCode; }, (e: unknown) => e);
      t.ok(r instanceof Error, `plain http got ${r instanceof Error ? (r as Error).message : r}`);
    });

    await t.test('rotating the client token refuses the old one at once', async (t) => {
      const rotated = (await call(url, '/swarmlet/v1/client-token?rotate=1', { token })).body.Token as string;
      t.match(rotated, /^SWLCTK-1-/);
      t.not(rotated, token);
      t.equal((await call(url, '/services', { token })).status, 401, 'old token refused');
      t.equal((await call(url, '/services', { token: rotated })).status, 200, 'new token works');
      t.equal(cluster.clientToken(), rotated);
      t.equal((await call(url, `/swarmlet/v1/nodes/${node.NodeID}/heartbeat`, { method: 'POST', token: node.Credential, body: {} })).status, 200,
        'joined nodes keep working');
    });

    await t.test('no token or credential text in the manager log', async (t) => {
      const text = JSON.stringify(logger.records);
      t.ok(logger.records.some((r) => r.msg === 'node joined'), 'the join was logged');
      t.ok(logger.records.some((r) => r.msg === 'api request'), 'requests were logged');
      for (const secret of [token, cluster.clientToken()!, worker, node.Credential, 'SWLTKN-1-wrong', 'SWLCTK-1-wrong', 'SWLCRED-forged']) {
        t.notOk(text.includes(secret), `${secret.slice(0, 9)}… not logged`);
      }
      t.notOk(/SWLTKN-|SWLCTK-|SWLCRED-/.test(text), 'no token-shaped text at all');
    });
  });

  t.test('plain http on loopback: no token needed, unless requireClientToken', async (t) => {
    const port = await freePort(HOST);
    const open = await createCluster({ nodes: 0, gateway: false, listen: `${HOST}:${port}`, dispatcher: {} });
    t.teardown(() => open.close());
    const plain = (path: string, token?: string) => request(`${open.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
      .then(async (r) => { await r.body.dump(); return r.statusCode; });
    t.equal(await plain('/services'), 200);
    t.equal(await plain('/swarmlet/v1/endpoints'), 200, 'the endpoint stream stays open for `swarmlet gateway`');
    t.equal(await plain('/services', open.clientToken()), 200);
    t.equal(await plain('/services', 'SWLCRED-x'), 403, 'a node credential still cannot call manager routes');

    const port2 = await freePort(HOST);
    const strict = await createCluster({ addresses: ['127.0.0.164'], gateway: false, listen: `${HOST}:${port2}`, requireClientToken: true });
    t.teardown(() => strict.close());
    t.equal(strict.url, `http://${HOST}:${port2}`);
    const r1 = await request(`${strict.url}/services`);
    await r1.body.dump();
    t.equal(r1.statusCode, 401);
    const r2 = await request(`${strict.url}/services`, { headers: { authorization: `Bearer ${strict.clientToken()}` } });
    await r2.body.dump();
    t.equal(r2.statusCode, 200);
  });

  t.test('a non-loopback listen address without TLS is refused before anything listens', async (t) => {
    for (const listen of ['0.0.0.0:2377', '10.1.2.3:2377']) {
      await t.rejects(createCluster({ nodes: 0, gateway: false, listen, dispatcher: {} }),
        { code: 'failed_precondition', message: /^refusing to serve the management API on (0\.0\.0\.0|10\.1\.2\.3) without TLS/ }, listen);
    }
  });
}
