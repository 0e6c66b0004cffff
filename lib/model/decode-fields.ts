/**
 * JSON as the Docker daemon decodes it (Go's encoding/json into moby's structs): member names match a
 * struct field case-insensitively and are stored under the field's canonical name, members the struct
 * does not have are dropped, and null is "absent". Types are not checked here: a value of the wrong
 * type is kept as sent, so the schema that runs next names the field in its error.
 */

/**
 * The fields of one JSON value: 0 for a scalar (or an array of scalars), an object of canonical field
 * name → tree for a struct (arrays of structs use the struct's tree), `{ '*': tree }` for a map whose
 * keys are data (Labels, Options) and are kept as sent.
 */
export type FieldTree = 0 | { [field: string]: FieldTree };

/** Decodes `value` against `tree`; the input is never changed. */
export function decodeFields(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === null ? v : decodeFields(v, tree)));
  if (tree === 0 || value === null || typeof value !== 'object') return value;
  const input = value as Record<string, unknown>;
  const map = tree['*'];
  const out: Record<string, unknown> = {};
  if (map !== undefined) {
    for (const [k, v] of Object.entries(input)) if (v !== null) out[k] = decodeFields(v, map);
    return out;
  }
  const fields = Object.keys(tree);
  for (const [k, v] of Object.entries(input)) {
    // Go prefers an exact match, then any case-insensitive one; a later member overwrites an earlier one.
    const field = Object.hasOwn(tree, k) ? k : fields.find((f) => f.toLowerCase() === k.toLowerCase());
    if (field === undefined) continue;
    if (v === null) delete out[field];
    else out[field] = decodeFields(v, tree[field]!);
  }
  return out;
}
