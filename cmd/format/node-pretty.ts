/** `node inspect --pretty`. */
import type { Node } from '../../lib/model/types.js';
import { capitalize } from './human-duration.js';
import { bytesSize, cpus, prettyLines, type PrettyEntry } from './pretty.js';

export function prettyNode(n: Node): string[] {
  const labels = Object.entries(n.Spec.Labels ?? {});
  const m = n.ManagerStatus;
  const d = n.Description ?? { Hostname: '' };
  return prettyLines([
    ['ID:', n.ID],
    ...(n.Spec.Name ? [['Name:', n.Spec.Name] as PrettyEntry] : []),
    ...(labels.length ? [['Labels:'] as PrettyEntry, ...labels.map(([k, v]): PrettyEntry => [` - ${k}${v ? `=${v}` : ''}`])] : []),
    ['Hostname:', d.Hostname],
    ['Joined at:', n.CreatedAt],
    ['Status:'], [' State:', capitalize(n.Status.State)], [' Availability:', capitalize(n.Spec.Availability)],
    ...(n.Status.Message ? [[' Message:', n.Status.Message] as PrettyEntry] : []),
    ...(n.Status.Addr ? [[' Address:', n.Status.Addr] as PrettyEntry] : []),
    ...(m ? [['Manager Status:'] as PrettyEntry, [' Address:', m.Addr] as PrettyEntry,
      [' Raft Status:', capitalize(m.Reachability)] as PrettyEntry, [' Leader:', m.Leader ? 'Yes' : 'No'] as PrettyEntry] : []),
    ['Platform:'], [' Operating System:', d.Platform?.OS ?? ''], [' Architecture:', d.Platform?.Architecture ?? ''],
    ['Resources:'], [' CPUs:', d.Resources?.NanoCPUs ? cpus(d.Resources.NanoCPUs) : ''],
    [' Memory:', d.Resources?.MemoryBytes ? bytesSize(d.Resources.MemoryBytes) : ''],
    ...(d.Driver ? [['Task Driver:', d.Driver] as PrettyEntry] : []),
    ['Engine Version:', d.Engine?.EngineVersion ?? ''],
  ]);
}
