import type { ApiContext } from './context.js';
import { engineTask } from './engine-objects.js';
import { parseFilters } from './filters.js';
import { parseLogParams } from './log-params.js';
import { streamLogs } from './log-stream.js';
import { sendJson } from './reply.js';
import type { Route } from './router.js';

function listTasks(ctx: ApiContext): void {
  sendJson(ctx.res, 200, ctx.control.listTasks(parseFilters(ctx.query.get('filters'))).map(engineTask));
}

function inspectTask(ctx: ApiContext): void {
  sendJson(ctx.res, 200, engineTask(ctx.control.getTask(ctx.params[0]!)));
}

async function taskLogs(ctx: ApiContext): Promise<void> {
  const params = parseLogParams(ctx.query);
  const task = ctx.control.getTask(ctx.params[0]!);
  const tty = task.Spec?.ContainerSpec?.TTY === true;
  await streamLogs(ctx, { params, tty, open: (q) => ctx.control.taskLogs(task.ID, q) });
}

/** The task routes of the Engine API. */
export function taskRoutes(): Route[] {
  return [
    { method: 'GET', pattern: /^\/tasks$/, handler: listTasks },
    { method: 'GET', pattern: /^\/tasks\/([^/]+)$/, handler: inspectTask },
    { method: 'GET', pattern: /^\/tasks\/([^/]+)\/logs$/, handler: taskLogs },
  ];
}
