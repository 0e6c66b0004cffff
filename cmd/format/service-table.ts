/** `service ls` rows: ID NAME MODE REPLICAS IMAGE PORTS. */
import type { Service } from '../../lib/model/types.js';
import { formatPorts } from '../../lib/model/ports.js';
import { displayImage, naturalCompare, truncateId } from './text.js';

export interface ServiceRow { ID: string; Name: string; Mode: string; Replicas: string; Image: string; Ports: string }

export const SERVICE_HEADER = ['ID', 'NAME', 'MODE', 'REPLICAS', 'IMAGE', 'PORTS'];
/** The fields a `--format` template can use (docker's names). */
export const SERVICE_FIELDS: ReadonlyArray<keyof ServiceRow> = ['ID', 'Name', 'Mode', 'Replicas', 'Image', 'Ports'];

export function serviceMode(service: Service): string {
  const m = service.Spec.Mode;
  if (m.Global) return 'global';
  if (m.ReplicatedJob) return 'replicated job';
  if (m.GlobalJob) return 'global job';
  return 'replicated';
}

/** `running/desired`, plus ` (max N per node)` or ` (x/y completed)` for jobs. */
export function serviceReplicas(service: Service): string {
  const status = service.ServiceStatus;
  const m = service.Spec.Mode;
  const running = status?.RunningTasks ?? 0;
  const desired = status?.DesiredTasks ?? (m.Replicated ? (m.Replicated.Replicas ?? 1) : 0);
  let text = `${running}/${desired}`;
  const max = service.Spec.TaskTemplate.Placement?.MaxReplicas;
  if ((m.Replicated || m.Global) && max) text += ` (max ${max} per node)`;
  const completed = status?.CompletedTasks ?? 0;
  if (m.ReplicatedJob) text += ` (${completed}/${m.ReplicatedJob.TotalCompletions ?? 1} completed)`;
  // docker: a global job's total is the tasks still meant to complete plus those completed.
  if (m.GlobalJob) text += ` (${completed}/${desired + completed} completed)`;
  return text;
}

export function buildServiceRow(service: Service): ServiceRow {
  return {
    ID: truncateId(service.ID),
    Name: service.Spec.Name,
    Mode: serviceMode(service),
    Replicas: serviceReplicas(service),
    Image: displayImage(service.Spec.TaskTemplate.ContainerSpec?.Image ?? ''),
    Ports: formatPorts(service.Endpoint?.Ports),
  };
}

export function buildServiceRows(services: Service[]): ServiceRow[] {
  return [...services].sort((a, b) => naturalCompare(a.Spec.Name, b.Spec.Name)).map(buildServiceRow);
}

export function serviceRowCells(row: ServiceRow): string[] {
  return [row.ID, row.Name, row.Mode, row.Replicas, row.Image, row.Ports];
}
