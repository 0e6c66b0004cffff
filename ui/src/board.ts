/**
 * The cluster board: one column per node (name, state, availability, labels, availability actions),
 * one card per task (service, task name, image tag, state, health, age) coloured by service, and a
 * "pending" column for tasks not on a node yet. Elements are keyed by ID and updated in place: a
 * render touches only the cards whose text changed and the columns whose order changed.
 */
import { age, imageTag, isVisible, nodeLabel, serviceHues, taskName, type ClusterState } from './cluster-state.js';
import { el, reorder } from './dom.js';
import type { Node, Task } from './types.js';

const PENDING = '';

interface Column { root: HTMLElement; head: HTMLElement; cards: HTMLElement; sig: string }

export class Board {
  private readonly columns = new Map<string, Column>();
  private readonly cards = new Map<string, Card>();

  constructor(private readonly root: HTMLElement) {}

  render(state: ClusterState, nowMs: number): void {
    const nodes = [...state.nodes.values()].sort((a, b) => nodeLabel(a).localeCompare(nodeLabel(b), undefined, { numeric: true }));
    const byColumn = new Map<string, Array<{ key: string; card: HTMLElement }>>();
    const seen = new Set<string>();
    const hues = serviceHues([...state.services.values()].map((s) => s.Spec.Name));
    for (const t of state.tasks.values()) {
      if (!isVisible(t)) continue;
      const svc = state.services.get(t.ServiceID);
      if (!svc) continue;
      const col = t.NodeID && state.nodes.has(t.NodeID) ? t.NodeID : PENDING;
      const name = taskName(svc.Spec.Name, t, state.nodeName(t.NodeID ?? ''));
      const card = this.card(t, svc.Spec.Name, name, hues.get(svc.Spec.Name) ?? 0, nowMs);
      seen.add(t.ID);
      let list = byColumn.get(col);
      if (!list) byColumn.set(col, (list = []));
      list.push({ key: `${svc.Spec.Name}\u0000${String(t.Slot ?? 0).padStart(6, '0')}\u0000${t.DesiredState === 'running' ? 0 : 1}\u0000${t.ID}`, card });
    }
    for (const [id, card] of this.cards) if (!seen.has(id)) { card.root.remove(); this.cards.delete(id); }
    const columns: HTMLElement[] = [];
    for (const n of nodes) columns.push(this.column(n.ID, n, byColumn.get(n.ID) ?? []).root);
    const pending = byColumn.get(PENDING) ?? [];
    if (pending.length > 0) columns.push(this.column(PENDING, undefined, pending).root);
    for (const [id, c] of this.columns) if (!columns.includes(c.root)) { c.root.remove(); this.columns.delete(id); }
    reorder(this.root, columns);
  }

  private column(id: string, node: Node | undefined, list: Array<{ key: string; card: HTMLElement }>): Column {
    let c = this.columns.get(id);
    if (!c) {
      const head = el('header');
      const cards = el('div', { class: 'cards' });
      c = { root: el('section', { class: 'node' }, head, cards), head, cards, sig: '' };
      this.columns.set(id, c);
    }
    const sig = node ? JSON.stringify([nodeLabel(node), node.Status?.State, node.Spec.Availability, node.Spec.Role, node.Spec.Labels, node.Status?.Addr, list.length]) : `pending ${list.length}`;
    if (sig !== c.sig) {
      c.sig = sig;
      fillHead(c, node, list.length);
    }
    list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    reorder(c.cards, list.map((x) => x.card));
    return c;
  }

  private card(t: Task, service: string, name: string, hue: number, nowMs: number): HTMLElement {
    let c = this.cards.get(t.ID);
    if (!c) {
      c = newCard(t.ID);
      this.cards.set(t.ID, c);
    }
    const tag = imageTag(t.Spec?.ContainerSpec?.Image);
    const health = t.Status.Health ?? '';
    const state = t.DesiredState !== 'running' && t.Status.State === 'running' ? 'stopping' : t.Status.State;
    const sig = `${hue}|${name}|${tag}|${t.Status.State}|${t.DesiredState}|${health}|${t.Status.Err ?? ''}`;
    if (c.sig !== sig) {
      c.sig = sig;
      const d = c.root.dataset;
      c.root.style.setProperty('--hue', String(hue));
      d.service = service;
      d.task = name;
      d.tag = tag;
      d.state = t.Status.State;
      d.desired = t.DesiredState;
      c.root.title = `${name} (${t.ID})\n${t.Spec?.ContainerSpec?.Image ?? ''}\n${t.Status.State}${t.Status.Err ? `: ${t.Status.Err}` : ''}`;
      c.name.textContent = name;
      c.tag.textContent = tag;
      c.state.textContent = state;
      c.health.textContent = health;
      c.health.className = `health ${health}`;
      c.health.hidden = health === '';
      c.logs.dataset.name = name;
      c.logs.title = `logs of ${name}`;
    }
    const a = age(t.CreatedAt, nowMs);
    if (c.age.textContent !== a) c.age.textContent = a;
    return c.root;
  }
}

interface Card { root: HTMLElement; name: HTMLElement; tag: HTMLElement; state: HTMLElement; health: HTMLElement; age: HTMLElement; logs: HTMLElement; sig: string }

function newCard(id: string): Card {
  const c: Card = {
    root: el('article', { class: 'card', 'data-id': id }),
    name: el('span'), tag: el('span', { class: 'tag' }), state: el('span', { class: 'state' }), health: el('span', { class: 'health' }), age: el('span', { class: 'age' }),
    logs: el('button', { class: 'link', 'data-action': 'task-logs', 'data-id': id }, 'logs'), sig: '',
  };
  c.root.append(el('div', { class: 'name' }, c.name, c.tag), el('div', { class: 'meta' }, c.state, c.health, c.age), c.logs);
  return c;
}

function fillHead(c: Column, node: Node | undefined, count: number): void {
  if (!node) {
    c.root.dataset.node = '';
    c.head.replaceChildren(el('h2', {}, 'pending'), el('div', { class: 'meta' }, `${count} not placed yet`));
    return;
  }
  const name = nodeLabel(node);
  const avail = node.Spec.Availability;
  c.root.dataset.node = name;
  c.root.dataset.availability = avail;
  c.root.dataset.state = node.Status?.State ?? '';
  const labels = Object.entries(node.Spec.Labels ?? {}).map(([k, v]) => el('span', { class: 'label' }, v ? `${k}=${v}` : k));
  const actions = ['active', 'pause', 'drain'].map((a) => el('button', {
    'data-action': 'availability', 'data-id': node.ID, 'data-name': name, 'data-value': a, class: a === avail ? 'current' : '', ...(a === avail ? { disabled: '' } : {}),
  }, a));
  c.head.replaceChildren(
    el('h2', {}, name, node.ManagerStatus ? el('span', { class: 'role' }, node.ManagerStatus.Leader ? 'leader' : 'manager') : ''),
    el('div', { class: 'meta' },
      el('span', { class: `state ${node.Status?.State ?? ''}` }, node.Status?.State ?? '?'),
      el('span', { class: `availability ${avail}` }, avail),
      el('span', {}, `${count} task${count === 1 ? '' : 's'}`)),
    ...(labels.length ? [el('div', { class: 'labels' }, ...labels)] : []),
    el('div', { class: 'actions' }, ...actions),
  );
}
