import { SwarmletError } from '../errors.js';
import type { NetworkControl } from '../manager/network-control.js';
import type { ApiContext } from './context.js';
import { parseFilters } from './filters.js';
import { readJsonBody } from './read-body.js';
import { sendEmpty, sendJson } from './reply.js';
import type { Route } from './router.js';

const REF = '([^/]+)';

function networks(ctx: ApiContext): NetworkControl {
  if (!ctx.control.networks) throw new SwarmletError('unavailable', 'this manager keeps no networks');
  return ctx.control.networks;
}

/** The Engine API's /networks routes (swarm-scoped overlay networks only). */
export function networkRoutes(): Route[] {
  return [
    { method: 'GET', pattern: /^\/networks$/, handler: (ctx) => sendJson(ctx.res, 200, networks(ctx).list(parseFilters(ctx.query.get('filters')))) },
    { method: 'POST', pattern: /^\/networks\/create$/, handler: async (ctx) => {
      const n = networks(ctx);
      sendJson(ctx.res, 201, n.create(await readJsonBody(ctx.req, ctx.maxBodyBytes)));
    } },
    { method: 'GET', pattern: new RegExp(`^/networks/${REF}$`), handler: (ctx) => sendJson(ctx.res, 200, networks(ctx).get(ctx.params[0]!)) },
    { method: 'DELETE', pattern: new RegExp(`^/networks/${REF}$`), handler: (ctx) => {
      networks(ctx).remove(ctx.params[0]!);
      sendEmpty(ctx.res, 204);
    } },
  ];
}
