/**
 * Memory sizes as Docker's --reserve-memory/--limit-memory take them (go-units RAMInBytes):
 * "64MiB", "64m", "64M", "1g", "1GB", "512k", "100b" or a plain number of bytes. All units are binary (1k = 1024).
 */
import { invalid } from '../errors.js';

const SIZE = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;
const MULTIPLIER: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** Parses a memory size to a whole number of bytes; throws invalid_argument naming the field. */
export function parseMemoryBytes(value: string | number, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw bad(String(value), field, 'expected a non-negative whole number of bytes');
    return value;
  }
  if (typeof value !== 'string') throw bad(String(value), field, 'expected bytes or a size like 64MiB, 512m, 1g');
  const m = SIZE.exec(value.trim());
  if (!m) throw bad(value, field, 'expected bytes or a size like 64MiB, 512m, 1g');
  const bytes = Math.floor(Number(m[1]) * (MULTIPLIER[(m[2] ?? '').toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(bytes)) throw bad(value, field, 'size out of range');
  return bytes;
}

function bad(value: string, field: string, problem: string) {
  return invalid(`invalid memory size "${value}" for ${field}: ${problem}`, field);
}
