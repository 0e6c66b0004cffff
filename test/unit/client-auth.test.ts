/**
 * Client authentication of the manager API, pure parts: which routes are manager-only, the access
 * decision for every credential kind, the listen policy (loopback or TLS) and the client token store.
 */
import t from 'tap';
import fc from 'fast-check';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeAccess } from '../../lib/api/route-access.js';
import {
  decideAccess, presentedCredential, createAuthorizer, ENDPOINTS_MESSAGE, INVALID_TOKEN_MESSAGE, MISSING_TOKEN_MESSAGE,
  NODE_CREDENTIAL_MESSAGE, NODE_ROUTE_MESSAGE, type ClientSecrets, type Presented,
} from '../../lib/api/client-auth.js';
import { assertListenAllowed, clientAuthRequired, isLoopbackHost } from '../../lib/api/listen-security.js';
import { JoinTokens, readClientToken } from '../../lib/dispatcher/join-tokens.js';
import { normalizeHost } from '../../lib/client/host.js';
import { SwarmletError } from '../../lib/errors.js';
import type { IncomingMessage } from 'node:http';

const CLIENT = 'SWLCTK-1-client';
const CRED = 'SWLCRED-node1cred';
const secrets: ClientSecrets = {
  checkClientToken: (tok) => tok === CLIENT,
  nodeOfCredential: (c) => (c === CRED ? 'node1' : undefined),
  checkCredential: (id, c) => id === 'node1' && c === CRED,
};

t.test('routeAccess: which routes are manager-only', async (t) => {
  const table: Array<[string, string, string]> = [
    ['GET', '/_ping', 'public'],
    ['HEAD', '/_ping', 'public'],
    ['POST', '/_ping', 'manager'],
    ['POST', '/swarmlet/v1/join', 'join'],
    ['GET', '/swarmlet/v1/join', 'manager'],
    ['GET', '/swarmlet/v1/nodes/abc/session', 'node'],
    ['POST', '/swarmlet/v1/nodes/abc/heartbeat', 'node'],
    ['POST', '/swarmlet/v1/nodes/abc/tasks/t1/status', 'node'],
    ['POST', '/swarmlet/v1/nodes/abc/drained/t1', 'node'],
    ['POST', '/swarmlet/v1/nodes/abc/description', 'node'],
    ['GET', '/swarmlet/v1/endpoints', 'endpoints'],
    ['POST', '/swarmlet/v1/endpoints/ack', 'endpoints'],
    ['POST', '/swarmlet/v1/endpoints', 'manager'],
    ['GET', '/swarmlet/v1/join-token/worker', 'manager'],
    ['GET', '/swarmlet/v1/client-token', 'manager'],
    ['GET', '/swarmlet/v1/nodes', 'manager'],
    ['GET', '/swarmlet/v1/nodes/abc', 'manager'],
    ['GET', '/swarmlet/v1/images', 'manager'],
    ['GET', '/services', 'manager'],
    ['POST', '/services/create', 'manager'],
    ['DELETE', '/nodes/abc', 'manager'],
    ['GET', '/nodes/abc/session', 'manager'],
    ['GET', '/events', 'manager'],
    ['GET', '/metrics', 'manager'],
    ['GET', '/info', 'manager'],
    ['GET', '/no/such/route', 'manager'],
  ];
  for (const [method, path, kind] of table) t.equal(routeAccess(method, path).kind, kind, `${method} ${path}`);
  t.same(routeAccess('POST', '/swarmlet/v1/nodes/n%2D1/heartbeat'), { kind: 'node', nodeId: 'n-1' }, 'the node ID is decoded');
  t.equal(routeAccess('POST', '/swarmlet/v1/nodes/%E0%A4%A/heartbeat').kind, 'manager', 'a malformed escape is not a node route');
});

t.test('presentedCredential parses the Authorization header', async (t) => {
  t.same(presentedCredential(undefined), { kind: 'none' });
  t.same(presentedCredential(''), { kind: 'none' });
  t.same(presentedCredential('Bearer abc'), { kind: 'bearer', token: 'abc' });
  t.same(presentedCredential('bearer abc'), { kind: 'bearer', token: 'abc' }, 'the scheme is case-insensitive');
  t.same(presentedCredential('Basic dXNlcjpwYXNz'), { kind: 'other' });
  t.same(presentedCredential('Bearer a b'), { kind: 'other' });
  t.same(presentedCredential('Bearer '), { kind: 'other' });
});

t.test('decideAccess: every route class × credential × auth mode', async (t) => {
  const none: Presented = { kind: 'none' };
  const other: Presented = { kind: 'other' };
  const bearer = (token: string): Presented => ({ kind: 'bearer', token });
  const M = { kind: 'manager' } as const;
  const E = { kind: 'endpoints' } as const;
  const N = { kind: 'node', nodeId: 'node1' } as const;
  const N2 = { kind: 'node', nodeId: 'node2' } as const;
  type Row = [string, Parameters<typeof decideAccess>[0], Presented, boolean, number | 'allow', string?];
  const table: Row[] = [
    ['ping needs nothing', { kind: 'public' }, none, true, 'allow'],
    ['join needs nothing here (the join token is in the body)', { kind: 'join' }, none, true, 'allow'],
    ['manager route, client token', M, bearer(CLIENT), true, 'allow'],
    ['manager route, no token, auth on', M, none, true, 401, MISSING_TOKEN_MESSAGE],
    ['manager route, other scheme, auth on', M, other, true, 401, MISSING_TOKEN_MESSAGE],
    ['manager route, wrong token', M, bearer('SWLCTK-1-wrong'), true, 401, INVALID_TOKEN_MESSAGE],
    ['manager route, node credential', M, bearer(CRED), true, 403, NODE_CREDENTIAL_MESSAGE],
    ['manager route, unknown node-credential-shaped token', M, bearer('SWLCRED-x'), true, 403, NODE_CREDENTIAL_MESSAGE],
    ['manager route, no token, auth off (plain loopback)', M, none, false, 'allow'],
    ['manager route, other scheme, auth off', M, other, false, 'allow'],
    ['manager route, client token, auth off', M, bearer(CLIENT), false, 'allow'],
    ['manager route, node credential, auth off', M, bearer(CRED), false, 403, NODE_CREDENTIAL_MESSAGE],
    ['manager route, wrong token, auth off', M, bearer('nope'), false, 401, INVALID_TOKEN_MESSAGE],
    ['endpoints, client token', E, bearer(CLIENT), true, 'allow'],
    ['endpoints, any node credential', E, bearer(CRED), true, 'allow'],
    ['endpoints, no token, auth on', E, none, true, 401, ENDPOINTS_MESSAGE],
    ['endpoints, wrong token', E, bearer('SWLCRED-x'), true, 401, ENDPOINTS_MESSAGE],
    ['endpoints, no token, auth off', E, none, false, 'allow'],
    ['node route, its own credential', N, bearer(CRED), true, 'allow'],
    ['node route, its own credential, auth off', N, bearer(CRED), false, 'allow'],
    ['node route, another node\'s credential', N2, bearer(CRED), true, 401, NODE_ROUTE_MESSAGE],
    ['node route, the client token', N, bearer(CLIENT), true, 401, NODE_ROUTE_MESSAGE],
    ['node route, nothing, auth off', N, none, false, 401, NODE_ROUTE_MESSAGE],
  ];
  for (const [name, access, presented, required, want, message] of table) {
    const d = decideAccess(access, presented, secrets, required);
    if (want === 'allow') t.ok(d.allow, name);
    else t.same(d, { allow: false, status: want, message }, name);
  }
});

t.test('property: with auth on, no token but the client token opens a manager route, and no message echoes it', async (t) => {
  const token = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{12,60}$/), fc.stringMatching(/^SWL(?:CTK-1|CRED|TKN-1)-[a-z0-9]{8,50}$/))
    .filter((s) => s !== CLIENT);
  fc.assert(fc.property(token, (tok) => {
    const d = decideAccess({ kind: 'manager' }, { kind: 'bearer', token: tok }, secrets, true);
    return !d.allow && (d.status === 401 || d.status === 403) && !d.message.includes(tok);
  }), { numRuns: 2000 });
  t.pass('2,000 random tokens refused');
});

t.test('createAuthorizer throws SwarmletErrors with the HTTP codes', async (t) => {
  const authorize = createAuthorizer(secrets, { required: true });
  const req = (authorization?: string) => ({ headers: authorization ? { authorization } : {} }) as IncomingMessage;
  t.doesNotThrow(() => authorize(req(`Bearer ${CLIENT}`), 'GET', '/services'));
  t.doesNotThrow(() => authorize(req(), 'GET', '/_ping'));
  t.throws(() => authorize(req(), 'GET', '/services'), new SwarmletError('unauthenticated', MISSING_TOKEN_MESSAGE));
  t.throws(() => authorize(req(`Bearer ${CRED}`), 'GET', '/services'), new SwarmletError('permission_denied', NODE_CREDENTIAL_MESSAGE));
});

t.test('listen policy: loopback, or TLS', async (t) => {
  const loop = ['127.0.0.1', '127.0.0.161', '127.255.255.254', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.5'];
  const notLoop = ['0.0.0.0', '10.1.2.3', '192.168.1.1', '::', '[::]', 'example.com', '128.0.0.1', '127.example.com', ''];
  for (const h of loop) t.ok(isLoopbackHost(h), `${h} is loopback`);
  for (const h of notLoop) t.notOk(isLoopbackHost(h), `${h} is not loopback`);
  t.doesNotThrow(() => assertListenAllowed('127.0.0.1', undefined));
  t.doesNotThrow(() => assertListenAllowed('0.0.0.0', { cert: 'c', key: 'k' }));
  t.throws(() => assertListenAllowed('0.0.0.0', undefined, { tls: '--tls-cert FILE and --tls-key FILE' }), {
    code: 'failed_precondition',
    message: 'refusing to serve the management API on 0.0.0.0 without TLS: on a non-loopback address it requires TLS and a client token; pass --tls-cert FILE and --tls-key FILE, or listen on a loopback address such as 127.0.0.1',
  });
  t.throws(() => assertListenAllowed('10.1.2.3', undefined), { message: /on 10\.1\.2\.3 without TLS.*`tls: \{ cert, key \}`/ });
  t.equal(clientAuthRequired(undefined, undefined), false);
  t.equal(clientAuthRequired(undefined, true), true);
  t.equal(clientAuthRequired({ cert: 'c', key: 'k' }, false), true, 'TLS always turns client auth on');
});

t.test('normalizeHost with TLS: tcp:// and bare hosts become https; an explicit scheme stays', async (t) => {
  t.equal(normalizeHost('tcp://127.0.0.161:2377', { tls: true }), 'https://127.0.0.161:2377');
  t.equal(normalizeHost('127.0.0.161:2400', { tls: true }), 'https://127.0.0.161:2400');
  t.equal(normalizeHost('127.0.0.161', { tls: true }), 'https://127.0.0.161:2377');
  t.equal(normalizeHost(undefined, { tls: true }), 'https://127.0.0.1:2377');
  t.equal(normalizeHost('https://127.0.0.161:9'), 'https://127.0.0.161:9');
  t.equal(normalizeHost('http://127.0.0.161:9', { tls: true }), 'http://127.0.0.161:9');
  t.equal(normalizeHost('tcp://127.0.0.161:2377'), 'http://127.0.0.161:2377');
});

t.test('JoinTokens keeps a client token: 0600 file, constant-time check, rotation refuses the old one at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-secrets-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'secrets.json');
  const tokens = new JoinTokens(file);
  const first = tokens.clientToken();
  t.match(first, /^SWLCTK-1-[0-9a-z]{50}$/);
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.ok(tokens.checkClientToken(first));
  t.notOk(tokens.checkClientToken(`${first}x`));
  t.notOk(tokens.checkClientToken(tokens.token('worker')), 'a join token is not the client token');
  t.equal(readClientToken(file), first, 'readable from the data dir (bootstrap)');
  t.equal(new JoinTokens(file).clientToken(), first, 'survives a restart');
  const second = tokens.rotateClientToken();
  t.not(second, first);
  t.notOk(tokens.checkClientToken(first), 'the old token is refused at once');
  t.ok(tokens.checkClientToken(second));
  t.equal(readClientToken(file), second);
  t.equal(readClientToken(join(dir, 'missing.json')), undefined);

  const c1 = tokens.issueCredential('n1');
  const c2 = tokens.issueCredential('n2');
  t.equal(tokens.nodeOfCredential(c1), 'n1');
  t.equal(tokens.nodeOfCredential(c2), 'n2');
  t.equal(tokens.nodeOfCredential(second), undefined, 'the client token is no node credential');
  tokens.forget('n1');
  t.equal(tokens.nodeOfCredential(c1), undefined, 'a removed node\'s credential stops working');
  t.notOk(readFileSync(file, 'utf8').includes(c2), 'credentials are stored hashed');
});

t.test('JoinTokens adds a client token to an older secrets file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-secrets-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'secrets.json');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, JSON.stringify({ tokens: { worker: 'SWLTKN-1-a-wb', manager: 'SWLTKN-1-a-mb' }, credentials: {} }), { mode: 0o600 });
  const tokens = new JoinTokens(file);
  t.equal(tokens.token('worker'), 'SWLTKN-1-a-wb', 'join tokens kept');
  t.match(readClientToken(file), /^SWLCTK-1-/);
});
