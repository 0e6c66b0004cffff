import type { Command } from 'commander';
import { applyUpdateOptions } from '../../lib/model/spec-from-options.js';
import type { CliContext } from '../context.js';
import { cliError } from '../errors.js';
import { timeoutMs } from '../options.js';
import { waitForService } from '../progress.js';
import { addServiceFlags, updateOptionsFromFlags } from '../service-flags.js';
import { addWaitFlags, type WaitFlags } from './wait-flags.js';

const ROLLBACK_COMPANIONS = new Set(['rollback', 'detach', 'quiet', 'timeout']);

/** Keys of the flags given on the command line (not defaults). */
function givenFlags(cmd: Command): string[] {
  return cmd.options.map((o) => o.attributeName()).filter((k) => cmd.getOptionValueSource(k) === 'cli');
}

/** Rolls a service back to its previous spec (POST update ?rollback=previous with the current spec). */
export async function rollbackService(ctx: CliContext, ref: string, flags: WaitFlags): Promise<void> {
  const client = ctx.client();
  const service = await client.services.get(ref);
  const res = await client.services.update(service.ID, service.Version.Index, service.Spec, { rollback: true });
  for (const w of res.Warnings ?? []) ctx.err(w);
  ctx.out(ref);
  if (flags.detach) return;
  await waitForService(ctx, { ref, expectRollback: true, quiet: flags.quiet ?? false, timeoutMs: timeoutMs(flags.timeout) });
}

export function registerServiceUpdate(service: Command, ctx: CliContext): void {
  const cmd = service
    .command('update')
    .description('Update a service')
    .argument('<service>', 'service name, ID or ID prefix')
    .option('--rollback', 'Rollback to previous specification');
  addWaitFlags(addServiceFlags(cmd, 'update'));
  cmd.addHelpText('after', `
Examples:
  $ swarmlet service update --image whoami:2 web
  $ swarmlet service update --replicas 5 --update-parallelism 2 --update-delay 3s web
  $ swarmlet service update --env-add MODE=fast --publish-add 9001:8081 web
  $ swarmlet service update --force web        (redeploy every task, e.g. to rebalance)
  $ swarmlet service update --rollback web`);
  cmd.action(ctx.run(async (ref: string, flags: Record<string, unknown> & WaitFlags, self: Command) => {
    if (flags.rollback) {
      if (givenFlags(self).some((k) => !ROLLBACK_COMPANIONS.has(k))) throw cliError('other flags may not be combined with --rollback');
      await rollbackService(ctx, ref, flags);
      return;
    }
    const client = ctx.client();
    const current = await client.services.get(ref);
    const opts = updateOptionsFromFlags(flags);
    // --network-rm takes names too; attachments store network IDs.
    if (opts.networkRm) opts.networkRm = [...opts.networkRm, ...await Promise.all(opts.networkRm.map((r) => client.networks.get(r).then((n) => n.Id, () => r)))];
    const spec = applyUpdateOptions(current.Spec, opts);
    const res = await client.services.update(current.ID, current.Version.Index, spec);
    for (const w of res.Warnings ?? []) ctx.err(w);
    ctx.out(ref);
    if (flags.detach) return;
    await waitForService(ctx, { ref, quiet: flags.quiet ?? false, timeoutMs: timeoutMs(flags.timeout) });
  }));
}
