import { SwarmletError } from '../errors.js';
import { NOT_A_MANAGER, type SwarmState } from './swarm-state.js';
import type { ApiContext } from './context.js';
import { boolValue, parseObjectVersion } from './query.js';
import { readJsonBody } from './read-body.js';
import { sendEmpty, sendJson } from './reply.js';
import type { Route } from './router.js';

function swarmOf(ctx: ApiContext): SwarmState {
  if (!ctx.swarm) throw new SwarmletError('unavailable', NOT_A_MANAGER);
  return ctx.swarm;
}

async function updateSwarm(ctx: ApiContext): Promise<void> {
  const version = parseObjectVersion(ctx.query.get('version'), 'swarm');
  const body = await readJsonBody(ctx.req, ctx.maxBodyBytes);
  swarmOf(ctx).update(version, body ?? {}, {
    worker: boolValue(ctx.query.get('rotateWorkerToken')),
    manager: boolValue(ctx.query.get('rotateManagerToken')),
    unlockKey: boolValue(ctx.query.get('rotateManagerUnlockKey')),
  });
  sendEmpty(ctx.res);
}

async function initSwarm(ctx: ApiContext): Promise<void> {
  const body = await readJsonBody(ctx.req, ctx.maxBodyBytes);
  const swarm = swarmOf(ctx);
  swarm.init(body ?? {});
  sendJson(ctx.res, 200, ctx.control.info().nodeId);
}

async function joinSwarm(ctx: ApiContext): Promise<void> {
  await readJsonBody(ctx.req, ctx.maxBodyBytes);
  swarmOf(ctx).join();
}

async function unlockSwarm(ctx: ApiContext): Promise<void> {
  const body = await readJsonBody(ctx.req, ctx.maxBodyBytes);
  swarmOf(ctx).unlock(body ?? {});
  sendEmpty(ctx.res);
}

/** The swarm object: GET /swarm, update, unlock key, and init/join/leave/unlock as Docker answers them on a manager. */
export function swarmRoutes(): Route[] {
  return [
    { method: 'GET', pattern: /^\/swarm$/, handler: (ctx) => sendJson(ctx.res, 200, swarmOf(ctx).inspect()) },
    { method: 'POST', pattern: /^\/swarm\/update$/, handler: updateSwarm },
    { method: 'GET', pattern: /^\/swarm\/unlockkey$/, handler: (ctx) => sendJson(ctx.res, 200, { UnlockKey: swarmOf(ctx).unlockKey() }) },
    { method: 'POST', pattern: /^\/swarm\/unlock$/, handler: unlockSwarm },
    { method: 'POST', pattern: /^\/swarm\/init$/, handler: initSwarm },
    { method: 'POST', pattern: /^\/swarm\/join$/, handler: joinSwarm },
    { method: 'POST', pattern: /^\/swarm\/leave$/, handler: (ctx) => { swarmOf(ctx).leave(boolValue(ctx.query.get('force'))); sendEmpty(ctx.res); } },
  ];
}
