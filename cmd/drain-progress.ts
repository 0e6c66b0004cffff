/** Watching a drain from the CLI: tasks still running on the node, until none is left. */
import type { Task } from '../lib/model/types.js';
import type { CliContext } from './context.js';
import { cliError } from './errors.js';

/** Tasks meant to leave a drained node that still run there. */
export function tasksLeftOnNode(tasks: Task[]): Task[] {
  return tasks.filter((t) => ['assigned', 'accepted', 'preparing', 'ready', 'starting', 'running'].includes(t.Status.State));
}

/** Polls every 200 ms and prints a line whenever the count changes; ends when nothing is left. */
export async function waitForDrain(ctx: CliContext, nodeId: string, hostname: string, timeoutMs: number | undefined): Promise<void> {
  const client = ctx.client();
  const deadline = timeoutMs === undefined ? Infinity : ctx.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const left = tasksLeftOnNode(await client.tasks.list({ node: [nodeId] }));
    if (left.length !== last) {
      ctx.out(left.length === 0 ? `drain: node ${hostname} has no running tasks` : `drain: ${left.length} task(s) still running on ${hostname}`);
      last = left.length;
    }
    if (left.length === 0) return;
    if (ctx.signal.aborted) { ctx.err('Operation continuing in background.'); return; }
    if (ctx.now() > deadline) throw cliError(`drain of ${hostname} not finished within the timeout (${left.length} task(s) left)`);
    await pause(200, ctx.signal);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
