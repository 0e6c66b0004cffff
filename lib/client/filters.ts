/** Docker list filters on the wire: URL-encoded JSON `map<key, map<value, true>>`. */
export type Filters = Record<string, string[]>;

export function encodeFilters(filters: Filters): string | undefined {
  const out: Record<string, Record<string, true>> = {};
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    const set: Record<string, true> = {};
    for (const v of values) set[v] = true;
    out[key] = set;
  }
  return Object.keys(out).length === 0 ? undefined : JSON.stringify(out);
}

/** Merges filter sets (values of the same key are concatenated, duplicates dropped). */
export function mergeFilters(...sets: Array<Filters | undefined>): Filters {
  const out: Filters = {};
  for (const set of sets) {
    for (const [key, values] of Object.entries(set ?? {})) {
      const list = out[key] ?? [];
      for (const v of values) if (!list.includes(v)) list.push(v);
      out[key] = list;
    }
  }
  return out;
}
