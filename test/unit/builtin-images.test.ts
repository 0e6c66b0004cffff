import t from 'tap';
import { existsSync } from 'node:fs';
import { builtinImage, imageRef, parseImageRef } from '../../lib/drivers/builtin-images.js';
import { findPackageRoot } from '../../lib/drivers/package-root.js';

t.test('imageRef adds :latest only when there is no tag', async (t) => {
  const cases: Array<[string, string]> = [
    ['whoami', 'whoami:latest'],
    ['whoami:1', 'whoami:1'],
    ['host:5000/img', 'host:5000/img:latest'],
    ['host:5000/img:2', 'host:5000/img:2'],
    ['a/b/c', 'a/b/c:latest'],
    ['img@sha256:abc', 'img@sha256:abc'],
  ];
  for (const [input, want] of cases) t.equal(imageRef(input), want, input);
  t.same(parseImageRef('host:5000/img:2@sha256:x'), { repository: 'host:5000/img', tag: '2', digest: 'sha256:x' });
});

t.test('builtinImage: whoami with any tag, nothing else', async (t) => {
  const img = builtinImage('whoami', 'T');
  t.match(img, { Name: 'whoami:latest', BuiltIn: true, CreatedAt: 'T' });
  t.equal(img!.Cmd[0], process.execPath);
  t.match(img!.Cmd[1], /images[/\\]whoami\.mjs$/);
  t.ok(existsSync(img!.Cmd[1]!), 'script exists');
  t.equal(builtinImage('whoami:broken', 'T')?.Name, 'whoami:broken');
  for (const name of ['nginx', 'nginx:1', 'host:5000/whoami', 'whoami:bad tag', 'whoami@sha256:x', 'toString', 'constructor:1']) {
    t.equal(builtinImage(name, 'T'), undefined, name);
  }
});

t.test('findPackageRoot walks up to the swarmlet package', async (t) => {
  const root = findPackageRoot(import.meta.url);
  t.ok(existsSync(`${root}/images/whoami.mjs`));
  t.throws(() => findPackageRoot(import.meta.url, 'no-such-package-name'), { code: 'internal' });
});
