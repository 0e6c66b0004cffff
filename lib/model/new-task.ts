import { isoTime } from '../clock.js';
import type { Service, Task } from './types.js';
import type { TaskState } from './task-state.js';

export interface NewTaskParams {
  id: string;
  service: Service;
  slot: number;
  nodeId: string;
  desiredState: TaskState;
  now: number;
  startAfter?: number;
}

/** Builds a task from its service's current spec. Global tasks come with a node and are assigned at once. */
export function newTask(p: NewTaskParams): Task {
  const ts = isoTime(p.now);
  const assigned = p.nodeId !== '';
  const task: Task = {
    ID: p.id,
    Version: { Index: 0 },
    CreatedAt: ts,
    UpdatedAt: ts,
    Labels: {},
    Spec: p.service.Spec.TaskTemplate, // shared: stored objects are never mutated
    ServiceID: p.service.ID,
    Slot: p.slot,
    NodeID: p.nodeId,
    Status: {
      Timestamp: ts,
      State: assigned ? 'assigned' : 'pending',
      Message: assigned ? 'scheduler assigned task to node' : 'pending task scheduling',
    },
    DesiredState: p.desiredState,
    SpecVersion: { Index: p.service.SpecVersion?.Index ?? 0 },
  };
  if (p.startAfter !== undefined) task.StartAfter = p.startAfter;
  return task;
}
