/** The task table shared by `service ps` and `node ps` (table, `--format json`, `-q`). */
import type { Service, Task } from '../lib/model/types.js';
import type { CliContext } from './context.js';
import { cliError } from './errors.js';
import { nodeName } from './format/node-table.js';
import { formatTable } from './format/table.js';
import { buildTaskRows, TASK_HEADER, taskRowCells } from './format/task-table.js';
import { jsonLine } from './format/text.js';

export interface TaskListFlags {
  noTrunc?: boolean;
  quiet?: boolean;
  format?: string;
}

export function checkFormat(format: string | undefined): 'table' | 'json' {
  if (format === undefined || format === '' || format === 'table') return 'table';
  if (format === 'json' || format === '{{json .}}') return 'json';
  throw cliError(`unsupported format "${format}" (use table or json)`);
}

/** Service and node names for the NAME and NODE columns (one GET /nodes, one GET per unknown service). */
async function nameMaps(ctx: CliContext, tasks: Task[], known: Service[]) {
  const client = ctx.client();
  const serviceNames = new Map(known.map((s) => [s.ID, s.Spec.Name]));
  const missing = [...new Set(tasks.map((t) => t.ServiceID))].filter((id) => !serviceNames.has(id));
  const found = await Promise.all(missing.map((id) => client.services.get(id).catch(() => undefined)));
  for (const s of found) if (s) serviceNames.set(s.ID, s.Spec.Name);
  const nodes = tasks.some((t) => t.NodeID !== '') ? await client.nodes.list() : [];
  const nodeNames = new Map(nodes.map((n) => [n.ID, nodeName(n)]));
  return { serviceNames, nodeNames };
}

export async function printTasks(ctx: CliContext, tasks: Task[], known: Service[], flags: TaskListFlags): Promise<void> {
  const format = checkFormat(flags.format);
  const noTrunc = flags.noTrunc ?? false;
  if (flags.quiet) {
    const rows = buildTaskRows(tasks, { serviceNames: new Map(known.map((s) => [s.ID, s.Spec.Name])), nodeNames: new Map(), now: ctx.now(), noTrunc, tree: false });
    for (const row of rows) ctx.out(row.ID);
    return;
  }
  const { serviceNames, nodeNames } = await nameMaps(ctx, tasks, known);
  const rows = buildTaskRows(tasks, { serviceNames, nodeNames, now: ctx.now(), noTrunc, tree: format === 'table' });
  if (format === 'json') {
    for (const row of rows) ctx.out(jsonLine({ ...row }));
    return;
  }
  for (const line of formatTable(TASK_HEADER, rows.map(taskRowCells))) ctx.out(line);
}
