/**
 * CPU pinning with taskset: the proxy under test gets core 0 alone, the load generator and the
 * backends (and this process) share the other cores, so every proxy gets the same share.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';

export type PinRole = 'proxy' | 'other';

export interface Pinning {
  /** False when taskset is missing, there is one core only, or --no-pin was given. */
  readonly enabled: boolean;
  /** Why pinning is off, or the layout when on. */
  readonly description: string;
  /** Cores the proxy under test may use (its worker count). */
  readonly proxyCoreCount: number;
  /** The command line to run `cmd args` pinned for `role`. */
  wrap(role: PinRole, cmd: string, args: string[]): { cmd: string; args: string[] };
  /** Pins an already running process. */
  pin(role: PinRole, pid: number): void;
}

function hasTaskset(): boolean {
  const r = spawnSync('taskset', ['-V'], { encoding: 'utf8' });
  return r.error === undefined && r.status === 0;
}

export function createPinning(wanted = true): Pinning {
  const cores = os.availableParallelism();
  const reason = !wanted ? 'pinning off (--no-pin)' : cores < 2 ? 'one core: no pinning' : !hasTaskset() ? 'taskset not found: no pinning' : undefined;
  if (reason !== undefined) {
    return {
      enabled: false, description: reason, proxyCoreCount: cores,
      wrap: (_role, cmd, args) => ({ cmd, args }),
      pin: () => {},
    };
  }
  const list: Record<PinRole, string> = { proxy: '0', other: cores === 2 ? '1' : `1-${cores - 1}` };
  return {
    enabled: true,
    description: `proxy under test on core ${list.proxy}; load generator, backends and this process on core(s) ${list.other}`,
    proxyCoreCount: 1,
    wrap: (role, cmd, args) => ({ cmd: 'taskset', args: ['-c', list[role], cmd, ...args] }),
    pin: (role, pid) => { spawnSync('taskset', ['-cp', list[role], String(pid)], { stdio: 'ignore' }); },
  };
}
