/** Content-versioned stack secrets/configs: which stored object holds a content, and which versions are stale. */
import t from 'tap';
import { createHash } from 'node:crypto';
import { chooseVersion, LOGICAL_NAME_LABEL, staleVersions, versionName, type StoredObject } from '../../lib/stack/object-versions.js';
import type { ServiceSpec } from '../../lib/model/types.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const hash8 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);
const NS = 'com.docker.stack.namespace';
const obj = (ID: string, Name: string, labels: Record<string, string> = {}, data?: string): StoredObject =>
  ({ ID, Spec: { Name, Labels: labels, ...(data === undefined ? {} : { Data: b64(data) }) } });
const v = (ID: string, content: string) => obj(ID, `app_pw_${hash8(content)}`, { [NS]: 'app', [LOGICAL_NAME_LABEL]: 'app_pw' });

t.test('versionName: name + 8 hex of sha256(content)', async (t) => {
  t.equal(versionName('app_pw', b64('hello')), `app_pw_${hash8('hello')}`);
  t.equal(versionName('app_pw', b64('hello')), 'app_pw_2cf24dba');
});

t.test('chooseVersion', async (t) => {
  const cases: Array<[string, StoredObject[], string, unknown]> = [
    ['nothing stored: the first version under docker\'s name', [], 'a', { kind: 'create', name: 'app_pw', first: true }],
    ['a secret under the plain name: its content must be checked', [obj('s1', 'app_pw', { [NS]: 'app' })], 'a', { kind: 'check', object: obj('s1', 'app_pw', { [NS]: 'app' }) }],
    ['a config with the same data: used', [obj('c1', 'app_pw', { [NS]: 'app' }, 'a')], 'a', { kind: 'use', object: obj('c1', 'app_pw', { [NS]: 'app' }, 'a') }],
    ['a config with other data: a hashed version', [obj('c1', 'app_pw', { [NS]: 'app' }, 'a')], 'b', { kind: 'create', name: `app_pw_${hash8('b')}`, first: false }],
    ['the hashed version exists: used', [obj('s1', 'app_pw', { [NS]: 'app' }), v('s2', 'b')], 'b', { kind: 'use', object: v('s2', 'b') }],
    ['only hashed versions (the plain one removed): a new hashed one', [v('s2', 'b')], 'a', { kind: 'create', name: `app_pw_${hash8('a')}`, first: false }],
    ['a labelled version of another stack is not ours', [obj('x', 'app_pw_zz', { [NS]: 'other', [LOGICAL_NAME_LABEL]: 'app_pw' })], 'a', { kind: 'create', name: 'app_pw', first: true }],
  ];
  for (const [what, all, content, want] of cases) t.same(chooseVersion(all, 'app', 'app_pw', b64(content)), want, what);
});

t.test('staleVersions: kept while a spec or a previous spec (the rollback target) references them', async (t) => {
  const all = [obj('s1', 'app_pw', { [NS]: 'app' }), v('s2', 'b'), v('s3', 'c'), obj('o1', 'app_pw_x', { [NS]: 'other', [LOGICAL_NAME_LABEL]: 'app_pw' })];
  const spec = (ids: string[]): ServiceSpec => ({ Name: 'app_api', TaskTemplate: { ContainerSpec: { Image: 'x', Secrets: ids.map((id) => ({ SecretID: id, SecretName: '', File: { Name: 'pw', UID: '0', GID: '0', Mode: 0o444 } })) } }, Mode: {} });
  const ids = (xs: StoredObject[]) => xs.map((x) => x.ID).sort();
  t.same(ids(staleVersions(all, 'app', ['app_pw'], 'secret', [{ Spec: spec(['s3']), PreviousSpec: spec(['s2']) }], new Set(['s3']))), ['s1']);
  t.same(ids(staleVersions(all, 'app', ['app_pw'], 'secret', [{ Spec: spec(['s3']) }], new Set(['s3']))), ['s1', 's2']);
  t.same(ids(staleVersions(all, 'app', ['app_pw'], 'secret', [], new Set(['s3']))), ['s1', 's2'], 'the version the file names is kept even unused');
  t.same(ids(staleVersions(all, 'app', ['app_pw'], 'config', [{ Spec: spec(['s1']) }], new Set(['s3']))), ['s1', 's2'], 'secret references do not keep configs');
});
