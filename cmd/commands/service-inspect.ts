import type { Command } from 'commander';
import type { Service } from '../../lib/model/types.js';
import { isNotFound } from '../../lib/client/api-error.js';
import type { CliContext } from '../context.js';
import { describeError, ExitError } from '../errors.js';
import { prettyService } from '../format/service-pretty.js';
import { inspectTemplate } from '../format/inspect-template.js';

export function registerServiceInspect(service: Command, ctx: CliContext): void {
  service
    .command('inspect')
    .description('Display detailed information on one or more services')
    .argument('<service...>', 'service name, ID or ID prefix')
    .option('--pretty', 'Print the information in a human friendly format')
    .option('-f, --format <template>', 'Format the output using the given Go template ({{.Spec.Name}}, {{json .Spec.Labels}}, {{index .Spec.Labels "k"}})')
    .addHelpText('after', `
Examples:
  $ swarmlet service inspect web
  $ swarmlet service inspect --pretty web
  $ swarmlet service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web`)
    .action(ctx.run(async (refs: string[], flags: { pretty?: boolean; format?: string }) => {
      const template = inspectTemplate(flags);
      const found: Service[] = [];
      const errors: string[] = [];
      for (const ref of refs) {
        try {
          found.push(await ctx.client().services.get(ref, { insertDefaults: true }));
        } catch (e) {
          errors.push(isNotFound(e) ? `Error: no such service: ${ref}` : describeError(e));
        }
      }
      if (template) {
        for (const s of found) ctx.out(template.render(s));
      } else if (flags.pretty) {
        found.forEach((s, i) => {
          if (i > 0) ctx.out('');
          for (const line of prettyService(s)) ctx.out(line);
        });
      } else {
        ctx.out(JSON.stringify(found, null, 4));
      }
      for (const line of errors) ctx.err(line);
      if (errors.length > 0) throw new ExitError(1);
    }));
}
