import { invalid } from '../errors.js';
import type { ApiContext } from './context.js';
import { readJsonBody, requireObject } from './read-body.js';
import { sendEmpty, sendJson } from './reply.js';
import type { Route } from './router.js';

type ImageInput = { Name: string; Cmd?: string[]; Entrypoint?: string[]; Cwd?: string; Env?: string[] };

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Validates `{Name, Cmd?, Entrypoint?, Cwd?, Env?}` for POST /swarmlet/v1/images (an empty argument is valid). */
export function parseImageInput(body: unknown): ImageInput {
  const b = requireObject(body, 'Image');
  const { Name, Cmd, Entrypoint, Cwd, Env } = b;
  if (typeof Name !== 'string' || Name.trim() === '') throw invalid('Image.Name must be a non-empty string', 'Name');
  if (Cmd !== undefined && !isStringArray(Cmd)) throw invalid('Image.Cmd must be an array of strings', 'Cmd');
  if (Entrypoint !== undefined && !isStringArray(Entrypoint)) throw invalid('Image.Entrypoint must be an array of strings', 'Entrypoint');
  if (![...(Entrypoint ?? []), ...(Cmd ?? [])][0]) throw invalid('Image.Cmd or Image.Entrypoint must name the program to run', Entrypoint ? 'Entrypoint' : 'Cmd');
  if (Cwd !== undefined && typeof Cwd !== 'string') throw invalid('Image.Cwd must be a string', 'Cwd');
  if (Env !== undefined && !isStringArray(Env)) throw invalid('Image.Env must be an array of strings', 'Env');
  const out: ImageInput = { Name };
  if (Cmd !== undefined) out.Cmd = Cmd;
  if (Entrypoint !== undefined) out.Entrypoint = Entrypoint;
  if (Cwd !== undefined) out.Cwd = Cwd;
  if (Env !== undefined) out.Env = Env;
  return out;
}

async function addImage(ctx: ApiContext): Promise<void> {
  const input = parseImageInput(await readJsonBody(ctx.req, ctx.maxBodyBytes));
  sendJson(ctx.res, 201, ctx.control.addImage(input));
}

function removeImage(ctx: ApiContext): void {
  ctx.control.removeImage(ctx.params[0]!);
  sendEmpty(ctx.res);
}

/** swarmlet's image catalog (process driver) under /swarmlet/v1/images. */
export function imageRoutes(): Route[] {
  return [
    { method: 'GET', pattern: /^\/swarmlet\/v1\/images$/, handler: (ctx) => sendJson(ctx.res, 200, ctx.control.listImages()) },
    { method: 'POST', pattern: /^\/swarmlet\/v1\/images$/, handler: addImage },
    { method: 'DELETE', pattern: /^\/swarmlet\/v1\/images\/(.+)$/, handler: removeImage },
  ];
}
