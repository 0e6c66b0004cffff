import type { ApiContext } from './context.js';
import type { Route } from './router.js';
import { sendJson, sendText } from './reply.js';
import { infoBody, versionBody, type EngineCounts } from './system-info.js';
import { findKnown, knownImages } from './routes-engine-images.js';
import { SwarmletError } from '../errors.js';
import { normalizeImageName } from '../model/image-ref.js';

/** Counted from the nodes: a task with a process or container is one of `docker info`'s containers. */
function engineCounts(ctx: ApiContext): EngineCounts {
  if (ctx.swarm && !ctx.swarm.isActive()) return { running: 0, stopped: 0, images: 0 };
  const tasks = ctx.control.listTasks().filter((t) => t.Status.ContainerStatus !== undefined);
  const running = tasks.filter((t) => t.Status.State === 'running').length;
  return { running, stopped: tasks.length - running, images: knownImages(ctx).length };
}

function ping(ctx: ApiContext): void {
  const { res } = ctx;
  res.setHeader('Swarm', ctx.swarm?.isLocked() ? 'locked' : 'active/manager');
  res.setHeader('Docker-Experimental', 'false');
  res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
  res.setHeader('Pragma', 'no-cache');
  sendText(res, 200, 'OK');
}

/** Registry digest lookup: the "silent no-op" answer (no pinning, no warning, no platforms). */
const NO_DIGEST = { Descriptor: { mediaType: '', digest: '', size: 0 }, Platforms: [] };

/**
 * A known image (catalog, built-in, or on a node) gets the no-op answer; an unknown one Docker's 404
 * for a manifest the registry doesn't have (the docker CLI then warns and creates the service unpinned).
 */
function distribution(ctx: ApiContext): void {
  const name = ctx.params[0]!;
  try {
    findKnown(ctx, name);
  } catch (err) {
    if (err instanceof SwarmletError && err.code === 'not_found') {
      throw new SwarmletError('not_found', `manifest for ${normalizeImageName(name)} not found: manifest unknown: manifest unknown`);
    }
    throw err;
  }
  sendJson(ctx.res, 200, NO_DIGEST);
}

/** /_ping, /version, /info and /distribution/{name}/json. */
export function systemRoutes(): Route[] {
  return [
    { method: 'HEAD', pattern: /^\/_ping$/, handler: ping },
    { method: 'GET', pattern: /^\/_ping$/, handler: ping },
    { method: 'GET', pattern: /^\/version$/, handler: (ctx) => sendJson(ctx.res, 200, versionBody(ctx.serverVersion)) },
    { method: 'GET', pattern: /^\/info$/, handler: (ctx) => sendJson(ctx.res, 200, infoBody(ctx.serverVersion, ctx.control.info(), ctx.swarm, engineCounts(ctx))) },
    { method: 'GET', pattern: /^\/distribution\/(.+)\/json$/, handler: distribution },
  ];
}
