import { StringDecoder } from 'node:string_decoder';

/**
 * The lines of a newline-delimited stream (NDJSON bodies: node sessions, endpoint tables, events,
 * log uploads), one batch per chunk read so a consumer can hold back the next read. Lines are
 * trimmed, blank ones skipped; UTF-8 characters cut between chunks are joined; an unterminated
 * last line is yielded at the end.
 */
export async function* ndjsonLines(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of body) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    const nl = pending.lastIndexOf('\n');
    if (nl < 0) continue;
    const lines = pending.slice(0, nl).split('\n').map((l) => l.trim()).filter((l) => l !== '');
    pending = pending.slice(nl + 1);
    if (lines.length > 0) yield lines;
  }
  const last = (pending + decoder.end()).trim();
  if (last !== '') yield [last];
}
