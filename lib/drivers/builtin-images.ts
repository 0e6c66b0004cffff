import { join } from 'node:path';
import type { Image } from '../model/types.js';
import { findPackageRoot } from './package-root.js';
import { parseImageRef } from '../model/image-ref.js';

/** Images that ship with swarmlet: repository name → script under images/. */
const BUILTIN_SCRIPTS: Readonly<Record<string, string>> = { whoami: 'whoami.mjs' };

const TAG_PATTERN = /^[\w][\w.-]{0,127}$/;

export { parseImageRef, imageRef } from '../model/image-ref.js';

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
