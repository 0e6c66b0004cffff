import { isoTime } from '../clock.js';
import { SwarmletError, invalid, notFound } from '../errors.js';
import { builtinImage, imageRef } from '../drivers/builtin-images.js';
import { normalizeImageName } from '../model/image-ref.js';
import type { Image } from '../model/types.js';
import type { ReadTx, WriteTx } from '../store/store.js';

/** The process driver's images: built-in `whoami` (any tag) plus the entries users registered. */
export function findImage(tx: ReadTx, name: string, now: number): Image | undefined {
  const ref = normalizeImageName(name);
  return tx.getImage(ref) ?? builtinImage(ref, isoTime(now)) ?? storedAs(tx, name, ref);
}

/** An entry stored before names were normalised (`library/app:latest`, `docker.io/app:latest`). */
function storedAs(tx: ReadTx, name: string, ref: string): Image | undefined {
  return tx.getImage(imageRef(name)) ?? tx.listImages().find((i) => normalizeImageName(i.Name) === ref);
}

export function listImages(tx: ReadTx, now: number): Image[] {
  const builtin = builtinImage('whoami:latest', isoTime(now));
  const own = tx.listImages();
  return [...(builtin ? [builtin] : []), ...own].sort((a, b) => a.Name.localeCompare(b.Name));
}

export interface ImageInput { Name: unknown; Cmd?: unknown; Entrypoint?: unknown; Cwd?: unknown; Env?: unknown }

export function addImage(tx: WriteTx, input: ImageInput, now: number): Image {
  if (typeof input.Name !== 'string' || input.Name.trim() === '' || /\s/.test(input.Name)) {
    throw invalid('invalid image: Name must be a non-empty NAME:TAG without spaces', 'Name');
  }
  const name = normalizeImageName(input.Name);
  if (builtinImage(name, '')) throw new SwarmletError('conflict', `image ${name} is built in and cannot be replaced`, 'Name');
  // An empty argument is an argument (`redis-server --save ""`); only the program itself must be named.
  const isArgv = (v: unknown): v is string[] => Array.isArray(v) && v.every((c) => typeof c === 'string');
  if (input.Cmd !== undefined && !isArgv(input.Cmd)) throw invalid('invalid image: Cmd must be an array of strings (e.g. ["node", "server.js"])', 'Cmd');
  if (input.Entrypoint !== undefined && !isArgv(input.Entrypoint)) throw invalid('invalid image: Entrypoint must be an array of strings (e.g. ["node"])', 'Entrypoint');
  const program = [...((input.Entrypoint as string[] | undefined) ?? []), ...((input.Cmd as string[] | undefined) ?? [])][0];
  if (!program) throw invalid('invalid image: Cmd or Entrypoint must name the program to run (e.g. ["node", "server.js"])', input.Entrypoint ? 'Entrypoint' : 'Cmd');
  if (input.Cwd !== undefined && typeof input.Cwd !== 'string') throw invalid('invalid image: Cwd must be a string', 'Cwd');
  if (input.Env !== undefined && (!Array.isArray(input.Env) || !input.Env.every((e) => typeof e === 'string' && /^[^=\s]+=/.test(e)))) {
    throw invalid('invalid image: Env must be an array of KEY=VALUE strings', 'Env');
  }
  const image: Image = { Name: name, Cmd: (input.Cmd as string[] | undefined) ?? [], CreatedAt: isoTime(now) };
  if (Array.isArray(input.Entrypoint) && input.Entrypoint.length > 0) image.Entrypoint = input.Entrypoint as string[];
  if (typeof input.Cwd === 'string') image.Cwd = input.Cwd;
  if (Array.isArray(input.Env)) image.Env = input.Env as string[];
  return tx.putImage(image);
}

export function removeImage(tx: WriteTx, name: string): void {
  const ref = normalizeImageName(name);
  if (builtinImage(ref, '')) throw new SwarmletError('conflict', `image ${ref} is built in and cannot be removed`);
  const stored = tx.getImage(ref) ?? storedAs(tx, name, ref);
  if (!stored) throw notFound('image', ref);
  const user = tx.listServices().find((s) => normalizeImageName(s.Spec.TaskTemplate.ContainerSpec.Image) === ref);
  if (user) throw new SwarmletError('conflict', `image ${ref} is used by service ${user.Spec.Name} (${user.ID})`);
  tx.deleteImage(stored.Name);
}
