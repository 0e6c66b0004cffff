import type { Clock } from '../clock.js';
import { SwarmletError } from '../errors.js';
import type { LogQuery } from '../agent/task-driver.js';
import type { SwarmletClient, WaitOptions } from '../client/swarmlet-client.js';
import { events, type EventsOptions } from '../events/events.js';
import type { EventLog } from '../events/event-log.js';
import type { EventMessage } from '../events/event-message.js';
import type { Control, Filters } from '../manager/control.js';
import type { LogRecord } from '../model/log-record.js';
import { checkScalable } from '../model/scale-check.js';
import { applyNodeUpdate, type NodeUpdate } from '../model/node-update.js';
import type { ServiceOptions } from '../model/service-options.js';
import { imageFromOptions, type ImageInput, type ImageOptions } from '../model/image-options.js';
import { applyUpdateOptions, specFromOptions, type ServiceUpdateOptions } from '../model/spec-from-options.js';
import type { Image, Node, Service, Task } from '../model/types.js';
import type { Store, StoreEvent } from '../store/store.js';
import { checkConvergence } from '../update/converged.js';

export type { NodeUpdate } from '../model/node-update.js';

/** @deprecated A store change as `subscribe` reports it; `events()` yields Docker's EventMessage, as the HTTP client does. */
export interface ClusterEvent {
  type: StoreEvent['kind'];
  action: StoreEvent['action'];
  id: string;
  object: StoreEvent['object'];
}

/** The embedding API: the same operations as the CLI, with the same friendly options; the same interface as `connect()`. */
export class ClusterClient implements SwarmletClient {
  /** `eventLog`: what `events()` replays from (without one, `events()` sees live changes only). */
  constructor(
    protected readonly ctl: Control, protected readonly changes: Store, protected readonly clk: Clock,
    protected readonly history?: EventLog,
  ) {}

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
    checkScalable(s, ref);
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
  /** Lazy, as over HTTP: an unknown `ref` fails the first read (not_found), not the call. */
  async *logs(ref: string, query: LogQuery = {}): AsyncGenerator<LogRecord> {
    let isService = true;
    try { this.ctl.getService(ref); } catch { isService = false; }
    yield* isService ? this.ctl.serviceLogs(ref, query) : this.ctl.taskLogs(ref, query);
  }

  events(opts: EventsOptions = {}): AsyncIterable<EventMessage> {
    return events(this.history ?? { store: this.changes }, { clock: this.clk, ...opts });
  }

  async updateNode(ref: string, update: NodeUpdate): Promise<Node> {
    const n = this.ctl.getNode(ref);
    this.ctl.updateNode(n.ID, n.Version.Index, applyNodeUpdate(n.Spec, update));
    return this.ctl.getNode(n.ID);
  }

  /** @deprecated Use `events()` (Docker's event type, as over HTTP). Calls `fn` for every store change; returns an unsubscribe function. */
  subscribe(fn: (e: ClusterEvent) => void): () => void {
    return this.changes.watch((list) => {
      for (const e of list) fn({ type: e.kind, action: e.action, id: e.id, object: e.object });
    });
  }

  /** Resolves once the service has converged (all tasks of its current spec running, no update in progress). */
  waitForConvergence(ref: string, opts: WaitOptions = {}): Promise<Service> {
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
      const unsubscribe = this.changes.watch(() => queueMicrotask(check));
      const timer = this.clk.setTimeout(() => {
        finish(new SwarmletError('unavailable', `service ${ref} did not converge within ${timeoutMs} ms`));
      }, timeoutMs);
      check();
    });
  }
}
