import type { Command } from 'commander';
import { specFromOptions } from '../../lib/model/spec-from-options.js';
import type { CliContext } from '../context.js';
import { timeoutMs } from '../options.js';
import { waitForService } from '../progress.js';
import { addServiceFlags, createOptionsFromFlags } from '../service-flags.js';
import { addWaitFlags, type WaitFlags } from './wait-flags.js';

const EXAMPLES = `
Examples:
  $ swarmlet service create --name web --replicas 3 -p 9000:8080 whoami:1
  $ swarmlet service create --name api --update-parallelism 2 --update-delay 3s \\
      --update-failure-action rollback --health-http /healthz myapp:2
  $ swarmlet service create --name agent --mode global -d whoami:1
  $ swarmlet service create --name batch --mode replicated-job --replicas 5 --max-concurrent 2 myjob:1
  $ swarmlet service create --name hello whoami:1 node -e "console.log('hi')"`;

export function registerServiceCreate(service: Command, ctx: CliContext): void {
  const cmd = service
    .command('create')
    .description('Create a new service')
    .argument('<image>', 'image (name:tag from `swarmlet image ls`)')
    .argument('[command]', 'command to run instead of the image\'s')
    .argument('[args...]', 'arguments of the command')
    .passThroughOptions();
  addWaitFlags(addServiceFlags(cmd, 'create'));
  cmd.addHelpText('after', EXAMPLES);
  cmd.action(ctx.run(async (image: string, command: string | undefined, args: string[], flags: Record<string, unknown> & WaitFlags) => {
    const spec = specFromOptions(createOptionsFromFlags(flags, image, command, args));
    const res = await ctx.client().services.create(spec);
    for (const w of res.Warnings ?? []) ctx.err(w);
    ctx.out(res.ID);
    if (flags.detach) return;
    await waitForService(ctx, { ref: res.ID, quiet: flags.quiet ?? false, timeoutMs: timeoutMs(flags.timeout) });
  }));
}
