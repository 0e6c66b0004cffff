import type { JournalOp } from './journal.js';

/**
 * Tasks carry a copy of their service's TaskSpec; thousands of tasks share the same one. On disk
 * each distinct spec is written once and tasks point at it (`"Spec": {"$spec": n}`); loaded
 * tasks share one spec object (stored objects are never mutated).
 */

/** A journal record with shared specs: `s` the specs, `o` the ops. */
export interface InternedRecord {
  s?: unknown[];
  o: JournalOp[];
}

function taskSpecOf(obj: unknown): object | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const o = obj as { ServiceID?: unknown; Spec?: unknown };
  return typeof o.ServiceID === 'string' && typeof o.Spec === 'object' && o.Spec !== null ? o.Spec : undefined;
}

export class SpecInterner {
  private readonly byKey = new Map<string, number>();
  private readonly byObject = new WeakMap<object, number>();
  private readonly list: unknown[] = [];

  get size(): number { return this.list.length; }
  spec(n: number): unknown { return this.list[n]; }
  specs(): unknown[] { return this.list; }

  /** The object to write: a task with its Spec replaced by a reference; anything else unchanged. */
  intern(obj: unknown): unknown {
    const spec = taskSpecOf(obj);
    if (!spec) return obj;
    let n = this.byObject.get(spec);
    if (n === undefined) {
      const key = JSON.stringify(spec);
      n = this.byKey.get(key);
      if (n === undefined) {
        n = this.list.length;
        this.list.push(spec);
        this.byKey.set(key, n);
      }
      this.byObject.set(spec, n);
    }
    return { ...(obj as object), Spec: { $spec: n } };
  }
}

/** The object with a `{"$spec": n}` Spec replaced by the shared spec. */
export function resolveSpecs(obj: unknown, specs: ReadonlyMap<number, unknown>): unknown {
  if (typeof obj !== 'object' || obj === null) return obj;
  const ref = (obj as { Spec?: { $spec?: unknown } }).Spec?.$spec;
  if (typeof ref !== 'number') return obj;
  const spec = specs.get(ref);
  if (spec === undefined) throw new Error(`journal: unknown shared spec ${ref}`);
  (obj as { Spec: unknown }).Spec = spec;
  return obj;
}
