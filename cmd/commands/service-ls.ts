import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { collect, parseFilterArgs } from '../options.js';
import { checkFormat, printRows } from '../print-tasks.js';
import { buildServiceRows, SERVICE_FIELDS, SERVICE_HEADER, serviceRowCells } from '../format/service-table.js';

interface LsFlags { quiet?: boolean; filter?: string[]; format?: string }

export function registerServiceLs(service: Command, ctx: CliContext): void {
  service
    .command('ls')
    .alias('list')
    .description('List services')
    .option('-q, --quiet', 'Only display IDs')
    .option('-f, --filter <key=value>', 'Filter output (id, name, label, mode)', collect)
    .option('--format <format>', 'Output format: table (default), json (one object per line) or a Go template (\'{{.Name}}\', \'table {{.ID}}\\t{{.Replicas}}\')')
    .addHelpText('after', `
Examples:
  $ swarmlet service ls
  $ swarmlet service ls --filter name=web --format json`)
    .action(ctx.run(async (flags: LsFlags) => {
      checkFormat(flags.format);
      const filters = parseFilterArgs(flags.filter);
      const services = await ctx.client().services.list({ filters, status: !flags.quiet });
      const rows = buildServiceRows(services);
      if (flags.quiet) {
        for (const row of rows) ctx.out(row.ID);
      } else {
        printRows(ctx, flags.format, rows, { header: SERVICE_HEADER, cells: serviceRowCells, fields: SERVICE_FIELDS });
      }
    }));
}
