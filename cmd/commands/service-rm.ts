import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { describeError, ExitError } from '../errors.js';

export function registerServiceRm(service: Command, ctx: CliContext): void {
  service
    .command('rm')
    .alias('remove')
    .description('Remove one or more services')
    .argument('<service...>', 'service names, IDs or ID prefixes')
    .addHelpText('after', `
Examples:
  $ swarmlet service rm web
  $ swarmlet service rm web api`)
    .action(ctx.run(async (refs: string[]) => {
      let failed = false;
      for (const ref of refs) {
        try {
          await ctx.client().services.remove(ref);
          ctx.out(ref);
        } catch (e) {
          ctx.err(describeError(e));
          failed = true;
        }
      }
      if (failed) throw new ExitError(1);
    }));
}
