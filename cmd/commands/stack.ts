/**
 * `swarmlet stack ls|services|ps|rm`, as `docker stack …`: a stack is the services, networks,
 * secrets and configs labelled `com.docker.stack.namespace=<name>` (what `docker stack deploy`
 * creates). `swarmlet stack deploy` reads the compose file itself (cmd/stack-deploy.ts).
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { cliError, describeError, ExitError } from '../errors.js';
import { buildServiceRows, SERVICE_FIELDS, SERVICE_HEADER, serviceRowCells } from '../format/service-table.js';
import { collect, parseFilterArgs } from '../options.js';
import { checkFormat, printRows, printTasks } from '../print-tasks.js';
import { deployStack } from '../stack-deploy.js';

import { STACK_LABEL } from '../../lib/stack/compose-to-specs.js';

export { STACK_LABEL };

const inStack = (name: string) => ({ label: [`${STACK_LABEL}=${name}`] });

export function registerStack(program: Command, ctx: CliContext): void {
  const stack = program.command('stack').description('Manage stacks');
  stack.command('deploy').alias('up').description('Deploy a new stack or update an existing stack from a Compose file')
    .argument('<stack>', 'stack name')
    .requiredOption('-c, --compose-file <file>', 'Path to a Compose file (repeatable: later files override)', collect)
    .option('--prune', 'Prune services that are no longer referenced')
    .action(ctx.run(async (name: string, flags: { composeFile: string[]; prune?: boolean }) => {
      await deployStack(ctx.client(), { files: flags.composeFile, stack: name, prune: flags.prune ?? false, env: process.env, out: (l) => ctx.out(l) });
    }));
  stack.command('ls').alias('list').description('List stacks')
    .option('--format <format>', 'Output format: table (default), json or a Go template (\'{{.Name}}\')')
    .action(ctx.run(async (flags: { format?: string }) => {
      checkFormat(flags.format);
      const counts = new Map<string, number>();
      for (const s of await ctx.client().services.list({ filters: { label: [STACK_LABEL] } })) {
        const name = s.Spec.Labels?.[STACK_LABEL] ?? '';
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      const rows = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([Name, n]) => ({ Name, Services: String(n) }));
      printRows(ctx, flags.format, rows, { header: ['NAME', 'SERVICES'], cells: (r) => [r.Name, r.Services], fields: ['Name', 'Services'] });
    }));
  stack.command('services').description('List the services in the stack')
    .argument('<stack>', 'stack name')
    .option('-q, --quiet', 'Only display IDs')
    .option('-f, --filter <key=value>', 'Filter output (id, name, label, mode)', collect)
    .option('--format <format>', 'Output format')
    .action(ctx.run(async (name: string, flags: { quiet?: boolean; filter?: string[]; format?: string }) => {
      checkFormat(flags.format);
      const filters = parseFilterArgs(flags.filter);
      const services = await ctx.client().services.list({ filters: { ...filters, label: [...(filters.label ?? []), ...inStack(name).label] }, status: true });
      if (services.length === 0) { ctx.err(`Nothing found in stack: ${name}`); return; }
      const rows = buildServiceRows(services);
      if (flags.quiet) for (const r of rows) ctx.out(r.ID);
      else printRows(ctx, flags.format, rows, { header: SERVICE_HEADER, cells: serviceRowCells, fields: SERVICE_FIELDS });
    }));
  stack.command('ps').description('List the tasks in the stack')
    .argument('<stack>', 'stack name')
    .option('--no-trunc', 'Do not truncate output')
    .option('-q, --quiet', 'Only display task IDs')
    .option('-f, --filter <key=value>', 'Filter output (id, name, desired-state, node)', collect)
    .option('--format <format>', 'Output format')
    .action(ctx.run(async (name: string, flags: { trunc?: boolean; quiet?: boolean; filter?: string[]; format?: string }) => {
      const filters = parseFilterArgs(flags.filter);
      const tasks = await ctx.client().tasks.list({ ...filters, label: [...(filters.label ?? []), ...inStack(name).label] });
      if (tasks.length === 0) throw cliError(`nothing found in stack: ${name}`);
      const services = await ctx.client().services.list({ filters: inStack(name) });
      await printTasks(ctx, tasks, services, { noTrunc: flags.trunc === false, quiet: flags.quiet ?? false, ...(flags.format ? { format: flags.format } : {}) });
    }));
  stack.command('rm').alias('remove').description('Remove one or more stacks (services, secrets, configs and networks)')
    .argument('<stack...>', 'stack names')
    .action(ctx.run(async (names: string[]) => {
      const c = ctx.client();
      let failed = false;
      const attempt = async (what: string, fn: () => Promise<void>) => {
        ctx.out(`Removing ${what}`);
        try { await fn(); } catch (e) { ctx.err(describeError(e)); failed = true; }
      };
      for (const name of names) {
        const filters = inStack(name);
        const services = await c.services.list({ filters });
        const secrets = await c.secrets.list(filters);
        const configs = await c.configs.list(filters);
        const networks = await c.networks.list(filters);
        if (services.length + secrets.length + configs.length + networks.length === 0) { ctx.out(`Nothing found in stack: ${name}`); continue; }
        for (const s of services) await attempt(`service ${s.Spec.Name}`, () => c.services.remove(s.ID));
        for (const s of secrets) await attempt(`secret ${s.Spec.Name}`, () => c.secrets.remove(s.ID));
        for (const s of configs) await attempt(`config ${s.Spec.Name}`, () => c.configs.remove(s.ID));
        for (const n of networks) await attempt(`network ${n.Name}`, () => c.networks.remove(n.Id));
      }
      if (failed) throw new ExitError(1);
    }));
}
