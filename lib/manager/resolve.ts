import { SwarmletError, notFound } from '../errors.js';

/**
 * Docker's reference lookup: full ID, then full name, then a unique ID prefix.
 * `kind` is used in the error texts (`service x not found`, `… is ambiguous (N matches found)`).
 */
export function resolveRef<T>(kind: string, ref: string, items: Iterable<T>, id: (x: T) => string, name: (x: T) => string | undefined): T {
  const all = [...items];
  const byId = all.find((x) => id(x) === ref);
  if (byId) return byId;
  const byName = all.filter((x) => name(x) === ref);
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new SwarmletError('ambiguous', `${kind} ${ref} is ambiguous (${byName.length} matches found)`);
  if (ref.length > 0) {
    const byPrefix = all.filter((x) => id(x).startsWith(ref));
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw new SwarmletError('ambiguous', `${kind} ${ref} is ambiguous (${byPrefix.length} matches found)`);
  }
  throw notFound(kind, ref);
}
