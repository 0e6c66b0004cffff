import { StringDecoder } from 'node:string_decoder';
import type { LogLine, LogQuery } from '../../agent/task-driver.js';
import { MAX_LINE_CHARS } from '../log-lines.js';
import type { DockerApi } from './docker-api.js';
import { FrameDecoder as StdcopyDecoder } from '../../protocol/log-frames.js';
import type { AbortFanout } from '../../abort-fanout.js';

type Stream = LogLine['stream'];

/** One frame of the engine's multiplexed stream. */
export interface LogFrame { stream: Stream; payload: Buffer }

/**
 * The engine's multiplexed log stream (8-byte header: stream type, three zero bytes, payload
 * length big-endian) as frames, however the bytes are chunked: the client's frame decoder, with
 * stream 2 (and 3, engine errors) read as stderr and 0 and 1 as stdout.
 */
export class FrameDecoder {
  private readonly frames = new StdcopyDecoder();

  push(chunk: Buffer): LogFrame[] {
    return this.frames.push(chunk).map((f) => ({ stream: f.stream >= 2 ? 'stderr' : 'stdout', payload: f.payload }));
  }

  /** Bytes of an incomplete last frame (dropped at the end of the stream). */
  leftover(): number {
    return this.frames.pending;
  }
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/;

/** Milliseconds since the epoch of an RFC 3339 (nano) timestamp; undefined when it is not one. */
export function parseDockerTime(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const ms = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  const t = Date.parse(`${m[1]}.${ms}${m[3]}`);
  return Number.isNaN(t) ? undefined : t;
}

interface Partial { text: string; time: number; decoder: StringDecoder }

/**
 * Turns the engine's timestamped, multiplexed log stream into LogLines. Every message the engine
 * sends starts with its timestamp and a space; a message without a trailing newline is a piece of
 * a longer line (the engine splits lines at 16 KiB) and is joined with the next pieces. The result
 * does not depend on how the input is chunked.
 */
export class DockerLogParser {
  private readonly frames = new FrameDecoder();
  private readonly partial: Record<Stream, Partial>;

  constructor(private readonly now: () => number) {
    const fresh = (): Partial => ({ text: '', time: 0, decoder: new StringDecoder('utf8') });
    this.partial = { stdout: fresh(), stderr: fresh() };
  }

  push(chunk: Buffer): LogLine[] {
    const out: LogLine[] = [];
    for (const frame of this.frames.push(chunk)) this.frame(frame, out);
    return out;
  }

  /** The unterminated last lines, if any (at the end of the stream). */
  flush(): LogLine[] {
    const out: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const p = this.partial[stream];
      p.text += p.decoder.end();
      if (p.text !== '') out.push({ stream, time: p.time, text: stripCR(p.text) });
      p.text = '';
    }
    return out;
  }

  private frame({ stream, payload }: LogFrame, out: LogLine[]): void {
    const space = payload.indexOf(0x20);
    const time = space > 0 ? parseDockerTime(payload.subarray(0, space).toString('latin1')) : undefined;
    const body = time === undefined ? payload : payload.subarray(space + 1);
    const p = this.partial[stream];
    if (p.text === '') p.time = time ?? this.now();
    const text = p.decoder.write(body);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      out.push({ stream, time: p.time, text: stripCR(p.text + text.slice(start, nl)) });
      p.text = '';
      p.time = time ?? this.now();
      start = nl + 1;
    }
    p.text += text.slice(start);
    while (p.text.length > MAX_LINE_CHARS) {
      out.push({ stream, time: p.time, text: p.text.slice(0, MAX_LINE_CHARS) });
      p.text = p.text.slice(MAX_LINE_CHARS);
    }
  }
}

function stripCR(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

/**
 * A container's logs as LogLines: the engine's stream (both streams, timestamps) parsed, `since`
 * applied to the millisecond (the engine only gets whole seconds), `tail` left to the engine (lines
 * after `since` are a suffix of the log, so the two commute). With follow, ends when the container
 * stops or the signal aborts. With `aborts`, the engine request gets a signal of its own, aborted
 * through the fan-out: following many containers with one signal (a service's logs) adds one
 * listener to it, not one per container (Node warns at 11: MaxListenersExceededWarning).
 */
export async function* readContainerLogs(api: DockerApi, containerId: string, query: LogQuery, now: () => number, aborts?: AbortFanout): AsyncGenerator<LogLine> {
  const { signal, since } = query;
  if (signal?.aborted) return;
  let own: AbortController | undefined;
  let unsubscribe: (() => void) | undefined;
  if (signal && aborts) {
    const ac = new AbortController();
    own = ac;
    unsubscribe = aborts.on(signal, () => ac.abort());
  }
  try {
    const requestSignal = own?.signal ?? signal;
    const stream = await api.containerLogs(containerId, {
      follow: query.follow ?? false,
      ...(query.tail !== undefined && query.tail >= 0 ? { tail: query.tail } : {}),
      ...(since !== undefined ? { since: Math.floor(since / 1000) } : {}),
      ...(requestSignal ? { signal: requestSignal } : {}),
    });
    const parser = new DockerLogParser(now);
    const keep = (line: LogLine) => since === undefined || line.time >= since;
    try {
      for await (const chunk of stream) {
        if (signal?.aborted) return;
        for (const line of parser.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))) if (keep(line)) yield line;
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    for (const line of parser.flush()) if (keep(line)) yield line;
  } finally {
    unsubscribe?.();
  }
}
