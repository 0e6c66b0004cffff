import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, renameSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Timer } from '../clock.js';
import type { Logger } from '../logger.js';
import type { LogWriter } from './log-store.js';

type Stream = 'stdout' | 'stderr';
const STREAMS: readonly Stream[] = ['stdout', 'stderr'];
const OFFSETS_FILE = 'offsets.json';
const CHUNK_BYTES = 64 * 1024;
/** After a change notification, wait this long so that a burst of writes is read in one go. */
const DEBOUNCE_MS = 20;
const DEFAULT_POLL_MS = 1000;
const DEFAULT_TRUNCATE_BYTES = 256 * 1024;
const DEFAULT_RAW_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Opens (creating) a task's raw output files `<dir>/stdout` and `<dir>/stderr` for appending. The
 * child gets these descriptors as its stdout and stderr: its output never depends on the agent
 * process (no pipe to break when the agent dies). Close them once the child is spawned.
 */
export function openTaskOutput(dir: string): { stdout: number; stderr: number; close(): void } {
  const stdout = openSync(join(dir, 'stdout'), 'a');
  let stderr: number;
  try {
    stderr = openSync(join(dir, 'stderr'), 'a');
  } catch (err) {
    closeSync(stdout);
    throw err;
  }
  return { stdout, stderr, close: () => { closeSync(stdout); closeSync(stderr); } };
}

export interface OutputTailOptions {
  /** The task directory holding `stdout`, `stderr` and the read offsets. */
  dir: string;
  log: LogWriter;
  clock: Clock;
  logger: Logger;
  /**
   * Truncate a raw file once this many bytes of it were read and the task wrote nothing since the
   * previous read (default 256 KiB).
   */
  truncateBytes?: number;
  /** Truncate a raw file at this size even while the task keeps writing (default 8 MiB). */
  maxBytes?: number;
  /** Reads at least this often even without change notifications (default 1 s). */
  pollMs?: number;
}

/**
 * Turns a task's raw output files into log lines: reads what was appended since the last read
 * (on fs.watch notifications, debounced, and on a slow poll) and writes it to the LogStore, so a
 * line's time is when the driver read it. The offset of the last complete line read is saved in
 * `<dir>/offsets.json`, so a driver started later (the agent restarted) continues where the old
 * one stopped: lines written while no driver ran are read then, with the time of that read.
 *
 * Bounded size (copy-truncate, as logrotate's copytruncate): a raw file that was read to its end
 * is truncated to zero (the child writes with O_APPEND, so its next write lands at the new end).
 * Known race: bytes the task writes between that last read and the truncate are lost. The window
 * is one system call, and the driver takes it only when the task has been quiet since the previous
 * read (`truncateBytes`, checked on every change notification and poll), or, for a task that never
 * pauses, once the file reaches `maxBytes`. Disk use per task: the LogStore's bound plus `maxBytes`
 * per stream (more while no driver runs: nobody reads then). A driver crash may repeat the lines
 * read since the offsets were last saved, never lose them.
 */
export class OutputTail {
  private readonly offsets: Record<Stream, number>;
  private readonly committed: Record<Stream, number>;
  private readonly truncateBytes: number;
  private readonly maxBytes: number;
  private savedOffsets = '';
  private watcher: FSWatcher | undefined;
  private poll: Timer | undefined;
  private soon: Timer | undefined;
  private stopped = false;

  constructor(private readonly o: OutputTailOptions) {
    this.truncateBytes = o.truncateBytes ?? DEFAULT_TRUNCATE_BYTES;
    this.maxBytes = Math.max(o.maxBytes ?? DEFAULT_RAW_MAX_BYTES, this.truncateBytes);
    this.committed = loadOffsets(o.dir);
    this.offsets = { ...this.committed };
    this.savedOffsets = JSON.stringify(this.committed);
  }

  /** Reads what is there now, then follows the files until `stop()`. */
  start(): void {
    try {
      this.watcher = watch(this.o.dir, { persistent: false }, (_event, file) => {
        if (file === 'stdout' || file === 'stderr') this.drainSoon();
      });
      this.watcher.on('error', () => this.closeWatcher());
    } catch (err) {
      this.o.logger.debug({ err }, 'no change notifications for task output; polling');
    }
    this.schedulePoll();
    this.drain();
  }

  /** Reads what is left and stops following. Does not end the log. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.closeWatcher();
    this.poll?.cancel();
    this.soon?.cancel();
    this.drain();
  }

  /** Moves everything appended since the last read into the log (synchronously). */
  drain(): void {
    let changed = false;
    for (const stream of STREAMS) changed = this.drainStream(stream) || changed;
    if (changed) this.saveOffsets();
  }

  private drainStream(stream: Stream): boolean {
    let fd: number;
    try {
      fd = openSync(join(this.o.dir, stream), 'r+');
    } catch {
      return false; // no such file (yet, or any more)
    }
    try {
      const before = { offset: this.offsets[stream], committed: this.committed[stream] };
      let { offset, committed } = before;
      const size = fstatSync(fd).size;
      if (size < offset) offset = committed = 0; // truncated by an earlier driver that died before saving
      const quiet = size === offset; // nothing written since the last read
      if (!quiet) {
        const buf = Buffer.allocUnsafe(CHUNK_BYTES);
        for (let n = readSync(fd, buf, 0, buf.length, offset); n > 0; n = readSync(fd, buf, 0, buf.length, offset)) {
          const chunk = buf.subarray(0, n);
          this.o.log.write(stream, chunk);
          const nl = chunk.lastIndexOf(0x0a);
          if (nl !== -1) committed = offset + nl + 1;
          offset += n;
        }
      }
      if ((quiet && offset >= this.truncateBytes) || offset >= this.maxBytes) {
        ftruncateSync(fd, 0); // read to the end just now: see the class comment for the race
        offset = committed = 0;
      }
      this.offsets[stream] = offset;
      this.committed[stream] = committed;
      return offset !== before.offset || committed !== before.committed;
    } catch (err) {
      this.o.logger.warn({ stream, err }, 'cannot read task output');
      return false;
    } finally {
      closeSync(fd);
    }
  }

  private saveOffsets(): void {
    const text = JSON.stringify(this.committed);
    if (text === this.savedOffsets) return;
    const path = join(this.o.dir, OFFSETS_FILE);
    try {
      writeFileSync(path + '.tmp', text);
      renameSync(path + '.tmp', path);
      this.savedOffsets = text;
    } catch (err) {
      if (!this.stopped) this.o.logger.warn({ err }, 'cannot save task output offsets');
    }
  }

  private drainSoon(): void {
    if (this.soon || this.stopped) return;
    this.soon = this.o.clock.setTimeout(() => {
      this.soon = undefined;
      if (!this.stopped) this.drain();
    }, DEBOUNCE_MS);
  }

  private schedulePoll(): void {
    this.poll = this.o.clock.setTimeout(() => {
      if (this.stopped) return;
      this.drain();
      this.schedulePoll();
    }, this.o.pollMs ?? DEFAULT_POLL_MS);
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}

/** The saved offsets of complete lines; zero for a missing or unreadable file. */
function loadOffsets(dir: string): Record<Stream, number> {
  const out: Record<Stream, number> = { stdout: 0, stderr: 0 };
  try {
    const raw = JSON.parse(readFileSync(join(dir, OFFSETS_FILE), 'utf8')) as Record<string, unknown>;
    for (const s of STREAMS) {
      const v = raw[s];
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0) out[s] = v;
    }
  } catch { /* none yet */ }
  return out;
}
