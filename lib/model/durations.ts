/**
 * Go-style durations ("3s", "1m30s", "500ms", "2.5s", "10us", "1h") as Docker's flags take them.
 * Specs store int nanoseconds; the friendly options also take plain numbers, meaning milliseconds.
 */
import { invalid } from '../errors.js';

export const NS_PER_MS = 1_000_000;

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const TERM = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/** Parses a Go duration string, or a number of milliseconds, to integer nanoseconds (never negative). */
export function parseDuration(value: string | number, field: string): number {
  if (typeof value === 'number') return fromMilliseconds(value, field);
  if (typeof value !== 'string') throw bad(String(value), field, 'expected a string like "3s" or a number of milliseconds');
  const text = value.trim();
  if (text === '0' || text === '+0') return 0;
  if (text === '') throw bad(value, field, 'empty duration');
  if (text.startsWith('-')) throw bad(value, field, 'must not be negative');
  let rest = text.startsWith('+') ? text.slice(1) : text;
  let total = 0;
  while (rest !== '') {
    const m = TERM.exec(rest);
    const [whole, int = '', frac, unit = ''] = m ?? [];
    if (!whole || (int === '' && (frac === undefined || frac === ''))) throw bad(value, field, 'expected a number followed by a unit (ns, us, ms, s, m, h)');
    if (unit === '') throw bad(value, field, 'missing unit (use ns, us, ms, s, m or h, e.g. "500ms", "3s", "1m30s")');
    const scale = UNITS[unit];
    if (scale === undefined) throw bad(value, field, `unknown unit "${unit}" (use ns, us, ms, s, m or h)`);
    total += termNanoseconds(int, frac ?? '', scale);
    rest = rest.slice(whole.length);
  }
  if (!Number.isSafeInteger(total)) throw bad(value, field, 'duration out of range');
  return total;
}

function termNanoseconds(int: string, frac: string, scale: number): number {
  const whole = int === '' ? 0 : Number(int) * scale;
  if (frac === '') return whole;
  const digits = frac.slice(0, 15);
  return whole + Math.round((Number(digits) * scale) / 10 ** digits.length);
}

function fromMilliseconds(ms: number, field: string): number {
  if (!Number.isFinite(ms)) throw bad(String(ms), field, 'expected a finite number of milliseconds');
  if (ms < 0) throw bad(String(ms), field, 'must not be negative');
  const ns = Math.round(ms * NS_PER_MS);
  if (!Number.isSafeInteger(ns)) throw bad(String(ms), field, 'duration out of range');
  return ns;
}

function bad(value: string, field: string, problem: string) {
  return invalid(`invalid duration "${value}" for ${field}: ${problem}`, field);
}

/** Formats nanoseconds exactly as Go's time.Duration.String(): "3s", "1m30s", "1h0m0s", "1.5ms", "0s". */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  const n = Math.round(ns);
  if (n === 0) return '0s';
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  if (abs < 1e3) return `${sign}${abs}ns`;
  if (abs < 1e6) return `${sign}${fraction(abs, 1e3)}µs`;
  if (abs < 1e9) return `${sign}${fraction(abs, 1e6)}ms`;
  const hours = (abs - (abs % 3600e9)) / 3600e9;
  const minutes = ((abs % 3600e9) - (abs % 60e9)) / 60e9;
  const seconds = fraction(abs % 60e9, 1e9);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** value/unit with the fractional digits Go prints (trailing zeros dropped). */
function fraction(value: number, unit: number): string {
  const rest = value % unit;
  const whole = (value - rest) / unit;
  if (rest === 0) return String(whole);
  const width = String(unit).length - 1;
  const digits = String(rest).padStart(width, '0').replace(/0+$/, '');
  return `${whole}.${digits}`;
}
