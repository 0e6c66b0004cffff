import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ExitInfo, RunningTask } from '../agent/task-driver.js';
import type { Clock, Timer } from '../clock.js';
import type { Logger } from '../logger.js';
import type { LogWriter } from './log-store.js';

export interface ProcessTaskOptions {
  /** argv[0] is the program. */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stopSignal: NodeJS.Signals;
  endpoint: { addr: string; port: number } | undefined;
  log: LogWriter;
  clock: Clock;
  logger: Logger;
  /** Called once, before `exited` resolves, when the process (and its output) is gone. */
  onExit?: (info: ExitInfo) => void;
}

/** After the main process exited, how long to wait for its output pipes to close. */
const PIPE_CLOSE_TIMEOUT_MS = 2000;

/**
 * Runs one task as a child process in its own process group (like a container: when the main process
 * exits, whatever it left in the group is killed). Output goes to the log writer line by line.
 */
export function spawnProcessTask(o: ProcessTaskOptions): RunningTask {
  const [program, ...args] = o.argv;
  const child = spawn(program ?? '', args, { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  let spawnError: NodeJS.ErrnoException | undefined;
  let exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let stopped = false;
  let done = false;
  let killTimer: Timer | undefined;
  let pipeTimer: Timer | undefined;
  let stopPromise: Promise<void> | undefined;
  let resolveExited: (info: ExitInfo) => void = () => {};
  const exited = new Promise<ExitInfo>((resolve) => { resolveExited = resolve; });

  const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
    if (done) return;
    done = true;
    killTimer?.cancel();
    pipeTimer?.cancel();
    o.log.end();
    const info: ExitInfo = spawnError
      ? { exitCode: undefined, signal: undefined, stopped, error: `starting container failed: ${describeSpawnError(spawnError, o.cwd)}` }
      : { exitCode: code ?? undefined, signal: signal ?? undefined, stopped };
    o.logger.debug({ pid, ...info }, 'task process gone');
    o.onExit?.(info);
    resolveExited(info);
  };

  child.stdout?.on('data', (chunk: Buffer) => o.log.write('stdout', chunk));
  child.stderr?.on('data', (chunk: Buffer) => o.log.write('stderr', chunk));
  child.on('error', (err: NodeJS.ErrnoException) => {
    if (pid === undefined) spawnError = err;
    else o.logger.warn({ pid, err }, 'task process error');
  });
  child.on('exit', (code, signal) => {
    exitStatus = { code, signal };
    if (pid !== undefined) signalGroup(pid, 'SIGKILL', o.logger); // the rest of the "container" goes with it
    pipeTimer = o.clock.setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish(code, signal);
    }, PIPE_CLOSE_TIMEOUT_MS);
  });
  child.on('close', (code, signal) => finish(exitStatus?.code ?? code, exitStatus?.signal ?? signal));

  const stop = (graceMs: number): Promise<void> => {
    if (done) return Promise.resolve();
    if (!stopPromise) {
      if (!exitStatus) stopped = true;
      if (pid !== undefined && !exitStatus) {
        signalGroup(pid, o.stopSignal, o.logger);
        killTimer = o.clock.setTimeout(() => signalGroup(pid, 'SIGKILL', o.logger), Math.max(0, graceMs));
      }
      stopPromise = exited.then(() => undefined);
    }
    return stopPromise;
  };

  return { endpoint: o.endpoint, pid, exited, stop };
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals, logger?: Logger): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH') logger?.warn({ pid, signal, err }, 'cannot signal task process group');
  }
}

function describeSpawnError(err: NodeJS.ErrnoException, cwd: string): string {
  if (err.code === 'ENOENT' && !existsSync(cwd)) return `working directory ${cwd} does not exist`;
  if (err.code === 'ENOENT') return `${err.message}: executable file not found`;
  return err.message;
}
