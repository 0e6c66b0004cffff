/** The CLI's version (package.json "version"). */
import { createRequire } from 'node:module';

function readVersion(): string {
  const require = createRequire(import.meta.url);
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(path) as { name?: unknown; version?: unknown };
      if (pkg.name === 'swarmlet' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next layout (source vs dist/)
    }
  }
  return '0.0.0';
}

export const CLI_VERSION = readVersion();
