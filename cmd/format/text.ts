/** Small text helpers shared by the formatters. */

/** Docker's stringid.TruncateID: the first 12 characters. */
export function truncateId(id: string): string {
  return id.length > 12 ? id.slice(0, 12) : id;
}

/** Docker's formatter.Ellipsis: at most `max` code points, the last one `…` when cut. */
export function ellipsis(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 0) return '';
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** Image for display: the digest (`@sha256:…`) dropped. */
export function displayImage(image: string): string {
  const at = image.indexOf('@');
  return at < 0 ? image : image.slice(0, at);
}

/** A string cut into digit and non-digit runs, for sorting many strings naturally (cut once, compared often). */
export type NaturalKey = readonly string[];

export function naturalKey(s: string): NaturalKey {
  return s.match(/(\d+|\D+)/g) ?? [];
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Compares two natural keys (see naturalCompare). */
export function compareNaturalKeys(as: NaturalKey, bs: NaturalKey): number {
  const n = Math.min(as.length, bs.length);
  for (let i = 0; i < n; i++) {
    const x = as[i]!;
    const y = bs[i]!;
    if (x === y) continue;
    if (isDigit(x.charCodeAt(0)) && isDigit(y.charCodeAt(0))) {
      const diff = Number(x) - Number(y);
      if (diff !== 0) return diff < 0 ? -1 : 1;
      return x.length - y.length < 0 ? -1 : 1;
    }
    return x < y ? -1 : 1;
  }
  return as.length - bs.length;
}

/** sortorder.NaturalLess: digit runs compare as numbers ("web.2" < "web.10"). */
export function naturalCompare(a: string, b: string): number {
  return compareNaturalKeys(naturalKey(a), naturalKey(b));
}

/** One JSON object per line with keys sorted, as docker's `--format json` prints them. */
export function jsonLine(obj: Record<string, unknown>): string {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(obj).sort()) sorted[key] = obj[key];
  return JSON.stringify(sorted);
}
