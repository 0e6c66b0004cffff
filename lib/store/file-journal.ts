import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync, ftruncateSync } from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { Journal, JournalOp, StoreSnapshot } from './journal.js';
import { readLines } from './read-lines.js';
import { SpecInterner, resolveSpecs, type InternedRecord } from './spec-interning.js';

export interface FileJournalOptions {
  dir: string;
  logger?: Logger;
  /** Take a snapshot after this many journal records (default 2000). */
  snapshotEvery?: number;
  /** Take a snapshot once the journal holds this many bytes and half the last snapshot's size (default 16 MiB). */
  snapshotBytes?: number;
}

/** Objects serialised per write while a snapshot is written in the background (between writes the event loop runs). */
const SNAPSHOT_CHUNK = 500;

/**
 * A journal of JSON lines (one committed transaction per line, fsync'd) next to a snapshot (JSON
 * lines: a header, then one object per line, task specs shared by reference). Snapshots are taken
 * when the journal grows (in records or bytes), written in the background: the journal is rotated
 * to `journal.old.jsonl` first, so a crash at any point loads snapshot + old journal + journal.
 * A torn last record is dropped with a warning. Reads the format of earlier versions
 * (snapshot.json, array records).
 */
export class FileJournal implements Journal {
  private fd: number | undefined;
  private records = 0;
  private bytes = 0;
  private lastSnapshotBytes = 0;
  private writing: Promise<void> | undefined;
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly every: number;
  private readonly minBytes: number;

  constructor(opts: FileJournalOptions) {
    this.dir = opts.dir;
    this.logger = opts.logger ?? silentLogger();
    this.every = opts.snapshotEvery ?? 2000;
    this.minBytes = opts.snapshotBytes ?? 16 * 1024 * 1024;
    mkdirSync(this.dir, { recursive: true });
  }

  private get journalPath(): string { return join(this.dir, 'journal.jsonl'); }
  private get oldJournalPath(): string { return join(this.dir, 'journal.old.jsonl'); }
  private get snapshotPath(): string { return join(this.dir, 'snapshot.jsonl'); }
  private get legacySnapshotPath(): string { return join(this.dir, 'snapshot.json'); }

  load(): { snapshot: StoreSnapshot | undefined; ops: JournalOp[][] } {
    const snapshot = this.loadSnapshot();
    const after = (batch: JournalOp[]) => !snapshot || (batch[0] !== undefined && batch[0].version > snapshot.version);
    const ops: JournalOp[][] = [];
    if (existsSync(this.oldJournalPath)) {
      // A snapshot was being written when the process stopped: its records are still needed.
      this.readJournal(this.oldJournalPath, (batch) => { if (after(batch)) ops.push(batch); });
    }
    const validBytes = existsSync(this.journalPath)
      ? this.readJournal(this.journalPath, (batch) => { if (after(batch)) ops.push(batch); })
      : 0;
    this.fd = openSync(this.journalPath, 'a+');
    ftruncateSync(this.fd, validBytes);
    this.records = ops.length;
    this.bytes = validBytes;
    return { snapshot, ops };
  }

  private loadSnapshot(): StoreSnapshot | undefined {
    if (existsSync(this.snapshotPath)) {
      this.lastSnapshotBytes = statSync(this.snapshotPath).size;
      const interner = new Map<number, unknown>();
      let snapshot: StoreSnapshot | undefined;
      readLines(this.snapshotPath, (line) => {
        const rec = JSON.parse(line) as { version?: number; k?: string; i?: number; v?: unknown };
        if (snapshot === undefined) {
          snapshot = { version: rec.version ?? 0, services: [], tasks: [], nodes: [], images: [] };
          return true;
        }
        if (rec.k === '$spec') { interner.set(rec.i!, rec.v); return true; }
        const list = ((snapshot as unknown as Record<string, unknown[]>)[rec.k!] ??= []);
        list.push(resolveSpecs(rec.v, interner));
        return true;
      });
      return snapshot;
    }
    if (existsSync(this.legacySnapshotPath)) {
      let text = '';
      readLines(this.legacySnapshotPath, (line) => { text += line; return true; });
      return JSON.parse(text) as StoreSnapshot;
    }
    return undefined;
  }

  /** Reads records until the first torn or corrupt one; returns the bytes of the valid prefix. */
  private readJournal(path: string, onBatch: (batch: JournalOp[]) => void): number {
    let validBytes = 0;
    readLines(path, (line, complete) => {
      let batch: JournalOp[] | undefined;
      try { batch = complete ? decodeRecord(JSON.parse(line) as JournalOp[] | InternedRecord) : undefined; } catch { batch = undefined; }
      if (!batch) {
        this.logger.warn({ file: path, offset: validBytes }, 'dropping a torn or corrupt journal record and everything after it');
        return false;
      }
      onBatch(batch);
      validBytes += Buffer.byteLength(line) + 1;
      return true;
    });
    return validBytes;
  }

  append(ops: JournalOp[]): void {
    if (this.fd === undefined) this.fd = openSync(this.journalPath, 'a');
    const interner = new SpecInterner();
    const encoded = ops.map((op) => (op.op === 'put' ? { ...op, object: interner.intern(op.object) } : op));
    const line = JSON.stringify(interner.size > 0 ? { s: interner.specs(), o: encoded } : encoded) + '\n';
    writeSync(this.fd, line);
    fsyncSync(this.fd);
    this.records += 1;
    this.bytes += Buffer.byteLength(line);
  }

  wantsSnapshot(): boolean {
    if (this.writing) return false;
    return this.records >= this.every || this.bytes >= Math.max(this.minBytes, this.lastSnapshotBytes / 2);
  }

  /** True while a background snapshot is being written. */
  get snapshotting(): boolean { return this.writing !== undefined; }

  /**
   * Rotates the journal and writes the snapshot in the background (the returned promise settles
   * when it is durable). Objects must not be mutated meanwhile (the store never does).
   */
  snapshot(s: StoreSnapshot): Promise<void> {
    if (this.writing) return this.writing;
    this.rotate();
    this.writing = this.writeSnapshot(s)
      .then(() => { rmSync(this.oldJournalPath, { force: true }); this.syncDir(); })
      .finally(() => { this.writing = undefined; });
    return this.writing;
  }

  /** Writes a snapshot now (at close) and empties the journal. */
  snapshotSync(s: StoreSnapshot): void {
    if (this.writing) return; // the background one plus the journals already hold everything
    const tmp = this.snapshotPath + '.tmp';
    const fd = openSync(tmp, 'w');
    try {
      for (const chunk of snapshotChunks(s)) writeSync(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.install(tmp);
    if (this.fd !== undefined) { ftruncateSync(this.fd, 0); fsyncSync(this.fd); }
    rmSync(this.oldJournalPath, { force: true });
    this.records = 0;
    this.bytes = 0;
  }

  private rotate(): void {
    if (this.fd !== undefined) { closeSync(this.fd); this.fd = undefined; }
    if (existsSync(this.journalPath)) renameSync(this.journalPath, this.oldJournalPath);
    this.fd = openSync(this.journalPath, 'a+');
    this.syncDir();
    this.records = 0;
    this.bytes = 0;
  }

  private async writeSnapshot(s: StoreSnapshot): Promise<void> {
    const tmp = this.snapshotPath + '.tmp';
    const fh = await openAsync(tmp, 'w');
    try {
      for (const chunk of snapshotChunks(s)) await fh.write(chunk);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.install(tmp);
  }

  private install(tmp: string): void {
    renameSync(tmp, this.snapshotPath);
    rmSync(this.legacySnapshotPath, { force: true });
    this.syncDir();
    this.lastSnapshotBytes = statSync(this.snapshotPath).size;
  }

  private syncDir(): void {
    const dirFd = openSync(this.dir, 'r');
    try { fsyncSync(dirFd); } finally { closeSync(dirFd); }
  }

  /** Waits for a background snapshot (if any). */
  async flush(): Promise<void> {
    await this.writing?.catch(() => {});
  }

  close(): void {
    if (this.fd !== undefined) { closeSync(this.fd); this.fd = undefined; }
  }
}

function decodeRecord(rec: JournalOp[] | InternedRecord): JournalOp[] {
  if (Array.isArray(rec)) return rec;
  if (!rec || !Array.isArray(rec.o)) throw new Error('not a journal record');
  const specs = new Map((rec.s ?? []).map((v, i) => [i, v]));
  return rec.o.map((op) => (op.op === 'put' ? { ...op, object: resolveSpecs(op.object, specs) } : op));
}

/** The snapshot as JSON-lines chunks: a header, the shared specs as they first appear, then the objects. */
function* snapshotChunks(s: StoreSnapshot): Generator<string> {
  yield JSON.stringify({ version: s.version, format: 2 }) + '\n';
  const interner = new SpecInterner();
  for (const [kind, list] of Object.entries(s)) {
    if (!Array.isArray(list)) continue;
    for (let i = 0; i < list.length; i += SNAPSHOT_CHUNK) {
      let out = '';
      for (const obj of list.slice(i, i + SNAPSHOT_CHUNK)) {
        const before = interner.size;
        const v = interner.intern(obj);
        for (let n = before; n < interner.size; n++) out += JSON.stringify({ k: '$spec', i: n, v: interner.spec(n) }) + '\n';
        out += JSON.stringify({ k: kind, v }) + '\n';
      }
      yield out;
    }
  }
}
