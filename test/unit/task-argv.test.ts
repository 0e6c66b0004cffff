import t from 'tap';
import { taskArgv } from '../../lib/drivers/task-spec.js';
import { addImage } from '../../lib/manager/image-catalog.js';
import { imageFromOptions } from '../../lib/model/image-options.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import { FakeClock } from '../../lib/clock.js';
import type { Image } from '../../lib/model/types.js';

const plain: Image = { Name: 'whoami:1', Cmd: ['node', 'server.mjs'], CreatedAt: '' };
const withEntrypoint: Image = { Name: 'app:1', Entrypoint: ['node'], Cmd: ['server.js'], CreatedAt: '' };

t.test("Command replaces the image's entrypoint, Args its Cmd, as Docker", async (t) => {
  const cases: Array<[string, Image, { Command?: string[]; Args?: string[] }, string[]]> = [
    ['nothing given: the image', plain, {}, ['node', 'server.mjs']],
    ['docker service create whoami:1 node other.mjs: Args replace Cmd', plain, { Args: ['node', 'other.mjs'] }, ['node', 'other.mjs']],
    ['Command without Args: no image Cmd (as --entrypoint)', plain, { Command: ['sleep'] }, ['sleep']],
    ['Command and Args', plain, { Command: ['sh', '-c'], Args: ['echo hi'] }, ['sh', '-c', 'echo hi']],
    ['entrypoint + Cmd', withEntrypoint, {}, ['node', 'server.js']],
    ['Args after the entrypoint', withEntrypoint, { Args: ['other.js'] }, ['node', 'other.js']],
    ['Command replaces the entrypoint', withEntrypoint, { Command: ['deno'], Args: ['x.ts'] }, ['deno', 'x.ts']],
  ];
  for (const [name, image, spec, want] of cases) t.strictSame(taskArgv({ Image: image.Name, ...spec }, image), want, name);
});

t.test('an image with an empty argument is valid; cluster.addImage takes the CLI flag names', async (t) => {
  const store = new MemoryStore({ clock: new FakeClock(0) });
  const input = imageFromOptions({ name: 'redis:7', cmd: 'redis-server --save ""' });
  t.strictSame(input, { Name: 'redis:7', Cmd: ['redis-server', '--save', ''] });
  const image = store.update((tx) => addImage(tx, input, 0));
  t.strictSame(image.Cmd, ['redis-server', '--save', '']);
  const ep = store.update((tx) => addImage(tx, imageFromOptions({ name: 'app:1', entrypoint: 'node', cmd: ['server.js'] }), 0));
  t.strictSame([ep.Entrypoint, ep.Cmd], [['node'], ['server.js']]);
  t.throws(() => store.update((tx) => addImage(tx, { Name: 'x:1', Cmd: [''] }, 0)), { message: /must name the program/ });
});
