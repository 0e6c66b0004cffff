/** `service ps` / `node ps` rows: naming, ordering, the ` \_ ` history tree, truncation. */
import type { Task } from '../../lib/model/types.js';
import { taskDisplayName } from '../../lib/model/naming.js';
import { ago, capitalize } from './human-duration.js';
import { compareNaturalKeys, displayImage, ellipsis, naturalKey, truncateId } from './text.js';

/** Docker's `--format json` field names for a task row. */
export interface TaskRow {
  ID: string;
  Name: string;
  Image: string;
  Node: string;
  DesiredState: string;
  CurrentState: string;
  Error: string;
  Ports: string;
}

export interface TaskRowOptions {
  /** Service ID → name (falls back to the ID). */
  serviceNames: ReadonlyMap<string, string>;
  /** Node ID → name (Spec.Name, else hostname; falls back to the ID). */
  nodeNames: ReadonlyMap<string, string>;
  now: number;
  noTrunc: boolean;
  /** Indent older tasks of a slot as ` \_ name` (table output only). */
  tree: boolean;
}

export const TASK_HEADER = ['ID', 'NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR', 'PORTS'];
/** The fields a `--format` template can use (docker's names). */
export const TASK_FIELDS: ReadonlyArray<keyof TaskRow> = ['ID', 'Name', 'Image', 'Node', 'DesiredState', 'CurrentState', 'Error', 'Ports'];
const MAX_ERROR = 30;

/**
 * PORTS as Swarm prints it: only the task's host-mode ports (`*:8088->8080/tcp`: the task listens on
 * 8088 at its node). Tasks of ingress-published services show nothing: their ports live on the service
 * (`service ls`), and the task's own endpoint behind the mesh stays in `inspect` (Task.Endpoint).
 */
export function taskPorts(task: Pick<Task, 'Status'> & Partial<Pick<Task, 'Endpoint'>>): string {
  return (task.Status.PortStatus?.Ports ?? [])
    .filter((p) => p.PublishMode === 'host')
    .map((p) => `*:${p.PublishedPort ?? 0}->${p.TargetPort}/${p.Protocol ?? 'tcp'}`)
    .join(',');
}

export function taskError(err: string | undefined, noTrunc: boolean): string {
  const text = noTrunc ? (err ?? '') : ellipsis(err ?? '', MAX_ERROR);
  return text === '' ? '' : `"${text}"`;
}

/** Sorted like docker: display name naturally, then newest first within a name. */
export function sortTasks(tasks: Task[], serviceNames: ReadonlyMap<string, string>): Array<{ task: Task; name: string }> {
  // Keys computed once per task: a huge service's 100,000 tasks sort in well under a second.
  const named = tasks.map((task) => {
    const name = taskDisplayName(serviceNames.get(task.ServiceID) ?? task.ServiceID, task);
    return { task, name, key: naturalKey(name), created: Date.parse(task.CreatedAt) };
  });
  named.sort((a, b) => compareNaturalKeys(a.key, b.key) || b.created - a.created);
  return named.map(({ task, name }) => ({ task, name }));
}

export function buildTaskRows(tasks: Task[], opts: TaskRowOptions): TaskRow[] {
  let previous: string | undefined;
  return sortTasks(tasks, opts.serviceNames).map(({ task, name }) => {
    const indented = opts.tree && name === previous;
    previous = name;
    const image = task.Spec?.ContainerSpec?.Image ?? '';
    return {
      ID: opts.noTrunc ? task.ID : truncateId(task.ID),
      Name: indented ? ` \\_ ${name}` : name,
      Image: opts.noTrunc ? image : displayImage(image),
      Node: task.NodeID === '' ? '' : (opts.nodeNames.get(task.NodeID) ?? task.NodeID),
      DesiredState: capitalize(task.DesiredState),
      CurrentState: `${capitalize(task.Status.State)} ${ago(task.Status.Timestamp, opts.now)}${healthSuffix(task)}`.trim(),
      Error: taskError(task.Status.Err, opts.noTrunc),
      Ports: taskPorts(task),
    };
  });
}

export function taskRowCells(row: TaskRow): string[] {
  return [row.ID, row.Name, row.Image, row.Node, row.DesiredState, row.CurrentState, row.Error, row.Ports];
}

/** swarmlet shows the health of tasks that have a health check: "Running 5 seconds ago (healthy)". */
function healthSuffix(task: { Status: { State: string; Health?: string } }): string {
  const h = task.Status.Health;
  return h && (task.Status.State === 'running' || h === 'unhealthy') ? ` (${h})` : '';
}
