import { invalid } from '../errors.js';
import type { Filters } from '../manager/control.js';

/**
 * The `filters` query parameter: URL-decoded JSON, either `{"key":{"value":true}}` (current
 * clients) or `{"key":["value"]}` (API < 1.22). Like moby's filters.FromJSON, map values give
 * their keys (the booleans are ignored). Keys with no values are dropped. Absent/empty → {}.
 */
export function parseFilters(raw: string | null | undefined): Filters {
  if (raw === null || raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw invalid(`invalid filter: ${(e as Error).message}`, 'filters');
  }
  if (!isPlainObject(parsed)) throw invalid('invalid filter: filters must be a JSON object', 'filters');
  const out: Filters = {};
  for (const [key, value] of Object.entries(parsed)) {
    const values = filterValues(key, value);
    if (values.length > 0) out[key] = values;
  }
  return out;
}

function filterValues(key: string, value: unknown): string[] {
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'string')) {
      throw invalid(`invalid filter: values of '${key}' must be strings`, `filters.${key}`);
    }
    return [...new Set(value as string[])];
  }
  if (isPlainObject(value)) return Object.keys(value);
  throw invalid(`invalid filter: '${key}' must map to an object or an array of strings`, `filters.${key}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
