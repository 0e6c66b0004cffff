/**
 * The actions, each confirmed: scale, update the image, rollback (POST /services/{id}/update), node
 * availability (POST /nodes/{id}/update), logs of a service or a task. Each update reads the
 * object first so it sends the current version; the manager's message is shown when it refuses.
 */
import type { Api } from './api.js';
import { ask } from './confirm-dialog.js';
import type { LogsPanel } from './logs-panel.js';
import type { Node, Service } from './types.js';

export interface ActionContext {
  api: Api;
  logs: LogsPanel;
  notify(text: string, kind?: 'ok' | 'error'): void;
}

const enc = encodeURIComponent;

async function updateService(c: ActionContext, id: string, change: (s: Service) => Service['Spec'], rollback = false): Promise<void> {
  const s = await c.api.get<Service>(`/services/${enc(id)}`);
  const spec = change(s);
  await c.api.post(`/services/${enc(id)}/update?version=${s.Version.Index}${rollback ? '&rollback=previous' : ''}`, spec);
}

export async function runAction(c: ActionContext, action: string, d: DOMStringMap): Promise<void> {
  const id = d.id ?? '';
  const name = d.name ?? id;
  switch (action) {
    case 'scale': {
      const s = await c.api.get<Service>(`/services/${enc(id)}`);
      const v = await ask({ text: `Scale ${name}`, input: { label: 'replicas', value: String(s.Spec.Mode?.Replicated?.Replicas ?? 1), type: 'number' } });
      if (v === null) return;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) return c.notify(`replicas: expected a whole number ≥ 0, got "${v}"`, 'error');
      await updateService(c, id, (cur) => ({ ...cur.Spec, Mode: { ...cur.Spec.Mode, Replicated: { ...cur.Spec.Mode?.Replicated, Replicas: n } } }));
      return c.notify(`${name} scaled to ${n}`);
    }
    case 'image': {
      const s = await c.api.get<Service>(`/services/${enc(id)}`);
      const v = await ask({ text: `Update the image of ${name} (a rolling update)`, input: { label: 'image', value: s.Spec.TaskTemplate.ContainerSpec?.Image ?? '' } });
      if (v === null) return;
      if (v === '') return c.notify('image: must not be empty', 'error');
      await updateService(c, id, (cur) => ({ ...cur.Spec, TaskTemplate: { ...cur.Spec.TaskTemplate, ContainerSpec: { ...cur.Spec.TaskTemplate.ContainerSpec, Image: v } } }));
      return c.notify(`${name}: updating to ${v}`);
    }
    case 'rollback': {
      if (await ask({ text: `Roll ${name} back to its previous spec?` }) === null) return;
      await updateService(c, id, (cur) => cur.Spec, true);
      return c.notify(`${name}: rolling back`);
    }
    case 'availability': {
      const value = d.value ?? 'active';
      if (await ask({ text: `Set ${name} to ${value}?${value === 'drain' ? ' Its tasks move to other nodes.' : ''}` }) === null) return;
      const n = await c.api.get<Node>(`/nodes/${enc(id)}`);
      await c.api.post(`/nodes/${enc(id)}/update?version=${n.Version.Index}`, { ...n.Spec, Availability: value });
      return c.notify(`${name}: ${value}`);
    }
    case 'service-logs': return c.logs.open('services', id, name);
    case 'task-logs': return c.logs.open('tasks', id, name);
    case 'close-logs': return c.logs.close();
    default:
  }
}
