/**
 * One process per data directory: two managers (or two `swarmlet up`) writing one store journal
 * would lose acknowledged changes, and two node processes on one state directory would be one
 * node twice. `<dir>/swarmlet.pid` is created exclusively and says which process has the
 * directory (its pid and start time). A file whose process is gone — kill -9, power loss, or a
 * container restarted with the same pid — is taken over; a live owner is refused with a message
 * naming it. `release()` removes the file if it is still this process's.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SwarmletError } from '../errors.js';

export const LOCK_FILE = 'swarmlet.pid';
/** How far two readings of one process's start time may differ (the kernel's is in whole seconds). */
const SAME_START_MS = 3_000;

export interface DataDirLock { readonly path: string; release(): void }

interface Owner { pid: number; startedAt: number | undefined }

function readOwner(path: string): Owner | undefined {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch { return undefined; }
  const [pid, startedAt] = text.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(pid) || pid! <= 0) return undefined;
  return { pid: pid!, startedAt: Number.isFinite(startedAt) ? startedAt : undefined };
}

/** When a process started (epoch ms) by the kernel, where /proc says so (Linux); else undefined. */
function kernelStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && Number.isFinite(boot) ? boot * 1000 + ticks * 10 : undefined; // USER_HZ is 100
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `owner` still runs (not just some process with its pid). */
function ownerAlive(owner: Owner): boolean {
  if (owner.pid === process.pid) return owner.startedAt !== undefined && Math.abs(owner.startedAt - performance.timeOrigin) < SAME_START_MS;
  try { process.kill(owner.pid, 0); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false; }
  const started = kernelStartTime(owner.pid);
  if (started === undefined || owner.startedAt === undefined) return true; // no way to tell a reused pid: assume the owner
  return Math.abs(started - owner.startedAt) < SAME_START_MS;
}

export function lockDataDir(dir: string): DataDirLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const mine = `${process.pid} ${Math.round(performance.timeOrigin)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      try { writeSync(fd, mine); } finally { closeSync(fd); }
      return {
        path,
        release: () => {
          let now: string | undefined;
          try { now = readFileSync(path, 'utf8'); } catch { return; }
          if (now === mine) { try { unlinkSync(path); } catch { /* already gone */ } }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = readOwner(path);
    if (owner !== undefined && ownerAlive(owner)) {
      if (owner.pid === process.pid) {
        throw new SwarmletError('failed_precondition', `data directory ${dir} is already open in this process (close that cluster first)`);
      }
      throw new SwarmletError('failed_precondition',
        `data directory ${dir} is in use by another swarmlet process (pid ${owner.pid}): stop it first, or use another data directory (${path} names the owner)`);
    }
    // The owner is gone (or the file is empty: it died while writing it): take the directory over.
    try { unlinkSync(path); } catch { /* another process took it over first: try again */ }
  }
  throw new SwarmletError('failed_precondition', `data directory ${dir}: could not take ${path} (another process keeps taking it)`);
}
