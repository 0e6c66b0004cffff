/** `swarmlet network create|ls|inspect|rm`, as `docker network …` for swarm-scoped overlay networks. */
import type { Command } from 'commander';
import type { Network } from '../../lib/model/network-types.js';
import type { CliContext } from '../context.js';
import { describeError, ExitError } from '../errors.js';
import { inspectTemplate } from '../format/inspect-template.js';
import { collect, parseFilterArgs } from '../options.js';
import { checkFormat, printRows } from '../print-tasks.js';

interface NetworkRow { ID: string; Name: string; Driver: string; Scope: string; Subnet: string }
const FIELDS: ReadonlyArray<keyof NetworkRow> = ['ID', 'Name', 'Driver', 'Scope', 'Subnet'];

function keyValues(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) { const i = v.indexOf('='); if (i < 0) out[v] = ''; else out[v.slice(0, i)] = v.slice(i + 1); }
  return out;
}

export function registerNetwork(program: Command, ctx: CliContext): void {
  const network = program.command('network').description('Manage overlay networks (service discovery through virtual IPs)');
  network.command('create').description('Create a network')
    .argument('<name>', 'network name')
    .option('-d, --driver <driver>', 'Driver to manage the network (overlay only)', 'overlay')
    .option('--attachable', 'Enable manual container attachment')
    .option('--internal', 'Restrict external access to the network')
    .option('--subnet <cidr>', 'Subnet inside 127.0.0.0/8 (default: the next /24 of 127.77.0.0/16)')
    .option('--label <key=value>', 'Network labels', collect)
    .option('-o, --opt <key=value>', 'Driver specific options', collect)
    .action(ctx.run(async (name: string, flags: { driver: string; attachable?: boolean; internal?: boolean; subnet?: string; label?: string[]; opt?: string[] }) => {
      const r = await ctx.client().networks.create({
        Name: name, Driver: flags.driver, Attachable: flags.attachable === true, Internal: flags.internal === true,
        Labels: keyValues(flags.label), Options: keyValues(flags.opt), ...(flags.subnet ? { IPAM: { Config: [{ Subnet: flags.subnet }] } } : {}),
      });
      ctx.out(r.Id);
    }));
  network.command('ls').alias('list').description('List networks')
    .option('-q, --quiet', 'Only display IDs')
    .option('-f, --filter <key=value>', 'Filter output (driver, id, label, name, scope, type, dangling)', collect)
    .option('--format <format>', 'Output format: table (default), json or a Go template (\'{{.Name}}\')')
    .action(ctx.run(async (flags: { quiet?: boolean; filter?: string[]; format?: string }) => {
      checkFormat(flags.format);
      const rows: NetworkRow[] = (await ctx.client().networks.list(parseFilterArgs(flags.filter))).map((n: Network) => ({
        ID: n.Id.slice(0, 12), Name: n.Name, Driver: n.Driver, Scope: n.Scope, Subnet: n.IPAM?.Config?.[0]?.Subnet ?? '',
      }));
      if (flags.quiet) for (const r of rows) ctx.out(r.ID);
      else printRows(ctx, flags.format, rows, { header: ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE', 'SUBNET'], cells: (r) => [r.ID, r.Name, r.Driver, r.Scope, r.Subnet], fields: FIELDS });
    }));
  network.command('inspect').description('Display detailed information on one or more networks')
    .argument('<network...>', 'network names or IDs')
    .option('-f, --format <template>', 'Format the output using the given Go template')
    .action(ctx.run(async (refs: string[], flags: { format?: string }) => {
      const template = inspectTemplate(flags);
      const found: Network[] = [];
      const errors: string[] = [];
      for (const ref of refs) {
        try { found.push(await ctx.client().networks.get(ref)); } catch (e) { errors.push(describeError(e)); }
      }
      if (template) for (const n of found) ctx.out(template.render(n));
      else ctx.out(JSON.stringify(found, null, 4));
      for (const line of errors) ctx.err(line);
      if (errors.length > 0) throw new ExitError(1);
    }));
  network.command('rm').alias('remove').description('Remove one or more networks')
    .argument('<network...>', 'network names or IDs')
    .action(ctx.run(async (refs: string[]) => {
      let failed = false;
      for (const ref of refs) {
        try { await ctx.client().networks.remove(ref); ctx.out(ref); } catch (e) { ctx.err(describeError(e)); failed = true; }
      }
      if (failed) throw new ExitError(1);
    }));
}
