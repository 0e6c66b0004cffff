/** Option value parsers for commander (they throw InvalidArgumentError with docker-like texts). */
import { InvalidArgumentError } from 'commander';
import type { Filters } from '../lib/client/filters.js';
import { parseDuration } from '../lib/model/durations.js';

/** Repeatable option: `-e A=1 -e B=2` → ['A=1', 'B=2']. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`"${value}" is not a non-negative integer.`);
  return Number(value.trim());
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a non-negative number.`);
  return n;
}

/** A Go duration ("3s", "1m30s", "500ms") checked now, passed on as the string. */
export function duration(value: string): string {
  try {
    parseDuration(value, 'duration');
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return value;
}

export function oneOf<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`"${value}" is not one of ${allowed.join(', ')}.`);
    }
    return value as T;
  };
}

/** `--filter key=value` (repeatable) → Filters. */
export function parseFilterArgs(values: string[] | undefined): Filters {
  const filters: Filters = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`bad format of filter (expected name=value): ${v}`);
    const key = v.slice(0, eq).trim().toLowerCase();
    (filters[key] ??= []).push(v.slice(eq + 1).trim());
  }
  return filters;
}

/** Milliseconds of a `--timeout` duration, or undefined when not given. */
export function timeoutMs(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseDuration(value, 'timeout') / 1e6;
}
