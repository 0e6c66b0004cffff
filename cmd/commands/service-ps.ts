import type { Command } from 'commander';
import { mergeFilters } from '../../lib/client/filters.js';
import type { CliContext } from '../context.js';
import { ExitError } from '../errors.js';
import { collect, parseFilterArgs } from '../options.js';
import { checkFormat, printTasks, type TaskListFlags } from '../print-tasks.js';
import { resolveServices } from '../resolve-services.js';

interface PsFlags extends TaskListFlags { filter?: string[] }

export function registerServicePs(service: Command, ctx: CliContext): void {
  service
    .command('ps')
    .description('List the tasks of one or more services')
    .argument('<service...>', 'service name, ID or ID prefix')
    .option('--no-trunc', 'Do not truncate output')
    .option('-q, --quiet', 'Only display task IDs')
    .option('-f, --filter <key=value>', 'Filter output (id, name, node, desired-state)', collect)
    .option('--format <format>', 'Output format: table (default), json (one object per line) or a Go template (\'{{.Name}} {{.CurrentState}}\')')
    .addHelpText('after', `
Examples:
  $ swarmlet service ps web
  $ swarmlet service ps --filter desired-state=running web api
  $ swarmlet service ps --format json web`)
    .action(ctx.run(async (refs: string[], flags: PsFlags & { trunc?: boolean }) => {
      checkFormat(flags.format);
      const userFilters = parseFilterArgs(flags.filter);
      const { services, notFound } = await resolveServices(ctx.client(), refs);
      if (services.length > 0) {
        const filters = mergeFilters(userFilters, { service: services.map((s) => s.ID) });
        const tasks = await ctx.client().tasks.list(filters);
        await printTasks(ctx, tasks, services, { noTrunc: flags.trunc === false, quiet: flags.quiet, format: flags.format });
      }
      if (notFound.length === 0) return;
      for (const ref of notFound) ctx.err(`Error: no such service: ${ref}`);
      throw new ExitError(1);
    }));
}
