/**
 * `swarmlet events`: the manager's event stream, printed like `docker events`
 * (`<time> <type> <action> <id> (k=v, …)`) or as one JSON object per line (`--format json`).
 * Ends on Ctrl-C, at `--until`, or when the manager ends the stream.
 */
import type { Command } from 'commander';
import type { EventMessage } from '../../lib/events/event-message.js';
import { encodeEvent } from '../../lib/events/event-message.js';
import { formatRfc3339Nano, formatUnixNanos, parseEventTime } from '../../lib/events/event-time.js';
import type { Filters } from '../../lib/client/filters.js';
import type { CliContext } from '../context.js';
import { cliError, isAbortError } from '../errors.js';
import { collect, parseFilterArgs } from '../options.js';

interface EventsFlags { since?: string; until?: string; filter?: string[]; format?: string }

/** docker's default line: `2026-11-27T07:20:00.000000000Z service update <id> (name=web, replicas.new=7, replicas.old=3)`. */
export function formatEventLine(e: EventMessage): string {
  const time = e.timeNano !== 0n ? `${formatRfc3339Nano(e.timeNano)} ` : e.time !== 0 ? `${formatRfc3339Nano(BigInt(e.time) * 1_000_000_000n)} ` : '';
  const keys = Object.keys(e.Actor.Attributes).sort();
  const attrs = keys.length > 0 ? ` (${keys.map((k) => `${k}=${e.Actor.Attributes[k]}`).join(', ')})` : '';
  return `${time}${e.Type} ${e.Action} ${e.Actor.ID}${attrs}`;
}

function eventFormat(format: string | undefined): 'pretty' | 'json' {
  if (format === undefined || format === '') return 'pretty';
  if (format === 'json' || format === '{{json .}}') return 'json';
  throw cliError(`unsupported format "${format}" (use json, or leave it out for docker's default lines)`);
}

/** `--since`/`--until` as docker's CLI sends them: Unix seconds with 9 decimals. */
function queryTime(value: string | undefined, field: string, nowMs: number): string | undefined {
  return value === undefined ? undefined : formatUnixNanos(parseEventTime(value, field, nowMs));
}

function filterArgs(values: string[] | undefined): Filters {
  try {
    return parseFilterArgs(values);
  } catch (e) {
    throw cliError((e as Error).message);
  }
}

export function registerEvents(program: Command, ctx: CliContext): void {
  program
    .command('events')
    .description('Get real time events from the manager (services, tasks, nodes)')
    .option('--since <time>', 'Show events since a time: Unix seconds, RFC 3339 (2026-01-02T13:23:37Z) or relative (e.g. 42m)')
    .option('--until <time>', 'Stream events until this time (same forms)')
    .option('-f, --filter <key=value>', 'Filter events (type=service|task|node, event=create|update|remove, service=, node=, task=, label=, scope=)', collect)
    .option('--format <format>', 'json: one JSON object per line (default: docker\'s event lines)')
    .addHelpText('after', `
Events are kept in the manager's memory (the last 10,000): --since replays those, not events from
before the manager's last restart.

Examples:
  $ swarmlet events
  $ swarmlet events --filter type=service --filter event=update
  $ swarmlet events --since 10m --until 0s --format json`)
    .action(ctx.run(async (flags: EventsFlags) => {
      const format = eventFormat(flags.format);
      const now = ctx.now();
      const since = queryTime(flags.since, 'since', now);
      const until = queryTime(flags.until, 'until', now);
      const filters = filterArgs(flags.filter);
      try {
        for await (const e of ctx.client().events({ since, until, filters, signal: ctx.signal })) {
          ctx.out(format === 'json' ? encodeEvent(e) : formatEventLine(e));
        }
      } catch (e) {
        if (!(isAbortError(e) && ctx.signal.aborted)) throw e;
      }
    }));
}
