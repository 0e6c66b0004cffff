/**
 * The convergence wait after create/update/scale/rollback (unless -d): polls every 200 ms
 * GET /services/{ref}, GET /tasks (up-to-date tasks of the service), GET /nodes, feeds the pure
 * `stepWait`, and draws the progress (redrawn on a TTY, plain lines otherwise).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { SwarmletError } from '../lib/errors.js';
import type { CliContext } from './context.js';
import { isAbortError } from './errors.js';
import { renderPlain, renderTty } from './format/progress-render.js';
import { initialWaitState, stepWait, type Step } from './progress-wait.js';

export const POLL_MS = 200;

export interface WaitRequest {
  /** What to poll (the ID for create, the name as typed otherwise). */
  ref: string;
  expectRollback?: boolean;
  /** -q: wait without drawing. */
  quiet?: boolean;
  /** Give up (exit 1) after this long; undefined = wait as long as it takes. */
  timeoutMs?: number;
}

interface Drawing { lines: number; printed: Record<string, string> }

function draw(ctx: CliContext, step: Step, drawing: Drawing): Drawing {
  if (ctx.isTTY) {
    const { text, lines } = renderTty(step.state.items, drawing.lines);
    ctx.write(text);
    return { ...drawing, lines };
  }
  const { lines, printed } = renderPlain(step.emitted, drawing.printed);
  for (const line of lines) ctx.out(line);
  return { ...drawing, printed };
}

async function poll(ctx: CliContext, ref: string) {
  const client = ctx.client();
  const service = await client.services.get(ref);
  const [tasks, nodes] = await Promise.all([
    client.tasks.list({ '_up-to-date': ['true'], service: [service.ID] }),
    client.nodes.list(),
  ]);
  return { service, tasks, nodes, now: ctx.now() };
}

/** Resolves when the service converged; throws a SwarmletError (exit 1) when the update failed. */
export async function waitForService(ctx: CliContext, req: WaitRequest): Promise<void> {
  let state = initialWaitState();
  let drawing: Drawing = { lines: 0, printed: {} };
  const deadline = req.timeoutMs === undefined ? undefined : ctx.now() + req.timeoutMs;
  const opts = { ref: req.ref, expectRollback: req.expectRollback ?? false };
  for (;;) {
    if (ctx.signal.aborted) return state.converged ? undefined : backgroundNotice(ctx, req);
    const snapshot = await poll(ctx, req.ref);
    const step = stepWait(state, snapshot, opts);
    state = step.state;
    if (!req.quiet) drawing = draw(ctx, step, drawing);
    const outcome = step.outcome;
    if (outcome.kind === 'failed') throw new SwarmletError('failed_precondition', outcome.message);
    if (outcome.kind !== 'waiting') return;
    if (deadline !== undefined && ctx.now() >= deadline) {
      throw new SwarmletError('unavailable', `timed out waiting for service ${req.ref} to converge; the update continues in the background (check with: swarmlet service ps ${req.ref})`);
    }
    try {
      await delay(POLL_MS, undefined, { signal: ctx.signal });
    } catch (e) {
      if (!isAbortError(e)) throw e;
    }
  }
}

function backgroundNotice(ctx: CliContext, req: WaitRequest): void {
  if (req.quiet) return;
  ctx.out('Operation continuing in background.');
  ctx.out(`Use \`swarmlet service ps ${req.ref}\` to check progress.`);
}
