import type { Service, Task } from '../model/types.js';
import type { ServiceInfo } from '../protocol/session.js';
import type { Store, StoreEvent } from '../store/store.js';

/**
 * Calls `deliver` once now and once after every burst of store commits that touches a task of the
 * node (or any event `also` accepts), coalesced in a microtask. Returns the stop function.
 * Shared by the in-process agent link and the dispatcher's node sessions.
 */
export function watchNode(store: Store, nodeId: string, deliver: () => void, also: (e: StoreEvent) => boolean = () => false): () => void {
  let scheduled = false;
  let stopped = false;
  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      if (!stopped) deliver();
    });
  };
  const unwatch = store.watch((events) => {
    if (events.some((e) => also(e) || (e.kind === 'task'
      && ((e.object as Task).NodeID === nodeId || (e.old as Task | undefined)?.NodeID === nodeId)))) schedule();
  });
  schedule();
  return () => { stopped = true; unwatch(); };
}

/** What an agent needs of a task's service: its name (`<service>.<slot>`) and the first target port it publishes. */
export function serviceInfoOf(s: Service): ServiceInfo {
  const target = s.Spec.EndpointSpec?.Ports?.[0]?.TargetPort;
  return target === undefined ? { name: s.Spec.Name } : { name: s.Spec.Name, targetPort: target };
}
