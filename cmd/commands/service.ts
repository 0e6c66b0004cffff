/** `swarmlet service …`: one subcommand per file. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerServiceCreate } from './service-create.js';
import { registerServiceInspect } from './service-inspect.js';
import { registerServiceLogs } from './service-logs.js';
import { registerServiceLs } from './service-ls.js';
import { registerServicePs } from './service-ps.js';
import { registerServiceRm } from './service-rm.js';
import { registerServiceRollback } from './service-rollback.js';
import { registerServiceScale } from './service-scale.js';
import { registerServiceUpdate } from './service-update.js';

export function registerService(program: Command, ctx: CliContext): void {
  const service = program
    .command('service')
    .description('Manage services')
    .enablePositionalOptions();
  for (const register of [
    registerServiceCreate, registerServiceInspect, registerServiceLogs, registerServiceLs, registerServicePs,
    registerServiceRollback, registerServiceRm, registerServiceScale, registerServiceUpdate,
  ]) register(service, ctx);
}
