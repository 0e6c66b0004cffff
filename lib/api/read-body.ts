import type { IncomingMessage } from 'node:http';
import { SwarmletError, invalid } from '../errors.js';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function tooLarge(limit: number): SwarmletError {
  return new SwarmletError('too_large', `request body too large (limit ${limit} bytes)`);
}

/**
 * Reads the whole request body, refusing more than `limit` bytes (413, checked against
 * Content-Length first, then while reading). Extra bytes are drained, not buffered.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => { if (!failed) resolve(Buffer.concat(chunks, size)); });
    req.on('error', (e) => { if (!failed) { failed = true; reject(e); } });
  });
}

/** Reads and parses a JSON body; an empty body gives `undefined`. Malformed JSON → 400. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const raw = (await readBody(req, limit)).toString('utf8');
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw invalid(`invalid JSON body: ${(e as Error).message}`, 'body');
  }
}

/** The body must be a JSON object (not null, an array or a scalar); 400 naming `field` if not. */
export function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = value === undefined ? 'an empty body' : Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
    throw invalid(`${field} must be a JSON object, got ${got}`, field);
  }
  return value as Record<string, unknown>;
}
