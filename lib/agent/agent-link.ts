import type { Image, Task } from '../model/types.js';
import type { NodeReport } from '../protocol/node-report.js';
import type { ServiceInfo } from '../protocol/session.js';
import type { TaskReport } from '../protocol/task-report.js';
import type { TaskFiles } from '../secrets/task-files.js';

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
  /** Tells the manager what the node is and has (platform, resources, driver, its images). Optional. */
  describe?(nodeId: string, description: NodeReport): void;
  /** Service name (for `<service>.<slot>`) and the first target port it publishes. */
  serviceInfo(serviceId: string): ServiceInfo | undefined;
  /**
   * The secret and config files of a task about to start (undefined: it references none). Throws
   * when content it references has not reached the node. Optional: without it tasks get none.
   */
  taskFiles?(task: Task): TaskFiles | undefined;
  /** Service discovery variables for a task about to start (`API_SERVICE_HOST=…`). Optional. */
  taskEnv?(task: Task): string[];
}
