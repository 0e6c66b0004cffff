/** `node ls` rows: ID (` *` for self) HOSTNAME STATUS AVAILABILITY MANAGER STATUS ENGINE VERSION. */
import type { Node } from '../../lib/model/types.js';
import { capitalize } from './human-duration.js';
import { naturalCompare } from './text.js';

export interface NodeRow {
  ID: string;
  Self: boolean;
  Hostname: string;
  Status: string;
  Availability: string;
  ManagerStatus: string;
  EngineVersion: string;
}

export const NODE_HEADER = ['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'MANAGER STATUS', 'ENGINE VERSION'];
/** The fields a `--format` template can use (docker's names). */
export const NODE_FIELDS: ReadonlyArray<keyof NodeRow> = ['ID', 'Self', 'Hostname', 'Status', 'Availability', 'ManagerStatus', 'EngineVersion'];

export function managerStatus(node: Node): string {
  const m = node.ManagerStatus;
  if (!m) return '';
  return m.Leader ? 'Leader' : capitalize(m.Reachability);
}

/** What `service ps`/logs show for a node: Spec.Name, else the hostname, else the ID. */
export function nodeName(node: Node): string {
  return node.Spec.Name || node.Description?.Hostname || node.ID;
}

export function buildNodeRows(nodes: Node[], selfId: string | undefined): NodeRow[] {
  return [...nodes]
    .sort((a, b) => naturalCompare(a.Description?.Hostname ?? '', b.Description?.Hostname ?? ''))
    .map((node) => ({
      ID: node.ID,
      Self: node.ID === selfId,
      Hostname: node.Description?.Hostname ?? '',
      Status: capitalize(node.Status.State),
      Availability: capitalize(node.Spec.Availability),
      ManagerStatus: managerStatus(node),
      EngineVersion: node.Description?.Engine?.EngineVersion ?? '',
    }));
}

export function nodeRowCells(row: NodeRow): string[] {
  return [`${row.ID} ${row.Self ? '*' : ' '}`, row.Hostname, row.Status, row.Availability, row.ManagerStatus, row.EngineVersion];
}
