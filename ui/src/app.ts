/**
 * The dashboard's entry: loads nodes, services and tasks, follows the one events stream, applies
 * each event at once and fetches what it changed in batches (tasks by ID, services, nodes), and
 * renders at most once per frame. Asks for the client token when the manager wants one.
 * `window.swarmletUi.stats` exposes timings (tests and the rendering benchmark read them).
 */
import { Api, isAuthError } from './api.js';
import { runAction, type ActionContext } from './actions.js';
import { Board } from './board.js';
import { ClusterState } from './cluster-state.js';
import { byId } from './dom.js';
import { followEvents, type StreamStatus } from './event-stream.js';
import { LogsPanel } from './logs-panel.js';
import { ServicesPanel } from './services-panel.js';
import type { EventMessage, Node, Service, Task } from './types.js';

export interface UiStats {
  /** ms from navigation start to the first full render. */
  firstRenderMs: number | undefined;
  events: number;
  /** ms spent applying events (without rendering). */
  eventMs: number;
  renders: number;
  renderMs: number;
  lastRenderMs: number;
  /** Full reloads (start and every reconnection). */
  loads: number;
  fetches: number;
  status: StreamStatus;
}

const FETCH_DELAY_MS = 50;
const ID_BATCH = 100;

const api = new Api();
const state = new ClusterState();
const board = new Board(byId('board'));
const services = new ServicesPanel(byId('services-body'));
const logs = new LogsPanel(api);
const stats: UiStats = { firstRenderMs: undefined, events: 0, eventMs: 0, renders: 0, renderMs: 0, lastRenderMs: 0, loads: 0, fetches: 0, status: 'connecting' };
(window as unknown as { swarmletUi: { stats: UiStats } }).swarmletUi = { stats };

let loaded = false;
let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued || !loaded) return;
  renderQueued = true;
  requestAnimationFrame(render);
}

function render(): void {
  renderQueued = false;
  const t0 = performance.now();
  board.render(state, Date.now());
  services.render(state);
  byId('summary').textContent = `${state.nodes.size} nodes · ${state.services.size} services · ${countVisible()} tasks`;
  const ms = performance.now() - t0;
  stats.renders++;
  stats.renderMs += ms;
  stats.lastRenderMs = ms;
  stats.firstRenderMs ??= performance.now();
}

function countVisible(): number {
  return document.querySelectorAll('#board .card').length;
}

async function loadAll(): Promise<void> {
  const [nodes, svcs, tasks] = await Promise.all([api.get<Node[]>('/nodes'), api.get<Service[]>('/services'), api.get<Task[]>('/tasks')]);
  state.replaceAll(nodes, svcs, tasks);
  stats.loads++;
  loaded = true;
  scheduleRender();
}

// Fetches that events asked for, batched.
const wanted = { tasks: new Set<string>(), services: false, nodes: false };
let fetchTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleFetch(): void {
  fetchTimer ??= setTimeout(() => { fetchTimer = undefined; void fetchWanted(); }, FETCH_DELAY_MS);
}

async function fetchWanted(): Promise<void> {
  const ids = [...wanted.tasks];
  const doServices = wanted.services;
  const doNodes = wanted.nodes;
  wanted.tasks.clear();
  wanted.services = false;
  wanted.nodes = false;
  const mark = state.eventMark();
  try {
    const jobs: Array<Promise<void>> = [];
    if (doServices) jobs.push(api.get<Service[]>('/services').then((s) => state.setServices(s)));
    if (doNodes) jobs.push(api.get<Node[]>('/nodes').then((n) => state.setNodes(n)));
    for (let i = 0; i < ids.length; i += ID_BATCH) {
      const filters = encodeURIComponent(JSON.stringify({ id: ids.slice(i, i + ID_BATCH) }));
      jobs.push(api.get<Task[]>(`/tasks?filters=${filters}`).then((t) => state.upsertTasks(t, mark)));
    }
    stats.fetches += jobs.length;
    await Promise.all(jobs);
  } catch {
    // The stream's reconnection reloads everything.
  }
  scheduleRender();
}

function onEvent(e: EventMessage): void {
  const t0 = performance.now();
  const effect = state.applyEvent(e);
  for (const id of effect.tasks) wanted.tasks.add(id);
  wanted.services ||= effect.services;
  wanted.nodes ||= effect.nodes;
  if (effect.tasks.length > 0 || effect.services || effect.nodes) scheduleFetch();
  stats.events++;
  stats.eventMs += performance.now() - t0;
  scheduleRender();
}

function setStatus(s: StreamStatus, detail?: string): void {
  stats.status = s;
  const conn = byId('conn');
  conn.dataset.state = s;
  conn.textContent = s === 'live' ? 'live' : s === 'unauthorized' ? 'token needed' : `${s}…`;
  if (s === 'unauthorized') askToken(detail);
}

function askToken(detail?: string): void {
  const form = byId<HTMLFormElement>('login');
  form.hidden = false;
  byId('login-error').textContent = api.token() ? (detail ?? 'the token was refused') : '';
  api.forgetToken();
  form.querySelector('input')!.focus();
}

let stream: { stop(): void } | undefined;
function start(): void {
  stream?.stop();
  stream = followEvents(api, { onOpen: loadAll, onEvent, onStatus: setStatus });
}

function notify(text: string, kind: 'ok' | 'error' = 'ok'): void {
  const toast = byId('toast');
  toast.textContent = text;
  toast.dataset.kind = kind;
  toast.hidden = false;
  clearTimeout(Number(toast.dataset.timer));
  toast.dataset.timer = String(setTimeout(() => { toast.hidden = true; }, kind === 'error' ? 8000 : 4000));
}

const actions: ActionContext = { api, logs, notify };
document.addEventListener('click', (ev) => {
  const target = (ev.target as Element).closest<HTMLElement>('[data-action]');
  if (!target || (target as HTMLButtonElement).disabled) return;
  ev.preventDefault();
  runAction(actions, target.dataset.action!, target.dataset).catch((e: Error) => {
    if (isAuthError(e)) askToken(e.message);
    notify(e.message, 'error');
  });
});

byId<HTMLFormElement>('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = byId<HTMLFormElement>('login').querySelector('input')!;
  if (input.value.trim() === '') return;
  api.setToken(input.value);
  input.value = '';
  byId('login').hidden = true;
  start();
});

setInterval(scheduleRender, 5000); // ages
start();
