/**
 * Swarm objects as the daemon encodes them (moby's api/types/swarm structs): the members Go always
 * writes (no `omitempty`) are present even when swarmlet stores nothing, e.g. TaskTemplate.ForceUpdate
 * and the Labels of Annotations. Specs are already stored under Docker's names (decode-fields.ts).
 */
import type { Node, Service, ServiceSpec, Task, TaskSpec } from '../model/types.js';

function engineTaskSpec(spec: TaskSpec): TaskSpec {
  return { ...spec, ForceUpdate: spec.ForceUpdate ?? 0 };
}

function engineServiceSpec(spec: ServiceSpec): ServiceSpec {
  return { ...spec, Labels: spec.Labels ?? {}, TaskTemplate: engineTaskSpec(spec.TaskTemplate ?? { ContainerSpec: { Image: '' } }) };
}

export function engineService(s: Service): Service {
  return { ...s, Spec: engineServiceSpec(s.Spec), ...(s.PreviousSpec ? { PreviousSpec: engineServiceSpec(s.PreviousSpec) } : {}) };
}

export function engineTask(t: Task): Task {
  return { ...t, Labels: t.Labels ?? {}, Spec: engineTaskSpec(t.Spec) };
}

export function engineNode(n: Node): Node {
  return { ...n, Spec: { ...n.Spec, Labels: n.Spec.Labels ?? {} } };
}
