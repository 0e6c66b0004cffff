/**
 * The services table: name, image, running/desired replicas, published ports, update status with
 * progress (tasks on the current spec of all wanted, the batch in flight) and the service actions.
 */
import { publishedPorts, serviceHues, serviceProgress, type ClusterState } from './cluster-state.js';
import { el, reorder } from './dom.js';
import type { Service } from './types.js';

export class ServicesPanel {
  private readonly rows = new Map<string, { row: HTMLTableRowElement; sig: string }>();

  constructor(private readonly body: HTMLElement) {}

  render(state: ClusterState): void {
    const services = [...state.services.values()].sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name));
    const wanted: HTMLTableRowElement[] = [];
    const hues = serviceHues(services.map((s) => s.Spec.Name));
    for (const s of services) {
      const p = serviceProgress(s, state.tasks.values());
      const u = s.UpdateStatus;
      const hue = hues.get(s.Spec.Name) ?? 0;
      const sig = JSON.stringify([s.Version.Index, p, u, hue]);
      let r = this.rows.get(s.ID);
      if (!r) this.rows.set(s.ID, (r = { row: el('tr'), sig: '' }));
      if (r.sig !== sig) {
        r.sig = sig;
        fillRow(r.row, s, p, hue);
      }
      wanted.push(r.row);
    }
    for (const [id, r] of this.rows) if (!state.services.has(id)) this.rows.delete(id);
    reorder(this.body, wanted);
    if (services.length === 0) this.body.append(el('tr', { class: 'empty' }, el('td', { colspan: '6' }, 'no services yet')));
  }
}

function fillRow(row: HTMLTableRowElement, s: Service, p: ReturnType<typeof serviceProgress>, hue: number): void {
  const name = s.Spec.Name;
  const global = s.Spec.Mode?.Global !== undefined;
  const u = s.UpdateStatus;
  row.dataset.service = name;
  row.dataset.running = String(p.running);
  row.dataset.desired = String(p.desired);
  row.dataset.update = u?.State ?? '';
  const swatch = el('span', { class: 'swatch' });
  swatch.style.setProperty('--hue', String(hue));
  const update = el('td', { class: 'update' });
  if (u) {
    const bar = el('progress', { max: String(Math.max(1, p.desired)), value: String(p.onNewSpec) });
    update.append(el('span', { class: `ustate ${u.State}` }, u.State.replace(/_/g, ' ')), bar,
      el('span', { class: 'progress' }, `${p.onNewSpec}/${p.desired} on the new spec${p.inFlight ? `, ${p.inFlight} in flight` : ''}`));
    if (u.Message) update.append(el('div', { class: 'message' }, u.Message));
  } else {
    update.append('—');
  }
  const action = (a: string, label: string, extra: Record<string, string> = {}) =>
    el('button', { 'data-action': a, 'data-id': s.ID, 'data-name': name, ...extra }, label);
  row.replaceChildren(
    el('td', { class: 'name' }, swatch, name),
    el('td', { class: 'image' }, s.Spec.TaskTemplate.ContainerSpec?.Image ?? ''),
    el('td', { class: 'replicas' }, global ? `${p.running}/${p.desired} (global)` : `${p.running}/${p.desired}`),
    el('td', { class: 'ports' }, publishedPorts(s).join(', ') || '—'),
    update,
    el('td', { class: 'actions' },
      ...(global ? [] : [action('scale', 'scale')]),
      action('image', 'update image'),
      action('rollback', 'rollback', s.PreviousSpec ? {} : { disabled: '', title: 'no previous spec' }),
      action('service-logs', 'logs')),
  );
}
