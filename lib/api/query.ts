import { invalid } from '../errors.js';

/** moby's httputils.BoolValue: '', '0', 'no', 'false', 'none' (any case, trimmed) are false. */
export function boolValue(raw: string | null | undefined): boolean {
  const s = (raw ?? '').trim().toLowerCase();
  return !(s === '' || s === '0' || s === 'no' || s === 'false' || s === 'none');
}

/**
 * The `version` query parameter of an update, parsed like Go's strconv.ParseUint(v, 10, 64).
 * `kind` names the object in the message: `invalid service version '': …`.
 */
export function parseObjectVersion(raw: string | null, kind: string): number {
  const v = raw ?? '';
  if (!/^[0-9]+$/.test(v)) {
    throw invalid(`invalid ${kind} version '${v}': strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`, 'version');
  }
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    throw invalid(`invalid ${kind} version '${v}': strconv.ParseUint: parsing ${JSON.stringify(v)}: value out of range`, 'version');
  }
  return n;
}

/** Compares two dotted API versions ("1.41" < "1.42" < "1.100"); missing parts count as 0. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number(x) || 0);
  const pb = b.split('.').map((x) => Number(x) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
