import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { Journal, JournalOp, StoreSnapshot } from './journal.js';

export interface FileJournalOptions {
  dir: string;
  logger?: Logger;
  /** Take a snapshot after this many journal records (default 2000). */
  snapshotEvery?: number;
}

/**
 * A journal of JSON lines (one committed transaction per line, fsync'd) next to a snapshot file
 * written with write-temp + fsync + rename. A torn last record is dropped with a warning.
 */
export class FileJournal implements Journal {
  private fd: number | undefined;
  private records = 0;
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly every: number;

  constructor(opts: FileJournalOptions) {
    this.dir = opts.dir;
    this.logger = opts.logger ?? silentLogger();
    this.every = opts.snapshotEvery ?? 2000;
    mkdirSync(this.dir, { recursive: true });
  }

  private get journalPath(): string { return join(this.dir, 'journal.jsonl'); }
  private get snapshotPath(): string { return join(this.dir, 'snapshot.json'); }

  load(): { snapshot: StoreSnapshot | undefined; ops: JournalOp[][] } {
    let snapshot: StoreSnapshot | undefined;
    if (existsSync(this.snapshotPath)) snapshot = JSON.parse(readFileSync(this.snapshotPath, 'utf8')) as StoreSnapshot;
    const ops: JournalOp[][] = [];
    let validBytes = 0;
    if (existsSync(this.journalPath)) {
      const text = readFileSync(this.journalPath, 'utf8');
      let pos = 0;
      while (pos < text.length) {
        const nl = text.indexOf('\n', pos);
        const line = nl === -1 ? text.slice(pos) : text.slice(pos, nl);
        let batch: JournalOp[] | undefined;
        try { batch = nl === -1 ? undefined : (JSON.parse(line) as JournalOp[]); } catch { batch = undefined; }
        if (!batch) {
          this.logger.warn({ file: this.journalPath, offset: validBytes },
            'dropping a torn or corrupt journal record and everything after it');
          break;
        }
        if (!snapshot || (batch[0] && batch[0].version > snapshot.version)) ops.push(batch);
        pos = nl + 1;
        validBytes += Buffer.byteLength(line) + 1;
      }
    }
    this.fd = openSync(this.journalPath, 'a+');
    ftruncateSync(this.fd, validBytes);
    this.records = ops.length;
    return { snapshot, ops };
  }

  append(ops: JournalOp[]): void {
    if (this.fd === undefined) this.fd = openSync(this.journalPath, 'a');
    writeSync(this.fd, JSON.stringify(ops) + '\n');
    fsyncSync(this.fd);
    this.records += 1;
  }

  wantsSnapshot(): boolean { return this.records >= this.every; }

  snapshot(s: StoreSnapshot): void {
    const tmp = this.snapshotPath + '.tmp';
    const fd = openSync(tmp, 'w');
    writeSync(fd, JSON.stringify(s));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.snapshotPath);
    const dirFd = openSync(this.dir, 'r');
    try { fsyncSync(dirFd); } finally { closeSync(dirFd); }
    if (this.fd !== undefined) { ftruncateSync(this.fd, 0); fsyncSync(this.fd); }
    this.records = 0;
  }

  close(): void {
    if (this.fd !== undefined) { closeSync(this.fd); this.fd = undefined; }
  }
}
