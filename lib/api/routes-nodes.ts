import { SwarmletError } from '../errors.js';
import type { ApiContext } from './context.js';
import { engineNode } from './engine-objects.js';
import { parseFilters } from './filters.js';
import { parseNodeSpec } from './node-spec.js';
import { readJsonBody } from './read-body.js';
import { sendEmpty, sendJson } from './reply.js';
import { boolValue, parseObjectVersion } from './query.js';
import type { Route } from './router.js';

/** A control that can also remove nodes (not part of Control yet). */
interface NodeRemover { removeNode(ref: string, force: boolean): void }

function canRemoveNodes(c: unknown): c is NodeRemover {
  return typeof (c as Partial<NodeRemover>).removeNode === 'function';
}

function listNodes(ctx: ApiContext): void {
  sendJson(ctx.res, 200, ctx.control.listNodes(parseFilters(ctx.query.get('filters'))).map(engineNode));
}

function inspectNode(ctx: ApiContext): void {
  sendJson(ctx.res, 200, engineNode(ctx.control.getNode(ctx.params[0]!)));
}

async function updateNode(ctx: ApiContext): Promise<void> {
  const version = parseObjectVersion(ctx.query.get('version'), 'node');
  const spec = parseNodeSpec(await readJsonBody(ctx.req, ctx.maxBodyBytes));
  ctx.control.updateNode(ctx.params[0]!, version, spec);
  sendEmpty(ctx.res);
}

function removeNode(ctx: ApiContext): void {
  if (!canRemoveNodes(ctx.control)) throw new SwarmletError('unimplemented', 'node removal is not implemented');
  ctx.control.removeNode(ctx.params[0]!, boolValue(ctx.query.get('force')));
  sendEmpty(ctx.res);
}

/** The node routes of the Engine API. */
export function nodeRoutes(): Route[] {
  return [
    { method: 'GET', pattern: /^\/nodes$/, handler: listNodes },
    { method: 'GET', pattern: /^\/nodes\/([^/]+)$/, handler: inspectNode },
    { method: 'DELETE', pattern: /^\/nodes\/([^/]+)$/, handler: removeNode },
    { method: 'POST', pattern: /^\/nodes\/([^/]+)\/update$/, handler: updateNode },
  ];
}
