/** `swarmlet image ls|add|rm`: the process driver's image catalog (name:tag → command line). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { describeError, ExitError } from '../errors.js';
import { splitCommandLine } from '../format/command-line.js';
import { buildImageRows, IMAGE_FIELDS, IMAGE_HEADER, imageRowCells } from '../format/image-table.js';
import { collect } from '../options.js';
import { checkFormat, printRows } from '../print-tasks.js';

interface AddFlags { cmd?: string; entrypoint?: string; cwd?: string; env?: string[] }

export function registerImage(program: Command, ctx: CliContext): void {
  const image = program.command('image').description('Manage the image catalog (name:tag → command)');
  image.command('ls').alias('list').description('List images')
    .option('-q, --quiet', 'Only display names')
    .option('--format <format>', 'Output format: table (default), json (one object per line) or a Go template (\'{{.Name}}\')')
    .action(ctx.run(async (flags: { quiet?: boolean; format?: string }) => {
      checkFormat(flags.format);
      const rows = buildImageRows(await ctx.client().images.list(), ctx.now());
      if (flags.quiet) for (const row of rows) ctx.out(row.Name);
      else printRows(ctx, flags.format, rows, { header: IMAGE_HEADER, cells: imageRowCells, fields: IMAGE_FIELDS });
    }));
  image.command('add').description('Add or replace an image: a name:tag for a command line')
    .argument('<name:tag>', 'image reference, e.g. myapp:1')
    .option('--cmd <command>', 'command line, split like a shell ("node server.js --port 8080"); a service\'s args replace it')
    .option('--entrypoint <command>', 'run before the command, split like a shell ("node"); a service\'s --entrypoint replaces it')
    .option('--cwd <dir>', 'working directory of the command')
    .option('--env <KEY=VALUE>', 'environment variable (repeatable)', collect)
    .addHelpText('after', `
Examples:
  $ swarmlet image add myapp:1 --cmd "node server.js" --cwd /srv/myapp
  $ swarmlet image add worker:2 --cmd "node worker.js --queue 'jobs high'" --env LOG_LEVEL=info
  $ swarmlet image add redis:7 --cmd 'redis-server --save ""'
  $ swarmlet image add app:1 --entrypoint node --cmd server.js   # service create app:1 other.js runs node other.js`)
    .action(ctx.run(async (name: string, flags: AddFlags) => {
      if (flags.cmd === undefined && flags.entrypoint === undefined) throw new Error('image add needs --cmd or --entrypoint: the command line the image runs');
      const added = await ctx.client().images.add({
        Name: name, Cmd: flags.cmd === undefined ? [] : splitCommandLine(flags.cmd, 'cmd'),
        ...(flags.entrypoint !== undefined ? { Entrypoint: splitCommandLine(flags.entrypoint, 'entrypoint') } : {}),
        ...(flags.cwd ? { Cwd: flags.cwd } : {}), ...(flags.env ? { Env: flags.env } : {}),
      });
      ctx.out(added?.Name ?? name);
    }));
  image.command('rm').alias('remove').description('Remove one or more images')
    .argument('<name:tag...>', 'image references')
    .action(ctx.run(async (names: string[]) => {
      let failed = false;
      for (const name of names) {
        try {
          await ctx.client().images.remove(name);
          ctx.out(name);
        } catch (e) {
          ctx.err(describeError(e));
          failed = true;
        }
      }
      if (failed) throw new ExitError(1);
    }));
}
