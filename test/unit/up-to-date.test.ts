import t from 'tap';
import fc from 'fast-check';
import { isUpToDate, upToDateChecker } from '../../lib/update/up-to-date.js';
import type { Task } from '../../lib/model/types.js';
import { updSvc, updTask } from '../fixtures/update-fixtures.js';

const withImage = (task: Task, image: string): Task => ({ ...task, Spec: { ...task.Spec, ContainerSpec: { ...task.Spec.ContainerSpec, Image: image } } });

t.test('the checker answers as isUpToDate, one spec comparison per version', async (t) => {
  const service = updSvc({ version: 3, image: 'whoami:2' });
  let reads = 0;
  const counted = (task: Task): Task => {
    const spec = task.Spec;
    return Object.defineProperty({ ...task }, 'Spec', { get: () => { reads++; return spec; }, enumerable: true }) as Task;
  };
  const tasks = Array.from({ length: 1000 }, (_, i) => counted(withImage(updTask({ id: `t${i}`, slot: i + 1, version: 1 + (i % 2) }), i % 2 ? 'whoami:2' : 'whoami:1')));
  const check = upToDateChecker(service);
  t.same(tasks.map(check), tasks.map((x) => isUpToDate(service, x)), 'same answers');
  reads = 0;
  const fresh = upToDateChecker(service);
  for (const x of tasks) fresh(x);
  t.ok(reads <= 4, `the specs of 1,000 tasks of 2 versions were read ${reads} times`);
});

t.test('property: the checker agrees with isUpToDate whenever a version maps to one spec', async () => {
  fc.assert(fc.property(
    fc.array(fc.record({ version: fc.integer({ min: 1, max: 4 }), noVersion: fc.boolean() }), { maxLength: 50 }),
    fc.integer({ min: 1, max: 4 }),
    (rows, current) => {
      const service = updSvc({ version: current, image: `img:${current}` });
      const tasks = rows.map((r, i) => {
        const task = withImage(updTask({ id: `t${i}`, slot: i + 1, version: r.version }), `img:${r.version}`);
        if (r.noVersion) delete (task as Partial<Task>).SpecVersion;
        return task;
      });
      const check = upToDateChecker(service);
      return tasks.every((x) => check(x) === isUpToDate(service, x));
    },
  ));
});
