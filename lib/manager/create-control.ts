import type { Clock } from '../clock.js';
import { isoTime } from '../clock.js';
import { SwarmletError, invalid } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { LogLine, LogQuery } from '../agent/task-driver.js';
import { withDefaults } from '../model/defaults.js';
import { desiredReplicas, isGlobal, isJob } from '../model/naming.js';
import { jobServiceStatus } from '../orchestrator/job-service-status.js';
import type { Node, NodeSpec, Service, Task } from '../model/types.js';
import type { Store, WriteTx } from '../store/store.js';
import type { ClusterInfo, Control, Filters, LogEntry } from './control.js';
import { addImage, listImages, removeImage } from './image-catalog.js';
import { filterNodes, filterServices, filterTasks } from './list-filters.js';
import { mergeLogs } from './merge-logs.js';
import { noteUnavailable, withIncompleteWarning } from './incomplete-logs.js';
import { checkImageKnown } from './node-images.js';
import { resolveRef } from './resolve.js';
import { findTask as findTaskIn } from './find-task.js';
import { createServiceTx, removeServiceTx, updateServiceTx } from './service-ops.js';
import type { SecretCipher } from '../secrets/secret-cipher.js';
import { createSecretControls } from './secret-control.js';
import { createNetworkControl } from './network-control.js';
import type { AddrPool } from '../networks/vip-allocation.js';

/** Reads one task's log lines from wherever the task ran. */
export type LogSource = (nodeId: string, taskId: string, query: LogQuery) => AsyncIterable<LogLine>;

export interface ControlOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  logs: LogSource;
  /** The node this manager calls "self". */
  selfNodeId: () => string;
  clusterId: string;
  createdAt: string;
  heartbeatPeriodMs?: number;
  taskHistoryLimit?: number;
  /** Called with the node's ID after it was removed (e.g. to forget its credential). */
  onNodeRemoved?: (nodeId: string) => void;
  /** Throws when no node could run the image. Default: the process-driver catalog must know it. */
  checkImage?: (tx: WriteTx, image: string) => void;
  /** Most replicas (or job completions) per service; default 100,000. */
  maxReplicas?: number;
  /** Encrypts secret and config content at rest; without it there are no /secrets and /configs. */
  cipher?: SecretCipher;
  /** Where network subnets come from (default 127.77.0.0/16, a /24 per network). */
  addrPool?: AddrPool;
}

const AVAILABILITY = new Set(['active', 'pause', 'drain']);
const ROLE = new Set(['worker', 'manager']);

export function createControl(o: ControlOptions): Control {
  const { store, clock } = o;
  const checkImage = o.checkImage ?? ((tx: WriteTx, image: string) => checkImageKnown(tx, image, clock.now()));
  const ctx = () => ({ now: clock.now(), ids: o.ids, checkImage, ...(o.maxReplicas !== undefined ? { maxReplicas: o.maxReplicas } : {}) });
  const findService = (ref: string): Service => store.view((tx) =>
    resolveRef('service', ref, tx.listServices(), (s) => s.ID, (s) => s.Spec.Name));
  const findTask = (ref: string): Task => store.view((tx) => findTaskIn(tx, ref));
  const findNode = (ref: string): Node => store.view((tx) =>
    resolveRef('node', ref, tx.listNodes(), (n) => n.ID, (n) => n.Description.Hostname));

  const withStatus = (tx: Parameters<Parameters<Store['view']>[0]>[0], s: Service): Service => {
    if (isJob(s)) return { ...s, ServiceStatus: jobServiceStatus(s, tx.tasksOfService(s.ID), (id) => tx.getNode(id)) };
    const tasks = tx.tasksOfService(s.ID);
    const running = tasks.filter((t) => t.Status.State === 'running' && tx.getNode(t.NodeID)?.Status.State !== 'down').length;
    const desired = isGlobal(s) ? tasks.filter((t) => t.DesiredState === 'running').length : desiredReplicas(s);
    return { ...s, ServiceStatus: { RunningTasks: running, DesiredTasks: desired, CompletedTasks: 0 } };
  };

  const taskEntries = (task: Task, query: LogQuery): AsyncIterable<LogEntry> => {
    const lines = o.logs(task.NodeID, task.ID, query);
    return (async function* () {
      for await (const l of lines) yield { ...l, taskId: task.ID, serviceId: task.ServiceID, nodeId: task.NodeID };
    })();
  };

  return {
    ...(o.cipher ? createSecretControls({ store, clock, ids: o.ids, cipher: o.cipher }) : {}),
    networks: createNetworkControl({ store, clock, ids: o.ids, ...(o.addrPool ? { addrPool: o.addrPool } : {}) }),
    info(): ClusterInfo {
      return store.view((tx) => {
        const nodes = tx.listNodes();
        const self = tx.getNode(o.selfNodeId());
        return {
          nodeId: o.selfNodeId(), nodeAddr: self?.Status.Addr ?? '127.0.0.1', clusterId: o.clusterId, createdAt: o.createdAt,
          ...(self?.ManagerStatus?.Addr ? { managerAddr: self.ManagerStatus.Addr } : {}),
          nodes: nodes.length, managers: nodes.filter((n) => n.Spec.Role === 'manager').length,
          heartbeatPeriodMs: o.heartbeatPeriodMs ?? 5000, taskHistoryLimit: o.taskHistoryLimit ?? 5,
        };
      });
    },
    listServices(filters?: Filters, status?: boolean) {
      return store.view((tx) => {
        const list = filterServices(tx.listServices(), filters).sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name));
        return status ? list.map((s) => withStatus(tx, s)) : list;
      });
    },
    getService(ref, insertDefaults) {
      const s = findService(ref);
      return insertDefaults ? { ...s, Spec: withDefaults(s.Spec) } : s;
    },
    createService(spec) {
      const s = store.update((tx) => createServiceTx(tx, spec, ctx()));
      return { ID: s.ID, Warnings: null };
    },
    updateService(ref, version, spec, opts) {
      store.update((tx) => {
        const current = resolveRef('service', ref, tx.listServices(), (s) => s.ID, (s) => s.Spec.Name);
        updateServiceTx(tx, current, version, spec, opts?.rollback === true, ctx());
      });
      return { Warnings: null };
    },
    removeService(ref) {
      store.update((tx) => removeServiceTx(tx, resolveRef('service', ref, tx.listServices(), (s) => s.ID, (s) => s.Spec.Name)));
    },
    listTasks(filters) {
      return store.view((tx) => filterTasks(tx.listTasks(), filters, { services: tx.listServices(), nodes: tx.listNodes() }));
    },
    getTask: findTask,
    listNodes(filters) {
      return store.view((tx) => filterNodes(tx.listNodes(), filters)
        .sort((a, b) => a.Description.Hostname.localeCompare(b.Description.Hostname)));
    },
    getNode: findNode,
    updateNode(ref, version, spec) {
      store.update((tx) => updateNodeTx(tx, resolveRef('node', ref, tx.listNodes(), (n) => n.ID, (n) => n.Description.Hostname), version, spec));
    },
    removeNode(ref, force) {
      const id = store.update((tx) => {
        const n = resolveRef('node', ref, tx.listNodes(), (x) => x.ID, (x) => x.Description.Hostname);
        if (!force && n.Status.State !== 'down') throw new SwarmletError('failed_precondition', `node ${ref} is not down and can't be removed`);
        if (n.ManagerStatus?.Leader) throw new SwarmletError('failed_precondition', `node ${ref} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`);
        tx.deleteNode(n.ID);
        return n.ID;
      });
      o.onNodeRemoved?.(id);
    },
    serviceLogs(ref, query) {
      const s = findService(ref);
      // Tasks never scheduled have no logs, nor have tasks of removed nodes (gone with the node).
      const tasks = store.view((tx) => tx.tasksOfService(s.ID).filter((t) => t.NodeID !== '' && tx.getNode(t.NodeID) !== undefined));
      const missing = new Set<string>();
      const entries = (t: Task, q: LogQuery) => noteUnavailable(taskEntries(t, q), missing);
      if (!query.follow) return withIncompleteWarning(mergeLogs(tasks.map((t) => entries(t, query)), false), missing, query.signal);
      // Following a service also follows the tasks it starts later (as Swarm's log broker does).
      const seen = new Set(tasks.map((t) => t.ID));
      const later = (add: (src: AsyncIterable<LogEntry>) => void) => store.watch((events) => {
        for (const e of events) {
          const t = e.kind === 'task' ? e.object as Task : undefined;
          if (!t || t.ServiceID !== s.ID || seen.has(t.ID) || t.NodeID === '' || t.Status.State !== 'running') continue;
          seen.add(t.ID);
          const { tail: _tail, ...fromStart } = query;
          add(entries(t, fromStart));
        }
      });
      return withIncompleteWarning(mergeLogs(tasks.map((t) => entries(t, query)), true, query.signal, later), missing, query.signal);
    },
    taskLogs(ref, query) {
      const missing = new Set<string>();
      return withIncompleteWarning(noteUnavailable(taskEntries(findTask(ref), query), missing), missing, query.signal);
    },
    listImages: () => store.view((tx) => listImages(tx, clock.now())),
    addImage: (image) => store.update((tx) => addImage(tx, image, clock.now())),
    removeImage: (name) => store.update((tx) => removeImage(tx, name)),
  };
}

function updateNodeTx(tx: WriteTx, node: Node, version: number, spec: NodeSpec): void {
  if (version !== node.Version.Index) throw new SwarmletError('out_of_sequence', 'update out of sequence');
  if (typeof spec !== 'object' || spec === null) throw invalid('invalid NodeSpec: expected an object', 'NodeSpec');
  const availability = spec.Availability ?? node.Spec.Availability;
  const role = spec.Role ?? node.Spec.Role;
  if (!AVAILABILITY.has(availability)) throw invalid(`invalid Availability: "${String(availability)}"`, 'Availability');
  if (!ROLE.has(role)) throw invalid(`invalid Role: "${String(role)}"`, 'Role');
  const labels = spec.Labels ?? {};
  if (typeof labels !== 'object' || Object.values(labels).some((v) => typeof v !== 'string')) {
    throw invalid('invalid NodeSpec: Labels must map strings to strings', 'Labels');
  }
  if (node.Spec.Role === 'manager' && role === 'worker' && tx.listNodes().filter((n) => n.Spec.Role === 'manager').length <= 1) {
    throw new SwarmletError('failed_precondition', 'attempting to demote the last manager of the swarm');
  }
  // One manager process holds the store: a promoted worker would be a manager in name only.
  if (node.Spec.Role === 'worker' && role === 'manager') {
    throw new SwarmletError('failed_precondition',
      `node ${node.Description.Hostname} cannot be promoted: swarmlet runs a single manager (use node labels to steer placement)`);
  }
  const next: NodeSpec = { Labels: { ...labels }, Role: role, Availability: availability };
  if (spec.Name) next.Name = spec.Name;
  tx.putNode({ ...node, Spec: next });
  void isoTime;
}
