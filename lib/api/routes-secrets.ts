import { SwarmletError, invalid } from '../errors.js';
import type { ObjectControl } from '../manager/secret-control.js';
import type { Config, Secret } from '../model/secret-types.js';
import type { ApiContext } from './context.js';
import { parseFilters } from './filters.js';
import { parseObjectVersion } from './query.js';
import { readBody } from './read-body.js';
import { sendEmpty, sendJson } from './reply.js';
import type { Route } from './router.js';

const REF = '([^/]+)';
/** A 1000 KB config is ~1.33 MB once base64-encoded in JSON: these routes take up to 2 MiB. */
const BODY_LIMIT = 2 * 1024 * 1024;

type Kind = 'secrets' | 'configs';

function controlOf(ctx: ApiContext, kind: Kind): ObjectControl<Secret | Config> {
  const c = ctx.control[kind] as ObjectControl<Secret | Config> | undefined;
  if (!c) throw new SwarmletError('unavailable', `this manager keeps no ${kind}`);
  return c;
}

/** The JSON body; a parse error never quotes the body (it may hold secret content). */
async function readSpec(ctx: ApiContext): Promise<unknown> {
  const raw = (await readBody(ctx.req, Math.max(ctx.maxBodyBytes, BODY_LIMIT))).toString('utf8');
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw invalid('invalid JSON body: the request body is not valid JSON', 'body');
  }
}

function routesOf(kind: Kind): Route[] {
  const base = `/${kind}`;
  return [
    { method: 'GET', pattern: new RegExp(`^${base}$`), handler: (ctx) => sendJson(ctx.res, 200, controlOf(ctx, kind).list(parseFilters(ctx.query.get('filters')))) },
    { method: 'POST', pattern: new RegExp(`^${base}/create$`), handler: async (ctx) => {
      const c = controlOf(ctx, kind);
      const { ID } = c.create(await readSpec(ctx));
      // moby answers {"ID"} (SecretCreateResponse); the v1.41 spec documents IdResponse {"Id"}: both.
      sendJson(ctx.res, 201, { ID, Id: ID });
    } },
    { method: 'GET', pattern: new RegExp(`^${base}/${REF}$`), handler: (ctx) => sendJson(ctx.res, 200, controlOf(ctx, kind).get(ctx.params[0]!)) },
    { method: 'DELETE', pattern: new RegExp(`^${base}/${REF}$`), handler: (ctx) => {
      controlOf(ctx, kind).remove(ctx.params[0]!);
      sendEmpty(ctx.res, 204);
    } },
    { method: 'POST', pattern: new RegExp(`^${base}/${REF}/update$`), handler: async (ctx) => {
      const c = controlOf(ctx, kind);
      const version = parseObjectVersion(ctx.query.get('version'), kind.slice(0, -1));
      c.update(ctx.params[0]!, version, await readSpec(ctx));
      sendEmpty(ctx.res);
    } },
  ];
}

/** The Engine API's /secrets and /configs routes. */
export function secretRoutes(): Route[] {
  return [...routesOf('secrets'), ...routesOf('configs')];
}
