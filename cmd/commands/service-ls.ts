import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { collect, parseFilterArgs } from '../options.js';
import { checkFormat } from '../print-tasks.js';
import { buildServiceRows, SERVICE_HEADER, serviceRowCells } from '../format/service-table.js';
import { formatTable } from '../format/table.js';
import { jsonLine } from '../format/text.js';

interface LsFlags { quiet?: boolean; filter?: string[]; format?: string }

export function registerServiceLs(service: Command, ctx: CliContext): void {
  service
    .command('ls')
    .alias('list')
    .description('List services')
    .option('-q, --quiet', 'Only display IDs')
    .option('-f, --filter <key=value>', 'Filter output (id, name, label, mode)', collect)
    .option('--format <format>', 'Output format: table (default) or json (one object per line)')
    .addHelpText('after', `
Examples:
  $ swarmlet service ls
  $ swarmlet service ls --filter name=web --format json`)
    .action(ctx.run(async (flags: LsFlags) => {
      const format = checkFormat(flags.format);
      const filters = parseFilterArgs(flags.filter);
      const services = await ctx.client().services.list({ filters, status: !flags.quiet });
      const rows = buildServiceRows(services);
      if (flags.quiet) {
        for (const row of rows) ctx.out(row.ID);
      } else if (format === 'json') {
        for (const row of rows) ctx.out(jsonLine({ ...row }));
      } else {
        for (const line of formatTable(SERVICE_HEADER, rows.map(serviceRowCells))) ctx.out(line);
      }
    }));
}
