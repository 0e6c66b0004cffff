import type { Clock } from '../clock.js';
import type { Manager } from '../manager/manager.js';
import { findImage } from '../manager/image-catalog.js';
import type { Task } from '../model/types.js';
import type { Store } from '../store/store.js';
import type { AgentLink } from './agent-link.js';
import type { EndpointFeed } from '../dispatcher/endpoint-feed.js';

/** The in-process AgentLink used by `swarmlet up`: reads the store, reports to the manager. */
export function createLocalLink(store: Store, manager: Manager, clock: Clock, feed?: EndpointFeed): AgentLink {
  return {
    ...(feed ? { drained: (taskId: string) => feed.drained(taskId) } : {}),
    watchAssignments(nodeId, onTasks) {
      let scheduled = false;
      let stopped = false;
      const deliver = () => {
        if (scheduled || stopped) return;
        scheduled = true;
        queueMicrotask(() => {
          scheduled = false;
          if (!stopped) onTasks(store.view((tx) => tx.tasksOfNode(nodeId)));
        });
      };
      const unwatch = store.watch((events) => {
        if (events.some((e) => e.kind === 'task' && ((e.object as Task).NodeID === nodeId || (e.old as Task | undefined)?.NodeID === nodeId))) deliver();
      });
      deliver();
      return () => { stopped = true; unwatch(); };
    },
    report(nodeId, taskId, report) {
      manager.reportTask(nodeId, taskId, report);
    },
    resolveImage(image) {
      return store.view((tx) => findImage(tx, image, clock.now()));
    },
    serviceInfo(serviceId) {
      return store.view((tx) => {
        const s = tx.getService(serviceId);
        if (!s) return undefined;
        const target = s.Spec.EndpointSpec?.Ports?.[0]?.TargetPort;
        return target === undefined ? { name: s.Spec.Name } : { name: s.Spec.Name, targetPort: target };
      });
    },
  };
}
