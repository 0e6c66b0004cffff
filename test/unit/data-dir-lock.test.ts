import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LOCK_FILE, lockDataDir } from '../../lib/cluster/data-dir-lock.js';

const LOCK_MODULE = new URL('../../lib/cluster/data-dir-lock.ts', import.meta.url).href;

function dir(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'swarmlet-lock-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
const owner = (d: string) => readFileSync(join(d, LOCK_FILE), 'utf8').trim();

t.test('one owner: pid and start time written, a second lock in this process refused, release frees it', async (t) => {
  const d = dir(t);
  const lock = lockDataDir(d);
  t.equal(owner(d), `${process.pid} ${Math.round(performance.timeOrigin)}`);
  t.throws(() => lockDataDir(d), { message: `data directory ${d} is already open in this process (close that cluster first)` });
  lock.release();
  t.notOk(existsSync(join(d, LOCK_FILE)), 'released');
  lockDataDir(d).release();
  t.pass('taken again after the release');
});

t.test('another live swarmlet keeps it; once it is killed (-9) the directory is taken over', async (t) => {
  const d = dir(t);
  const child = spawn(process.execPath, ['--import', 'tsx', '-e',
    `import { lockDataDir } from ${JSON.stringify(LOCK_MODULE)}; lockDataDir(${JSON.stringify(d)}); console.log('locked'); setInterval(() => {}, 1000);`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  t.throws(() => lockDataDir(d), { message: `data directory ${d} is in use by another swarmlet process (pid ${child.pid}): stop it first, or use another data directory (${join(d, LOCK_FILE)} names the owner)` });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const lock = lockDataDir(d);
  t.match(owner(d), new RegExp(`^${process.pid} `), 'taken over from the dead process');
  lock.release();
});

t.test('stale files are taken over: same pid but another start (a restarted container), a reused pid, an empty file', async (t) => {
  const d = dir(t);
  writeFileSync(join(d, LOCK_FILE), `${process.pid} ${Math.round(performance.timeOrigin) - 3_600_000}\n`);
  lockDataDir(d).release();
  t.pass('our pid, started an hour earlier: a previous life');
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  t.teardown(() => { other.kill('SIGKILL'); });
  await new Promise((r) => other.once('spawn', r));
  writeFileSync(join(d, LOCK_FILE), `${other.pid} ${Date.now() - 86_400_000}\n`);
  lockDataDir(d).release();
  t.pass('a live pid that started long after the recorded start: reused, not the owner');
  writeFileSync(join(d, LOCK_FILE), '');
  lockDataDir(d).release();
  t.pass('an empty file (its owner died writing it)');
  writeFileSync(join(d, LOCK_FILE), `${other.pid}\n`);
  t.throws(() => lockDataDir(d), /in use by another swarmlet process/, 'a live pid without a start time: assumed the owner');
});

t.test('release leaves alone a file another process has taken since', async (t) => {
  const d = dir(t);
  const lock = lockDataDir(d);
  writeFileSync(join(d, LOCK_FILE), '1 0\n');
  lock.release();
  t.equal(owner(d), '1 0');
});
