/**
 * `${VAR}` interpolation of a parsed Compose file, as the docker CLI does it for `docker stack deploy`
 * (cli/compose/template): `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
 * `${VAR:?err}` (unset or empty: error), `${VAR?err}` (unset: error), `$$` for a literal `$`. Only values
 * are interpolated, never keys; a default is taken literally (no nesting); an unset variable without a
 * default is the empty string. The variables come from the caller (the CLI's environment: like docker
 * stack deploy, no `.env` file is read). Docker's quirks are kept: the operator is found by searching
 * `:-`, `-`, `:?`, `?` in that order, and the unbraced form also takes an operator (`$A-x`).
 */
export type Lookup = (name: string) => string | undefined;

const SUBST = '[_a-z][_a-z0-9]*(?::?[-?][^}]*)?';
const PATTERN = new RegExp(`\\$(?:(\\$)|(${SUBST})|\\{(${SUBST})\\}|())`, 'gi');

export class InterpolationError extends Error {}

function partition(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return [s.slice(0, i), s.slice(i + sep.length)];
}

function resolve(sub: string, lookup: Lookup): string {
  if (sub.includes(':-')) { const [name, def] = partition(sub, ':-'); const v = lookup(name); return v ? v : def; }
  if (sub.includes('-')) { const [name, def] = partition(sub, '-'); return lookup(name) ?? def; }
  if (sub.includes(':?')) {
    const [name, msg] = partition(sub, ':?');
    const v = lookup(name);
    if (!v) throw new InterpolationError(`required variable ${name} is missing a value: ${msg}`);
    return v;
  }
  if (sub.includes('?')) {
    const [name, msg] = partition(sub, '?');
    const v = lookup(name);
    if (v === undefined) throw new InterpolationError(`required variable ${name} is missing a value: ${msg}`);
    return v;
  }
  return lookup(sub) ?? '';
}

/** Substitutes one string; throws InterpolationError (a required variable, or a `$` that starts nothing valid). */
export function substitute(template: string, lookup: Lookup): string {
  return template.replace(PATTERN, (_m, escaped?: string, named?: string, braced?: string) => {
    if (escaped) return '$';
    const sub = named || braced;
    if (!sub) throw new InterpolationError(`invalid interpolation format "${template}"; you may need to escape any $ with another $`);
    return resolve(sub, lookup);
  });
}

/**
 * Returns a copy of `doc` with every string value interpolated. `fail(path, problem)` builds the error
 * (path as the converter names keys: `services.a.environment[0]`).
 */
export function interpolate(doc: unknown, lookup: Lookup, fail: (path: string, problem: string) => Error, path = ''): unknown {
  if (typeof doc === 'string') {
    if (!doc.includes('$')) return doc;
    try { return substitute(doc, lookup); } catch (e) {
      if (e instanceof InterpolationError) throw fail(path || '(top level)', e.message);
      throw e;
    }
  }
  if (Array.isArray(doc)) return doc.map((x, i) => interpolate(x, lookup, fail, `${path}[${i}]`));
  if (doc && typeof doc === 'object') {
    return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, interpolate(v, lookup, fail, path ? `${path}.${k}` : k)]));
  }
  return doc;
}
