import { invalid } from '../errors.js';
import type { LogQuery } from '../agent/task-driver.js';
import { boolValue } from './query.js';

/** The query of `GET /services/{id}/logs` and `GET /tasks/{id}/logs`, validated. */
export interface LogParams {
  stdout: boolean;
  stderr: boolean;
  details: boolean;
  timestamps: boolean;
  follow: boolean;
  /** Last N lines per task; undefined = all. */
  tail: number | undefined;
  /** Milliseconds since the epoch; undefined = from the beginning. */
  since: number | undefined;
}

export function parseLogParams(q: URLSearchParams): LogParams {
  const stdout = boolValue(q.get('stdout'));
  const stderr = boolValue(q.get('stderr'));
  if (!stdout && !stderr) throw invalid('Bad parameters: you must choose at least one stream', 'stdout');
  return {
    stdout, stderr,
    details: boolValue(q.get('details')),
    timestamps: boolValue(q.get('timestamps')),
    follow: boolValue(q.get('follow')),
    tail: parseTail(q.get('tail')),
    since: parseSince(q.get('since')),
  };
}

/** `all`/'' → undefined; otherwise a non-negative integer (moby's texts). */
export function parseTail(raw: string | null): number | undefined {
  const v = (raw ?? '').trim();
  if (v === '' || v === 'all') return undefined;
  if (!/^[+-]?[0-9]+$/.test(v)) throw invalid('tail value must be a positive integer or "all"', 'tail');
  const n = Number(v);
  if (n < 0) throw invalid('negative tail values not supported', 'tail');
  return n;
}

/** Unix seconds, optionally `sec.frac` (fraction of a second, as moby's ParseTimestamps) → ms. */
export function parseSince(raw: string | null): number | undefined {
  const v = (raw ?? '').trim();
  if (v === '') return undefined;
  const m = /^(-?[0-9]+)(?:\.([0-9]+))?$/.exec(v);
  if (!m) throw invalid(`could not parse since timestamp: invalid value '${v}' (want Unix seconds[.nanoseconds])`, 'since');
  // Like Go's time.Unix(s, n): the fraction is added to the seconds, also when they are negative.
  const ms = Number(((m[2] ?? '') + '000').slice(0, 3));
  return Number(m[1]) * 1000 + ms;
}

export function toLogQuery(p: LogParams, signal: AbortSignal): LogQuery {
  const q: LogQuery = { follow: p.follow, signal };
  if (p.tail !== undefined) q.tail = p.tail;
  if (p.since !== undefined) q.since = p.since;
  return q;
}
