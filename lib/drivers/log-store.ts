import { EventEmitter } from 'node:events';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AbortFanout } from '../abort-fanout.js';
import type { LogLine, LogQuery } from '../agent/task-driver.js';
import type { Clock } from '../clock.js';
import { invalid } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { LineSplitter, encodeLogLine, parseLogLines, selectLogLines } from './log-lines.js';

export interface LogStoreOptions {
  /** Directory of the log files: `<dir>/<taskId>.log` and one rotated `<dir>/<taskId>.log.1`. */
  dir: string;
  clock: Clock;
  /** Rotate when the current file would grow past this (default 1 MiB); disk use per task ≤ 2× this. */
  maxBytes?: number;
  logger?: Logger;
}

/** Receives one task's output. */
export interface LogWriter {
  write(stream: LogLine['stream'], chunk: Buffer | string): void;
  /** Flushes partial last lines, closes the file and ends followers. Idempotent. */
  end(): void;
}

interface OpenLog {
  fd: number;
  size: number;
  events: EventEmitter;
  ended: boolean;
}

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** True for IDs that are safe as one file name (no path separators, no `..`). */
export function isPlainTaskId(taskId: string): boolean {
  return TASK_ID.test(taskId) && !taskId.includes('..');
}
export const DEFAULT_MAX_LOG_BYTES = 1024 * 1024;

/**
 * Task logs on disk as JSON lines, bounded by rotation. Writes are synchronous, so a reader that
 * subscribes and reads the files in one tick sees every line exactly once (files, then events).
 */
export class LogStore {
  private readonly dir: string;
  private readonly clock: Clock;
  private readonly maxBytes: number;
  private readonly logger: Logger;
  private readonly open = new Map<string, OpenLog>();
  /** Follows of many tasks with one signal (a service's logs) share one abort listener. */
  private readonly aborts = new AbortFanout();

  constructor(opts: LogStoreOptions) {
    this.dir = opts.dir;
    this.clock = opts.clock;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_LOG_BYTES;
    this.logger = opts.logger ?? silentLogger();
  }

  /** Starts (or continues) the log of a task. */
  writer(taskId: string): LogWriter {
    const path = this.pathOf(taskId);
    mkdirSync(this.dir, { recursive: true });
    const fd = openSync(path, 'a');
    const log: OpenLog = { fd, size: fstatSync(fd).size, events: new EventEmitter(), ended: false };
    log.events.setMaxListeners(0);
    const previous = this.open.get(taskId);
    if (previous) this.finish(taskId, previous);
    this.open.set(taskId, log);
    const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    return {
      write: (stream, chunk) => {
        if (!log.ended) this.append(taskId, log, stream, splitters[stream].push(chunk));
      },
      end: () => {
        if (log.ended) return;
        this.append(taskId, log, 'stdout', splitters.stdout.flush());
        this.append(taskId, log, 'stderr', splitters.stderr.flush());
        this.finish(taskId, log);
      },
    };
  }

  /** Stored lines, filtered by since/tail; with follow, then new lines until the log ends or the signal aborts. */
  async *read(taskId: string, query: LogQuery): AsyncGenerator<LogLine> {
    const path = this.pathOf(taskId);
    const { signal } = query;
    const live = query.follow ? this.open.get(taskId) : undefined;
    const queue: LogLine[] = [];
    let ended = live === undefined;
    let wake: (() => void) | undefined;
    const onLine = (line: LogLine) => { queue.push(line); wake?.(); };
    const onEnd = () => { ended = true; wake?.(); };
    const onAbort = () => wake?.();
    live?.events.on('line', onLine);
    live?.events.on('end', onEnd);
    const unsubscribe = live && signal ? this.aborts.on(signal, onAbort) : undefined;
    try {
      // Same tick as the subscription: every line is either in the files or in the queue, never both.
      for (const line of selectLogLines(readStored(path), query)) {
        if (signal?.aborted) return;
        yield line;
      }
      for (;;) {
        const line = queue.shift();
        if (signal?.aborted) return;
        if (line) {
          if (query.since === undefined || line.time >= query.since) yield line;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => { wake = resolve; });
        wake = undefined;
      }
    } finally {
      live?.events.off('line', onLine);
      live?.events.off('end', onEnd);
      unsubscribe?.();
    }
  }

  /** Deletes a task's log files (ending its writer, if any). */
  async remove(taskId: string): Promise<void> {
    const path = this.pathOf(taskId);
    const log = this.open.get(taskId);
    if (log) this.finish(taskId, log);
    rmSync(path, { force: true });
    rmSync(path + '.1', { force: true });
  }

  /** Signals some follow is listening on (one listener each, however many follows share it). */
  get abortSignalsWatched(): number {
    return this.aborts.signals;
  }

  /** True while a writer for the task is open. */
  isOpen(taskId: string): boolean {
    return this.open.has(taskId);
  }

  private append(taskId: string, log: OpenLog, stream: LogLine['stream'], texts: string[]): void {
    if (texts.length === 0) return;
    const time = this.clock.now();
    const lines = texts.map((text): LogLine => ({ stream, time, text }));
    let batch = '';
    let batchBytes = 0;
    for (const line of lines) {
      const rec = encodeLogLine(line);
      const bytes = Buffer.byteLength(rec);
      if (log.size + batchBytes + bytes > this.maxBytes && log.size + batchBytes > 0) {
        this.writeOut(taskId, log, batch);
        this.rotate(taskId, log);
        if (log.ended) return;
        batch = '';
        batchBytes = 0;
      }
      batch += rec;
      batchBytes += bytes;
    }
    this.writeOut(taskId, log, batch);
    for (const line of lines) log.events.emit('line', line);
  }

  private writeOut(taskId: string, log: OpenLog, text: string): void {
    if (text === '') return;
    try {
      writeSync(log.fd, text);
      log.size += Buffer.byteLength(text);
    } catch (err) {
      this.logger.warn({ taskId, err }, 'cannot write task log');
    }
  }

  private rotate(taskId: string, log: OpenLog): void {
    const path = this.pathOf(taskId);
    try {
      closeSync(log.fd);
      renameSync(path, path + '.1');
      log.fd = openSync(path, 'a');
      log.size = fstatSync(log.fd).size;
    } catch (err) {
      this.logger.warn({ taskId, err }, 'cannot rotate task log; dropping further output');
      this.finish(taskId, log);
    }
  }

  private finish(taskId: string, log: OpenLog): void {
    if (log.ended) return;
    log.ended = true;
    try { closeSync(log.fd); } catch { /* already closed */ }
    if (this.open.get(taskId) === log) this.open.delete(taskId);
    log.events.emit('end');
  }

  private pathOf(taskId: string): string {
    if (!isPlainTaskId(taskId)) throw invalid(`invalid task ID for logs: ${JSON.stringify(taskId)}`, 'taskId');
    return join(this.dir, `${taskId}.log`);
  }
}

/** The rotated file then the current one; missing files count as empty. */
function readStored(path: string): LogLine[] {
  return [...parseLogLines(readOr(path + '.1')), ...parseLogLines(readOr(path))];
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}
