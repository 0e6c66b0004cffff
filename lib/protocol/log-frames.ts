/**
 * Docker log streams: 8-byte multiplexed ("stdcopy") frames `[stream,0,0,0,size BE]` + payload,
 * one log line per frame; with `details=1` each line starts with `k=v,…` details
 * (and with `timestamps=1`, an RFC 3339 timestamp before them). The wire format of `service logs`
 * as the API client reads it, and of a Docker engine's logs as the docker driver reads them.
 */
import { SwarmletError } from '../errors.js';

export interface LogFrame {
  /** 0 stdin, 1 stdout, 2 stderr, 3 in-band error from the daemon. */
  stream: number;
  payload: Buffer;
}

/** Incremental frame decoder: push chunks, get back the frames completed so far. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): LogFrame[] {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const frames: LogFrame[] = [];
    while (this.buffer.length >= 8) {
      const size = this.buffer.readUInt32BE(4);
      if (this.buffer.length < 8 + size) break;
      const stream = this.buffer[0] ?? 0;
      frames.push({ stream, payload: this.buffer.subarray(8, 8 + size) });
      this.buffer = this.buffer.subarray(8 + size);
    }
    return frames;
  }

  /** Bytes of an incomplete frame left at the end of the stream. */
  get pending(): number {
    return this.buffer.length;
  }
}

/** Encodes one frame (used by test fakes and servers). */
export function encodeFrame(stream: number, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** One log line as decoded from the wire (the daemon's timestamp text kept as sent); the library's clients yield LogRecord. */
export interface WireLogLine {
  stream: 'stdout' | 'stderr';
  /** The daemon's timestamp, when asked for (`timestamps`). */
  time?: string;
  text: string;
  taskId: string;
  serviceId: string;
  nodeId: string;
  /** Details other than the swarm IDs (user log labels …). */
  extra?: Record<string, string>;
}

export interface LineLayout {
  details: boolean;
  timestamps: boolean;
}

const NODE_KEY = 'com.docker.swarm.node.id';
const SERVICE_KEY = 'com.docker.swarm.service.id';
const TASK_KEY = 'com.docker.swarm.task.id';

/** Parses `k=v,k=v` details (keys and values query-escaped, `+` is a space). */
export function parseDetails(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === '') return out;
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new SwarmletError('internal', `invalid details format in log line: ${text}`);
    out[unescape(pair.slice(0, eq))] = unescape(pair.slice(eq + 1));
  }
  return out;
}

function unescape(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function cutSpace(s: string): [string, string] {
  const i = s.indexOf(' ');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** How the docker CLI words an error frame (stream 3) of a log stream. */
export const DAEMON_STREAM_ERROR = 'error from daemon in stream:';

/** Turns one frame into a record; stream 3 (daemon error) throws. */
export function decodeLogFrame(frame: LogFrame, layout: LineLayout): WireLogLine {
  const line = frame.payload.toString('utf8').replace(/\r?\n$/, '');
  if (frame.stream === 3) throw new SwarmletError('internal', `${DAEMON_STREAM_ERROR} ${line}`);
  let rest = line;
  let time: string | undefined;
  if (layout.timestamps) [time, rest] = cutSpace(rest);
  const record: WireLogLine = { stream: frame.stream === 2 ? 'stderr' : 'stdout', text: rest, taskId: '', serviceId: '', nodeId: '' };
  if (time !== undefined) record.time = time;
  if (!layout.details) return record;
  const [detailText, text] = cutSpace(rest);
  const details = parseDetails(detailText);
  record.text = text;
  record.nodeId = details[NODE_KEY] ?? '';
  record.serviceId = details[SERVICE_KEY] ?? '';
  record.taskId = details[TASK_KEY] ?? '';
  const extra = Object.fromEntries(Object.entries(details).filter(([k]) => ![NODE_KEY, SERVICE_KEY, TASK_KEY].includes(k)));
  if (Object.keys(extra).length > 0) record.extra = extra;
  return record;
}

/** Decodes a whole byte stream into records. */
export async function* decodeLogStream(chunks: AsyncIterable<Uint8Array>, layout: LineLayout): AsyncGenerator<WireLogLine> {
  const decoder = new FrameDecoder();
  for await (const chunk of chunks) {
    for (const frame of decoder.push(chunk)) yield decodeLogFrame(frame, layout);
  }
}
