/**
 * Autolock with several managers (lib/ha/shared-autolock.ts): the unlock key in the shared store,
 * sealed with the data key; each manager's data key file following it (ManagerKeys.follow) — wrapped,
 * rewrapped on rotation, back in the clear when off — and a manager locked across a rotation that is
 * unlocked with the key its file was wrapped with, then follows the new one.
 */
import t from 'tap';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../lib/clock.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import { ManagerKeys, SWARM_LOCKED } from '../../lib/secrets/manager-keys.js';
import { createSecretCipher } from '../../lib/secrets/secret-cipher.js';
import { formatUnlockKey, INVALID_UNLOCK_KEY, newUnlockKey } from '../../lib/secrets/unlock-key.js';
import { CLUSTER_AUTOLOCK_ID, isReservedSecret } from '../../lib/secrets/reserved-secrets.js';
import { SharedAutolock, storeUnlockKeyHome, touchesUnlockKey, type UnlockKeyHome } from '../../lib/ha/shared-autolock.js';
import { SwarmletError } from '../../lib/errors.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-shared-autolock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What a file holds: 'clear', or whether `key` opens it (read only). */
function opens(file: string, key: string): 'clear' | 'opens' | 'refuses' {
  const k = new ManagerKeys(file);
  if (!k.isLocked()) return 'clear';
  try { k.unlock(key); return 'opens'; } catch { return 'refuses'; }
}

/** The shared store of several managers, reduced to one value; `follower` makes writes throw as the store does off the leader. */
function memoryHome(): UnlockKeyHome & { follower: boolean } {
  let key: Buffer | undefined;
  return {
    follower: false,
    read() { return key && Buffer.from(key); },
    write(k) {
      if (this.follower) throw new SwarmletError('not_leader', 'this manager is not the leader');
      key = k && Buffer.from(k);
    },
  };
}

t.test('ManagerKeys.follow: wraps with the given key, rewraps with another, writes the clear key back; nothing while locked', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'data.key');
  const keys = new ManagerKeys(file);
  const dek = Buffer.from(keys.dataKey());
  const k1 = newUnlockKey();
  keys.follow(k1);
  t.equal(opens(file, formatUnlockKey(k1)), 'opens', 'wrapped with the key');
  t.notMatch(readFileSync(file, 'utf8'), dek.toString('base64'), 'no data key in the clear');
  const before = readFileSync(file, 'utf8');
  keys.follow(Buffer.from(k1));
  t.equal(readFileSync(file, 'utf8'), before, 'the same key again: the file is not rewritten');
  const k2 = newUnlockKey();
  keys.follow(k2);
  t.equal(opens(file, formatUnlockKey(k2)), 'opens', 'rewrapped with the new key');
  t.equal(opens(file, formatUnlockKey(k1)), 'refuses', 'the old key no longer opens it');
  t.equal(keys.unlockKey(), formatUnlockKey(k2));
  keys.follow(undefined);
  t.equal(opens(file, formatUnlockKey(k2)), 'clear', 'off: in the clear');
  t.same(new ManagerKeys(file).dataKey(), dek, 'the same data key throughout');
  t.same(readdirSync(dir), ['data.key'], 'no temporary file left');

  keys.follow(k1);
  const locked = new ManagerKeys(file);
  t.throws(() => locked.follow(k2), { message: SWARM_LOCKED }, 'a locked manager cannot follow (no data key)');
  t.equal(opens(file, formatUnlockKey(k1)), 'opens', 'and its file is unchanged');
});

t.test('storeUnlockKeyHome: the key sealed with the data key in a reserved secret; off deletes it', async (t) => {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const dek = newUnlockKey(); // any 32 bytes
  const home = storeUnlockKeyHome(store, createSecretCipher(dek), clock);
  t.equal(home.read(), undefined, 'no key: autolock off');
  const key = newUnlockKey();
  home.write(key);
  t.same(home.read(), key, 'read back');
  const obj = store.view((tx) => tx.getSecret(CLUSTER_AUTOLOCK_ID))!;
  t.ok(isReservedSecret(obj.ID), 'a reserved secret (hidden from the secret API)');
  t.notMatch(JSON.stringify(obj), key.toString('base64').replace(/=+$/, ''), 'the key is not in the store in the clear');
  t.notMatch(JSON.stringify(obj), key.toString('hex'));
  t.throws(() => storeUnlockKeyHome(store, createSecretCipher(newUnlockKey()), clock).read(), 'another data key cannot open it');
  const key2 = newUnlockKey();
  home.write(key2);
  t.same(home.read(), key2, 'a rotated key replaces it');
  home.write(undefined);
  t.equal(home.read(), undefined, 'off');
  t.equal(store.view((tx) => tx.getSecret(CLUSTER_AUTOLOCK_ID)), undefined, 'the object is gone');
  t.ok(touchesUnlockKey([{ kind: 'secret', id: CLUSTER_AUTOLOCK_ID }]));
  t.notOk(touchesUnlockKey([{ kind: 'secret', id: 'other' }, { kind: 'service', id: CLUSTER_AUTOLOCK_ID }]));
});

t.test('SharedAutolock: on through the leader, followers wrap their own copies; rotation; a manager locked across a rotation; off', async (t) => {
  const dir = tempDir(t);
  const files = ['a', 'b', 'c'].map((n) => join(dir, `${n}.key`));
  new ManagerKeys(files[0]).dataKey();
  copyFileSync(files[0]!, files[1]!);
  copyFileSync(files[0]!, files[2]!);
  const home = memoryHome();
  const [ka, kb, kc] = files.map((f) => new ManagerKeys(f)) as [ManagerKeys, ManagerKeys, ManagerKeys];
  const a = new SharedAutolock(ka, home);
  const b = new SharedAutolock(kb, home);
  let c = new SharedAutolock(kc, home);

  // A follower cannot write the store: nothing changes.
  home.follower = true;
  t.throws(() => b.enableAutolock(), { code: 'not_leader' });
  t.same(files.map((f) => opens(f, 'x')), ['clear', 'clear', 'clear'], 'every file still in the clear');
  home.follower = false;

  const key = a.enableAutolock();
  t.equal(opens(files[0]!, key), 'opens', 'the leader wraps its file');
  t.equal(opens(files[1]!, key), 'clear', 'a follower wraps its own on the store\'s change');
  b.sync();
  c.sync();
  t.same(files.map((f) => opens(f, key)), ['opens', 'opens', 'opens'], 'every file wrapped with the one key');
  t.same([a.unlockKey(), b.unlockKey(), c.unlockKey()], [key, key, key], 'the same unlock key on every manager');
  t.ok(a.autolock() && b.autolock() && c.autolock(), 'on for every manager');
  t.equal(a.enableAutolock(), key, 'on again: the key is kept');

  // c stops; the key rotates while it is down.
  const key2 = a.rotateUnlockKey();
  t.not(key2, key);
  b.sync();
  t.same([opens(files[0]!, key2), opens(files[1]!, key2), opens(files[2]!, key)], ['opens', 'opens', 'opens'], 'the running managers rewrap; c\'s file keeps the key it had');
  const kc2 = new ManagerKeys(files[2]!);
  c = new SharedAutolock(kc2, home);
  t.ok(c.isLocked(), 'c restarts locked');
  t.ok(c.autolock(), 'and shows autolock on');
  t.throws(() => c.unlockKey(), { message: SWARM_LOCKED });
  t.throws(() => c.unlock(formatUnlockKey(newUnlockKey())), { message: INVALID_UNLOCK_KEY }, 'a wrong key: Docker\'s refusal');
  t.ok(c.isLocked(), 'still locked');
  c.unlock(key);
  t.notOk(c.isLocked(), 'the key its file was wrapped with unlocks it');
  t.equal(opens(files[2]!, key2), 'opens', 'then it follows the store: rewrapped with the rotated key');
  t.equal(c.unlockKey(), key2);

  a.disableAutolock();
  b.sync();
  c.sync();
  t.same(files.map((f) => opens(f, key2)), ['clear', 'clear', 'clear'], 'off: every file in the clear');
  t.same([a.unlockKey(), b.unlockKey(), c.unlockKey()], ['', '', ''], 'no unlock key');
  t.equal(a.rotateUnlockKey(), '', 'nothing to rotate');
  const deks = files.map((f) => new ManagerKeys(f).dataKey().toString('base64'));
  t.ok(deks.every((d) => d === deks[0]), 'one data key throughout');
});
