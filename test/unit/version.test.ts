import t from 'tap';
import { readFileSync } from 'node:fs';
import { SWARMLET_VERSION } from '../../lib/version.js';

t.test('lib/version.ts follows package.json', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  t.equal(SWARMLET_VERSION, pkg.version);
});
