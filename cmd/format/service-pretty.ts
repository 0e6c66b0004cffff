/** `service inspect --pretty`: docker's human-readable layout (values aligned, sections indented). */
import type { Service, UpdateConfig } from '../../lib/model/types.js';
import { formatDuration } from '../../lib/model/durations.js';
import { bytesSize, cpus, prettyLines, type PrettyEntry } from './pretty.js';

function updateSection(title: string, order: string, c: UpdateConfig | undefined): PrettyEntry[] {
  if (!c) return [];
  return [
    [`${title}:`],
    [' Parallelism:', c.Parallelism ?? 1],
    ...(c.Delay ? [[' Delay:', formatDuration(c.Delay)] as PrettyEntry] : []),
    [' On failure:', c.FailureAction ?? 'pause'],
    ...(c.Monitor ? [[' Monitoring Period:', formatDuration(c.Monitor)] as PrettyEntry] : []),
    [' Max failure ratio:', c.MaxFailureRatio ?? 0],
    [` ${order}:`, c.Order ?? 'stop-first'],
  ];
}

function modeEntries(s: Service): PrettyEntry[] {
  const m = s.Spec.Mode;
  if (m.Global) return [['Service Mode:', 'Global']];
  if (m.Replicated) return [['Service Mode:', 'Replicated'], [' Replicas:', m.Replicated.Replicas ?? 1]];
  return [['Service Mode:', m.ReplicatedJob ? 'Replicated Job' : 'Global Job']];
}

function statusEntries(s: Service): PrettyEntry[] {
  const u = s.UpdateStatus;
  if (!u) return [];
  return [
    ['UpdateStatus:'], [' State:', u.State],
    ...(u.StartedAt ? [[' Started:', u.StartedAt] as PrettyEntry] : []),
    ...(u.CompletedAt ? [[' Completed:', u.CompletedAt] as PrettyEntry] : []),
    [' Message:', u.Message ?? ''],
  ];
}

function containerEntries(s: Service): PrettyEntry[] {
  const c = s.Spec.TaskTemplate.ContainerSpec;
  const h = c.Healthcheck;
  return [
    ['ContainerSpec:'], [' Image:', c.Image],
    ...(c.Command?.length ? [[' Command:', c.Command.join(' ')] as PrettyEntry] : []),
    ...(c.Args?.length ? [[' Args:', c.Args.join(' ')] as PrettyEntry] : []),
    ...(c.Env?.length ? [[' Env:', c.Env.join(' ')] as PrettyEntry] : []),
    ...(c.Dir ? [[' Dir:', c.Dir] as PrettyEntry] : []),
    ...(c.StopSignal ? [[' StopSignal:', c.StopSignal] as PrettyEntry] : []),
    ...(c.StopGracePeriod ? [[' StopGracePeriod:', formatDuration(c.StopGracePeriod)] as PrettyEntry] : []),
    ...(h?.Test?.length ? [[' Healthcheck:', h.Test.join(' ')] as PrettyEntry] : []),
  ];
}

function resourceEntries(s: Service): PrettyEntry[] {
  const r = s.Spec.TaskTemplate.Resources;
  const part = (title: string, set: { NanoCPUs?: number; MemoryBytes?: number } | undefined): PrettyEntry[] =>
    set && (set.NanoCPUs || set.MemoryBytes)
      ? [[` ${title}:`], ...(set.NanoCPUs ? [['  CPU:', cpus(set.NanoCPUs)] as PrettyEntry] : []),
        ...(set.MemoryBytes ? [['  Memory:', bytesSize(set.MemoryBytes)] as PrettyEntry] : [])]
      : [];
  const body = [...part('Reservations', r?.Reservations), ...part('Limits', r?.Limits)];
  return body.length > 0 ? [['Resources:'], ...body] : [];
}

function portEntries(s: Service): PrettyEntry[] {
  const ports = s.Endpoint?.Ports ?? s.Spec.EndpointSpec?.Ports ?? [];
  if (ports.length === 0) return [];
  return [['Ports:'], ...ports.flatMap((p): PrettyEntry[] => [
    [` PublishedPort = ${p.PublishedPort ?? 0}`], [`  Protocol = ${p.Protocol ?? 'tcp'}`],
    [`  TargetPort = ${p.TargetPort}`], [`  PublishMode = ${p.PublishMode ?? 'ingress'}`],
  ])];
}

export function prettyService(s: Service): string[] {
  const labels = Object.entries(s.Spec.Labels ?? {});
  const p = s.Spec.TaskTemplate.Placement;
  return prettyLines([
    ['ID:', s.ID], ['Name:', s.Spec.Name],
    ...(labels.length ? [['Labels:'] as PrettyEntry, ...labels.map(([k, v]): PrettyEntry => [` ${k}${v ? `=${v}` : ''}`])] : []),
    ...modeEntries(s), ...statusEntries(s),
    ['Placement:'],
    ...(p?.Constraints?.length ? [[' Constraints:', `[${p.Constraints.join(' ')}]`] as PrettyEntry] : []),
    ...(p?.Preferences?.length ? [[' Preferences:', p.Preferences.map((x) => `spread=${x.Spread?.SpreadDescriptor ?? ''}`).join(', ')] as PrettyEntry] : []),
    ...(p?.MaxReplicas ? [[' Max Replicas Per Node:', p.MaxReplicas] as PrettyEntry] : []),
    ...updateSection('UpdateConfig', 'Update order', s.Spec.UpdateConfig),
    ...updateSection('RollbackConfig', 'Rollback order', s.Spec.RollbackConfig),
    ...containerEntries(s), ...resourceEntries(s),
    ['Endpoint Mode:', s.Spec.EndpointSpec?.Mode ?? 'vip'],
    ...portEntries(s),
  ]);
}
