import { invalid } from '../errors.js';
import type { ApiContext } from '../api/context.js';
import { readJsonBody } from '../api/read-body.js';
import { sendEmpty, sendJson } from '../api/reply.js';
import type { Route } from '../api/router.js';
import { EndpointAckSchema, GATEWAY_ID } from '../protocol/endpoint-table.js';
import { parseWire } from '../protocol/wire-error.js';
import type { EndpointFeed } from './endpoint-feed.js';
import type { Clock } from '../clock.js';
import { keepStreamAlive } from '../api/stream-keepalive.js';

/**
 * Routes for standalone gateways:
 *   GET  /swarmlet/v1/endpoints                   the current table (JSON)
 *   GET  /swarmlet/v1/endpoints?watch=1&gateway=ID  NDJSON: the table now and after every change;
 *                                                 while connected, the gateway is part of the drain barrier
 *   GET  /swarmlet/v1/endpoints?watch=1           the same for an observer (no gateway: not in the barrier;
 *                                                 a joined node learning which VIPs exist)
 *   POST /swarmlet/v1/endpoints/ack {Gateway, Version}
 * With client auth on (always with TLS) the API's authorizer lets these through only with a node
 * credential (any node's) or the client token (lib/api/client-auth.ts); on plain loopback they are open.
 */
export function endpointRoutes(feed: EndpointFeed, clock?: Clock): Route[] {
  return [
    { method: 'GET', pattern: /^\/swarmlet\/v1\/endpoints$/, handler: (ctx) => watchOrGet(ctx, feed, clock) },
    { method: 'POST', pattern: /^\/swarmlet\/v1\/endpoints\/ack$/, handler: (ctx) => ack(ctx, feed) },
  ];
}

function watchOrGet(ctx: ApiContext, feed: EndpointFeed, clock: Clock | undefined): void {
  const watch = ctx.query.get('watch');
  if (!watch || watch === '0' || watch === 'false') return sendJson(ctx.res, 200, feed.current());
  const gateway = ctx.query.get('gateway');
  if (gateway !== null && !GATEWAY_ID.test(gateway)) throw invalid('gateway must be 1-128 characters of [A-Za-z0-9._-]', 'gateway');
  const { res, req } = ctx;
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/x-ndjson');
  res.setHeader('Cache-Control', 'no-cache');
  res.flushHeaders();
  const leave = gateway === null ? () => undefined : feed.register(gateway);
  const unsubscribe = feed.subscribe((table) => { res.write(`${JSON.stringify(table)}\n`); });
  const quiet = clock ? keepStreamAlive(res, clock) : () => undefined;
  const end = () => { quiet(); unsubscribe(); leave(); if (!res.writableEnded) res.end(); };
  req.on('close', end);
  ctx.closing.addEventListener('abort', end, { once: true });
}

async function ack(ctx: ApiContext, feed: EndpointFeed): Promise<void> {
  const body = parseWire(EndpointAckSchema, await readJsonBody(ctx.req, ctx.maxBodyBytes), 'ack');
  feed.ack(body.Gateway, body.Version);
  sendEmpty(ctx.res, 204);
}
