import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { cliError, describeError, ExitError } from '../errors.js';
import { timeoutMs } from '../options.js';
import { waitForService } from '../progress.js';
import { parseReplicas, parseScaleSpecifier, type ScaleSpec } from '../scale-spec.js';
import { addWaitFlags, type WaitFlags } from './wait-flags.js';

/** GET the service, set the replica count, POST the whole spec back with the version read. */
async function scaleOne(ctx: CliContext, spec: ScaleSpec, replicas: number): Promise<void> {
  const client = ctx.client();
  const service = await client.services.get(spec.service);
  const mode = service.Spec.Mode;
  if (!mode.Replicated && !mode.ReplicatedJob) {
    throw cliError(`${spec.service}: scale can only be used with replicated or replicated-job mode`);
  }
  const next = structuredClone(service.Spec);
  if (next.Mode.Replicated) next.Mode.Replicated.Replicas = replicas;
  else if (next.Mode.ReplicatedJob) next.Mode.ReplicatedJob.TotalCompletions = replicas;
  const res = await client.services.update(service.ID, service.Version.Index, next);
  for (const w of res.Warnings ?? []) ctx.err(w);
}

export function registerServiceScale(service: Command, ctx: CliContext): void {
  const cmd = service
    .command('scale')
    .description('Scale one or multiple replicated services')
    .argument('<service=replicas...>', 'services and their new replica counts');
  addWaitFlags(cmd);
  cmd.addHelpText('after', `
Examples:
  $ swarmlet service scale web=5
  $ swarmlet service scale -d web=5 api=2`);
  cmd.action(ctx.run(async (args: string[], flags: WaitFlags) => {
    const specs = args.map(parseScaleSpecifier);
    const errors: string[] = [];
    const scaled: string[] = [];
    for (const spec of specs) {
      try {
        const replicas = parseReplicas(spec);
        await scaleOne(ctx, spec, replicas);
        ctx.out(`${spec.service} scaled to ${replicas}`);
        scaled.push(spec.service);
      } catch (e) {
        errors.push(describeError(e));
      }
    }
    if (!flags.detach) {
      for (const ref of scaled) {
        try {
          await waitForService(ctx, { ref, quiet: flags.quiet ?? false, timeoutMs: timeoutMs(flags.timeout) });
        } catch (e) {
          errors.push(describeError(e));
        }
      }
    }
    for (const line of errors) ctx.err(line);
    if (errors.length > 0) throw new ExitError(1);
  }));
}
