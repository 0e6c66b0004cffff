import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import type { RunningTask, ExitInfo } from '../agent/task-driver.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { LogWriter } from './log-store.js';
import { OutputTail, openTaskOutput } from './output-tail.js';
import { readProcEnviron, readProcStat, type ProcStatReader } from './proc-stat.js';
import { superviseTask, type GoneStatus } from './supervised-task.js';
import { groupIsOurs, recordIsAlive, removeTaskDir, writeTaskRecord, type TaskRecord } from './task-record.js';

export { signalGroup } from './supervised-task.js';

/** What spawned and adopted tasks share. */
interface TaskIo {
  /** The task directory: raw output, read offsets, the task record. */
  dir: string;
  log: LogWriter;
  clock: Clock;
  logger: Logger;
  /** Called once, before `exited` resolves, when the process (and its output) is gone. */
  onExit?: (info: ExitInfo) => void;
}

export interface ProcessTaskOptions extends TaskIo {
  taskId: string;
  /** argv[0] is the program. */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stopSignal: NodeJS.Signals;
  graceMs: number;
  endpoint: { addr: string; port: number; ports?: Record<string, number> } | undefined;
}

/**
 * Runs one task as a child process in its own process group (like a container: when the main process
 * exits, whatever it left in the group is killed). Its stdout and stderr are files in the task
 * directory, not pipes, and the child is not tied to this process: it keeps running (and writing
 * its output) when the agent dies, and a later driver can adopt it from the task record.
 */
export function spawnProcessTask(o: ProcessTaskOptions): RunningTask {
  const [program, ...args] = o.argv;
  mkdirSync(o.dir, { recursive: true });
  const out = openTaskOutput(o.dir);
  let child;
  try {
    child = spawn(program ?? '', args, { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', out.stdout, out.stderr] });
  } catch (err) {
    out.close();
    removeTaskDir(o.dir);
    throw err;
  }
  out.close();
  child.unref();
  const pid = child.pid;
  const gone = new Promise<GoneStatus>((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (pid === undefined) resolve({ exitCode: undefined, signal: undefined, error: `starting container failed: ${describeSpawnError(err, o.cwd)}` });
      else o.logger.warn({ pid, err }, 'task process error');
    });
    child.on('exit', (code, signal) => resolve({ exitCode: code ?? undefined, signal: signal ?? undefined }));
  });
  if (pid !== undefined) recordTask(o, pid);
  const tail = new OutputTail({ dir: o.dir, log: o.log, clock: o.clock, logger: o.logger });
  tail.start();
  return superviseTask({
    pid, pgid: pid, stopSignal: o.stopSignal, endpoint: o.endpoint, env: o.env, gone, tail, log: o.log,
    dir: o.dir, clock: o.clock, logger: o.logger, ...(o.onExit ? { onExit: o.onExit } : {}),
  });
}

/** Writes the task record; a task whose record cannot be written runs on, but cannot be adopted. */
function recordTask(o: ProcessTaskOptions, pid: number): void {
  const stat = readProcStat(pid);
  if (!stat) return; // already gone: the exit event follows
  try {
    writeTaskRecord(o.dir, {
      taskId: o.taskId, pid, pgid: pid, startTime: stat.startTime, endpoint: o.endpoint, argv: o.argv,
      stopSignal: o.stopSignal, graceMs: o.graceMs, startedAt: o.clock.now(),
    });
  } catch (err) {
    o.logger.warn({ pid, err }, 'cannot write the task record; the task cannot be adopted after an agent restart');
  }
}

export interface AdoptTaskOptions extends TaskIo {
  record: TaskRecord;
  /** How often to check that the adopted process still runs (default 200 ms). */
  pollMs?: number;
  stat?: ProcStatReader;
}

/** What an adopted task reports when it ends by itself: the adopter is not its parent and never learns the exit code. */
export const ADOPTED_EXIT_ERROR = 'task: exited after its agent restarted (exit code unknown)';

/**
 * Takes over a task process an earlier driver started (the record says which; the caller checked it
 * still runs): follows its output from where the old driver stopped and watches the pid (with its
 * start time, so a reused pid does not count) until it is gone.
 */
export function adoptProcessTask(o: AdoptTaskOptions): RunningTask {
  const rec = o.record;
  const stat = o.stat ?? readProcStat;
  const tail = new OutputTail({ dir: o.dir, log: o.log, clock: o.clock, logger: o.logger });
  tail.start();
  const gone = waitGone(rec, stat, o.clock, o.pollMs ?? 200)
    .then((): GoneStatus => ({ exitCode: undefined, signal: undefined, error: ADOPTED_EXIT_ERROR }));
  const env = readProcEnviron(rec.pid);
  return superviseTask({
    pid: rec.pid, pgid: rec.pgid, stopSignal: rec.stopSignal, endpoint: rec.endpoint, ...(env ? { env } : {}),
    gone, tail, log: o.log, dir: o.dir, clock: o.clock, logger: o.logger,
    maySignal: () => groupIsOurs(rec, stat), ...(o.onExit ? { onExit: o.onExit } : {}),
  });
}

/** Resolves once the recorded process no longer runs (checked every `pollMs` on the clock). */
function waitGone(rec: TaskRecord, stat: ProcStatReader, clock: Clock, pollMs: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!recordIsAlive(rec, stat)) resolve();
      else clock.setTimeout(check, pollMs);
    };
    check();
  });
}

function describeSpawnError(err: NodeJS.ErrnoException, cwd: string): string {
  if (err.code === 'ENOENT' && !existsSync(cwd)) return `working directory ${cwd} does not exist`;
  if (err.code === 'ENOENT') return `${err.message}: executable file not found`;
  return err.message;
}
