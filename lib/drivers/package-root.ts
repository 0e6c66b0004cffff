import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SwarmletError } from '../errors.js';

/**
 * The directory of the npm package called `name`, found by walking up from `from` (a file URL or path)
 * until a package.json with that name. Works from source (lib/drivers/*.ts) and compiled (dist/lib/drivers/*.js).
 */
export function findPackageRoot(from: string | URL, name = 'swarmlet'): string {
  const start = typeof from === 'string' && !from.startsWith('file:') ? from : fileURLToPath(from);
  let dir = dirname(start);
  for (;;) {
    if (packageNameAt(dir) === name) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new SwarmletError('internal', `cannot find the ${name} package root above ${start}`);
}

function packageNameAt(dir: string): string | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown };
    return typeof pkg.name === 'string' ? pkg.name : undefined;
  } catch {
    return undefined;
  }
}
