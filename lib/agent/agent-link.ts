import type { Image, Task } from '../model/types.js';
import type { TaskReport } from '../manager/manager.js';

/**
 * The agent's view of its manager: assignments flow down, task status flows up.
 * In `swarmlet up` this is an in-process link; a network session implements the same interface.
 */
export interface AgentLink {
  /** Calls `onTasks` with every task assigned to the node now and after every change. */
  watchAssignments(nodeId: string, onTasks: (tasks: Task[]) => void): () => void;
  report(nodeId: string, taskId: string, report: TaskReport): void;
  resolveImage(image: string): Image | undefined;
  /**
   * Resolves when no gateway will send the task new requests any more (or a bounded drain timeout
   * passed): the agent awaits it before it signals a task to stop. Optional.
   */
  drained?(taskId: string): Promise<unknown>;
  /** Service name (for `<service>.<slot>`) and the first target port it publishes. */
  serviceInfo(serviceId: string): { name: string; targetPort?: number } | undefined;
}
