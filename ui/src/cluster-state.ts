/**
 * What the dashboard knows of the cluster, and the pure rules to show it: which tasks get a card,
 * where, with which tag and age; a service's replica counts and update progress; what an event
 * changes at once and what must be fetched again. No DOM here (unit-tested under Node).
 */
import type { EventMessage, Node, Service, Task } from './types.js';

const TERMINAL = new Set(['complete', 'failed', 'shutdown', 'rejected', 'orphaned', 'remove']);
const WANTED = new Set(['running', 'ready']);

/** What an event asks of the page beyond the change it made at once. */
export interface EventEffect {
  /** Task IDs to fetch again (their full object: image, health …). */
  tasks: string[];
  services: boolean;
  nodes: boolean;
}

export class ClusterState {
  readonly nodes = new Map<string, Node>();
  readonly services = new Map<string, Service>();
  readonly tasks = new Map<string, Task>();

  replaceAll(nodes: Node[], services: Service[], tasks: Task[]): void {
    this.setNodes(nodes);
    this.setServices(services);
    this.lastEvent.clear();
    this.tasks.clear();
    for (const t of tasks) this.tasks.set(t.ID, t);
  }

  setNodes(nodes: Node[]): void {
    this.nodes.clear();
    for (const n of nodes) this.nodes.set(n.ID, n);
  }

  setServices(services: Service[]): void {
    this.services.clear();
    for (const s of services) this.services.set(s.ID, s);
    for (const [id, t] of this.tasks) {
      if (!this.services.has(t.ServiceID)) {
        this.tasks.delete(id);
        this.lastEvent.delete(id);
      }
    }
  }

  private eventSeq = 0;
  /** Per task, the sequence number of the last event applied to it. */
  private readonly lastEvent = new Map<string, number>();

  /** The current event sequence number: take it before a fetch, pass it to upsertTasks. */
  eventMark(): number {
    return this.eventSeq;
  }

  /**
   * Tasks fetched when the event sequence was at `mark`. A task with an event applied since is
   * skipped: the answer may predate that event (the fetch that event asked for brings it), and a
   * task older than the one held (by Version) never replaces it.
   */
  upsertTasks(tasks: Task[], mark = Infinity): void {
    for (const t of tasks) {
      if ((this.lastEvent.get(t.ID) ?? 0) > mark) continue;
      const known = this.tasks.get(t.ID);
      if (known?.Version && t.Version && known.Version.Index > t.Version.Index) continue;
      this.tasks.set(t.ID, t);
    }
  }

  /** Applies what the event itself says (task state, desired state, node) and names what to fetch. */
  applyEvent(e: EventMessage): EventEffect {
    const effect: EventEffect = { tasks: [], services: false, nodes: false };
    const a = e.Actor.Attributes ?? {};
    if (e.Type === 'service') effect.services = true;
    else if (e.Type === 'node') effect.nodes = true;
    else if (e.Type === 'task') {
      this.lastEvent.set(e.Actor.ID, ++this.eventSeq);
      if (e.Action === 'remove') {
        this.tasks.delete(e.Actor.ID);
        return effect;
      }
      const known = this.tasks.get(e.Actor.ID);
      const state = a['state.new'] ?? a.state;
      const desired = a['desiredstate.new'] ?? a.desiredstate;
      if (known) {
        const next: Task = { ...known, Status: { ...known.Status } };
        if (state) next.Status.State = state;
        if (desired) next.DesiredState = desired;
        if (a['node.id'] !== undefined) next.NodeID = a['node.id'];
        this.tasks.set(known.ID, next);
      } else if (a['service.id'] && this.services.has(a['service.id'])) {
        // A card at once; the image and the rest arrive with the fetch.
        this.tasks.set(e.Actor.ID, {
          ID: e.Actor.ID, CreatedAt: new Date((e.time ?? Date.now() / 1000) * 1000).toISOString(), ServiceID: a['service.id'],
          Slot: a.slot ? Number(a.slot) : 0, NodeID: a['node.id'] ?? '', DesiredState: desired ?? 'running', Status: { State: state ?? 'new' },
        });
      }
      effect.tasks.push(e.Actor.ID);
    }
    return effect;
  }

  /** The node's display name: its spec name or hostname. */
  nodeName(id: string): string {
    const n = this.nodes.get(id);
    return n ? nodeLabel(n) : id.slice(0, 12);
  }
}

export function nodeLabel(n: Node): string {
  return n.Spec.Name || n.Description?.Hostname || n.ID.slice(0, 12);
}

/** A task gets a card while it is wanted or still alive (a stopping task is shown until it has stopped). */
export function isVisible(t: Task): boolean {
  return WANTED.has(t.DesiredState) || !TERMINAL.has(t.Status.State);
}

/** `whoami:2` → `2`; `repo/x@sha256:…` → the digest's first 12 hex; no tag → `latest`. */
export function imageTag(image: string | undefined): string {
  if (!image) return '?';
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 1).replace(/^sha256:/, '').slice(0, 12);
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : 'latest';
}

/** `toms.3` (a global task: `toms.<node>`). */
export function taskName(serviceName: string, t: Task, nodeName: string): string {
  return t.Slot && t.Slot > 0 ? `${serviceName}.${t.Slot}` : `${serviceName}.${nodeName}`;
}

/** 42s, 5m, 3h, 2d. */
export function age(fromIso: string, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - Date.parse(fromIso)) / 1000));
  if (!Number.isFinite(s)) return '';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Well-separated hues, given to services in name order (distinct for up to 12 services). */
const HUES = [210, 25, 140, 285, 0, 175, 50, 320, 95, 240, 345, 120];

export function serviceHues(names: Iterable<string>): Map<string, number> {
  return new Map([...names].sort().map((n, i) => [n, HUES[i % HUES.length]!]));
}

export interface ServiceProgress {
  running: number;
  /** Replicas wanted (global: tasks wanted). */
  desired: number;
  /** Wanted tasks made from the current spec. */
  onNewSpec: number;
  /** Of those, not running yet: the batch in flight. */
  inFlight: number;
}

function onSpec(s: Service, t: Task): boolean {
  if (s.SpecVersion && t.SpecVersion) return t.SpecVersion.Index === s.SpecVersion.Index;
  return t.Spec?.ContainerSpec?.Image === s.Spec.TaskTemplate.ContainerSpec?.Image;
}

export function serviceProgress(s: Service, tasks: Iterable<Task>): ServiceProgress {
  let running = 0;
  let wanted = 0;
  let onNewSpec = 0;
  let inFlight = 0;
  for (const t of tasks) {
    if (t.ServiceID !== s.ID || !WANTED.has(t.DesiredState)) continue;
    wanted++;
    if (t.Status.State === 'running') running++;
    if (onSpec(s, t)) {
      onNewSpec++;
      if (t.Status.State !== 'running') inFlight++;
    }
  }
  const replicas = s.Spec.Mode?.Replicated?.Replicas;
  return { running, desired: replicas ?? wanted, onNewSpec, inFlight };
}

/** `9000:8080/tcp` for each published port. */
export function publishedPorts(s: Service): string[] {
  return (s.Endpoint?.Ports ?? []).filter((p) => p.PublishedPort).map((p) => `${p.PublishedPort}:${p.TargetPort}/${p.Protocol ?? 'tcp'}`);
}
