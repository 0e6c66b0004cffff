/** The CLI's version (package.json "version"). */
import { createRequire } from 'node:module';

function readVersion(): string {
  const require = createRequire(import.meta.url);
  for (const path of ['../package.json', '../../package.json']) {
    try {
      return (require(path) as { version: string }).version;
    } catch {
      // try the next layout (source vs dist/)
    }
  }
  return '0.0.0';
}

export const CLI_VERSION = readVersion();
