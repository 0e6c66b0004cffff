/**
 * The event log's history on disk (`events.jsonl` in the manager's data directory): one event per
 * line, appended as events happen, so `swarmlet events --since` replays across a manager restart.
 * Bounded: once it holds twice the log's capacity it is rewritten with the newest `capacity`
 * events (write to a temporary file, then rename). A torn last line (a crash mid-write) is skipped.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from '../logger.js';
import { decodeEvent, encodeEvent, type EventMessage } from './event-message.js';

export class EventFile {
  private lines: number;
  private torn = false;

  constructor(private readonly path: string, private readonly capacity: number, private readonly logger?: Logger) {
    this.lines = 0;
  }

  /** The newest `capacity` events kept in the file (oldest first). */
  load(): EventMessage[] {
    if (!existsSync(this.path)) return [];
    const out: EventMessage[] = [];
    let bad = 0;
    const text = readFileSync(this.path, 'utf8');
    // A crash mid-write leaves a line without its newline: the next append starts a new line.
    this.torn = text.length > 0 && !text.endsWith('\n');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try { out.push(decodeEvent(line)); } catch { bad++; }
    }
    if (bad > 0) this.logger?.warn({ file: this.path, skipped: bad }, 'skipped unreadable event lines');
    this.lines = out.length;
    return out.slice(-this.capacity);
  }

  /** Appends events; compacts to `keep()` when the file grew past twice the capacity. */
  append(events: readonly EventMessage[], keep: () => readonly EventMessage[]): void {
    if (events.length === 0) return;
    try {
      appendFileSync(this.path, (this.torn ? '\n' : '') + events.map((e) => `${encodeEvent(e)}\n`).join(''));
      this.torn = false;
      this.lines += events.length;
      if (this.lines > 2 * this.capacity) this.rewrite(keep());
    } catch (err) {
      this.logger?.warn({ file: this.path, err: (err as Error).message }, 'could not write events to disk');
    }
  }

  private rewrite(events: readonly EventMessage[]): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, events.map((e) => `${encodeEvent(e)}\n`).join(''));
    renameSync(tmp, this.path);
    this.lines = events.length;
  }
}
