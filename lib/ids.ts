import { randomBytes } from 'node:crypto';

/** IDs are inputs: components take an IdGenerator. */
export interface IdGenerator { next(): string }

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Swarm-like IDs: 25 lowercase base-36 characters. */
export function randomIds(): IdGenerator {
  return {
    next() {
      const bytes = randomBytes(25);
      let s = '';
      for (const b of bytes) s += ALPHABET[b % 36];
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
