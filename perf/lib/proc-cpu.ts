/**
 * CPU time of OS processes from /proc/<pid>/stat (utime + stime, Linux only): a proxy's CPU
 * seconds per request are the difference over a measured run divided by its requests.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

interface Stat { pid: number; ppid: number; ticks: number }

/** Clock ticks per second (`getconf CLK_TCK`, 100 on Linux when getconf is missing). */
export function clockTicks(): number {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
}

/** Parses one /proc/<pid>/stat line (the command name may hold spaces and parentheses). */
export function parseStat(line: string): Stat | undefined {
  const close = line.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(line.slice(0, line.indexOf(' ')));
  const rest = line.slice(close + 2).split(' ');
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  const ppid = Number(rest[1]);
  const ticks = Number(rest[11]) + Number(rest[12]);
  return Number.isFinite(ticks) ? { pid, ppid, ticks } : undefined;
}

function readStat(pid: number): Stat | undefined {
  try { return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return undefined; }
}

export function procAvailable(): boolean {
  return readStat(process.pid) !== undefined;
}

/** Every live process that descends from `root` (children, grandchildren …). */
function descendants(root: number): number[] {
  let entries: string[];
  try { entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e)); } catch { return []; }
  const children = new Map<number, number[]>();
  for (const e of entries) {
    const s = readStat(Number(e));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) { out.push(c); queue.push(c); }
  }
  return out;
}

/** CPU seconds used so far by `pid` (and, with `tree`, by its live descendants). */
export function cpuSeconds(pid: number, opts: { tree?: boolean; ticksPerSecond?: number } = {}): number {
  const hz = opts.ticksPerSecond ?? clockTicks();
  const pids = opts.tree ? [pid, ...descendants(pid)] : [pid];
  let ticks = 0;
  for (const p of pids) ticks += readStat(p)?.ticks ?? 0;
  return ticks / hz;
}

/** Starts a CPU meter; `stop()` returns the CPU seconds used since. Descendants must outlive the meter. */
export function cpuMeter(pid: number, tree = false): { stop(): number } {
  const hz = clockTicks();
  const start = cpuSeconds(pid, { tree, ticksPerSecond: hz });
  return { stop: () => cpuSeconds(pid, { tree, ticksPerSecond: hz }) - start };
}
