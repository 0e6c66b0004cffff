/** `--since`: a duration before now ("10m"), an RFC 3339 time or Unix seconds → Unix seconds for the API. */
import { parseDuration } from '../lib/model/durations.js';
import { cliError } from './errors.js';

export function parseSince(value: string, now: number): string {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return text;
  if (/^[\d.]+(ns|us|µs|ms|s|m|h)/.test(text)) {
    const ms = parseDuration(text, 'since') / 1e6;
    return String(Math.floor((now - ms) / 1000));
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw cliError(`invalid value for "since": "${value}" (use a duration like 10m, an RFC 3339 time or Unix seconds)`);
  return String(Math.floor(t / 1000));
}
