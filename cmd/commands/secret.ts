/** `swarmlet secret|config create|ls|inspect|rm`, as `docker secret …` and `docker config …`. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config, Secret } from '../../lib/model/secret-types.js';
import type { CliContext } from '../context.js';
import { cliError, describeError, ExitError } from '../errors.js';
import { inspectTemplate } from '../format/inspect-template.js';
import { buildObjectRows, objectHeader, objectRowCells, prettyObject, SECRET_FIELDS } from '../format/secret-table.js';
import { collect, parseFilterArgs } from '../options.js';
import { checkFormat, printRows } from '../print-tasks.js';

type Kind = 'secret' | 'config';

function api(ctx: CliContext, kind: Kind) {
  const c = ctx.client();
  return kind === 'secret' ? c.secrets : c.configs;
}

async function readStdin(ctx: CliContext): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.io.stdin ?? process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer);
  return Buffer.concat(chunks);
}

function labelsOf(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq === 0) throw cliError(`invalid label '${v}': empty name`, 'label');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

function registerCreate(group: Command, ctx: CliContext, kind: Kind): void {
  group.command('create').description(`Create a ${kind} from a file or STDIN as content`)
    .argument('<name>', `${kind} name`)
    .argument('<file|->', 'file with the content, or - for standard input')
    .option('-l, --label <key=value>', `${kind} labels`, collect)
    .addHelpText('after', `\nExamples:\n  $ swarmlet ${kind} create db_pass ./db_pass.txt\n  $ printf 's3cret' | swarmlet ${kind} create db_pass -`)
    .action(ctx.run(async (name: string, file: string, flags: { label?: string[] }) => {
      let data: Buffer;
      try {
        data = file === '-' ? await readStdin(ctx) : readFileSync(file);
      } catch (e) {
        throw cliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'file');
      }
      const r = await api(ctx, kind).create({ Name: name, Labels: labelsOf(flags.label), Data: data.toString('base64') });
      ctx.out(r.ID);
    }));
}

function registerLs(group: Command, ctx: CliContext, kind: Kind): void {
  group.command('ls').alias('list').description(`List ${kind}s`)
    .option('-q, --quiet', 'Only display IDs')
    .option('-f, --filter <key=value>', 'Filter output (id, name, names, label)', collect)
    .option('--format <format>', 'Output format: table (default), json (one object per line) or a Go template (\'{{.Name}}\')')
    .action(ctx.run(async (flags: { quiet?: boolean; filter?: string[]; format?: string }) => {
      checkFormat(flags.format);
      const rows = buildObjectRows(await api(ctx, kind).list(parseFilterArgs(flags.filter)), ctx.now());
      if (flags.quiet) for (const row of rows) ctx.out(row.ID);
      else printRows(ctx, flags.format, rows, { header: objectHeader(kind), cells: objectRowCells(kind), fields: SECRET_FIELDS });
    }));
}

function registerInspect(group: Command, ctx: CliContext, kind: Kind): void {
  group.command('inspect').description(`Display detailed information on one or more ${kind}s`)
    .argument(`<${kind}...>`, `${kind} names or IDs`)
    .option('--pretty', 'Print the information in a human friendly format')
    .option('-f, --format <template>', 'Format the output using the given Go template ({{.Spec.Name}})')
    .action(ctx.run(async (refs: string[], flags: { pretty?: boolean; format?: string }) => {
      const template = inspectTemplate(flags);
      const found: Array<Secret | Config> = [];
      const errors: string[] = [];
      for (const ref of refs) {
        try {
          found.push(await api(ctx, kind).get(ref));
        } catch (e) {
          errors.push(describeError(e));
        }
      }
      if (template) for (const x of found) ctx.out(template.render(x));
      else if (flags.pretty) found.forEach((x, i) => { if (i > 0) ctx.out(''); for (const l of prettyObject(kind, x)) ctx.out(l); });
      else ctx.out(JSON.stringify(found, null, 4));
      for (const line of errors) ctx.err(line);
      if (errors.length > 0) throw new ExitError(1);
    }));
}

function registerRm(group: Command, ctx: CliContext, kind: Kind): void {
  group.command('rm').alias('remove').description(`Remove one or more ${kind}s`)
    .argument(`<${kind}...>`, `${kind} names or IDs`)
    .action(ctx.run(async (refs: string[]) => {
      let failed = false;
      for (const ref of refs) {
        try {
          await api(ctx, kind).remove(ref);
          ctx.out(ref);
        } catch (e) {
          ctx.err(describeError(e));
          failed = true;
        }
      }
      if (failed) throw new ExitError(1);
    }));
}

export function registerSecret(program: Command, ctx: CliContext): void {
  for (const kind of ['secret', 'config'] as const) {
    const group = program.command(kind).description(kind === 'secret' ? 'Manage secrets (encrypted at rest, never shown)' : 'Manage configs');
    registerCreate(group, ctx, kind);
    registerLs(group, ctx, kind);
    registerInspect(group, ctx, kind);
    registerRm(group, ctx, kind);
  }
}
