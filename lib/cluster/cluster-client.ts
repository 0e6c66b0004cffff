import type { Clock } from '../clock.js';
import { SwarmletError } from '../errors.js';
import type { LogQuery } from '../agent/task-driver.js';
import type { Control, Filters, LogEntry } from '../manager/control.js';
import type { ServiceOptions } from '../model/service-options.js';
import { imageFromOptions, type ImageInput, type ImageOptions } from '../model/image-options.js';
import { applyUpdateOptions, specFromOptions, type ServiceUpdateOptions } from '../model/spec-from-options.js';
import type { Image, Node, NodeAvailability, Service, Task } from '../model/types.js';
import type { Store, StoreEvent } from '../store/store.js';
import { checkConvergence } from './converged.js';

export interface ClusterEvent {
  type: StoreEvent['kind'];
  action: StoreEvent['action'];
  id: string;
  object: StoreEvent['object'];
}

export interface NodeUpdate { availability?: NodeAvailability; labelAdd?: string[] | Record<string, string>; labelRm?: string[] }

/** The embedding API: the same operations as the CLI, with the same friendly options. */
export class ClusterClient {
  constructor(protected readonly ctl: Control, protected readonly events: Store, protected readonly clk: Clock) {}

  async createService(opts: ServiceOptions): Promise<Service> {
    const { ID } = this.ctl.createService(specFromOptions(opts));
    return this.ctl.getService(ID);
  }

  async updateService(ref: string, opts: ServiceUpdateOptions): Promise<Service> {
    const s = this.ctl.getService(ref);
    this.ctl.updateService(s.ID, s.Version.Index, applyUpdateOptions(s.Spec, opts));
    return this.ctl.getService(s.ID);
  }

  async scaleService(ref: string, replicas: number): Promise<Service> {
    const s = this.ctl.getService(ref);
    if (!s.Spec.Mode.Replicated && !s.Spec.Mode.ReplicatedJob) {
      throw new SwarmletError('invalid_argument', `${ref}: scale can only be used with replicated or replicated-job mode`);
    }
    return this.updateService(s.ID, { replicas });
  }

  async rollbackService(ref: string): Promise<Service> {
    const s = this.ctl.getService(ref);
    this.ctl.updateService(s.ID, s.Version.Index, s.Spec, { rollback: true });
    return this.ctl.getService(s.ID);
  }

  async removeService(ref: string): Promise<void> { this.ctl.removeService(ref); }
  async services(filters?: Filters): Promise<Service[]> { return this.ctl.listServices(filters, true); }
  async service(ref: string): Promise<Service> { return this.ctl.getService(ref); }
  async tasks(filters?: Filters): Promise<Task[]> { return this.ctl.listTasks(filters); }
  async nodes(filters?: Filters): Promise<Node[]> { return this.ctl.listNodes(filters); }
  async images(): Promise<Image[]> { return this.ctl.listImages(); }
  /** `{ name, cmd, entrypoint?, cwd?, env? }` as `swarmlet image add`'s flags (`{ Name, Cmd }` as the API still works). */
  async addImage(image: ImageOptions | ImageInput): Promise<Image> { return this.ctl.addImage(imageFromOptions(image)); }
  async removeImage(name: string): Promise<void> { this.ctl.removeImage(name); }
  logs(ref: string, query: LogQuery = {}): AsyncIterable<LogEntry> {
    try { this.ctl.getService(ref); return this.ctl.serviceLogs(ref, query); } catch { return this.ctl.taskLogs(ref, query); }
  }

  async updateNode(ref: string, update: NodeUpdate): Promise<Node> {
    const n = this.ctl.getNode(ref);
    const labels = { ...(n.Spec.Labels ?? {}) };
    const add = Array.isArray(update.labelAdd)
      ? Object.fromEntries(update.labelAdd.map((kv) => { const i = kv.indexOf('='); return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)]; }))
      : update.labelAdd ?? {};
    Object.assign(labels, add);
    for (const k of update.labelRm ?? []) delete labels[k];
    this.ctl.updateNode(n.ID, n.Version.Index, { ...n.Spec, Labels: labels, Availability: update.availability ?? n.Spec.Availability });
    return this.ctl.getNode(n.ID);
  }

  /** Calls `fn` for every change to services, tasks, nodes and images. Returns an unsubscribe function. */
  subscribe(fn: (e: ClusterEvent) => void): () => void {
    return this.events.watch((events) => {
      for (const e of events) fn({ type: e.kind, action: e.action, id: e.id, object: e.object });
    });
  }

  /** Resolves once the service has converged (all tasks of its current spec running, no update in progress). */
  waitForConvergence(ref: string, opts: { timeoutMs?: number } = {}): Promise<Service> {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err?: Error, s?: Service) => {
        if (done) return;
        done = true; unsubscribe(); timer.cancel();
        if (err) reject(err); else resolve(s!);
      };
      const check = () => {
        let s: Service;
        try { s = this.ctl.getService(ref); } catch (e) { finish(e as Error); return; }
        const c = checkConvergence(s, this.ctl.listTasks({ service: [s.ID] }), this.ctl.listNodes());
        if (c.state === 'converged') finish(undefined, s);
        else if (c.state === 'failed') finish(new SwarmletError('failed_precondition', c.message));
      };
      const unsubscribe = this.events.watch(() => queueMicrotask(check));
      const timer = this.clk.setTimeout(() => {
        finish(new SwarmletError('unavailable', `service ${ref} did not converge within ${timeoutMs} ms`));
      }, timeoutMs);
      check();
    });
  }
}
