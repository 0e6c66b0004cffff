import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, renameSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Timer } from '../clock.js';
import type { Logger } from '../logger.js';
import { DEFAULT_MAX_LOG_BYTES, type LogWriter } from './log-store.js';

type Stream = 'stdout' | 'stderr';
const STREAMS: readonly Stream[] = ['stdout', 'stderr'];
const OFFSETS_FILE = 'offsets.json';
const CHUNK_BYTES = 64 * 1024;
/** After a change notification, wait this long so that a burst of writes is read in one go. */
const DEBOUNCE_MS = 20;
const DEFAULT_POLL_MS = 1000;

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
  /** Copy-truncate a raw file once this many bytes of it were read (default 1 MiB). */
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
 * Bounded size: once a raw file has been read past `maxBytes`, it is truncated to zero (the child
 * appends with O_APPEND, so it writes at the new end). Known race, as with logrotate's copytruncate:
 * bytes the task writes between the last read and the truncate are lost; the window is one
 * read-to-truncate, once per `maxBytes` of output. A driver crash between two reads may repeat the
 * lines read since the offsets were last saved, never lose them.
 */
export class OutputTail {
  private readonly offsets: Record<Stream, number>;
  private readonly committed: Record<Stream, number>;
  private readonly maxBytes: number;
  private savedOffsets = '';
  private watcher: FSWatcher | undefined;
  private poll: Timer | undefined;
  private soon: Timer | undefined;
  private stopped = false;

  constructor(private readonly o: OutputTailOptions) {
    this.maxBytes = o.maxBytes ?? DEFAULT_MAX_LOG_BYTES;
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
      const size = fstatSync(fd).size;
      let offset = this.offsets[stream];
      let committed = this.committed[stream];
      if (size < offset) offset = committed = 0; // truncated by an earlier driver that died before saving
      if (size === offset && offset === this.offsets[stream]) return false;
      const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(1, size - offset)));
      while (offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
        if (n <= 0) break;
        const chunk = buf.subarray(0, n);
        this.o.log.write(stream, chunk);
        const nl = chunk.lastIndexOf(0x0a);
        if (nl !== -1) committed = offset + nl + 1;
        offset += n;
      }
      if (offset >= this.maxBytes) {
        ftruncateSync(fd, 0);
        offset = committed = 0;
      }
      this.offsets[stream] = offset;
      this.committed[stream] = committed;
      return true;
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
