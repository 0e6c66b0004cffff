/**
 * Several Compose files merged as `docker stack deploy -c a.yml -c b.yml` does (docker/cli
 * cli/compose/loader/merge.go, checked against docker 28): later files override. Top-level networks,
 * volumes, secrets and configs are replaced whole per key; services are merged per key:
 * - environment and labels (list or mapping) merged per variable/label (a null value keeps the earlier one);
 * - networks merged per network; deploy, healthcheck and other mappings merged recursively;
 * - secrets and configs merged by source, volumes by target (sorted as docker sends them);
 * - ports merged by published port (ranges expanded first). Docker keys every unpublished port on 0, so
 *   a later file keeps only one of them; swarmlet keys those on target/protocol instead and keeps them all;
 * - anything else (image, command, entrypoint, lists of strings…) replaced.
 * Works on the parsed (and interpolated) YAML, before conversion.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export function mergeComposeFiles(docs: unknown[]): unknown {
  return docs.reduce((base, over) => (isObj(base) && isObj(over) ? mergeTop(base, over) : over ?? base));
}

function mergeTop(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === 'services' && isObj(v) && isObj(base.services)) {
      const services: Obj = { ...base.services };
      for (const [name, s] of Object.entries(v)) services[name] = isObj(services[name]) && isObj(s) ? mergeService(services[name] as Obj, s) : s;
      out.services = services;
    } else if (['networks', 'volumes', 'secrets', 'configs'].includes(k) && isObj(v) && isObj(base[k])) {
      out[k] = { ...(base[k] as Obj), ...v };
    } else if (v !== null && v !== undefined) {
      out[k] = v;
    }
  }
  return out;
}

/** `[A=1, B]` or `{A: 1, B: null}` as a mapping. */
function asMap(v: unknown): Obj | undefined {
  if (isObj(v)) return v;
  if (!Array.isArray(v)) return undefined;
  return Object.fromEntries(v.map((x) => {
    const s = String(x);
    const eq = s.indexOf('=');
    return eq < 0 ? [s, null] : [s.slice(0, eq), s.slice(eq + 1)];
  }));
}

function mergeMaps(base: unknown, over: unknown): unknown {
  const b = asMap(base);
  const o = asMap(over);
  if (!b || !o) return over;
  const out: Obj = { ...b };
  for (const [k, v] of Object.entries(o)) if (v !== null || !(k in out)) out[k] = v;
  return out;
}

function mergeDeep(base: unknown, over: unknown): unknown {
  if (over === null || over === undefined) return base;
  if (!isObj(base) || !isObj(over)) return over;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k === 'labels' ? mergeMaps(out[k], v) : mergeDeep(out[k], v);
  return out;
}

function networksMap(v: unknown): Obj | undefined {
  if (Array.isArray(v)) return Object.fromEntries(v.map((n) => [String(n), null]));
  return isObj(v) ? v : undefined;
}

/** Merges two lists by a key; entries of `over` replace those of `base` with the same key; sorted by key when `sort`. */
function mergeByKey(base: unknown, over: unknown, key: (x: unknown) => string, sort: boolean): unknown {
  if (!Array.isArray(base) || !Array.isArray(over)) return over;
  const m = new Map<string, unknown>();
  for (const x of [...base, ...over]) m.set(key(x), x);
  const entries = [...m.entries()];
  if (sort) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.map(([, x]) => x);
}

const sourceKey = (x: unknown) => (isObj(x) ? String(x.source) : String(x));

/** The target of a short (`src:/target:ro`, `/target`) or long volume entry. */
function volumeTarget(x: unknown): string {
  if (isObj(x)) return String(x.target);
  const parts = String(x).split(':');
  return parts.length === 1 ? parts[0]! : parts[1]!;
}

/** Expands short port ranges (`9420-9421:7000-7001/udp`) into one entry per port, so each can be merged on its own. */
function expandPorts(v: unknown): unknown[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((x) => {
    if (typeof x !== 'string') return [x];
    const m = /^(?:(\d+)-(\d+):)?(\d+)-(\d+)(\/\w+)?$/.exec(x);
    if (!m) return [x];
    const [, pLo, pHi, tLo, tHi, proto = ''] = m;
    const n = Number(tHi) - Number(tLo);
    if (n < 0 || (pLo !== undefined && Number(pHi) - Number(pLo) !== n)) return [x];
    return Array.from({ length: n + 1 }, (_, k) => `${pLo !== undefined ? `${Number(pLo) + k}:` : ''}${Number(tLo) + k}${proto}`);
  });
}

function portKey(x: unknown): string {
  if (isObj(x)) return x.published !== undefined && x.published !== null ? `p${String(x.published)}` : `t${String(x.target)}/${String(x.protocol ?? 'tcp')}`;
  if (typeof x === 'number') return `t${x}/tcp`;
  const [spec = '', proto = 'tcp'] = String(x).split('/');
  const parts = spec.split(':');
  return parts.length >= 2 ? `p${parts[parts.length - 2]}` : `t${parts[0]}/${proto}`;
}

function mergeService(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null || v === undefined) continue;
    switch (k) {
      case 'environment': case 'labels': out[k] = mergeMaps(out[k], v); break;
      case 'networks': { const b = networksMap(out[k]); const o = networksMap(v); out[k] = b && o ? mergeMaps(b, o) : v; break; }
      case 'secrets': case 'configs': out[k] = mergeByKey(out[k], v, sourceKey, true); break;
      case 'volumes': out[k] = mergeByKey(out[k], v, volumeTarget, true); break;
      case 'ports': out[k] = Array.isArray(out[k]) ? mergeByKey(expandPorts(out[k]), expandPorts(v), portKey, false) : v; break;
      default: out[k] = isObj(out[k]) && isObj(v) ? mergeDeep(out[k], v) : v;
    }
  }
  return out;
}
