import type { z } from 'zod';
import { invalid, type SwarmletError } from '../errors.js';

/**
 * Parses a message that crossed a process boundary against its schema. Returns the parsed value
 * (unknown fields stripped) or throws a SwarmletError (400 over the API) whose message and field
 * name the first offending field: `invalid NodeReport: Resources.NanoCPUs: expected number, got string`.
 */
export function parseWire<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value, { error: describeIssue });
  if (!parsed.success) throw wireError(what, parsed.error.issues[0]);
  return parsed.data;
}

export type WireCheck<T> = { ok: true; value: T } | { ok: false; error: SwarmletError };

/** As parseWire, but the error is returned (for receivers that log and skip a bad message). */
export function checkWire<S extends z.ZodType>(schema: S, value: unknown, what: string): WireCheck<z.output<S>> {
  const parsed = schema.safeParse(value, { error: describeIssue });
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: wireError(what, parsed.error.issues[0]) };
}

function wireError(what: string, issue: z.core.$ZodIssue | undefined): SwarmletError {
  const path = formatPath(issue?.path ?? []);
  return invalid(`invalid ${what}: ${path || 'body'}: ${issue?.message ?? 'invalid value'}`, path || what);
}

function describeIssue(issue: { code: string; expected?: unknown; input?: unknown }): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  const got = issue.input === undefined ? 'nothing' : issue.input === null ? 'null' : Array.isArray(issue.input) ? 'an array' : typeof issue.input;
  return `expected ${String(issue.expected)}, got ${got}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), '');
}
