import t from 'tap';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProcStat, readProcStat, type ProcStat, type ProcStatReader } from '../../lib/drivers/proc-stat.js';
import { groupIsOurs, listTaskDirs, readTaskRecord, recordIsAlive, taskDirOf, writeTaskRecord, type TaskRecord } from '../../lib/drivers/task-record.js';

/** A stat line as the kernel writes it: 52 fields, starttime is field 22. */
function statLine(pid: number, comm: string, state: string, pgrp: number, start: string): string {
  const fields = [String(pid), `(${comm})`, state, '1', String(pgrp), String(pgrp), '0', '-1', '4194560'];
  while (fields.length < 21) fields.push(String(fields.length));
  fields.push(start);
  while (fields.length < 52) fields.push('0');
  return fields.join(' ') + '\n';
}

t.test('parseProcStat reads pid, comm, state, pgrp and the start time (field 22)', async (t) => {
  const real = '17572 (cat) R 17560 17560 16244 0 -1 4194304 102 0 0 0 0 0 0 0 20 0 1 0 590841 3133440 389 18446744073709551615 94834437386240 94834437406121 140721071683744 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94834437422128 94834437423744 94834830053376 140721071688411 140721071688431 140721071688431 140721071689707 0\n';
  t.same(parseProcStat(real), { pid: 17572, comm: 'cat', state: 'R', ppid: 17560, pgrp: 17560, startTime: '590841' });
  t.match(parseProcStat(statLine(42, 'node whoami.mjs', 'S', 42, '123')), { pid: 42, comm: 'node whoami.mjs', startTime: '123' }, 'comm with a space');
  t.match(parseProcStat(statLine(43, 'a) Z 9 (b', 'S', 43, '77')), { comm: 'a) Z 9 (b', state: 'S', pgrp: 43, startTime: '77' }, 'comm with parentheses: the last ) ends it');
  const bad = ['', 'garbage', '12 (x) S 1 1', statLine(0, 'x', 'S', 1, '5'), '(x) S ' + '1 '.repeat(30), statLine(5, 'x', 'S', 5, 'abc')];
  for (const line of bad) t.equal(parseProcStat(line), undefined, JSON.stringify(line.slice(0, 30)));
});

t.test('parseProcStat: any command name round-trips (property)', async () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 4_194_304 }), fc.string({ maxLength: 16 }).filter((s) => !s.includes('\n')),
    fc.constantFrom('R', 'S', 'D', 'Z', 'T'), fc.bigInt({ min: 0n, max: 2n ** 63n }),
    (pid, comm, state, start) => {
      const got = parseProcStat(statLine(pid, comm, state, pid, String(start)));
      if (!got || got.pid !== pid || got.comm !== comm || got.state !== state || got.startTime !== String(start) || got.pgrp !== pid) {
        throw new Error(`parsed ${JSON.stringify(got)}`);
      }
    },
  ));
});

t.test('readProcStat reads this process; an unknown pid gives undefined', async (t) => {
  const self = readProcStat(process.pid);
  t.equal(self?.pid, process.pid);
  t.match(self?.startTime, /^\d+$/);
  t.equal(readProcStat(process.pid)?.startTime, self?.startTime, 'the start time is stable');
  t.equal(readProcStat(2 ** 22 + 1), undefined);
});

const REC: TaskRecord = {
  taskId: 'task1', pid: 4242, pgid: 4242, startTime: '1000', endpoint: { addr: '127.0.0.2', port: 20001 },
  argv: ['node', 'x.js'], stopSignal: 'SIGTERM', graceMs: 10_000, startedAt: 5,
};

function reader(procs: Record<number, Partial<ProcStat>>): ProcStatReader {
  return (pid) => {
    const p = procs[pid];
    return p ? { pid, comm: 'x', state: 'S', ppid: 1, pgrp: pid, startTime: '0', ...p } : undefined;
  };
}

t.test('recordIsAlive: same pid AND same start time, not a zombie (PID reuse check)', async (t) => {
  const cases: Array<[string, Record<number, Partial<ProcStat>>, boolean]> = [
    ['the recorded process', { 4242: { startTime: '1000' } }, true],
    ['pid reused by another process', { 4242: { startTime: '2000' } }, false],
    ['no such pid', {}, false],
    ['a zombie', { 4242: { startTime: '1000', state: 'Z' } }, false],
    ['dead (X)', { 4242: { startTime: '1000', state: 'X' } }, false],
  ];
  for (const [name, procs, want] of cases) t.equal(recordIsAlive(REC, reader(procs)), want, name);
});

t.test('groupIsOurs: never signal a group id another process now leads', async (t) => {
  const cases: Array<[string, Record<number, Partial<ProcStat>>, boolean]> = [
    ['leader is the task', { 4242: { startTime: '1000' } }, true],
    ['leader gone: only leftovers can carry the id', {}, true],
    ['pid reused', { 4242: { startTime: '2000', pgrp: 4242 } }, false],
  ];
  for (const [name, procs, want] of cases) t.equal(groupIsOurs(REC, reader(procs)), want, name);
});

t.test('task records: written atomically, read back, malformed ones ignored', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'swarmlet-record-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = taskDirOf(root, 'task1');
  writeTaskRecord(dir, REC);
  t.same(readTaskRecord(dir), REC);
  t.same(listTaskDirs(root), ['task1']);
  t.same(listTaskDirs(join(root, 'missing')), []);
  const bad = join(root, 'bad');
  mkdirSync(bad);
  for (const text of ['{', '[]', JSON.stringify({ ...REC, pid: 'x' }), JSON.stringify({ ...REC, startTime: '12a' }), JSON.stringify({ ...REC, pid: 1 })]) {
    writeFileSync(join(bad, 'task.json'), text);
    t.equal(readTaskRecord(bad), undefined, text.slice(0, 40));
  }
  t.equal(readTaskRecord(join(root, 'none')), undefined);
  for (const id of ['../x', 'a/b', '..', '']) t.throws(() => taskDirOf(root, id), { code: 'invalid_argument' }, id);
});
