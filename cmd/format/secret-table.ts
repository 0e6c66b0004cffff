/** `secret ls` rows (ID NAME DRIVER CREATED UPDATED) and `config ls` rows (ID NAME CREATED UPDATED), as docker prints them. */
import type { Config, Secret } from '../../lib/model/secret-types.js';
import { ago } from './human-duration.js';

export interface SecretRow { ID: string; Name: string; Driver: string; CreatedAt: string; UpdatedAt: string; Labels: string }

export const SECRET_FIELDS: ReadonlyArray<keyof SecretRow> = ['ID', 'Name', 'Driver', 'CreatedAt', 'UpdatedAt', 'Labels'];

export function objectHeader(kind: 'secret' | 'config'): string[] {
  return kind === 'secret' ? ['ID', 'NAME', 'DRIVER', 'CREATED', 'UPDATED'] : ['ID', 'NAME', 'CREATED', 'UPDATED'];
}

export function buildObjectRows(items: Array<Secret | Config>, now: number): SecretRow[] {
  return [...items].sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name)).map((x) => ({
    ID: x.ID,
    Name: x.Spec.Name,
    Driver: (x.Spec as Secret['Spec']).Driver?.Name ?? '',
    CreatedAt: ago(x.CreatedAt, now, true),
    UpdatedAt: ago(x.UpdatedAt, now, true),
    Labels: Object.entries(x.Spec.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
  }));
}

export function objectRowCells(kind: 'secret' | 'config'): (r: SecretRow) => string[] {
  return kind === 'secret' ? (r) => [r.ID, r.Name, r.Driver, r.CreatedAt, r.UpdatedAt] : (r) => [r.ID, r.Name, r.CreatedAt, r.UpdatedAt];
}

/** docker's `secret|config inspect --pretty`. */
export function prettyObject(kind: 'secret' | 'config', x: Secret | Config): string[] {
  const lines = [`ID:              ${x.ID}`, `Name:              ${x.Spec.Name}`];
  const labels = Object.entries(x.Spec.Labels ?? {});
  if (labels.length > 0) lines.push('Labels:', ...labels.map(([k, v]) => ` - ${k}=${v}`));
  if (kind === 'secret') lines.push(`Driver:            ${(x.Spec as Secret['Spec']).Driver?.Name ?? ''}`);
  lines.push(`Created at:        ${x.CreatedAt}`, `Updated at:        ${x.UpdatedAt}`);
  if (kind === 'config') lines.push('Data:', Buffer.from(x.Spec.Data ?? '', 'base64').toString('utf8'));
  return lines;
}
