/**
 * Autolock's pure parts and the keys at rest: the unlock key's format, wrapping round trips and
 * refusals, a data directory left locked, sealed token files, rotation and turning autolock off.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { formatUnlockKey, INVALID_UNLOCK_KEY, newUnlockKey, parseUnlockKey, unwrapSecret, wrapSecret } from '../../lib/secrets/unlock-key.js';
import { ManagerKeys, SWARM_LOCKED } from '../../lib/secrets/manager-keys.js';
import { JoinTokens, readClientToken } from '../../lib/dispatcher/join-tokens.js';
import { createSecretCipher } from '../../lib/secrets/secret-cipher.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-autolock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('unlock key: Docker\'s SWMKEY-1- form round trips; malformed keys are "invalid key string"', async (t) => {
  const key = newUnlockKey();
  const text = formatUnlockKey(key);
  t.match(text, /^SWMKEY-1-[A-Za-z0-9+/]{43}$/, '32 bytes in unpadded base64, as swarmkit prints');
  t.same(parseUnlockKey(`${text}\n`), key, 'a trailing newline (stdin) is ignored');
  for (const bad of ['', 'SWMKEY-1-', 'SWMKEY-2-' + text.slice(9), text.slice(0, -2), text + '!', 'swmkey-1-' + text.slice(9)]) {
    t.throws(() => parseUnlockKey(bad), { code: 'invalid_argument', message: 'invalid key string' }, JSON.stringify(bad));
  }
});

t.test('wrapSecret/unwrapSecret: round trip; another key or label is Docker\'s invalid key refusal', async (t) => {
  const key = newUnlockKey();
  const secret = randomBytes(32);
  const w = wrapSecret(key, secret, 'data.key');
  t.same(unwrapSecret(key, w, 'data.key'), secret);
  t.not(w.data, secret.toString('base64'), 'not in the clear');
  t.not(wrapSecret(key, secret, 'data.key').salt, w.salt, 'a fresh salt each time');
  t.throws(() => unwrapSecret(newUnlockKey(), w, 'data.key'), { code: 'unauthenticated', message: INVALID_UNLOCK_KEY });
  t.throws(() => unwrapSecret(key, w, 'other'), { code: 'unauthenticated' }, 'bound to its label');
  const flipped = { ...w, data: Buffer.from(Buffer.from(w.data, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64') };
  t.throws(() => unwrapSecret(key, flipped, 'data.key'), { code: 'unauthenticated' }, 'tampering is detected');
});

t.test('a data directory left with autolock on opens locked; the right key unlocks it, a wrong one does not', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'keys', 'data.key');
  const a = new ManagerKeys(file);
  t.equal(a.isLocked(), false);
  t.equal(a.autolock(), false);
  t.equal(a.unlockKey(), '', 'no unlock key while autolock is off');
  const dek = Buffer.from(a.dataKey());
  const sealed = createSecretCipher(() => a.dataKey()).seal('secret1', Buffer.from('hunter2'));
  const unlockKey = a.enableAutolock();
  t.equal(a.unlockKey(), unlockKey);
  t.equal(a.enableAutolock(), unlockKey, 'turning it on again keeps the key');
  t.notMatch(readFileSync(file, 'utf8'), dek.toString('base64'), 'the data key is not in the clear on disk');

  const b = new ManagerKeys(file);
  t.equal(b.isLocked(), true, 'a restart is locked');
  t.equal(b.autolock(), true);
  t.throws(() => b.dataKey(), { code: 'unavailable', message: SWARM_LOCKED });
  t.throws(() => createSecretCipher(() => b.dataKey()).open('secret1', sealed), { message: SWARM_LOCKED }, 'secrets do not open while locked');
  t.throws(() => b.unlock(formatUnlockKey(newUnlockKey())), { code: 'unauthenticated', message: 'swarm could not be unlocked: invalid key provided' });
  t.throws(() => b.unlock('nonsense'), { code: 'invalid_argument', message: 'invalid key string' });
  t.equal(b.isLocked(), true, 'still locked after wrong keys');
  b.unlock(unlockKey);
  t.equal(b.isLocked(), false);
  t.same(b.dataKey(), dek, 'the same data key');
  t.equal(createSecretCipher(() => b.dataKey()).open('secret1', sealed).toString(), 'hunter2');
  t.equal(b.unlockKey(), unlockKey, 'the key is known again after the unlock');
  t.throws(() => b.unlock(unlockKey), { code: 'conflict', message: 'swarm is not locked' });

  const rotated = b.rotateUnlockKey();
  t.not(rotated, unlockKey);
  const c = new ManagerKeys(file);
  t.throws(() => c.unlock(unlockKey), { code: 'unauthenticated' }, 'the old key no longer opens it');
  c.unlock(rotated);
  c.disableAutolock();
  t.equal(c.autolock(), false);
  t.equal(c.unlockKey(), '');
  const d = new ManagerKeys(file);
  t.equal(d.isLocked(), false, 'autolock off: a restart is not locked');
  t.same(d.dataKey(), dek);
});

t.test('the tokens file is sealed while autolock is on, and read again after the unlock', async (t) => {
  const dir = tempDir(t);
  const keyFile = join(dir, 'keys', 'data.key');
  const tokensFile = join(dir, 'secrets.json');
  const keys = new ManagerKeys(keyFile);
  const tokens = new JoinTokens(tokensFile, keys);
  const worker = tokens.token('worker');
  const client = tokens.clientToken();
  t.equal(readClientToken(tokensFile), client, 'in the clear without autolock');
  const unlockKey = keys.enableAutolock();
  const onDisk = readFileSync(tokensFile, 'utf8');
  t.notMatch(onDisk, worker, 'the join token is not on disk in the clear');
  t.notMatch(onDisk, client, 'nor the client token');
  t.equal(readClientToken(tokensFile), undefined, 'a sealed file gives no client token to local readers');
  // A node id with a '-' (never in base64): a short id like "n1" turns up in the sealed base64 by chance.
  const cred = tokens.issueCredential('node-n1');
  t.notMatch(readFileSync(tokensFile, 'utf8'), /node-n1/, 'later writes are sealed too');

  const keys2 = new ManagerKeys(keyFile);
  const tokens2 = new JoinTokens(tokensFile, keys2);
  t.throws(() => tokens2.token('worker'), { code: 'unavailable', message: SWARM_LOCKED }, 'locked: the tokens cannot be read');
  keys2.unlock(unlockKey);
  t.equal(tokens2.token('worker'), worker, 'after the unlock: the same tokens');
  t.ok(tokens2.checkCredential('node-n1', cred));
  keys2.disableAutolock();
  t.equal(readClientToken(tokensFile), client, 'autolock off: the file is written in the clear again');
});

t.test('a tokens file first needed while locked is made after the unlock, sealed', async (t) => {
  const dir = tempDir(t);
  const keyFile = join(dir, 'keys', 'data.key');
  const tokensFile = join(dir, 'secrets.json');
  const unlockKey = new ManagerKeys(keyFile).enableAutolock();
  const keys = new ManagerKeys(keyFile);
  const tokens = new JoinTokens(tokensFile, keys);
  t.throws(() => tokens.token('worker'), { message: SWARM_LOCKED });
  keys.unlock(unlockKey);
  const worker = tokens.token('worker');
  t.match(worker, /^SWLTKN-1-/);
  t.notMatch(readFileSync(tokensFile, 'utf8'), worker, 'written sealed');
  const again = new ManagerKeys(keyFile);
  again.unlock(unlockKey);
  t.equal(new JoinTokens(tokensFile, again).token('worker'), worker, 'and kept');
});
