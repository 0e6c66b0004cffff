import type { Clock } from '../clock.js';
import type { Manager } from '../manager/manager.js';
import { findImage } from '../manager/image-catalog.js';
import type { Store } from '../store/store.js';
import type { AgentLink } from '../agent/agent-link.js';
import { describeNode } from './register-node.js';
import type { EndpointFeed } from './endpoint-feed.js';
import { serviceInfoOf, watchNode } from './watch-node.js';
import { taskFilesOf, type ContentLookup } from '../secrets/task-files.js';
import { discoveryEnv } from '../networks/discovery-env.js';

/** The in-process AgentLink used by `swarmlet up`: reads the store, reports to the manager. */
export function createLocalLink(store: Store, manager: Manager, clock: Clock, feed?: EndpointFeed, content?: ContentLookup): AgentLink {
  return {
    ...(content ? { taskFiles: (task) => taskFilesOf(task, content) } : {}),
    taskEnv(task) {
      return store.view((tx) => { const s = tx.getService(task.ServiceID); return s ? discoveryEnv(s, tx.listServices()) : []; });
    },
    ...(feed ? { drained: (taskId: string) => feed.drained(taskId) } : {}),
    watchAssignments(nodeId, onTasks) {
      return watchNode(store, nodeId, () => onTasks(store.view((tx) => tx.tasksOfNode(nodeId))));
    },
    report(nodeId, taskId, report) {
      manager.reportTask(nodeId, taskId, report);
    },
    describe(nodeId, d) {
      store.update((tx) => describeNode(tx, nodeId, d));
    },
    resolveImage(image) {
      return store.view((tx) => findImage(tx, image, clock.now()));
    },
    serviceInfo(serviceId) {
      return store.view((tx) => { const s = tx.getService(serviceId); return s ? serviceInfoOf(s) : undefined; });
    },
  };
}
