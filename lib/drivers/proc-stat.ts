import { readFileSync } from 'node:fs';

/** The fields of `/proc/<pid>/stat` the driver uses (proc(5)). */
export interface ProcStat {
  pid: number;
  /** Field 2 without its parentheses (may contain spaces and parentheses itself). */
  comm: string;
  /** Field 3: R, S, D, Z (zombie), T, X … */
  state: string;
  ppid: number;
  /** Field 5: the process group. */
  pgrp: number;
  /**
   * Field 22: when the process started, in clock ticks after boot. With the pid it identifies a
   * process for good: a reused pid has another start time. Kept as a string (exact, no unit math).
   */
  startTime: string;
}

/**
 * Parses the one line of `/proc/<pid>/stat`. The command name is between the first '(' and the
 * LAST ')' (it can contain both); the fields after it are space-separated. Undefined when malformed.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const [state, ppid, pgrp] = [rest[0], Number(rest[1]), Number(rest[2])];
  const startTime = rest[22 - 3];
  if (!Number.isInteger(pid) || pid <= 0 || !state || !Number.isInteger(ppid) || !Number.isInteger(pgrp)) return undefined;
  if (startTime === undefined || !/^\d+$/.test(startTime)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state, ppid, pgrp, startTime };
}

/** Reads a process's stat line; undefined when there is no such process (or no /proc). */
export type ProcStatReader = (pid: number) => ProcStat | undefined;

export const readProcStat: ProcStatReader = (pid) => {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
};

/** A process's environment from `/proc/<pid>/environ` (same user only); undefined when unreadable. */
export function readProcEnviron(pid: number): Record<string, string> | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}
