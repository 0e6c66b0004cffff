/**
 * `--secret`/`--config` values (docker's opts/secret.go and opts/config.go): `NAME`, or CSV fields
 * `source=NAME,target=FILE,uid=0,gid=0,mode=0400`. The reference carries the name only; the manager
 * fills in the ID. Without `mode` the file gets 0400 (docker's CLI would send 0444).
 */
import { invalid } from '../errors.js';
import type { ConfigReference, FileTarget, SecretReference } from './secret-types.js';

function parseFields(kind: 'secret' | 'config', value: string, field: string): { source: string; file: FileTarget } {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(`invalid ${kind} reference: empty value`, field);
  if (!value.includes('=')) return { source: value, file: { Name: value } };
  let source = '';
  const file: FileTarget = { Name: '' };
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw invalid(`invalid field '${part}' must be a key=value pair`, field);
    const key = part.slice(0, eq).trim().toLowerCase();
    const v = part.slice(eq + 1).trim();
    if (key === 'source' || key === 'src') source = v;
    else if (key === 'target') file.Name = v;
    else if (key === 'uid') file.UID = v;
    else if (key === 'gid') file.GID = v;
    else if (key === 'mode') {
      if (!/^[0-7]{1,4}$/.test(v)) throw invalid(`invalid mode specified: ${v} (expected octal, e.g. 0400)`, field);
      file.Mode = parseInt(v, 8);
    } else throw invalid(`invalid field in ${kind} request: ${key}`, field);
  }
  if (!source) throw invalid('source is required', field);
  if (!file.Name) file.Name = source;
  return { source, file };
}

export function parseSecretRef(value: string, field = 'secrets'): SecretReference {
  const { source, file } = parseFields('secret', value, field);
  return { File: file, SecretID: '', SecretName: source };
}

export function parseConfigRef(value: string, field = 'configs'): ConfigReference {
  const { source, file } = parseFields('config', value, field);
  return { File: file, ConfigID: '', ConfigName: source };
}

/** `--secret-rm`/`--config-rm` (docker: by source name): the references left. */
export function removeRefs<T extends SecretReference | ConfigReference>(refs: T[], names: string[] | undefined): T[] {
  const drop = new Set(names ?? []);
  return refs.filter((r) => !drop.has('SecretName' in r ? r.SecretName : r.ConfigName));
}
