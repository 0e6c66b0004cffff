/**
 * Where the built dashboard lives: `dist/ui/` of the package (compiled by `npm run build` from
 * `ui/src` and `ui/static`), found from this file whether it runs from source or from dist/.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest folder above this file with a package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('swarmlet: package.json not found above lib/api');
    dir = up;
  }
}

export function defaultUiAssetsDir(): string {
  return join(packageRoot(), 'dist', 'ui');
}
