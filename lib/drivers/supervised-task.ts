import type { ExitInfo, RunningTask } from '../agent/task-driver.js';
import type { Clock, Timer } from '../clock.js';
import type { Logger } from '../logger.js';
import type { LogWriter } from './log-store.js';
import type { OutputTail } from './output-tail.js';
import { removeTaskDir } from './task-record.js';

/** How the task's main process ended, as far as the driver can tell. */
export interface GoneStatus {
  exitCode: number | undefined;
  signal: string | undefined;
  error?: string;
}

export interface SupervisedTaskOptions {
  pid: number | undefined;
  /** The group signalled on stop, and SIGKILLed once the main process is gone (like a container). */
  pgid: number | undefined;
  stopSignal: NodeJS.Signals;
  endpoint: { addr: string; port: number; ports?: Record<string, number> } | undefined;
  env?: Record<string, string>;
  /** Resolves once when the main process is gone. */
  gone: Promise<GoneStatus>;
  tail: OutputTail;
  log: LogWriter;
  /** The task directory (record, raw output); removed once the task is gone and its output read. */
  dir: string;
  clock: Clock;
  logger: Logger;
  /** False when the group id may no longer be the task's (adopted tasks: pid reuse). Default: always. */
  maySignal?: () => boolean;
  /** Called once, before `exited` resolves, when the process is gone and its output read. */
  onExit?: (info: ExitInfo) => void;
}

/**
 * The RunningTask of a task process, whether this driver spawned it or adopted it: stop() signals
 * the group (stop signal, then SIGKILL after the grace period); once the main process is gone the
 * rest of the group is killed, the output read to the end, the log ended and the task directory
 * (with its record) removed.
 */
export function superviseTask(o: SupervisedTaskOptions): RunningTask {
  let stopped = false;
  let gone = false;
  let killTimer: Timer | undefined;
  let stopPromise: Promise<void> | undefined;
  const signal = (sig: NodeJS.Signals): void => {
    if (o.pgid !== undefined && (o.maySignal?.() ?? true)) signalGroup(o.pgid, sig, o.logger);
  };

  const exited = o.gone.then((status): ExitInfo => {
    gone = true;
    killTimer?.cancel();
    signal('SIGKILL'); // whatever the main process left in its group goes with it
    o.tail.stop();
    o.log.end();
    try {
      removeTaskDir(o.dir);
    } catch (err) {
      o.logger.warn({ err }, 'cannot remove the task directory');
    }
    const info: ExitInfo = { exitCode: status.exitCode, signal: status.signal, stopped };
    if (status.error !== undefined && !stopped) info.error = status.error;
    o.logger.debug({ pid: o.pid, ...info }, 'task process gone');
    o.onExit?.(info);
    return info;
  });

  const stop = (graceMs: number): Promise<void> => {
    if (gone) return Promise.resolve();
    if (!stopPromise) {
      stopped = true;
      signal(o.stopSignal);
      killTimer = o.clock.setTimeout(() => signal('SIGKILL'), Math.max(0, graceMs));
      stopPromise = exited.then(() => undefined);
    }
    return stopPromise;
  };

  const task: RunningTask = { endpoint: o.endpoint, pid: o.pid, exited, stop, flushOutput: () => { if (!gone) o.tail.drain(); } };
  if (o.env) task.env = o.env;
  return task;
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals, logger?: Logger): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH') logger?.warn({ pgid, signal, err }, 'cannot signal task process group');
  }
}
