import { randomBytes } from 'node:crypto';

/** IDs are inputs: components take an IdGenerator. */
export interface IdGenerator { next(): string }

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Swarm-like IDs: 25 lowercase base-36 characters. */
export function randomIds(): IdGenerator {
  // One call to the CSPRNG per 400 IDs instead of one per ID (creating 100,000 tasks at once).
  let pool = Buffer.alloc(0);
  let at = 0;
  return {
    next() {
      if (at + 25 > pool.length) { pool = randomBytes(25 * 400); at = 0; }
      let s = '';
      for (let i = at; i < at + 25; i++) s += ALPHABET[pool[i]! % 36];
      at += 25;
      return s;
    },
  };
}

/** Deterministic IDs for tests: prefix + counter, padded to 25 characters. */
export function sequentialIds(prefix = 'id'): IdGenerator {
  let n = 0;
  return {
    next() {
      n += 1;
      const tail = String(n);
      return (prefix + '0'.repeat(25)).slice(0, 25 - tail.length) + tail;
    },
  };
}

export const ID_PATTERN = /^[0-9a-z]{25}$/;
