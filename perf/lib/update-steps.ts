/**
 * The steps of a rolling update as chart markers: the tasks made from the new spec, grouped by
 * creation time (tasks created within `gapMs` of a step's first task belong to it: one step of
 * `parallelism` slots), plus the update's start and end from UpdateStatus.
 */
import type { ChartMarker } from './chart-svg.js';

interface StepTask { Slot: number; CreatedAt: string }

export function updateStepMarkers(name: string, fresh: readonly StepTask[], status: { StartedAt?: string; CompletedAt?: string } | undefined, gapMs = 300): ChartMarker[] {
  const sorted = [...fresh].sort((a, b) => Date.parse(a.CreatedAt) - Date.parse(b.CreatedAt));
  const steps: Array<{ at: number; slots: number[] }> = [];
  for (const t of sorted) {
    const at = Date.parse(t.CreatedAt);
    const last = steps[steps.length - 1];
    if (last && at - last.at <= gapMs) last.slots.push(t.Slot);
    else steps.push({ at, slots: [t.Slot] });
  }
  const markers: ChartMarker[] = steps.map((s, i) => ({
    atMs: s.at, kind: 'update-step', short: String(i + 1),
    label: `update step ${i + 1}: ${s.slots.map((slot) => `${name}.${slot}`).join(', ')} replaced`,
  }));
  if (status?.StartedAt) markers.push({ atMs: Date.parse(status.StartedAt), kind: 'update', short: 'start', label: `update of ${name} started` });
  if (status?.CompletedAt) markers.push({ atMs: Date.parse(status.CompletedAt), kind: 'update', short: 'done', label: `update of ${name} completed` });
  return markers;
}

/** Markers for the phases of a load run (warmup, before, during, after). */
export function phaseMarkers(phases: Record<string, { startedAt: number }>): ChartMarker[] {
  return Object.entries(phases).map(([name, p]) => ({ atMs: p.startedAt, kind: 'phase', short: name, label: `phase "${name}" begins` }));
}
