/**
 * The swarm object's rules without a server: version refusal, all-or-nothing updates, what is saved
 * (and given back after a restart), the heartbeat applied, autolock with in-memory keys, and the
 * locked state's refusals. Fake clock.
 */
import t from 'tap';
import { FakeClock, isoTime } from '../../lib/clock.js';
import { sequentialIds } from '../../lib/ids.js';
import { SwarmState, SWARM_LOCKED, type SavedSwarm, type SwarmStateOptions } from '../../lib/api/swarm-state.js';
import { ManagerKeys } from '../../lib/secrets/manager-keys.js';

function setup(extra: Partial<SwarmStateOptions> = {}) {
  const clock = new FakeClock(Date.UTC(2026, 11, 6));
  let limit = 5;
  let heartbeat = 5000;
  const saves: SavedSwarm[] = [];
  const swarm = new SwarmState({
    clock, ids: sequentialIds('c'), clusterId: 'cluster1', createdAt: isoTime(clock.now()),
    heartbeatPeriodMs: () => heartbeat, setHeartbeatPeriodMs: (ms) => { heartbeat = ms; },
    taskHistoryLimit: () => limit, setTaskHistoryLimit: (n) => { limit = n; },
    eraseState: () => undefined, save: (s) => saves.push(s), keys: new ManagerKeys(undefined), ...extra,
  });
  return { clock, swarm, saves, heartbeat: () => heartbeat, limit: () => limit };
}

t.test('a stale or missing version is "update out of sequence" and changes nothing', async (t) => {
  const { swarm, saves } = setup();
  const before = swarm.inspect();
  for (const v of [0, 2, 1.5, Number.NaN]) {
    t.throws(() => swarm.update(v, { Labels: { a: 'b' } }, {}), { code: 'out_of_sequence', message: 'update out of sequence' }, String(v));
  }
  t.same(swarm.inspect(), before);
  t.equal(saves.length, 0, 'nothing saved');
});

t.test('an update is all or nothing: a bad field anywhere changes nothing', async (t) => {
  const { swarm, saves, heartbeat, limit } = setup();
  const before = swarm.inspect();
  const bad: Array<[unknown, string]> = [
    [{ Orchestration: { TaskHistoryRetentionLimit: 9 }, Dispatcher: { HeartbeatPeriod: -1 } }, 'Dispatcher.HeartbeatPeriod'],
    [{ Orchestration: { TaskHistoryRetentionLimit: 9 }, Dispatcher: { HeartbeatPeriod: 1e6 } }, 'Dispatcher.HeartbeatPeriod'],
    [{ Labels: { a: 1 }, Orchestration: { TaskHistoryRetentionLimit: 9 } }, 'Labels'],
    [{ Orchestration: { TaskHistoryRetentionLimit: -1 } }, 'Orchestration.TaskHistoryRetentionLimit'],
    [{ CAConfig: { NodeCertExpiry: 1e9 } }, 'CAConfig.NodeCertExpiry'],
    [{ CAConfig: { ExternalCAs: [{ Protocol: 'cfssl', URL: 'https://ca' }] } }, 'CAConfig.ExternalCAs'],
    [{ EncryptionConfig: { AutoLockManagers: 'yes' }, Orchestration: { TaskHistoryRetentionLimit: 9 } }, 'EncryptionConfig.AutoLockManagers'],
    [{ Name: 'other' }, 'Name'],
  ];
  for (const [spec, field] of bad) t.throws(() => swarm.update(1, spec, {}), { field } as object as Error, JSON.stringify(spec));
  t.same(swarm.inspect(), before);
  t.same([heartbeat(), limit(), saves.length], [5000, 5, 0]);
});

t.test('an update applies the heartbeat and the limit, bumps Version and UpdatedAt, and saves before returning', async (t) => {
  const { clock, swarm, saves, heartbeat, limit } = setup();
  clock.advance(60_000);
  swarm.update(1, { labels: { team: 'blue' }, orchestration: { taskHistoryRetentionLimit: 2 }, dispatcher: { heartbeatPeriod: 10e9 }, caConfig: { nodeCertExpiry: 48 * 3600e9 } }, {});
  t.same([heartbeat(), limit()], [10_000, 2], 'the manager and dispatcher run at the new values (Go-style field names accepted)');
  const s = swarm.inspect();
  t.same({ v: s.Version.Index, u: s.UpdatedAt, l: s.Spec.Labels, hb: (s.Spec.Dispatcher as { HeartbeatPeriod: number }).HeartbeatPeriod },
    { v: 2, u: isoTime(clock.now()), l: { team: 'blue' }, hb: 10e9 });
  t.same(saves, [{ id: 'cluster1', createdAt: s.CreatedAt, updatedAt: s.UpdatedAt, version: 2, labels: { team: 'blue' }, taskHistoryLimit: 2, heartbeatPeriodMs: 10_000, nodeCertExpiryNs: 48 * 3600e9 }]);
  swarm.update(2, { Dispatcher: { HeartbeatPeriod: 0 } }, {});
  t.equal(heartbeat(), 10_000, 'HeartbeatPeriod 0 (Go\'s zero value) keeps the period');

  const restarted = setup({ saved: saves.at(-1)! }).swarm.inspect();
  t.same([restarted.Version.Index, restarted.Spec.Labels, restarted.UpdatedAt, (restarted.Spec.CAConfig as { NodeCertExpiry: number }).NodeCertExpiry],
    [3, {}, saves.at(-1)!.updatedAt, 48 * 3600e9], 'a SwarmState made from the saved record carries on from it');
});

t.test('a failed save fails the update', async (t) => {
  const { swarm } = setup({ save: () => { throw new Error('disk full'); } });
  t.throws(() => swarm.update(1, {}, {}), /disk full/);
});

t.test('autolock: on gives a key, rotation a new one, off none; locked keys refuse everything but unlock', async (t) => {
  const { swarm } = setup();
  t.equal(swarm.unlockKey(), '');
  swarm.update(1, { EncryptionConfig: { AutoLockManagers: true } }, {});
  const key = swarm.unlockKey();
  t.match(key, /^SWMKEY-1-/);
  t.equal((swarm.inspect().Spec.EncryptionConfig as { AutoLockManagers: boolean }).AutoLockManagers, true);
  swarm.update(2, { EncryptionConfig: { AutoLockManagers: true } }, { unlockKey: true });
  t.not(swarm.unlockKey(), key, 'rotateManagerUnlockKey: a new key');
  t.throws(() => swarm.unlock({ UnlockKey: key }), { code: 'conflict', message: 'swarm is not locked' });
  swarm.update(3, { EncryptionConfig: { AutoLockManagers: false } }, {});
  t.equal(swarm.unlockKey(), '');

  const locked = { isLocked: () => true, autolock: () => true } as unknown as ManagerKeys;
  const l = setup({ keys: locked }).swarm;
  t.equal(l.isLocked(), true);
  for (const f of [() => l.inspect(), () => l.update(1, {}, {}), () => l.unlockKey(), () => l.leave(true)]) t.throws(f, { code: 'unavailable', message: SWARM_LOCKED });
  t.throws(() => l.unlock({}), { code: 'invalid_argument', message: 'invalid key string' }, 'no key given');
});

t.test('leave --force drops autolock; init --autolock (Spec.EncryptionConfig) turns it on with a new swarm, saved', async (t) => {
  const { swarm, saves } = setup();
  swarm.update(1, { EncryptionConfig: { AutoLockManagers: true } }, {});
  const before = swarm.inspect();
  t.throws(() => swarm.leave(false), { code: 'unavailable' }, 'a manager needs --force');
  swarm.leave(true);
  t.throws(() => swarm.unlockKey(), { code: 'unavailable' }, 'no swarm: no key');
  t.throws(() => swarm.init({ Spec: { Dispatcher: { HeartbeatPeriod: -5 } } }), { field: 'Dispatcher.HeartbeatPeriod' } as object as Error, 'init checks its spec');
  const id = swarm.init({ ListenAddr: '0.0.0.0:2377', spec: { encryptionConfig: { autoLockManagers: true }, labels: { fresh: '1' } } });
  const after = swarm.inspect();
  t.not(id, before.ID, 'a new swarm');
  t.same([after.Version.Index, after.Spec.Labels, (after.Spec.EncryptionConfig as { AutoLockManagers: boolean }).AutoLockManagers], [1, { fresh: '1' }, true]);
  t.match(swarm.unlockKey(), /^SWMKEY-1-/);
  t.same([saves.at(-1)!.id, saves.at(-1)!.version], [id, 1], 'the new swarm is saved');
});

t.test('leave --force is saved: a restart stays out of the swarm until init', async (t) => {
  const { swarm, saves } = setup();
  swarm.leave(true);
  const record = saves.at(-1)!;
  t.equal(record.left, true, 'the leave is saved');
  const { swarm: restarted } = setup({ saved: record });
  t.equal(restarted.isActive(), false, 'out of the swarm after a restart');
  t.throws(() => restarted.inspect(), { code: 'unavailable' }, 'GET /swarm refused as Docker does outside a swarm');
  const { swarm: again, saves: saves2 } = setup({ saved: record });
  again.init({});
  t.equal(again.isActive(), true);
  t.equal(saves2.at(-1)!.left, undefined, 'init saves a swarm that was not left');
});
