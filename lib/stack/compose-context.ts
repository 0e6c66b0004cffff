/**
 * The converter's reading context: typed accessors over the parsed YAML that refuse a wrong type or an
 * unknown key with an invalid_argument naming the file, the key path and the problem.
 */
import { invalid, isSwarmletError, type SwarmletError } from '../errors.js';
import { splitCommandLine } from '../model/command-line.js';
import { parseDuration } from '../model/durations.js';
import { parseMemoryBytes } from '../model/memory-size.js';

export type Obj = Record<string, unknown>;

export const STACK_LABEL = 'com.docker.stack.namespace';

/** The labels given plus the stack namespace label (as docker stack deploy sets on every object). */
export function withStack(stack: string, labels: Record<string, string> | undefined): Record<string, string> {
  return { ...(labels ?? {}), [STACK_LABEL]: stack };
}

export class ComposeContext {
  /** `fileOf(path)`: the file an error at that key path names (with several -c files: the last one that sets it). */
  constructor(readonly fileOf: (path: string) => string) {}
  fail(path: string, problem: string): SwarmletError {
    return invalid(`${this.fileOf(path)}: ${path}: ${problem}`, path);
  }
  /** Refuses keys outside `allowed` (x-* extension keys are ignored, as Compose does). */
  keys(o: Obj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (k.startsWith('x-')) continue;
      if (!allowed.includes(k)) throw this.fail(path ? `${path}.${k}` : k, 'unsupported key');
    }
  }
  obj(v: unknown, path: string): Obj {
    if (v === null || v === undefined) return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw this.fail(path, 'expected a mapping');
    return v as Obj;
  }
  str(v: unknown, path: string): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    throw this.fail(path, 'expected a string');
  }
  int(v: unknown, path: string, min = 0): number {
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) throw this.fail(path, `expected a whole number >= ${min}`);
    return n;
  }
  num(v: unknown, path: string): number {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw this.fail(path, 'expected a non-negative number');
    return n;
  }
  /** true/false, or (what an interpolated `${VAR}` gives) y/yes/true/on, n/no/false/off as the docker CLI casts them. */
  bool(v: unknown, path: string): boolean {
    if (typeof v === 'boolean') return v;
    const s = typeof v === 'string' ? v.toLowerCase() : '';
    if (['y', 'yes', 'true', 'on'].includes(s)) return true;
    if (['n', 'no', 'false', 'off'].includes(s)) return false;
    throw this.fail(path, 'expected true or false');
  }
  oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
    const s = this.str(v, path);
    if (!values.includes(s as T)) throw this.fail(path, `expected one of ${values.join(', ')}`);
    return s as T;
  }
  list(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) throw this.fail(path, 'expected a list');
    return v;
  }
  strList(v: unknown, path: string): string[] {
    return this.list(v, path).map((x, i) => this.str(x, `${path}[${i}]`));
  }
  /** A string (shell-split) or a list of strings. */
  argv(v: unknown, path: string): string[] {
    if (typeof v === 'string') return this.wrap(path, () => splitCommandLine(v, path));
    return this.strList(v, path);
  }
  duration(v: unknown, path: string): number {
    if (typeof v !== 'string') throw this.fail(path, 'expected a duration like "10s"');
    return this.wrap(path, () => parseDuration(v, path));
  }
  bytes(v: unknown, path: string): number {
    return this.wrap(path, () => parseMemoryBytes(v as string | number, path));
  }
  /** Labels as a mapping or a KEY=VALUE list. */
  labels(v: unknown, path: string): Record<string, string> {
    if (Array.isArray(v)) {
      return Object.fromEntries(v.map((x, i) => { const s = this.str(x, `${path}[${i}]`); const eq = s.indexOf('='); return eq < 0 ? [s, ''] : [s.slice(0, eq), s.slice(eq + 1)]; }));
    }
    return Object.fromEntries(Object.entries(this.obj(v, path)).map(([k, x]) => [k, x === null ? '' : this.str(x, `${path}.${k}`)]));
  }
  /** `external: true` or `external: { name: … }` (the legacy form). */
  external(v: unknown, path: string): boolean {
    if (v === undefined) return false;
    if (typeof v === 'boolean') return v;
    const o = this.obj(v, path);
    this.keys(o, path, ['name']);
    return true;
  }
  wrap<T>(path: string, fn: () => T): T {
    try { return fn(); } catch (e) {
      if (isSwarmletError(e)) throw this.fail(path, e.message);
      throw e;
    }
  }
}
