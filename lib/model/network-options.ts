/** `--network` values (docker's opts/network.go): `NAME` or `name=NAME,alias=A,alias=B,driver-opt=k=v`. */
import { invalid } from '../errors.js';
import type { NetworkAttachment } from './network-types.js';

export function parseNetworkAttachment(value: string, field = 'networks'): NetworkAttachment {
  if (typeof value !== 'string' || value.trim() === '') throw invalid('invalid network: empty value', field);
  if (!value.includes('=')) return { Target: value };
  const out: NetworkAttachment = { Target: '' };
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw invalid(`invalid field '${part}' must be a key=value pair`, field);
    const key = part.slice(0, eq).trim().toLowerCase();
    const v = part.slice(eq + 1).trim();
    if (key === 'name' || key === 'target') out.Target = v;
    else if (key === 'alias') (out.Aliases ??= []).push(v);
    else if (key === 'driver-opt') {
      const i = v.indexOf('=');
      if (i <= 0) throw invalid(`invalid driver-opt '${v}': expected key=value`, field);
      (out.DriverOpts ??= {})[v.slice(0, i)] = v.slice(i + 1);
    } else throw invalid(`invalid field key ${key}`, field);
  }
  if (!out.Target) throw invalid('network name/id is not specified', field);
  return out;
}

/** `--network-rm`: attachments whose Target is none of `refs` (names or IDs, as the caller resolved them). */
export function removeAttachments(list: NetworkAttachment[], refs: string[] | undefined): NetworkAttachment[] {
  const drop = new Set(refs ?? []);
  return list.filter((a) => !drop.has(a.Target));
}
