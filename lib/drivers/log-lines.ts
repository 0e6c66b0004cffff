import { StringDecoder } from 'node:string_decoder';
import type { LogLine, LogQuery } from '../agent/task-driver.js';

/** Longest line kept as one entry; longer lines are split into pieces of this size (Docker splits at 16K). */
export const MAX_LINE_CHARS = 16 * 1024;

/**
 * Splits a byte stream into lines (without '\n' or a trailing '\r'). UTF-8 sequences cut between chunks
 * are joined; lines longer than `maxChars` are split. The result does not depend on how input is chunked.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  constructor(private readonly maxChars = MAX_LINE_CHARS) {}

  push(chunk: Buffer | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const out: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.partial += text.slice(start, nl);
      this.emitLong(out);
      out.push(stripCR(this.partial));
      this.partial = '';
      start = nl + 1;
    }
    this.partial += text.slice(start);
    this.emitLong(out);
    return out;
  }

  /** The unterminated last line, if any (at end of stream). */
  flush(): string[] {
    this.partial += this.decoder.end();
    const out: string[] = [];
    this.emitLong(out);
    if (this.partial !== '') out.push(stripCR(this.partial));
    this.partial = '';
    return out;
  }

  private emitLong(out: string[]): void {
    while (this.partial.length > this.maxChars) {
      out.push(this.partial.slice(0, this.maxChars));
      this.partial = this.partial.slice(this.maxChars);
    }
  }
}

function stripCR(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

/** One stored line: a JSON object `{"t":ms,"s":"o"|"e","l":text}` and a newline. */
export function encodeLogLine(line: LogLine): string {
  return JSON.stringify({ t: line.time, s: line.stream === 'stderr' ? 'e' : 'o', l: line.text }) + '\n';
}

/** Parses stored lines; skips malformed records (a torn last line after a crash, …). */
export function parseLogLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const line = parseOne(raw);
    if (line) out.push(line);
  }
  return out;
}

function parseOne(raw: string): LogLine | undefined {
  let rec: unknown;
  try { rec = JSON.parse(raw); } catch { return undefined; }
  if (typeof rec !== 'object' || rec === null) return undefined;
  const { t, s, l } = rec as Record<string, unknown>;
  if (typeof t !== 'number' || typeof l !== 'string' || (s !== 'o' && s !== 'e')) return undefined;
  return { time: t, stream: s === 'e' ? 'stderr' : 'stdout', text: l };
}

/** Applies `since` (keep lines at or after it), then `tail` (last N; undefined or negative = all). */
export function selectLogLines(lines: LogLine[], query: Pick<LogQuery, 'since' | 'tail'>): LogLine[] {
  const { since, tail } = query;
  const recent = since === undefined ? lines : lines.filter((l) => l.time >= since);
  if (tail === undefined || tail < 0) return recent;
  return tail === 0 ? [] : recent.slice(-tail);
}
