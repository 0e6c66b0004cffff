import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { rollbackService } from './service-update.js';
import { addWaitFlags, type WaitFlags } from './wait-flags.js';

export function registerServiceRollback(service: Command, ctx: CliContext): void {
  const cmd = service
    .command('rollback')
    .description('Revert changes to a service\'s configuration (swap it with the previous spec)')
    .argument('<service>', 'service name, ID or ID prefix');
  addWaitFlags(cmd);
  cmd.addHelpText('after', `
Examples:
  $ swarmlet service rollback web
  $ swarmlet service rollback -d web`);
  cmd.action(ctx.run(async (ref: string, flags: WaitFlags) => rollbackService(ctx, ref, flags)));
}
