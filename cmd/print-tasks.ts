/** The task table shared by `service ps` and `node ps` (table, `--format json|TEMPLATE`, `-q`), and `--format` for every list. */
import type { Service, Task } from '../lib/model/types.js';
import type { CliContext } from './context.js';
import { cliError } from './errors.js';
import { nodeName } from './format/node-table.js';
import { formatTable } from './format/table.js';
import { buildTaskRows, TASK_FIELDS, TASK_HEADER, taskRowCells } from './format/task-table.js';
import { parseRowTemplate, renderRows } from './format/go-template.js';
import { jsonLine } from './format/text.js';

export interface TaskListFlags {
  noTrunc?: boolean;
  quiet?: boolean;
  format?: string;
}

/** `--format`: table (default), json (one object per line), or a Go template (`{{.Name}}`, `table {{.ID}}\t{{.Name}}`). */
export function checkFormat(format: string | undefined): 'table' | 'json' | 'template' {
  if (format === undefined || format === '' || format === 'table') return 'table';
  if (format === 'json' || format === '{{json .}}') return 'json';
  if (format.includes('{{')) return 'template';
  throw cliError(`unsupported format "${format}" (use table, json or a Go template such as '{{.ID}}')`);
}

/**
 * Prints rows as `--format` says: a table (`header` + `cells`), one JSON object per line, or a Go
 * template over the row's fields (`fields`, checked before anything is printed).
 */
export function printRows<R extends object>(
  ctx: CliContext, format: string | undefined, rows: readonly R[], table: { header: string[]; cells: (r: R) => string[]; fields: readonly string[] },
): void {
  const kind = checkFormat(format);
  if (kind === 'json') {
    for (const row of rows) ctx.out(jsonLine({ ...row } as Record<string, unknown>));
  } else if (kind === 'template') {
    for (const line of renderRows(parseRowTemplate(format!, table.fields), rows)) ctx.out(line);
  } else {
    const lines = formatTable(table.header, rows.map(table.cells));
    for (let i = 0; i < lines.length; i += 1000) ctx.out(lines.slice(i, i + 1000).join('\n')); // few writes for 100,000 rows
  }
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
  printRows(ctx, flags.format, rows, { header: TASK_HEADER, cells: taskRowCells, fields: TASK_FIELDS });
}
