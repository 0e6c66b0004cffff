/**
 * The secret and config files of one task: which content a node needs (only for the tasks it is
 * about to start), and the files a driver writes from it. Content travels as base64 in the node's
 * session and is never logged.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SwarmletError } from '../errors.js';
import { stateRank, isTerminal } from '../model/task-state.js';
import type { Task } from '../model/types.js';
import type { ContentPayload } from '../protocol/session.js';
import type { ObjectKindName } from './object-spec.js';
import { configRefs, fileBaseName, secretRefs } from './service-refs.js';

/** One file of a task: `name` is its name in the process driver's directory, `target` the full target. */
export interface TaskFile { source: string; name: string; target: string; data: Buffer; mode: number; uid?: string; gid?: string }

export interface TaskFiles {
  secrets: TaskFile[];
  configs: TaskFile[];
}


export type ContentLookup = (kind: ObjectKindName, id: string) => Buffer | undefined;

/** Default file mode when the reference gives none (docker's CLI always sends 0444). */
export const DEFAULT_FILE_MODE = 0o400;

/** A task whose content its node needs: desired running and not started yet. */
export function awaitsStart(t: Task): boolean {
  return t.DesiredState === 'running' && !isTerminal(t.Status.State) && stateRank(t.Status.State) < stateRank('running');
}

/** The IDs of every secret and config that these tasks reference. */
export function referencedIds(tasks: Iterable<Task>): { secrets: Set<string>; configs: Set<string> } {
  const secrets = new Set<string>();
  const configs = new Set<string>();
  for (const t of tasks) {
    const spec = { TaskTemplate: t.Spec };
    for (const r of secretRefs(spec)) secrets.add(r.SecretID);
    for (const r of configRefs(spec)) configs.add(r.ConfigID);
  }
  return { secrets, configs };
}

/** The content payloads a node gets: what its tasks awaiting start reference, nothing else. */
export function payloadsFor(tasks: Task[], lookup: ContentLookup): { Secrets: ContentPayload[]; Configs: ContentPayload[] } {
  const ids = referencedIds(tasks.filter(awaitsStart));
  const pack = (kind: ObjectKindName, set: Set<string>) => [...set].flatMap((id) => {
    const data = lookup(kind, id);
    return data ? [{ ID: id, Data: data.toString('base64') }] : [];
  });
  return { Secrets: pack('secret', ids.secrets), Configs: pack('config', ids.configs) };
}

/** A lookup over received payloads. */
export function payloadLookup(p: { Secrets?: ContentPayload[]; Configs?: ContentPayload[] }): ContentLookup {
  const secrets = new Map((p.Secrets ?? []).map((x) => [x.ID, x.Data]));
  const configs = new Map((p.Configs ?? []).map((x) => [x.ID, x.Data]));
  return (kind, id) => {
    const b64 = (kind === 'secret' ? secrets : configs).get(id);
    return b64 === undefined ? undefined : Buffer.from(b64, 'base64');
  };
}

/**
 * The files of a task from its references. Throws failed_precondition naming what is missing
 * (the task is then rejected); undefined when the task references nothing.
 */
export function taskFilesOf(task: Task, lookup: ContentLookup): TaskFiles | undefined {
  const spec = { TaskTemplate: task.Spec };
  const sRefs = secretRefs(spec);
  const cRefs = configRefs(spec).filter((r) => r.File);
  if (sRefs.length === 0 && cRefs.length === 0) return undefined;
  const missing: string[] = [];
  const file = (kind: ObjectKindName, id: string, source: string, target: string, mode?: number, uid?: string, gid?: string): TaskFile[] => {
    const data = lookup(kind, id);
    if (!data) { missing.push(`${kind} ${source}`); return []; }
    const name = fileBaseName(target) ?? source;
    return [{ source, name, target, data, mode: mode ?? DEFAULT_FILE_MODE, ...(uid ? { uid } : {}), ...(gid ? { gid } : {}) }];
  };
  const files: TaskFiles = {
    secrets: sRefs.flatMap((r) => file('secret', r.SecretID, r.SecretName, r.File?.Name ?? r.SecretName, r.File?.Mode, r.File?.UID, r.File?.GID)),
    configs: cRefs.flatMap((r) => file('config', r.ConfigID, r.ConfigName, r.File!.Name, r.File!.Mode, r.File!.UID, r.File!.GID)),
  };
  if (missing.length > 0) throw new SwarmletError('failed_precondition', `${missing.join(', ')} not available on this node`);
  return files;
}

/** Docker's mount points: secrets under /run/secrets, configs under / (absolute targets kept). */
export function containerPath(kind: ObjectKindName, target: string): string {
  if (target.startsWith('/')) return target;
  return kind === 'secret' ? `/run/secrets/${target}` : `/${target}`;
}

/**
 * Writes a task's files under `dir` (mode 0700): `dir/secrets/<name>` and `dir/configs/<name>`,
 * each with its reference's mode (0400 by default). Returns the two directories. Two files with
 * one name are refused.
 */
export function writeTaskFiles(dir: string, files: TaskFiles): { secrets: string; configs: string } {
  const out = { secrets: join(dir, 'secrets'), configs: join(dir, 'configs') };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const kind of ['secrets', 'configs'] as const) {
    mkdirSync(out[kind], { recursive: true, mode: 0o700 });
    const seen = new Set<string>();
    for (const f of files[kind]) {
      if (seen.has(f.name)) throw new SwarmletError('invalid_argument', `two ${kind} of the task have the file name ${f.name}`);
      seen.add(f.name);
      const path = join(out[kind], f.name);
      rmSync(path, { force: true });
      writeFileSync(path, f.data, { mode: 0o600, flag: 'wx' });
      chmodSync(path, f.mode & 0o7777);
    }
  }
  return out;
}

/** Removes a task's files (nothing when there are none). */
export function removeTaskFiles(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
