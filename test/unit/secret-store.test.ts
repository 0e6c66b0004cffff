/**
 * The secret store: sealing (AES-256-GCM, bound to the object's ID), the data key file, the API
 * rules (names, sizes, duplicates, labels-only update, removal refused while in use, filters) and
 * the plaintext nowhere in the data directory.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../lib/clock.js';
import { sequentialIds } from '../../lib/ids.js';
import { createSecretCipher, ephemeralSecretCipher, loadOrCreateDataKey } from '../../lib/secrets/secret-cipher.js';
import { MAX_SIZE, parseCreateSpec } from '../../lib/secrets/object-spec.js';
import { createSecretControls, type SecretControls } from '../../lib/manager/secret-control.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import { FileJournal } from '../../lib/store/file-journal.js';
import type { Store } from '../../lib/store/store.js';
import { svc } from '../fixtures/store-objects.js';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

function setup(dir?: string): { store: Store; c: SecretControls; clock: FakeClock; journal: FileJournal | undefined } {
  const clock = new FakeClock(Date.parse('2026-12-06T20:00:00Z'));
  const journal = dir ? new FileJournal({ dir: join(dir, 'store'), snapshotEvery: 3 }) : undefined;
  const store = new MemoryStore({ clock, ...(journal ? { journal } : {}) });
  const cipher = dir ? createSecretCipher(loadOrCreateDataKey(join(dir, 'keys', 'data.key'))) : ephemeralSecretCipher();
  return { store, clock, journal, c: createSecretControls({ store, clock, ids: sequentialIds('sec'), cipher }) };
}

t.test('the cipher: round trip, a fresh nonce each time, bound to the ID, tampering detected', async (t) => {
  const c = ephemeralSecretCipher();
  const plain = Buffer.from('hunter2');
  const a = c.seal('id1', plain);
  const b = c.seal('id1', plain);
  t.not(a.Data, b.Data, 'two seals of one plaintext differ');
  t.same(c.open('id1', a), plain);
  t.throws(() => c.open('id2', a), /cannot be decrypted/, 'another object\'s ID does not open it');
  const flipped = Buffer.from(a.Data, 'base64');
  flipped[0] = flipped[0]! ^ 1;
  const tampered = { ...a, Data: b64(flipped) };
  t.throws(() => c.open('id1', tampered), /cannot be decrypted/);
  t.throws(() => ephemeralSecretCipher().open('id1', a), /cannot be decrypted/, 'another key does not open it');
  t.throws(() => createSecretCipher(Buffer.alloc(16)), /32 bytes/);
});

t.test('the data key file: created 0600, read back, tightened, a bad one refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'keys', 'data.key');
  const key = loadOrCreateDataKey(file);
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.equal(statSync(join(dir, 'keys')).mode & 0o777, 0o700);
  t.same(loadOrCreateDataKey(file), key, 'the same key next time');
  const { chmodSync } = await import('node:fs');
  chmodSync(file, 0o644);
  loadOrCreateDataKey(file);
  t.equal(statSync(file).mode & 0o777, 0o600, 'a key readable by others is tightened');
  writeFileSync(file, '{"format":"nope"}');
  t.throws(() => loadOrCreateDataKey(file), /data key file .* is not valid/);
});

t.test('create validation: swarmkit names and sizes, base64, no drivers; messages never quote the content', async (t) => {
  const cases: Array<[string, unknown, RegExp | undefined]> = [
    ['ok', { Name: 'db_pass', Data: b64('x') }, undefined],
    ['dots and dashes', { Name: 'a.b-c_d', Data: b64('x') }, undefined],
    ['url-safe base64', { Name: 'u', Data: Buffer.from([0xfb, 0xff]).toString('base64url') }, undefined],
    ['no name', { Data: b64('x') }, /^name must be provided$/],
    ['bad start', { Name: '-x', Data: b64('x') }, /^invalid name, only 64 \[a-zA-Z0-9-_.\] characters allowed/],
    ['65 chars', { Name: 'a'.repeat(65), Data: b64('x') }, /invalid name/],
    ['empty data', { Name: 'e', Data: '' }, /^secret data must be larger than 0 and less than 512000 bytes$/],
    ['no data', { Name: 'e' }, /^secret data must be larger than 0 and less than 512000 bytes$/],
    ['not base64', { Name: 'e', Data: 'top secret!' }, /^invalid SecretSpec: Data must be base64-encoded$/],
    ['labels', { Name: 'e', Data: b64('x'), Labels: { a: 1 } }, /Labels must map strings to strings/],
    ['driver', { Name: 'e', Driver: { Name: 'vault' } }, /secret drivers are not supported/],
    ['templating', { Name: 'e', Data: b64('x'), Templating: { Name: 'golang' } }, /templating is not supported/],
    ['array', [], /expected a JSON object/],
  ];
  for (const [name, body, err] of cases) {
    if (err) t.throws(() => parseCreateSpec('secret', body), err, name);
    else t.doesNotThrow(() => parseCreateSpec('secret', body), name);
  }
  t.doesNotThrow(() => parseCreateSpec('secret', { Name: 'max', Data: b64(Buffer.alloc(MAX_SIZE.secret - 1)) }), '500 KB - 1 byte is accepted');
  t.throws(() => parseCreateSpec('secret', { Name: 'max', Data: b64(Buffer.alloc(MAX_SIZE.secret)) }), /less than 512000 bytes/, '500 KB is refused');
  t.doesNotThrow(() => parseCreateSpec('config', { Name: 'max', Data: b64(Buffer.alloc(MAX_SIZE.config - 1)) }), 'a config may have 1000 KB - 1');
  t.throws(() => parseCreateSpec('config', { Name: 'max', Data: b64(Buffer.alloc(MAX_SIZE.config)) }), /^config data must be larger than 0 and less than 1024000 bytes$/);
  try { parseCreateSpec('secret', { Name: 'e', Data: 'plaintext-password!' }); } catch (e) {
    t.notMatch((e as Error).message, /plaintext-password/, 'the bad Data is not quoted');
  }
});

t.test('create, list with filters, inspect by ID/name/prefix, labels-only update, remove', async (t) => {
  const { store, c, clock } = setup();
  const a = c.secrets.create({ Name: 'db_pass', Labels: { 'com.docker.stack.namespace': 'app', tier: 'db' }, Data: b64('s3cret') });
  const b = c.secrets.create({ Name: 'api_key', Data: b64('k') });
  t.throws(() => c.secrets.create({ Name: 'db_pass', Data: b64('other') }), /^secret db_pass already exists$/);
  t.throws(() => c.secrets.create({ Name: 'db_pass', Data: b64('other') }), { code: 'conflict' });
  c.configs.create({ Name: 'db_pass', Data: b64('a config may share a secret\'s name') });

  t.same(c.secrets.list().map((x) => x.Spec.Name), ['api_key', 'db_pass'], 'sorted by name');
  for (const x of c.secrets.list()) {
    t.notOk('Sealed' in x, 'no ciphertext in answers');
    t.notOk('Data' in x.Spec, 'no Data in a secret answer');
  }
  t.same(c.secrets.list({ names: ['db'] }).length, 0, 'names is exact');
  t.same(c.secrets.list({ name: ['db'] }).map((x) => x.ID), [a.ID], 'name is a prefix');
  t.same(c.secrets.list({ id: [b.ID] }).map((x) => x.ID), [b.ID]);
  t.same(c.secrets.list({ id: ['sec'] }).length, 2, 'id is a prefix');
  t.same(c.secrets.list({ label: ['com.docker.stack.namespace=app'] }).map((x) => x.ID), [a.ID]);
  t.same(c.secrets.list({ label: ['tier'] }).map((x) => x.ID), [a.ID], 'label key alone');
  t.same(c.secrets.list({ label: ['tier=db', 'nope'] }), [], 'labels are ANDed');
  t.throws(() => c.secrets.list({ driver: ['x'] }), /^invalid filter 'driver'$/);

  t.equal(c.secrets.get('db_pass').ID, a.ID);
  t.equal(c.secrets.get(a.ID).Spec.Name, 'db_pass');
  t.throws(() => c.secrets.get('nope'), /^secret nope not found$/);
  t.equal(c.configs.get('db_pass').Spec.Data, b64('a config may share a secret\'s name'), 'a config\'s Data is returned, as Docker does');
  t.same(c.secrets.content(a.ID), Buffer.from('s3cret'));

  clock.advance(1000);
  const cur = c.secrets.get('db_pass');
  t.throws(() => c.secrets.update('db_pass', cur.Version.Index + 1, { Name: 'db_pass' }), /^update out of sequence$/);
  t.throws(() => c.secrets.update('db_pass', cur.Version.Index, { Name: 'renamed' }), /^only updates to Labels are allowed$/);
  t.throws(() => c.secrets.update('db_pass', cur.Version.Index, { Name: 'db_pass', Data: b64('changed') }), /^only updates to Labels are allowed$/);
  c.secrets.update('db_pass', cur.Version.Index, { Name: 'db_pass', Data: b64('s3cret'), Labels: { x: 'y' } });
  const after = c.secrets.get('db_pass');
  t.same(after.Spec.Labels, { x: 'y' });
  t.not(after.UpdatedAt, cur.UpdatedAt);
  t.same(c.secrets.content(a.ID), Buffer.from('s3cret'), 'content unchanged');

  store.update((tx) => {
    const s1 = svc('svc1', 'web');
    s1.Spec.TaskTemplate.ContainerSpec.Secrets = [{ SecretID: a.ID, SecretName: 'db_pass', File: { Name: 'db_pass' } }];
    const s2 = svc('svc2', 'api');
    s2.Spec.TaskTemplate.ContainerSpec.Secrets = [{ SecretID: a.ID, SecretName: 'db_pass', File: { Name: 'pw' } }];
    tx.putService(s1);
    tx.putService(s2);
  });
  t.throws(() => c.secrets.remove('db_pass'), /^secret 'db_pass' is in use by the following services: api, web$/);
  store.update((tx) => tx.deleteService('svc2'));
  t.throws(() => c.secrets.remove(a.ID), /^secret 'db_pass' is in use by the following service: web$/);
  store.update((tx) => tx.deleteService('svc1'));
  c.secrets.remove(a.ID);
  t.throws(() => c.secrets.get(a.ID), /not found/);
  t.equal(c.configs.list().length, 1, 'the config of that name is still there');
});

t.test('at rest: the plaintext (and its base64) is in no file of the data directory; a restart reads it back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-secrest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const plain = `PLAINTEXT-${Math.random().toString(36).slice(2)}-password`;
  const confText = `CONFIGTEXT-${Math.random().toString(36).slice(2)}`;
  let { store, c, journal } = setup(dir);
  const s = c.secrets.create({ Name: 'db_pass', Data: b64(plain) });
  const cf = c.configs.create({ Name: 'app.conf', Data: b64(confText) });
  for (let i = 0; i < 4; i++) c.secrets.create({ Name: `filler${i}`, Data: b64(`f${i}`) }); // past a snapshot
  await journal?.flush(); // snapshots are written in the background
  const check = (when: string) => {
    const files = allFiles(dir);
    t.ok(files.some((f) => f.endsWith('journal.jsonl')) && files.some((f) => f.endsWith('snapshot.jsonl')), `${when}: journal and snapshot exist`);
    for (const f of files) {
      const text = readFileSync(f);
      for (const needle of [plain, b64(plain), confText, b64(confText)]) {
        t.notOk(text.includes(needle), `${when}: ${f.slice(dir.length)} does not hold ${needle.slice(0, 10)}…`);
      }
    }
  };
  check('running');
  store.close();
  check('closed');
  ({ store, c, journal } = setup(dir));
  t.same(c.secrets.content(s.ID), Buffer.from(plain), 'opened again with the key file');
  t.equal(Buffer.from(c.configs.get(cf.ID).Spec.Data!, 'base64').toString(), confText);
  store.close();
  t.ok(readFileSync(join(dir, 'store', 'snapshot.jsonl'), 'utf8').includes('"Sealed"'), 'the store holds ciphertext');
  t.notOk(readFileSync(join(dir, 'store', 'snapshot.jsonl'), 'utf8').includes(readFileSync(join(dir, 'keys', 'data.key'), 'utf8').slice(30, 60)), 'and not the key');
});
