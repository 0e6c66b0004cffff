/**
 * keepClientTokenFile: with several managers the client token lives only in the shared store; each
 * manager keeps `<data>/client-token` (0600) equal to it, for `swarmlet client-token --data DIR`.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../lib/clock.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import { ephemeralSecretCipher } from '../../lib/secrets/secret-cipher.js';
import { storeSecretsHome } from '../../lib/ha/shared-secrets.js';
import { clientTokenFileSealed, keepClientTokenFile, readClientTokenFile } from '../../lib/ha/client-token-file.js';
import { JoinTokens } from '../../lib/dispatcher/join-tokens.js';
import { ManagerKeys } from '../../lib/secrets/manager-keys.js';
import { silentLogger } from '../../lib/logger.js';

t.test('the file follows the shared token: absent before one exists, written when made, rewritten on rotation, stops on unsubscribe', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-ctf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const home = storeSecretsHome(store, ephemeralSecretCipher(), clock);
  const tokens = new JoinTokens(home, new ManagerKeys(undefined));
  const file = join(dir, 'client-token');
  const stop = keepClientTokenFile(store, () => home.read()?.client, file, silentLogger());
  t.notOk(existsSync(file), 'no token in the store yet: no file');
  tokens.ensure(); // the first leader makes the cluster's tokens
  t.equal(readClientTokenFile(file), tokens.clientToken(), 'written once the token exists');
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by its owner only');
  const rotated = tokens.rotateClientToken();
  t.equal(readClientTokenFile(file), rotated, 'rewritten on rotation (a change made by any manager arrives through the store)');
  stop();
  tokens.rotateClientToken();
  t.equal(readClientTokenFile(file), rotated, 'no longer followed after stop');
  t.equal(readClientTokenFile(join(dir, 'absent')), undefined, 'no file: undefined');
});

t.test('autolock on: the file is sealed with the data key (rewritten sealed, rotations too); off: in the clear again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-ctf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const home = storeSecretsHome(store, ephemeralSecretCipher(), clock);
  const keys = new ManagerKeys(join(dir, 'data.key'));
  const tokens = new JoinTokens(home, keys);
  const file = join(dir, 'client-token');
  const stop = keepClientTokenFile(store, () => home.read()?.client, file, silentLogger(), keys);
  t.teardown(stop);
  tokens.ensure();
  const token = tokens.clientToken();
  t.equal(readClientTokenFile(file), token, 'in the clear without autolock');
  keys.follow(Buffer.alloc(32, 7)); // what every manager does when the store's unlock key appears
  t.ok(clientTokenFileSealed(file), 'autolock on: rewritten sealed');
  t.notMatch(readFileSync(file, 'utf8'), token, 'the token is not on disk in the clear');
  t.equal(readClientTokenFile(file), undefined, 'a sealed file gives no token to local readers');
  const rotated = tokens.rotateClientToken();
  t.ok(clientTokenFileSealed(file), 'a rotation while on: written sealed');
  t.notMatch(readFileSync(file, 'utf8'), rotated);
  keys.follow(undefined);
  t.notOk(clientTokenFileSealed(file), 'off: in the clear again');
  t.equal(readClientTokenFile(file), rotated);
});
