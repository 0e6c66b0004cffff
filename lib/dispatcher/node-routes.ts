import { SwarmletError } from '../errors.js';
import type { ApiContext } from '../api/context.js';
import { readJsonBody } from '../api/read-body.js';
import { sendEmpty, sendJson } from '../api/reply.js';
import type { Route } from '../api/router.js';
import { presentedCredential } from '../api/client-auth.js';
import { JoinRequestSchema, type HeartbeatReply, type JoinReply } from '../protocol/join.js';
import { NodeReportSchema } from '../protocol/node-report.js';
import { TaskReportSchema } from '../protocol/task-report.js';
import { parseWire } from '../protocol/wire-error.js';
import type { Dispatcher } from './dispatcher.js';
import type { EndpointFeed } from './endpoint-feed.js';
import type { JoinRole, JoinTokens } from './join-tokens.js';
import type { Clock } from '../clock.js';
import { keepStreamAlive } from '../api/stream-keepalive.js';

/**
 * Node-session routes of the manager API (swarmlet extensions):
 *   POST /swarmlet/v1/join                         a JoinRequestBody (with the node's Description) → a JoinReply
 *   GET  /swarmlet/v1/join-token/{worker|manager}[?rotate=1]   (manager-only: the client token when auth is on)
 * Bodies are checked against the schemas of lib/protocol/: a malformed one is answered 400 naming the
 * field, and changes nothing.
 * And, with `Authorization: Bearer <node credential>` for that node only:
 *   GET  /swarmlet/v1/nodes/{id}/session           NDJSON: the node's assignments now and after every change
 *   POST /swarmlet/v1/nodes/{id}/heartbeat            → { HeartbeatPeriodMs } (the period may change: swarm update)
 *   POST /swarmlet/v1/nodes/{id}/tasks/{task}/status   a TaskReport
 *   POST /swarmlet/v1/nodes/{id}/description      a NodeReport: platform, resources, engine, driver, images
 *   POST /swarmlet/v1/nodes/{id}/logs/{request}    NDJSON log lines answering a LogRequest of the session
 *   POST /swarmlet/v1/nodes/{id}/drained/{task}    waits until no gateway routes new requests to the task
 */
export function nodeSessionRoutes(d: Dispatcher, tokens: JoinTokens, feed: EndpointFeed, managerUrl: () => string, clock?: Clock): Route[] {
  return [
    { method: 'POST', pattern: /^\/swarmlet\/v1\/join$/, handler: (ctx) => join(ctx, d) },
    { method: 'GET', pattern: /^\/swarmlet\/v1\/join-token\/(worker|manager)$/, handler: (ctx) => joinToken(ctx, tokens, managerUrl()) },
    { method: 'GET', pattern: /^\/swarmlet\/v1\/nodes\/([^/]+)\/session$/, handler: (ctx) => session(ctx, d, clock) },
    { method: 'POST', pattern: /^\/swarmlet\/v1\/nodes\/([^/]+)\/heartbeat$/, handler: (ctx) => { auth(ctx, d); d.heartbeat(ctx.params[0]!); sendJson(ctx.res, 200, { HeartbeatPeriodMs: d.heartbeatMs } satisfies HeartbeatReply); } },
    { method: 'POST', pattern: /^\/swarmlet\/v1\/nodes\/([^/]+)\/tasks\/([^/]+)\/status$/, handler: (ctx) => status(ctx, d) },
    { method: 'POST', pattern: /^\/swarmlet\/v1\/nodes\/([^/]+)\/description$/, handler: (ctx) => describe(ctx, d) },
    { method: 'POST', pattern: /^\/swarmlet\/v1\/nodes\/([^/]+)\/logs\/([^/]+)$/, handler: (ctx) => uploadLogs(ctx, d) },
    { method: 'POST', pattern: /^\/swarmlet\/v1\/nodes\/([^/]+)\/drained\/([^/]+)$/, handler: async (ctx) => {
      auth(ctx, d);
      sendJson(ctx.res, 200, { Confirmed: await feed.drained(ctx.params[1]!) });
    } },
  ];
}

/** A node credential is valid only for its own node's routes (it cannot call manager-only routes). */
function auth(ctx: ApiContext, d: Dispatcher): void {
  const presented = presentedCredential(ctx.req.headers.authorization);
  if (presented.kind !== 'bearer' || !d.authenticate(ctx.params[0]!, presented.token)) {
    throw new SwarmletError('unauthenticated', 'node credential missing or invalid');
  }
}

async function join(ctx: ApiContext, d: Dispatcher): Promise<void> {
  const b = parseWire(JoinRequestSchema, await readJsonBody(ctx.req, ctx.maxBodyBytes), 'join');
  const r = d.join({ token: b.Token, hostname: b.Hostname, addr: b.Addr, ...(b.Labels ? { labels: b.Labels } : {}),
    ...(b.Driver !== undefined ? { driver: b.Driver } : {}), ...(b.Description ? { description: b.Description } : {}) });
  const reply: JoinReply = { NodeID: r.nodeId, Credential: r.credential, Role: r.role, HeartbeatPeriodMs: r.heartbeatMs };
  sendJson(ctx.res, 200, reply);
}

/** A manager route: the API's authorizer (client-auth.ts) refuses node credentials (403) before this runs. */
function joinToken(ctx: ApiContext, tokens: JoinTokens, url: string): void {
  const role = ctx.params[0] as JoinRole;
  const rotate = ['1', 'true', 'yes'].includes(ctx.query.get('rotate') ?? '');
  const token = rotate ? tokens.rotate(role) : tokens.token(role);
  sendJson(ctx.res, 200, { Role: role, Token: token, Command: `swarmlet node join --manager ${url}${url.startsWith('https:') ? ' --tlscacert CA.pem' : ''} --token ${token} --address ADDR --hostname NAME` });
}

function session(ctx: ApiContext, d: Dispatcher, clock: Clock | undefined): void {
  auth(ctx, d);
  const nodeId = ctx.params[0]!;
  const { res, req } = ctx;
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/x-ndjson');
  res.flushHeaders();
  d.heartbeat(nodeId);
  const stop = d.watchAssignments(nodeId, (a) => { res.write(`${JSON.stringify(a)}\n`); });
  const close = d.openSession(nodeId, (m) => { res.write(`${JSON.stringify(m)}\n`); });
  const quiet = clock ? keepStreamAlive(res, clock) : () => undefined;
  const end = () => { quiet(); stop(); close(); if (!res.writableEnded) res.end(); };
  req.on('close', end);
  ctx.closing.addEventListener('abort', end, { once: true });
}

async function status(ctx: ApiContext, d: Dispatcher): Promise<void> {
  auth(ctx, d);
  const report = parseWire(TaskReportSchema, await readJsonBody(ctx.req, ctx.maxBodyBytes), 'TaskReport');
  d.report(ctx.params[0]!, ctx.params[1]!, report);
  sendEmpty(ctx.res, 204);
}

async function describe(ctx: ApiContext, d: Dispatcher): Promise<void> {
  auth(ctx, d);
  d.describe(ctx.params[0]!, parseWire(NodeReportSchema, await readJsonBody(ctx.req, ctx.maxBodyBytes), 'NodeReport'));
  sendEmpty(ctx.res, 204);
}

async function uploadLogs(ctx: ApiContext, d: Dispatcher): Promise<void> {
  auth(ctx, d);
  if (!await d.acceptLogs(ctx.params[0]!, ctx.params[1]!, ctx.req)) throw new SwarmletError('not_found', `no log request ${ctx.params[1]!}`);
  if (!ctx.res.headersSent && !ctx.res.destroyed) sendEmpty(ctx.res, 204);
}
