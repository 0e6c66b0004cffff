import { existsSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * Where a node keeps its tasks' secret and config files by default: /dev/shm (memory-backed, as
 * Swarm mounts secrets on a tmpfs) when it exists, else the OS temp directory; one 0700 directory
 * per user. Never the data directory: the plaintext must not land among the node's state.
 */
export function defaultFilesRoot(): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = join(base, `swarmlet-task-files-${userInfo().uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}
