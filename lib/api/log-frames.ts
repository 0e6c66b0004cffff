import type { LogEntry } from '../manager/control.js';

/** stdcopy stream ids: 1 stdout, 2 stderr, 3 system error (in-band daemon error). */
export type FrameStream = 1 | 2 | 3;

/** One stdcopy frame: `[stream, 0, 0, 0, size(uint32 BE)]` then the payload. */
export function encodeFrame(stream: FrameStream, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const frame = Buffer.allocUnsafe(8 + body.length);
  frame[0] = stream;
  frame[1] = 0; frame[2] = 0; frame[3] = 0;
  frame.writeUInt32BE(body.length, 4);
  body.copy(frame, 8);
  return frame;
}

/** Go's url.QueryEscape: bytes of UTF-8 outside [A-Za-z0-9-_.~] become %XX, space becomes '+'. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
      || b === 0x2d || b === 0x5f || b === 0x2e || b === 0x7e) out += String.fromCharCode(b);
    else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Go's RFC3339NanoFixed in UTC ("2006-01-02T15:04:05.000000000Z"), ms precision zero-padded. */
export function formatLogTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** The `details` attributes of a swarm log line: keys sorted, `k=v` query-escaped, joined by ','. */
export function formatLogDetails(attrs: Record<string, string>): string {
  return Object.keys(attrs).sort()
    .map((k) => `${queryEscape(k)}=${queryEscape(attrs[k] ?? '')}`)
    .join(',');
}

export interface LineFormat { details: boolean; timestamps: boolean }

/**
 * The payloads for one log entry, one per line, each ending in '\n':
 * `[<timestamp> ][<details> ]<text>\n`. A trailing newline in the text is not doubled.
 */
export function formatLogPayloads(entry: LogEntry, format: LineFormat): string[] {
  let prefix = '';
  if (format.timestamps) prefix += formatLogTimestamp(entry.time) + ' ';
  if (format.details) {
    prefix += formatLogDetails({
      'com.docker.swarm.node.id': entry.nodeId,
      'com.docker.swarm.service.id': entry.serviceId,
      'com.docker.swarm.task.id': entry.taskId,
    }) + ' ';
  }
  const text = entry.text.endsWith('\n') ? entry.text.slice(0, -1) : entry.text;
  return text.split('\n').map((line) => `${prefix}${line}\n`);
}
