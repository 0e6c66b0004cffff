/**
 * Docker's `/events` filters (moby daemon/events/filter.go): values of one key are ORed, keys are
 * ANDed. `type`, `event` (the action) and `scope` match exactly; object keys match an ID or name
 * exactly or by prefix; `label` matches actor attributes (`k` or `k=v`).
 *
 * swarmlet's task events take part in the object keys: `service=` matches a task's service (name
 * or ID), `node=` the node it is on (hostname or ID), `task=` the task (ID or `web.1`). An object
 * key never matches events of other types (`service=web` keeps web's service and task events).
 */
import { invalid } from '../errors.js';
import type { Filters } from '../manager/control.js';
import type { EventMessage } from './event-message.js';

export type EventFilter = (e: EventMessage) => boolean;

const EXACT_KEYS = ['type', 'event', 'scope'] as const;
const OBJECT_KEYS = ['service', 'node', 'task', 'container', 'image', 'volume', 'network', 'plugin', 'secret', 'config', 'daemon'] as const;
export const EVENT_FILTER_KEYS: readonly string[] = [...EXACT_KEYS, ...OBJECT_KEYS, 'label'].sort();

const FIELD_OF_EXACT: Record<(typeof EXACT_KEYS)[number], (e: EventMessage) => string> = {
  type: (e) => e.Type,
  event: (e) => e.Action,
  scope: (e) => e.scope,
};

/** Attributes naming the related object on a task event. */
const TASK_LINKS: Partial<Record<string, [string, string]>> = { service: ['service.id', 'service'], node: ['node.id', 'node'] };

/** Compiles filters (unknown keys are an error: `invalid filter 'x'`); no filters → accept all. */
export function compileEventFilter(filters: Filters): EventFilter {
  const checks: EventFilter[] = [];
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    if ((EXACT_KEYS as readonly string[]).includes(key)) {
      const field = FIELD_OF_EXACT[key as (typeof EXACT_KEYS)[number]];
      checks.push((e) => values.includes(field(e)));
    } else if ((OBJECT_KEYS as readonly string[]).includes(key)) {
      checks.push((e) => matchObject(key, values, e));
    } else if (key === 'label') {
      checks.push((e) => matchLabels(values, e.Actor.Attributes));
    } else {
      throw invalid(`invalid filter '${key}'`, `filters.${key}`);
    }
  }
  return (e) => checks.every((check) => check(e));
}

/** moby's FuzzyMatch: equal to a value, or starting with one. */
function fuzzy(values: readonly string[], source: string | undefined): boolean {
  if (source === undefined || source === '') return false;
  return values.some((v) => source === v || (v !== '' && source.startsWith(v)));
}

function matchObject(key: string, values: readonly string[], e: EventMessage): boolean {
  const attrs = e.Actor.Attributes;
  if (e.Type === key) return fuzzy(values, e.Actor.ID) || fuzzy(values, attrs.name);
  const link = e.Type === 'task' ? TASK_LINKS[key] : undefined;
  return link !== undefined && (fuzzy(values, attrs[link[0]]) || fuzzy(values, attrs[link[1]]));
}

/** moby's MatchKVList: every `k` must be present and every `k=v` equal. */
function matchLabels(values: readonly string[], attrs: Record<string, string>): boolean {
  return values.every((v) => {
    const eq = v.indexOf('=');
    const k = eq < 0 ? v : v.slice(0, eq);
    if (!Object.hasOwn(attrs, k)) return false;
    return eq < 0 || attrs[k] === v.slice(eq + 1);
  });
}
