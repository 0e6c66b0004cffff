import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalid } from '../errors.js';
import { isPlainTaskId } from './log-store.js';
import type { ProcStatReader } from './proc-stat.js';

/**
 * What the driver keeps on disk about one running task, in `<dataDir>/tasks/<taskId>/task.json`,
 * so that a driver started later (the agent restarted) can find, check and adopt the process.
 */
export interface TaskRecord {
  taskId: string;
  pid: number;
  /** The process group (the task runs detached: pgid = pid). */
  pgid: number;
  /** Field 22 of /proc/<pid>/stat when the task started: tells the task from a process that reused its pid. */
  startTime: string;
  endpoint: { addr: string; port: number; ports?: Record<string, number> } | undefined;
  argv: string[];
  stopSignal: NodeJS.Signals;
  /** The task's stop grace period (for stopping it when nobody asks with another). */
  graceMs: number;
  /** Clock time of the start (ms since epoch). */
  startedAt: number;
}

const RECORD_FILE = 'task.json';

/** `<tasksDir>/<taskId>`; rejects IDs that are not plain names. */
export function taskDirOf(tasksDir: string, taskId: string): string {
  if (!isPlainTaskId(taskId)) throw invalid(`invalid task ID: ${JSON.stringify(taskId)}`, 'taskId');
  return join(tasksDir, taskId);
}

/** Writes the record atomically (temporary file, then rename): a crash leaves the old one or the new one. */
export function writeTaskRecord(dir: string, rec: TaskRecord): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, RECORD_FILE);
  writeFileSync(path + '.tmp', JSON.stringify(rec) + '\n');
  renameSync(path + '.tmp', path);
}

/** The record in `dir`, or undefined when missing or malformed. */
export function readTaskRecord(dir: string): TaskRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(dir, RECORD_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  return isTaskRecord(raw) ? raw : undefined;
}

function isTaskRecord(v: unknown): v is TaskRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const ep = r.endpoint as Record<string, unknown> | undefined;
  return typeof r.taskId === 'string' && isPid(r.pid) && isPid(r.pgid)
    && typeof r.startTime === 'string' && /^\d+$/.test(r.startTime)
    && (ep === undefined || (typeof ep === 'object' && ep !== null && typeof ep.addr === 'string' && typeof ep.port === 'number'
      && (ep.ports === undefined || (typeof ep.ports === 'object' && ep.ports !== null && Object.values(ep.ports).every((p) => typeof p === 'number')))))
    && Array.isArray(r.argv) && typeof r.stopSignal === 'string' && typeof r.graceMs === 'number'
    && typeof r.startedAt === 'number';
}

function isPid(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 1;
}

/** Removes a task's directory (record, raw output, offsets). */
export function removeTaskDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The task IDs that have a directory under `tasksDir`. */
export function listTaskDirs(tasksDir: string): string[] {
  try {
    return readdirSync(tasksDir, { withFileTypes: true }).filter((e) => e.isDirectory() && isPlainTaskId(e.name)).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * True while the recorded process still runs: same pid AND same start time (a pid reused by
 * another process has another start time), and not a zombie waiting to be reaped.
 */
export function recordIsAlive(rec: TaskRecord, stat: ProcStatReader): boolean {
  const now = stat(rec.pid);
  return now !== undefined && now.startTime === rec.startTime && now.state !== 'Z' && now.state !== 'X';
}

/**
 * Whether signalling the recorded process group can only reach the task's own processes. When
 * the leader's pid is free, only the task's leftovers can still carry the group id (the kernel does
 * not hand out a pid that is still some group's id); when another process has the pid, the task's
 * group is necessarily empty and the id may now be that process's: do not signal.
 */
export function groupIsOurs(rec: TaskRecord, stat: ProcStatReader): boolean {
  const leader = stat(rec.pgid);
  return leader === undefined || leader.startTime === rec.startTime;
}
