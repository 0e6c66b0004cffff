import { join } from 'node:path';
import type { Image } from '../model/types.js';
import { findPackageRoot } from './package-root.js';

/** Images that ship with swarmlet: repository name → script under images/. */
const BUILTIN_SCRIPTS: Readonly<Record<string, string>> = { whoami: 'whoami.mjs' };

const TAG_PATTERN = /^[\w][\w.-]{0,127}$/;

/** Splits `repo[:tag][@digest]`; a ':' before the last '/' is a registry port, not a tag. */
export function parseImageRef(ref: string): { repository: string; tag: string | undefined; digest: string | undefined } {
  const at = ref.indexOf('@');
  const name = at === -1 ? ref : ref.slice(0, at);
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repository: name.slice(0, colon), tag: name.slice(colon + 1), digest };
  return { repository: name, tag: undefined, digest };
}

/** The full reference: adds `:latest` when there is no tag (`host:5000/img` → `host:5000/img:latest`). */
export function imageRef(name: string): string {
  const { repository, tag, digest } = parseImageRef(name);
  if (tag !== undefined || digest !== undefined) return name;
  return `${repository}:latest`;
}

/** The catalog entry of a built-in image (`whoami` with any tag), or undefined when `name` is not built in. */
export function builtinImage(name: string, createdAt: string): Image | undefined {
  const { repository, tag, digest } = parseImageRef(name);
  const script = Object.hasOwn(BUILTIN_SCRIPTS, repository) ? BUILTIN_SCRIPTS[repository] : undefined;
  if (!script || digest !== undefined) return undefined;
  const t = tag ?? 'latest';
  if (!TAG_PATTERN.test(t)) return undefined;
  const root = findPackageRoot(import.meta.url);
  return { Name: `${repository}:${t}`, Cmd: [process.execPath, join(root, 'images', script)], BuiltIn: true, CreatedAt: createdAt };
}
