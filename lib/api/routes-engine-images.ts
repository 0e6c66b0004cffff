/**
 * The Engine API's image routes over what swarmlet has: the process driver's catalog and the images
 * nodes report (docker driver). Nothing is pulled: `POST /images/create` of a known image answers as a
 * pull of an image already present, an unknown one as Docker's "not found".
 */
import { createHash } from 'node:crypto';
import { SwarmletError } from '../errors.js';
import { imageRef, normalizeImageName, parseImageRef } from '../model/image-ref.js';
import type { Image } from '../model/types.js';
import type { ApiContext } from './context.js';
import { sendJson } from './reply.js';
import type { Route } from './router.js';

interface KnownImage { name: string; created: string; cmd: string[]; entrypoint: string[]; env: string[]; dir: string }

const imageId = (name: string) => `sha256:${createHash('sha256').update(name).digest('hex')}`;

/** Catalog entries first, then the images nodes report; one entry per `name:tag`. */
export function knownImages(ctx: ApiContext): KnownImage[] {
  const out = new Map<string, KnownImage>();
  for (const i of ctx.control.listImages() as Array<Image & { Entrypoint?: string[] }>) {
    out.set(i.Name, { name: i.Name, created: i.CreatedAt, cmd: i.Cmd, entrypoint: i.Entrypoint ?? [], env: i.Env ?? [], dir: i.Cwd ?? '' });
  }
  for (const n of ctx.control.listNodes()) {
    for (const name of n.Description.Images ?? []) {
      const ref = imageRef(name);
      if (!out.has(ref)) out.set(ref, { name: ref, created: n.CreatedAt, cmd: [], entrypoint: [], env: [], dir: '' });
    }
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function findKnown(ctx: ApiContext, name: string): KnownImage {
  const ref = normalizeImageName(name);
  const hit = knownImages(ctx).find((i) => i.name === ref || normalizeImageName(i.name) === ref || imageId(i.name) === name || imageId(i.name).slice(7).startsWith(name));
  if (hit) return hit;
  // A built-in image (`whoami`) runs with any tag: the catalog lists it as :latest.
  const { repository, digest } = parseImageRef(ref);
  const builtin = digest === undefined ? ctx.control.listImages().find((i) => i.BuiltIn && parseImageRef(i.Name).repository === repository) : undefined;
  if (builtin) return { name: ref, created: builtin.CreatedAt, cmd: builtin.Cmd, entrypoint: [], env: builtin.Env ?? [], dir: builtin.Cwd ?? '' };
  throw new SwarmletError('not_found', `No such image: ${ref}`);
}

function summary(i: KnownImage): Record<string, unknown> {
  return {
    Id: imageId(i.name), ParentId: '', RepoTags: [i.name], RepoDigests: [], Created: Math.floor(Date.parse(i.created) / 1000),
    Size: 0, SharedSize: -1, VirtualSize: 0, Labels: {}, Containers: -1,
  };
}

function inspect(i: KnownImage): Record<string, unknown> {
  const config = { Cmd: i.cmd, Entrypoint: i.entrypoint, Env: i.env, WorkingDir: i.dir, Labels: {} };
  return {
    Id: imageId(i.name), RepoTags: [i.name], RepoDigests: [], Parent: '', Comment: '', Created: i.created,
    Container: '', ContainerConfig: config, DockerVersion: '', Author: '', Config: config,
    Architecture: process.arch === 'x64' ? 'amd64' : process.arch, Os: 'linux', Size: 0, VirtualSize: 0,
    GraphDriver: { Name: 'swarmlet', Data: {} }, RootFS: { Type: 'layers', Layers: [] }, Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

function pull(ctx: ApiContext): void {
  const from = ctx.query.get('fromImage') ?? '';
  const tag = ctx.query.get('tag') ?? '';
  const name = tag && parseImageRef(from).tag === undefined ? `${from}:${tag}` : from;
  const known = findKnown(ctx, name);
  const { repository, tag: t } = parseImageRef(known.name);
  const lines = [{ status: `Pulling from ${repository}`, id: t }, { status: `Status: Image is up to date for ${known.name}` }];
  ctx.res.statusCode = 200;
  ctx.res.setHeader('Content-Type', 'application/json');
  ctx.res.end(lines.map((l) => JSON.stringify(l)).join('\r\n') + '\r\n');
}

/** GET /images/json, GET /images/{name}/json, POST /images/create. */
export function engineImageRoutes(): Route[] {
  return [
    { method: 'GET', pattern: /^\/images\/json$/, handler: (ctx) => sendJson(ctx.res, 200, knownImages(ctx).map(summary)) },
    { method: 'GET', pattern: /^\/images\/(.+)\/json$/, handler: (ctx) => sendJson(ctx.res, 200, inspect(findKnown(ctx, ctx.params[0]!))) },
    { method: 'POST', pattern: /^\/images\/create$/, handler: pull },
  ];
}
