import type { Command } from 'commander';
import type { WireLogLine } from '../../lib/protocol/log-frames.js';
import type { EngineClient } from '../../lib/client/client.js';
import type { CliContext } from '../context.js';
import { cliError, isAbortError } from '../errors.js';
import { digits, formatLogLine, logPrefix } from '../format/log-line.js';
import { nodeName } from '../format/node-table.js';
import { resolveLogTarget, type LogTarget } from '../log-target.js';
import { parseSince } from '../since.js';

interface LogsFlags {
  follow?: boolean; tail?: string; timestamps?: boolean; since?: string; raw?: boolean; taskIds?: boolean; trunc?: boolean;
}

/** Prefix per task, resolved once (GET /tasks, /services, /nodes) and cached. */
function prefixer(client: EngineClient, flags: LogsFlags, padding: number) {
  const cache = new Map<string, Promise<string>>();
  const resolve = async (r: WireLogLine): Promise<string> => {
    const [task, service, node] = await Promise.all([
      client.tasks.get(r.taskId).catch(() => undefined),
      client.services.get(r.serviceId).catch(() => undefined),
      client.nodes.get(r.nodeId).catch(() => undefined),
    ]);
    return logPrefix(
      { serviceName: service?.Spec.Name ?? r.serviceId, slot: task?.Slot ?? 0, nodeId: r.nodeId, taskId: r.taskId, nodeName: node ? nodeName(node) : r.nodeId },
      { noTrunc: flags.trunc === false, noTaskIds: flags.taskIds === false, padding },
    );
  };
  return (r: WireLogLine): Promise<string> => {
    let p = cache.get(r.taskId);
    if (!p) cache.set(r.taskId, (p = resolve(r)));
    return p;
  };
}

function padding(target: LogTarget): number {
  if (target.kind === 'task') return digits(target.task.Slot);
  return digits(target.service.Spec.Mode.Replicated?.Replicas ?? 1);
}

export function registerServiceLogs(service: Command, ctx: CliContext): void {
  service
    .command('logs')
    .description('Fetch the logs of a service or task')
    .argument('<service|task>', 'service name/ID, task ID, or task name like web.1')
    .option('-f, --follow', 'Follow log output')
    .option('-n, --tail <lines>', 'Number of lines to show from the end of the logs of each task', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--since <time>', 'Show logs since a timestamp (2026-01-02T13:23:37Z) or relative (e.g. 42m)')
    .option('--raw', 'Do not neatly format logs')
    .option('--no-task-ids', 'Do not include task IDs in output')
    .option('--no-trunc', 'Do not truncate output')
    .addHelpText('after', `
Examples:
  $ swarmlet service logs web
  $ swarmlet service logs -f --tail 10 web
  $ swarmlet service logs web.1          (the newest task of slot 1)`)
    .action(ctx.run(async (ref: string, flags: LogsFlags) => {
      const client = ctx.client();
      const target = await resolveLogTarget(client, ref);
      const tail: number | 'all' = flags.tail === undefined || flags.tail === 'all' ? 'all' : Number(flags.tail);
      if (tail !== 'all' && (!Number.isInteger(tail) || tail < 0)) throw cliError(`invalid value for "tail": "${flags.tail}"`);
      const opts = {
        follow: flags.follow ?? false, tail, timestamps: flags.timestamps ?? false, details: !flags.raw, signal: ctx.signal,
        since: flags.since === undefined ? undefined : parseSince(flags.since, ctx.now()),
      };
      const records = target.kind === 'service' ? client.serviceLogs(target.service.ID, opts) : client.taskLogs(target.task.ID, opts);
      const prefix = prefixer(client, flags, padding(target));
      try {
        for await (const r of records) {
          const line = flags.raw ? `${opts.timestamps && r.time ? `${r.time} ` : ''}${r.text}` : formatLogLine(await prefix(r), r, opts.timestamps);
          if (r.stream === 'stderr') ctx.err(line);
          else ctx.out(line);
        }
      } catch (e) {
        if (!(isAbortError(e) && ctx.signal.aborted)) throw e;
      }
    }));
}
