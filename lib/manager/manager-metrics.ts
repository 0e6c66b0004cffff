import { Counter, Gauge, Registry } from 'prom-client';
import { desiredReplicas, isGlobal, isJob } from '../model/naming.js';
import { jobServiceStatus } from '../orchestrator/job-service-status.js';
import type { Service, Task } from '../model/types.js';
import type { Store, StoreEvent } from '../store/store.js';
import { upToDateChecker } from '../update/up-to-date.js';

const UPDATE_STATES = ['none', 'updating', 'paused', 'completed', 'rollback_started', 'rollback_paused', 'rollback_completed'] as const;
const SELF_ENDED = new Set(['complete', 'failed', 'rejected']);

export interface ManagerMetricsOptions {
  store: Store;
  version: string;
  /** Extra gauges read at scrape time (endpoint table version, connected gateways). */
  feed?: { current(): { version: number }; gateways(): Map<string, number> };
}

/**
 * The manager's Prometheus metrics (its own Registry, never the global one): update progress and
 * cluster state per service, nodes by state and availability, counters of updates, rollbacks,
 * task failures and restarts. Labels are bounded: service names, states, availabilities.
 */
export function createManagerMetrics(o: ManagerMetricsOptions): { registry: Registry; close(): void } {
  const registry = new Registry();
  const { store } = o;
  const perService = (name: string, help: string, value: (s: Service, tasks: Task[]) => number) => new Gauge({
    name, help, labelNames: ['service'], registers: [registry],
    collect() {
      this.reset();
      store.view((tx) => { for (const s of tx.listServices()) this.set({ service: s.Spec.Name }, value(s, tx.tasksOfService(s.ID))); });
    },
  });
  perService('swarmlet_service_desired_tasks', 'Tasks the service should run (jobs: as `service ls` counts them)', (s, ts) =>
    (isJob(s) ? store.view((tx) => jobServiceStatus(s, ts, (id) => tx.getNode(id)).DesiredTasks)
      : isGlobal(s) ? ts.filter((t) => t.DesiredState === 'running').length : desiredReplicas(s)));
  perService('swarmlet_service_running_tasks', 'Tasks of the service in state running', (_s, ts) =>
    ts.filter((t) => t.Status.State === 'running' && t.DesiredState === 'running').length);
  perService('swarmlet_service_updated_tasks', 'Running tasks that run the current spec', (s, ts) => {
    const isCurrent = upToDateChecker(s);
    return ts.filter((t) => t.Status.State === 'running' && t.DesiredState === 'running' && isCurrent(t)).length;
  });
  new Gauge({
    name: 'swarmlet_service_update_state', help: 'Current UpdateStatus of each service (1 for the current state)',
    labelNames: ['service', 'state'], registers: [registry],
    collect() {
      this.reset();
      store.view((tx) => {
        for (const s of tx.listServices()) {
          const current = s.UpdateStatus?.State ?? 'none';
          for (const state of UPDATE_STATES) this.set({ service: s.Spec.Name, state }, state === current ? 1 : 0);
        }
      });
    },
  });
  new Gauge({
    name: 'swarmlet_nodes', help: 'Nodes by state and availability', labelNames: ['state', 'availability'], registers: [registry],
    collect() {
      this.reset();
      for (const state of ['ready', 'down', 'unknown', 'disconnected']) for (const availability of ['active', 'pause', 'drain']) this.set({ state, availability }, 0);
      store.view((tx) => { for (const n of tx.listNodes()) this.inc({ state: n.Status.State, availability: n.Spec.Availability }); });
    },
  });
  new Gauge({ name: 'swarmlet_build_info', help: 'swarmlet version', labelNames: ['version', 'nodejs'], registers: [registry] })
    .set({ version: o.version, nodejs: process.version }, 1);
  if (o.feed) {
    const feed = o.feed;
    new Gauge({ name: 'swarmlet_endpoint_table_version', help: 'Version of the routing table sent to gateways', registers: [registry], collect() { this.set(feed.current().version); } });
    new Gauge({ name: 'swarmlet_gateways_connected', help: 'Gateways subscribed to the routing table', registers: [registry], collect() { this.set(feed.gateways().size); } });
  }
  const updates = new Counter({ name: 'swarmlet_service_updates_total', help: 'Rolling updates started', labelNames: ['service'], registers: [registry] });
  const rollbacks = new Counter({ name: 'swarmlet_service_rollbacks_total', help: 'Rollbacks started (manual or automatic)', labelNames: ['service'], registers: [registry] });
  const failures = new Counter({ name: 'swarmlet_task_failures_total', help: 'Tasks that ended on their own (failed, rejected, or completed while meant to run)', labelNames: ['service'], registers: [registry] });
  const restarts = new Counter({ name: 'swarmlet_task_restarts_total', help: 'Tasks created to replace a task that ended on its own', labelNames: ['service'], registers: [registry] });
  /** Slots whose newest task ended on its own (a task created in one is a restart). */
  const endedSlots = new Set<string>();
  const onEvents = (events: StoreEvent[]) => {
    for (const e of events) {
      if (e.kind === 'service' && e.action !== 'delete') {
        const s = e.object as Service;
        const before = (e.old as Service | undefined)?.UpdateStatus?.State;
        const now = s.UpdateStatus?.State;
        if (now !== before && now === 'updating') updates.inc({ service: s.Spec.Name });
        if (now !== before && now === 'rollback_started') rollbacks.inc({ service: s.Spec.Name });
      } else if (e.kind === 'task') {
        countTask(e, store, endedSlots, failures, restarts);
      }
    }
  };
  const unwatch = store.watch(onEvents);
  return { registry, close: unwatch };
}

function slotKey(t: Task): string {
  return t.Slot > 0 ? `${t.ServiceID}/${t.Slot}` : `${t.ServiceID}/@${t.NodeID}`;
}

/** Counts failures and restarts from one task event, in O(1) (a 100,000-task create must not scan the service per task). */
function countTask(e: StoreEvent, store: Store, endedSlots: Set<string>, failures: Counter, restarts: Counter): void {
  const t = e.object as Task;
  const key = slotKey(t);
  if (e.action === 'delete') return;
  const before = (e.old as Task | undefined)?.Status.State;
  const ended = e.action === 'update' && before !== t.Status.State && SELF_ENDED.has(t.Status.State);
  const restarted = e.action === 'create' && endedSlots.delete(key);
  if (ended) endedSlots.add(key);
  if (!ended && !restarted) return;
  const name = store.view((tx) => tx.getService(t.ServiceID)?.Spec.Name);
  if (!name) return;
  if (ended && t.Status.State !== 'complete') failures.inc({ service: name });
  if (restarted) restarts.inc({ service: name });
}
