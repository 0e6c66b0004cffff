import t from 'tap';
import fc from 'fast-check';
import { parseFilters } from '../../lib/api/filters.js';
import { compileEventFilter, EVENT_FILTER_KEYS } from '../../lib/events/event-filters.js';
import type { EventMessage } from '../../lib/events/event-message.js';
import { isSwarmletError } from '../../lib/errors.js';

function ev(Type: EventMessage['Type'], Action: string, ID: string, Attributes: Record<string, string> = {}): EventMessage {
  return { Type, Action, Actor: { ID, Attributes }, scope: 'swarm', time: 1, timeNano: 1_000_000_000n };
}

const WEB = ev('service', 'update', 'svcweb0000000000000000001', { name: 'web', 'replicas.old': '3', 'replicas.new': '7' });
const API = ev('service', 'create', 'svcapi0000000000000000002', { name: 'api' });
const NODE2 = ev('node', 'update', 'nodeb00000000000000000002', { name: 'node-2', 'availability.old': 'active', 'availability.new': 'drain' });
const WEB_TASK = ev('task', 'update', 'task100000000000000000001', {
  name: 'web.1', service: 'web', 'service.id': 'svcweb0000000000000000001', slot: '1', node: 'node-2', 'node.id': 'nodeb00000000000000000002', state: 'running',
});
const API_TASK = ev('task', 'create', 'task200000000000000000002', {
  name: 'api.1', service: 'api', 'service.id': 'svcapi0000000000000000002', slot: '1', node: 'node-1', 'node.id': 'nodea00000000000000000001', state: 'pending',
});
const ALL = { WEB, API, NODE2, WEB_TASK, API_TASK };

const rows: Array<{ filters: Record<string, string[]>; want: Array<keyof typeof ALL> }> = [
  { filters: {}, want: ['WEB', 'API', 'NODE2', 'WEB_TASK', 'API_TASK'] },
  { filters: { type: ['service'] }, want: ['WEB', 'API'] },
  { filters: { type: ['service', 'node'] }, want: ['WEB', 'API', 'NODE2'] },
  { filters: { type: ['task'] }, want: ['WEB_TASK', 'API_TASK'] },
  { filters: { event: ['create'] }, want: ['API', 'API_TASK'] },
  { filters: { type: ['service'], event: ['update'] }, want: ['WEB'] },
  { filters: { service: ['web'] }, want: ['WEB', 'WEB_TASK'] },
  { filters: { service: ['svcapi'] }, want: ['API', 'API_TASK'], /* ID prefix */ },
  { filters: { service: ['we'] }, want: ['WEB', 'WEB_TASK'], /* name prefix, like moby's FuzzyMatch */ },
  { filters: { service: ['web', 'api'], type: ['service'] }, want: ['WEB', 'API'] },
  { filters: { node: ['node-2'] }, want: ['NODE2', 'WEB_TASK'] },
  { filters: { node: ['nodea'] }, want: ['API_TASK'] },
  { filters: { node: ['node-2'], service: ['web'] }, want: ['WEB_TASK'] },
  { filters: { task: ['web.1'] }, want: ['WEB_TASK'] },
  { filters: { task: ['task2'] }, want: ['API_TASK'] },
  { filters: { scope: ['swarm'] }, want: ['WEB', 'API', 'NODE2', 'WEB_TASK', 'API_TASK'] },
  { filters: { scope: ['local'] }, want: [] },
  { filters: { container: ['web'] }, want: [] },
  { filters: { label: ['replicas.new'] }, want: ['WEB'] },
  { filters: { label: ['state=running'] }, want: ['WEB_TASK'] },
  { filters: { label: ['state=running', 'slot=2'] }, want: [] },
  { filters: { type: ['volume'] }, want: [] },
];

t.test('docker event filters, table-driven', async (t) => {
  for (const row of rows) {
    const keep = compileEventFilter(row.filters);
    const got = Object.entries(ALL).filter(([, e]) => keep(e)).map(([k]) => k);
    t.strictSame(got, row.want, JSON.stringify(row.filters));
  }
});

t.test('filters arrive in both JSON forms through parseFilters', async (t) => {
  for (const raw of ['{"type":{"service":true},"event":{"update":true}}', '{"type":["service"],"event":["update"]}']) {
    const keep = compileEventFilter(parseFilters(raw));
    t.strictSame(Object.entries(ALL).filter(([, e]) => keep(e)).map(([k]) => k), ['WEB'], raw);
  }
});

t.test('an unknown filter key is a 400 naming it', async (t) => {
  t.throws(() => compileEventFilter({ tpye: ['service'] }), { message: "invalid filter 'tpye'", code: 'invalid_argument', field: 'filters.tpye' });
  t.ok(EVENT_FILTER_KEYS.includes('service') && EVENT_FILTER_KEYS.includes('task') && EVENT_FILTER_KEYS.includes('label'));
  try { compileEventFilter({ nope: ['x'] }); } catch (e) { t.ok(isSwarmletError(e)); }
});

const arbEvent = fc.record({
  Type: fc.constantFrom('service' as const, 'node' as const, 'task' as const),
  Action: fc.constantFrom('create', 'update', 'remove'),
  Actor: fc.record({
    ID: fc.stringMatching(/^[a-z0-9]{1,8}$/),
    Attributes: fc.dictionary(fc.constantFrom('name', 'service', 'node', 'service.id', 'node.id', 'state'), fc.stringMatching(/^[a-z0-9.-]{0,6}$/)),
  }),
  scope: fc.constant('swarm' as const),
  time: fc.constant(1),
  timeNano: fc.constant(1n),
});
const arbFilters = fc.dictionary(
  fc.constantFrom('type', 'event', 'service', 'node', 'task', 'label', 'scope'),
  fc.array(fc.stringMatching(/^[a-z0-9.=-]{0,6}$/), { minLength: 1, maxLength: 3 }),
);

const arbValues = fc.array(fc.stringMatching(/^[a-z0-9.=-]{0,6}$/), { minLength: 1, maxLength: 2 });
const arbKey = fc.constantFrom('type', 'event', 'service', 'node', 'task', 'scope', 'label');

t.test('property: keys are ANDed (a new key only narrows), values of one key are ORed', async (t) => {
  fc.assert(fc.property(arbEvent, arbFilters, arbKey, arbValues, arbValues, (e, filters, key, a, b) => {
    const rest = { ...filters };
    delete rest[key];
    const without = compileEventFilter(rest)(e);
    const withA = compileEventFilter({ ...rest, [key]: a })(e);
    const withB = compileEventFilter({ ...rest, [key]: b })(e);
    const withAB = compileEventFilter({ ...rest, [key]: [...a, ...b] })(e);
    if (withA && !without) return false;
    // label values are ANDed (moby's MatchKVList); every other key ORs its values
    return key === 'label' ? withAB === (withA && withB) : withAB === (withA || withB);
  }), { numRuns: 500 });
  t.pass('held for 500 generated cases');
});
