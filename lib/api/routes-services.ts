import { invalid } from '../errors.js';
import type { ApiContext } from './context.js';
import { engineService } from './engine-objects.js';
import { parseFilters } from './filters.js';
import { parseLogParams } from './log-params.js';
import { streamLogs } from './log-stream.js';
import { readJsonBody, requireObject } from './read-body.js';
import { sendEmpty, sendJson } from './reply.js';
import { boolValue, parseObjectVersion } from './query.js';
import type { Route } from './router.js';

const REF = '([^/]+)';

function listServices(ctx: ApiContext): void {
  const filters = parseFilters(ctx.query.get('filters'));
  sendJson(ctx.res, 200, ctx.control.listServices(filters, boolValue(ctx.query.get('status'))).map(engineService));
}

async function createService(ctx: ApiContext): Promise<void> {
  const spec = requireObject(await readJsonBody(ctx.req, ctx.maxBodyBytes), 'ServiceSpec');
  const r = ctx.control.createService(spec);
  sendJson(ctx.res, 201, { ID: r.ID, Warnings: r.Warnings ?? null });
}

function inspectService(ctx: ApiContext): void {
  sendJson(ctx.res, 200, engineService(ctx.control.getService(ctx.params[0]!, boolValue(ctx.query.get('insertDefaults')))));
}

/** `rollback`: previous | '' | none (moby's daemon/cluster/services.go texts). */
function parseRollback(raw: string | null): boolean {
  const v = raw ?? '';
  if (v === 'previous') return true;
  if (v === '' || v === 'none') return false;
  throw invalid(`unrecognized rollback option ${v}`, 'rollback');
}

function checkRegistryAuthFrom(raw: string | null): void {
  const v = raw ?? '';
  if (v !== '' && v !== 'spec' && v !== 'previous-spec') throw invalid('unsupported registryAuthFrom value', 'registryAuthFrom');
}

async function updateService(ctx: ApiContext): Promise<void> {
  const version = parseObjectVersion(ctx.query.get('version'), 'service');
  const rollback = parseRollback(ctx.query.get('rollback'));
  checkRegistryAuthFrom(ctx.query.get('registryAuthFrom'));
  const body = await readJsonBody(ctx.req, ctx.maxBodyBytes);
  // A rollback ignores the body (swarmkit swaps Spec and PreviousSpec), so it need not be a spec.
  const spec = rollback ? body : requireObject(body, 'ServiceSpec');
  const r = ctx.control.updateService(ctx.params[0]!, version, spec, { rollback });
  sendJson(ctx.res, 200, { Warnings: r.Warnings ?? [] });
}

function removeService(ctx: ApiContext): void {
  ctx.control.removeService(ctx.params[0]!);
  sendEmpty(ctx.res);
}

async function serviceLogs(ctx: ApiContext): Promise<void> {
  const params = parseLogParams(ctx.query);
  const service = ctx.control.getService(ctx.params[0]!);
  const tty = service.Spec.TaskTemplate?.ContainerSpec?.TTY === true;
  await streamLogs(ctx, { params, tty, open: (q) => ctx.control.serviceLogs(service.ID, q) });
}

/** The service routes of the Engine API. */
export function serviceRoutes(): Route[] {
  return [
    { method: 'GET', pattern: /^\/services$/, handler: listServices },
    { method: 'POST', pattern: /^\/services\/create$/, handler: createService },
    { method: 'GET', pattern: new RegExp(`^/services/${REF}$`), handler: inspectService },
    { method: 'DELETE', pattern: new RegExp(`^/services/${REF}$`), handler: removeService },
    { method: 'POST', pattern: new RegExp(`^/services/${REF}/update$`), handler: updateService },
    { method: 'GET', pattern: new RegExp(`^/services/${REF}/logs$`), handler: serviceLogs },
  ];
}
