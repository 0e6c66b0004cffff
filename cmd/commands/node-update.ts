import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { applyNodeUpdate, checkNodeUpdateFlags, type NodeUpdateFlags } from '../node-spec-update.js';
import { collect, duration, timeoutMs } from '../options.js';
import { waitForDrain } from '../drain-progress.js';
import { nodeRef } from '../node-ref.js';

export function registerNodeUpdate(node: Command, ctx: CliContext): void {
  node.command('update').description('Update a node')
    .argument('<node>', 'node ID, hostname or `self`')
    .option('--availability <availability>', 'Availability of the node ("active", "pause", "drain")')
    .option('--role <role>', 'Role of the node ("worker", "manager")')
    .option('--label-add <key=value>', 'Add or update a node label (key=value)', collect)
    .option('--label-rm <key>', 'Remove a node label if exists', collect)
    .option('-d, --detach', 'With --availability drain: return at once instead of showing the drain until the node is empty')
    .option('--timeout <duration>', 'Stop waiting for the drain after this long (exit 1)', duration)
    .addHelpText('after', `
Examples:
  $ swarmlet node update --availability drain node-2
  $ swarmlet node update --label-add zone=a --label-rm old node-3`)
    .action(ctx.run(async (ref: string, flags: NodeUpdateFlags & { detach?: boolean; timeout?: string }) => {
      checkNodeUpdateFlags(flags);
      const client = ctx.client();
      const current = await client.nodes.get(await nodeRef(ctx, ref));
      await client.nodes.update(current.ID, current.Version.Index, applyNodeUpdate(current.Spec, flags));
      ctx.out(ref);
      if (flags.availability === 'drain' && !flags.detach && current.Spec.Availability !== 'drain') {
        await waitForDrain(ctx, current.ID, current.Description.Hostname, timeoutMs(flags.timeout));
      }
    }));
}
