/** `swarmlet version`: client and manager versions. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CLI_VERSION } from '../version.js';

export function registerSystem(program: Command, ctx: CliContext): void {
  program.command('version').description('Show the swarmlet client and manager versions')
    .action(ctx.run(async () => {
      ctx.out('Client:');
      ctx.out(` Version:      ${CLI_VERSION}`);
      ctx.out(` Node.js:      ${process.version}`);
      const v = await ctx.client().version();
      ctx.out('');
      ctx.out(`Manager: ${ctx.client().host}`);
      ctx.out(` Version:      ${v.Version}`);
      ctx.out(` API version:  ${v.ApiVersion}${v.MinAPIVersion ? ` (minimum version ${v.MinAPIVersion})` : ''}`);
    }));
}
