import type { Logger } from '../logger.js';
import type { TaskReport } from '../protocol/task-report.js';
import { stateRank } from '../model/task-state.js';
import type { Task } from '../model/types.js';
import type { RunningTask, TaskDriver } from './task-driver.js';

/** What an agent reports for a task an earlier agent left in flight that cannot be adopted. */
export const NOT_ADOPTED_REPORT: TaskReport = { State: 'shutdown', Message: 'shutdown', Err: 'task: stopped because its agent restarted' };

export interface AdoptTasksOptions<R> {
  /** Every task the manager assigns to this node, as the first sync after the agent started saw them. */
  tasks: Task[];
  driver: TaskDriver;
  /** Wraps an adopted task (the agent's TaskRunner.adopt). */
  supervise: (task: Task, running: RunningTask) => R;
  report: (taskId: string, report: TaskReport) => void;
  logger: Logger;
}

/** Tasks an earlier agent may have left running: accepted … running (not yet terminal). */
export function inFlight(task: Task): boolean {
  const rank = stateRank(task.Status.State);
  return rank >= stateRank('accepted') && rank <= stateRank('running');
}

/**
 * The first sync of an agent: takes over the task processes an earlier agent on this node left
 * running (same task IDs, same processes) and returns their supervisors by task ID. The caller's
 * usual sync then stops those whose desired state is past running. A task in flight whose
 * process is gone (or a driver that cannot adopt) is reported shut down, so the manager replaces
 * it. Last, whatever the driver still finds that nobody adopted is stopped in the background, so
 * no process outlives its task.
 */
export async function adoptTasks<R>(o: AdoptTasksOptions<R>): Promise<Map<string, R>> {
  const candidates = o.tasks.filter(inFlight);
  const adopted = await Promise.all(candidates.map(async (t) => [t, await tryAdopt(o, t)] as const));
  const out = new Map<string, R>();
  for (const [task, running] of adopted) {
    if (running) {
      o.logger.info({ task: task.ID, pid: running.pid }, 'adopted a task left running by an earlier agent');
      out.set(task.ID, o.supervise(task, running));
    } else {
      o.report(task.ID, NOT_ADOPTED_REPORT);
    }
  }
  void o.driver.stopUnadopted?.().catch((err: unknown) => o.logger.warn({ err }, 'could not stop leftover task processes'));
  return out;
}

async function tryAdopt<R>(o: AdoptTasksOptions<R>, task: Task): Promise<RunningTask | undefined> {
  if (!o.driver.adopt) return undefined;
  try {
    return await o.driver.adopt(task);
  } catch (err) {
    o.logger.warn({ task: task.ID, err }, 'could not adopt task');
    return undefined;
  }
}
