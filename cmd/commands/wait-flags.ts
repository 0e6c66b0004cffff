/** The `-d/--detach`, `-q/--quiet` and `--timeout` flags of commands that wait for convergence. */
import type { Command } from 'commander';
import { duration } from '../options.js';

export interface WaitFlags { detach?: boolean; quiet?: boolean; timeout?: string }

export function addWaitFlags(cmd: Command): Command {
  return cmd
    .option('-d, --detach', 'Exit immediately instead of waiting for the service to converge')
    .option('-q, --quiet', 'Suppress progress output')
    .option('--timeout <duration>', 'Stop waiting for convergence after this long (exit 1); default: no limit', duration);
}
