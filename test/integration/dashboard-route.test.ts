/**
 * GET /ui serves the dashboard's static files without credentials even when the manager requires
 * the client token (they hold no cluster data), with a strict CSP; every API route still wants the
 * token; nothing outside the built folder can be named.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createAuthorizer, type ClientSecrets } from '../../lib/api/client-auth.js';
import { createApiServer } from '../../lib/api/server.js';
import { uiRoutes } from '../../lib/api/ui-route.js';
import type { Control } from '../../lib/manager/control.js';

t.test('the dashboard route', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-ui-assets-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>swarmlet</title>');
  writeFileSync(join(dir, 'app.js'), 'export {};');
  writeFileSync(join(dir, 'style.css'), 'body{}');
  writeFileSync(join(dir, 'secret.txt'), 'no');
  const secrets: ClientSecrets = { checkClientToken: (x) => x === 'good', nodeOfCredential: () => undefined, checkCredential: () => false };
  const control = { listServices: () => [] } as unknown as Control;
  const api = createApiServer({ control, extraRoutes: uiRoutes({ assetsDir: dir }), authorize: createAuthorizer(secrets, { required: true }) });
  const { host, port } = await api.listen('127.0.0.180', 0);
  t.teardown(() => api.close());
  const base = `http://${host}:${port}`;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(`${base}${path}`, { headers });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  };

  const redirect = await get('/ui');
  t.equal(redirect.status, 301);
  t.equal(redirect.headers.location, '/ui/');
  const page = await get('/ui/');
  t.equal(page.status, 200, 'the page needs no token');
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body, /<title>swarmlet/);
  t.match(page.headers['content-security-policy'], /default-src 'none'; script-src 'self'/, 'own origin only');
  t.equal((await get('/v1.41/ui/')).status, 200, 'with a version prefix too');
  const js = await get('/ui/app.js');
  t.equal(js.status, 200);
  t.match(js.headers['content-type'], /^text\/javascript/);
  t.match((await get('/ui/style.css')).headers['content-type'], /^text\/css/);
  t.equal((await get('/ui/missing.js')).status, 404);
  t.equal((await get('/ui/secret.txt')).status, 401, 'not a dashboard file: a manager route, so it wants the token first');
  t.equal((await get('/ui/secret.txt', { authorization: 'Bearer good' })).status, 404, 'and then is not found');
  t.equal((await get('/ui/..%2fsecret.txt', { authorization: 'Bearer good' })).status, 404);
  t.equal((await get('/services')).status, 401, 'the API still wants the token');
  t.equal((await get('/services', { authorization: 'Bearer good' })).status, 200);
  const head = await request(`${base}/ui/app.js`, { method: 'HEAD' });
  t.equal(head.statusCode, 200);
  await head.body.text();
});

t.test('a missing build is named', async (t) => {
  const api = createApiServer({ control: {} as Control, extraRoutes: uiRoutes({ assetsDir: join(tmpdir(), 'swarmlet-no-such-ui') }) });
  const { host, port } = await api.listen('127.0.0.180', 0);
  t.teardown(() => api.close());
  const res = await request(`http://${host}:${port}/ui/`);
  t.equal(res.statusCode, 503);
  t.match(await res.body.text(), /not built .* npm run build/);
});
