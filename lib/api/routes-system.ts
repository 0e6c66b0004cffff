import type { ApiContext } from './context.js';
import type { Route } from './router.js';
import { sendJson, sendText } from './reply.js';
import { infoBody, versionBody, type EngineCounts } from './system-info.js';
import { knownImages } from './routes-engine-images.js';

/** Counted from the nodes: a task with a process or container is one of `docker info`'s containers. */
function engineCounts(ctx: ApiContext): EngineCounts {
  if (ctx.swarm && !ctx.swarm.isActive()) return { running: 0, stopped: 0, images: 0 };
  const tasks = ctx.control.listTasks().filter((t) => t.Status.ContainerStatus !== undefined);
  const running = tasks.filter((t) => t.Status.State === 'running').length;
  return { running, stopped: tasks.length - running, images: knownImages(ctx).length };
}

function ping(ctx: ApiContext): void {
  const { res } = ctx;
  res.setHeader('Swarm', 'active/manager');
  res.setHeader('Docker-Experimental', 'false');
  res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
  res.setHeader('Pragma', 'no-cache');
  sendText(res, 200, 'OK');
}

/** Registry digest lookup: the "silent no-op" answer (no pinning, no warning, no platforms). */
const NO_DIGEST = { Descriptor: { mediaType: '', digest: '', size: 0 }, Platforms: [] };

/** /_ping, /version, /info and /distribution/{name}/json. */
export function systemRoutes(): Route[] {
  return [
    { method: 'HEAD', pattern: /^\/_ping$/, handler: ping },
    { method: 'GET', pattern: /^\/_ping$/, handler: ping },
    { method: 'GET', pattern: /^\/version$/, handler: (ctx) => sendJson(ctx.res, 200, versionBody(ctx.serverVersion)) },
    { method: 'GET', pattern: /^\/info$/, handler: (ctx) => sendJson(ctx.res, 200, infoBody(ctx.serverVersion, ctx.control.info(), ctx.swarm, engineCounts(ctx))) },
    { method: 'GET', pattern: /^\/distribution\/(.+)\/json$/, handler: (ctx) => sendJson(ctx.res, 200, NO_DIGEST) },
  ];
}
