/**
 * Event times as exact nanoseconds (bigint): parsing `since`/`until` (Unix seconds with up to 9
 * decimals as docker sends them, RFC 3339, or a Go duration before now like docker's CLI) and
 * printing them (`sec.nanos` for queries, RFC 3339 with 9 decimals for display).
 */
import { invalid } from '../errors.js';
import { parseDuration } from '../model/durations.js';

const NS_PER_S = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;

export type EventTimeInput = string | number | bigint | Date;

/**
 * A time given as Unix seconds ("1700000000", "1700000000.5", a number), an RFC 3339 time, a Go
 * duration meaning that long before `nowMs` ("10m"), a Date, or a bigint of nanoseconds.
 */
export function parseEventTime(value: EventTimeInput, field: string, nowMs: number): bigint {
  if (typeof value === 'bigint') return value;
  if (value instanceof Date) return BigInt(value.getTime()) * NS_PER_MS;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(`invalid ${field} time: ${value}`, field);
    return parseEventTime(value.toFixed(9), field, nowMs);
  }
  const text = value.trim();
  const unix = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (unix) return BigInt(unix[1]!) * NS_PER_S + (unix[1]!.startsWith('-') ? -1n : 1n) * BigInt((unix[2] ?? '').padEnd(9, '0') || '0');
  if (/^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)/.test(text)) {
    return BigInt(nowMs) * NS_PER_MS - BigInt(Math.round(parseDurationOrThrow(text, field)));
  }
  const rfc = parseRfc3339(text);
  if (rfc !== undefined) return rfc;
  throw invalid(
    `invalid ${field} time "${value}": use Unix seconds (1700000000 or 1700000000.123456789), an RFC 3339 time or a duration like 10m`,
    field,
  );
}

function parseDurationOrThrow(text: string, field: string): number {
  try {
    return parseDuration(text, field);
  } catch {
    throw invalid(`invalid ${field} time "${text}": not a valid duration`, field);
  }
}

/** RFC 3339 (fractional seconds kept to the nanosecond); without a zone it is local time, like docker. */
function parseRfc3339(text: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  if (!m) return undefined;
  const base = m[1]!.replace(' ', 'T');
  const zone = m[3] ?? '';
  const hasTime = base.includes('T');
  const ms = Date.parse(hasTime && zone === '' ? base : `${hasTime ? base : `${base}T00:00:00`}${zone === '' ? '' : zone.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * NS_PER_MS + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

/** `1700000000.123456789`: what docker's CLI sends as `since`/`until`. */
export function formatUnixNanos(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  return `${neg ? '-' : ''}${abs / NS_PER_S}.${(abs % NS_PER_S).toString().padStart(9, '0')}`;
}

/** `2026-11-27T07:20:00.000000000Z`: docker's RFC3339NanoFixed, in UTC. */
export function formatRfc3339Nano(ns: bigint): string {
  const sec = floorSeconds(ns);
  const frac = ns - sec * NS_PER_S;
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`;
}

function floorSeconds(ns: bigint): bigint {
  return ns >= 0n ? ns / NS_PER_S : -((-ns + NS_PER_S - 1n) / NS_PER_S);
}

/** Nanoseconds of a millisecond clock reading. */
export function nanosOfMs(ms: number): bigint {
  return BigInt(Math.floor(ms)) * NS_PER_MS;
}

/** Whole Unix seconds of a nanosecond time. */
export function secondsOf(ns: bigint): number {
  return Number(floorSeconds(ns));
}
